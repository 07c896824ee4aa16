import { createServiceApp, registerHealth, registerMetrics } from '@music/service-kit';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { accountsRoutes } from './accounts/routes.ts';
import { TokenStore } from './accounts/tokens.ts';
import { Faults } from './api/faults.ts';
import { RateLimiter } from './api/rate-limit.ts';
import { webApiRoutes } from './api/routes.ts';
import { Catalog } from './catalog/catalog.ts';
import type { Config } from './config.ts';
import { imageRoutes } from './images/routes.ts';

export interface AppDependencies {
  logger?: FastifyServerOptions['logger'];
  /** The clock tokens and rate windows read; tests move it to expire tokens on the spot. */
  now?: () => number;
  /** Fault settings, by default from SANDBOX_FAILURE_RATE and SANDBOX_EXTRA_LATENCY_MS. */
  faults?: Faults;
}

/**
 * Builds the sandbox (never listens): accounts service at `/api/token`, Web API under `/v1`,
 * album art under `/images`, management under `/management`.
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: AppDependencies = {},
): Promise<FastifyInstance> {
  const app = createServiceApp({ bodyLimit: config.BODY_LIMIT, logger: deps.logger });
  const now = deps.now ?? Date.now;
  const catalog = new Catalog();
  const tokens = new TokenStore(config.SANDBOX_TOKEN_TTL_SECONDS, now);
  const faults =
    deps.faults ??
    new Faults({ failureRate: config.SANDBOX_FAILURE_RATE, extraLatencyMs: config.SANDBOX_EXTRA_LATENCY_MS });
  const publicUrl = config.SANDBOX_PUBLIC_URL;
  const origin = (request: FastifyRequest) => publicUrl ?? `${request.protocol}://${request.host}`;

  const servedBy = `${config.APP_NAME}-${config.APP_VERSION}`;
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-served-by', servedBy);
  });
  registerMetrics(app, {
    prefix: '/management',
    labels: { app: config.APP_NAME, version: config.APP_VERSION },
  });
  registerHealth(app, { prefix: '/management', readiness: {} });

  await app.register(accountsRoutes, {
    clientId: config.SANDBOX_CLIENT_ID,
    clientSecret: config.SANDBOX_CLIENT_SECRET,
    tokens,
  });
  await app.register(webApiRoutes, {
    prefix: '/v1',
    catalog,
    tokens,
    faults,
    origin,
    limiter: new RateLimiter(config.SANDBOX_RATE_LIMIT, config.SANDBOX_RATE_WINDOW_SECONDS, now),
  });
  await app.register(imageRoutes, { catalog });
  return app;
}
