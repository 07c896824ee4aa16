import { createServiceApp, registerHealth, registerMetrics } from '@music/service-kit';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';
import { registerFaults } from './faults.ts';
import { SpotifyClient } from './spotify/spotify-client.ts';
import { trackRoutes } from './tracks/routes.ts';
import { TrackCatalog } from './tracks/track-catalog.ts';

export interface AppDependencies {
  logger?: FastifyServerOptions['logger'];
  /** Fault injection's dice; tests pass a fixed one. */
  random?: () => number;
}

/** Builds client (never listens): Spotify-backed tracks under `/client/api`, management under `/client/management`. */
export async function buildApp(
  config: Readonly<Config>,
  deps: AppDependencies = {},
): Promise<FastifyInstance> {
  const app = createServiceApp({ bodyLimit: config.BODY_LIMIT, logger: deps.logger });

  const servedBy = `${config.APP_NAME}-${config.APP_VERSION}`;
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-served-by', servedBy);
  });
  registerMetrics(app, {
    prefix: '/client/management',
    labels: { app: config.APP_NAME, version: config.APP_VERSION },
  });
  // Readiness does not follow Spotify: pulling every replica out of the mesh would turn a stale
  // answer or a quick 503 into a connection error.
  registerHealth(app, { prefix: '/client/management', readiness: {} });

  const spotify = new SpotifyClient({
    apiUrl: config.SPOTIFY_API_URL,
    accountsUrl: config.SPOTIFY_ACCOUNTS_URL,
    clientId: config.SPOTIFY_CLIENT_ID,
    clientSecret: config.SPOTIFY_CLIENT_SECRET,
    connectTimeoutMs: config.SPOTIFY_CONNECT_TIMEOUT_MS,
    ...(config.HTTP_PROXY ? { proxy: { url: config.HTTP_PROXY, noProxy: config.NO_PROXY ?? '' } } : {}),
    timeoutMs: config.SPOTIFY_TIMEOUT_MS,
    retry: {
      retries: config.SPOTIFY_RETRIES,
      baseMs: config.SPOTIFY_RETRY_BASE_MS,
      maxMs: config.SPOTIFY_RETRY_MAX_MS,
      maxRetryAfterSeconds: config.SPOTIFY_MAX_RETRY_AFTER_SECONDS,
    },
    breaker: { threshold: config.SPOTIFY_BREAKER_THRESHOLD, cooldownMs: config.SPOTIFY_BREAKER_COOLDOWN_MS },
    log: app.log.child({ upstream: 'spotify' }),
  });
  app.addHook('onClose', () => spotify.close());
  const cache = {
    maxEntries: config.CLIENT_CACHE_MAX_ENTRIES,
    ttlMs: config.CLIENT_CACHE_TTL_SECONDS * 1000,
    staleMs: config.CLIENT_CACHE_STALE_SECONDS * 1000,
  };
  const catalog = new TrackCatalog(spotify, cache, app.log.child({ upstream: 'spotify' }));

  await app.register(
    async (api) => {
      registerFaults(api, {
        failureRate: config.FAILURE_RATE,
        extraLatencyMs: config.EXTRA_LATENCY_MS,
        ...(deps.random ? { random: deps.random } : {}),
      });
      await api.register(trackRoutes, { catalog });
    },
    { prefix: '/client/api' },
  );
  return app;
}
