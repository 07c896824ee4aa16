import { createServiceApp, ping, registerHealth, registerMetrics } from '@music/service-kit';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { createTokenVerifier, type TokenVerifier } from './auth.ts';
import type { Config } from './config.ts';
import { injectFaults } from './faults.ts';
import { featuresOf } from './features.ts';
import { RatingRepository } from './ratings/repository.ts';
import { ratingRoutes } from './ratings/routes.ts';
import { TrackRepository } from './tracks/repository.ts';
import { trackRoutes } from './tracks/routes.ts';

export interface AppDependencies {
  db: pg.Pool;
  verifyToken?: TokenVerifier;
  logger?: FastifyServerOptions['logger'];
  /** Where FAILURE_RATE draws from; `Math.random` unless a test seeds one (`seededRandom`). */
  random?: () => number;
}

/**
 * Builds back (never listens): tracks API under `/back/api`, management under `/back/management`.
 * APP_VERSION chooses the features (features.ts) once, here; FAILURE_RATE and EXTRA_LATENCY_MS
 * apply to the API of every version, never to management, so probes stay green.
 */
export async function buildApp(config: Readonly<Config>, deps: AppDependencies): Promise<FastifyInstance> {
  const app = createServiceApp({ bodyLimit: config.BODY_LIMIT, logger: deps.logger });
  const features = featuresOf(config.APP_VERSION);
  if (config.FAILURE_RATE > 0 || config.EXTRA_LATENCY_MS > 0) {
    app.log.warn(
      { failureRate: config.FAILURE_RATE, extraLatencyMs: config.EXTRA_LATENCY_MS },
      'fault injection is on for /back/api',
    );
  }

  const servedBy = `${config.APP_NAME}-${config.APP_VERSION}`;
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-served-by', servedBy);
  });
  registerMetrics(app, {
    prefix: '/back/management',
    labels: { app: config.APP_NAME, version: config.APP_VERSION },
  });
  registerHealth(app, { prefix: '/back/management', readiness: { db: () => ping(deps.db) } });

  const verifyToken =
    deps.verifyToken ?? createTokenVerifier({ jwksUrl: config.JWKS_URL, issuer: config.JWT_ISSUER });
  app.decorateRequest('principal', null);
  await app.register(
    async (api) => {
      injectFaults(api, {
        failureRate: config.FAILURE_RATE,
        extraLatencyMs: config.EXTRA_LATENCY_MS,
        random: deps.random ?? Math.random,
      });
      api.addHook('onRequest', async (request) => {
        request.principal = await verifyToken(request.headers.authorization);
      });
      await api.register(trackRoutes, { prefix: '/tracks', tracks: new TrackRepository(deps.db), features });
      if (features.ratings) {
        await api.register(ratingRoutes, { prefix: '/tracks', ratings: new RatingRepository(deps.db) });
      }
    },
    { prefix: '/back/api' },
  );
  return app;
}
