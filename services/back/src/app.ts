import { createServiceApp, ping, registerHealth, registerMetrics } from '@music/service-kit';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { createTokenVerifier, type TokenVerifier } from './auth.ts';
import type { Config } from './config.ts';
import { injectFaults } from './faults.ts';
import { featuresOf } from './features.ts';
import { ratingRoutes } from './ratings/routes.ts';
import { registerShadowWrites } from './shadow-writes.ts';
import { SpotifyCatalog } from './spotify/catalog.ts';
import { ClientApi } from './spotify/client-api.ts';
import { libraryRoutes } from './spotify/routes.ts';
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
 * apply to the API of every version, never to management, so probes stay green. Mirrored writes
 * (authority `*-shadow`) are rolled back in every version (shadow-writes.ts).
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
  const catalog = features.spotify ? spotifyCatalog(config) : undefined;
  if (catalog !== undefined) app.addHook('onClose', async () => catalog.client.close());

  app.decorateRequest('principal', null);
  await app.register(
    async (api) => {
      registerShadowWrites(api, deps.db);
      injectFaults(api, {
        failureRate: config.FAILURE_RATE,
        extraLatencyMs: config.EXTRA_LATENCY_MS,
        random: deps.random ?? Math.random,
      });
      api.addHook('onRequest', async (request) => {
        request.principal = await verifyToken(request.headers.authorization);
      });
      await api.register(trackRoutes, {
        prefix: '/tracks',
        features,
        ...(catalog ? { catalog: catalog.catalog } : {}),
      });
      if (features.ratings) await api.register(ratingRoutes, { prefix: '/tracks' });
      if (catalog) await api.register(libraryRoutes, { prefix: '/library', catalog: catalog.catalog });
    },
    { prefix: '/back/api' },
  );
  return app;
}

/** back v3's way to Spotify: `client` at CLIENT_URL, through HTTP_PROXY when the runtime sets one. */
function spotifyCatalog(config: Readonly<Config>): { client: ClientApi; catalog: SpotifyCatalog } {
  const client = new ClientApi({
    url: config.CLIENT_URL,
    timeoutMs: config.CLIENT_TIMEOUT_MS,
    proxy: config.HTTP_PROXY ? { httpProxy: config.HTTP_PROXY, noProxy: config.NO_PROXY } : undefined,
  });
  return { client, catalog: new SpotifyCatalog(client, config.SPOTIFY_DEFAULT_QUERY) };
}
