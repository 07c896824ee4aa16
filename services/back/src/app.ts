import { createServiceApp, ping, registerHealth, registerMetrics } from '@music/service-kit';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { createTokenVerifier, type TokenVerifier } from './auth.ts';
import type { Config } from './config.ts';
import { TrackRepository } from './tracks/repository.ts';
import { trackRoutes } from './tracks/routes.ts';

export interface AppDependencies {
  db: pg.Pool;
  verifyToken?: TokenVerifier;
  logger?: FastifyServerOptions['logger'];
}

/** Builds back (never listens): tracks API under `/back/api`, management under `/back/management`. */
export async function buildApp(config: Readonly<Config>, deps: AppDependencies): Promise<FastifyInstance> {
  const app = createServiceApp({ bodyLimit: config.BODY_LIMIT, logger: deps.logger });

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
      api.addHook('onRequest', async (request) => {
        request.principal = await verifyToken(request.headers.authorization);
      });
      await api.register(trackRoutes, { prefix: '/tracks', tracks: new TrackRepository(deps.db) });
    },
    { prefix: '/back/api' },
  );
  return app;
}
