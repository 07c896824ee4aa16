import { resolve } from 'node:path';
import { createServiceApp, ping, registerHealth, registerMetrics } from '@music/service-kit';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { HashingGate } from './auth/hashing-gate.ts';
import { createSigningKey } from './auth/keys.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { guard, ROLE_ADMIN } from './auth/principal.ts';
import { authRoutes } from './auth/routes.ts';
import { SignIn } from './auth/sign-in.ts';
import { createTokens } from './auth/tokens.ts';
import type { Config } from './config.ts';
import { metricsRoutes } from './metrics/routes.ts';
import { MetricsSampler } from './metrics/sampler.ts';
import { meshSource, ownCounters, readiness, remoteHealth, serviceEndpoint } from './metrics/sources.ts';
import { UserAdministration } from './users/administration.ts';
import { UserRepository } from './users/repository.ts';
import { userRoutes } from './users/routes.ts';
import { registerWebApp } from './web/web-app.ts';

export interface AppDependencies {
  db: pg.Pool;
  logger?: FastifyServerOptions['logger'];
  /** How often `/api/metrics` figures are sampled; tests shorten it. */
  metricsIntervalMs?: number;
}

/**
 * Builds front (never listens): sign-in, accounts and user administration under `/api`, the JWKS,
 * the metrics overview, management under `/management`, and the Angular app for everything else.
 */
export async function buildApp(config: Readonly<Config>, deps: AppDependencies): Promise<FastifyInstance> {
  const app = createServiceApp({ bodyLimit: config.BODY_LIMIT, logger: deps.logger });

  const ready = () => ping(deps.db);
  const registry = registerMetrics(app, {
    prefix: '/management',
    labels: { app: config.APP_NAME, version: config.APP_VERSION },
  });
  registerHealth(app, { prefix: '/management', readiness: { db: ready } });

  const key = createSigningKey(config.JWT_PRIVATE_KEY);
  if (key.ephemeral) {
    app.log.warn(
      'JWT_PRIVATE_KEY is not set: signing with a key generated at start; tokens end with this process',
    );
  }
  const tokens = createTokens(key, { issuer: config.JWT_ISSUER, ttlSeconds: config.JWT_TTL_SECONDS });
  const users = new UserRepository(deps.db);
  const lockMs = config.LOGIN_LOCK_SECONDS * 1000;
  const throttles = {
    pair: new LoginThrottle({ maxFailures: config.LOGIN_MAX_FAILURES, lockMs }),
    // Several users behind one NAT share an address: it is locked only after four users' worth.
    address: new LoginThrottle({ maxFailures: config.LOGIN_MAX_FAILURES * 4, lockMs }),
    account: new LoginThrottle({ maxFailures: Number.MAX_SAFE_INTEGER, lockMs }),
  };

  // With the mesh's metrics every card's figures come from them (all replicas, one clock); without,
  // front reads its own counters and back's through its Service.
  const backManagement = `${config.BACK_URL}/back/management`;
  const sampler = new MetricsSampler(
    config.MESH_METRICS_URL
      ? [meshSource(config.MESH_METRICS_URL, config.MESH_NAMESPACE, ['front', 'back'])]
      : [ownCounters('front', registry), serviceEndpoint('back', backManagement)],
    [readiness('front', ready), remoteHealth('back', backManagement)],
    {
      intervalMs: deps.metricsIntervalMs ?? 5_000,
      windowMs: config.METRICS_WINDOW_SECONDS * 1000,
      log: app.log,
    },
  );
  app.addHook('onReady', async () => sampler.start());
  app.addHook('onClose', () => sampler.stop());

  app.decorateRequest('principal', null);
  await app.register(authRoutes, {
    signIn: new SignIn(
      users,
      tokens,
      throttles,
      new HashingGate({
        concurrency: config.PASSWORD_HASH_CONCURRENCY,
        maxQueue: config.PASSWORD_HASH_QUEUE,
      }),
    ),
    tokens,
    users,
    key,
    trustedHops: config.TRUSTED_PROXY_HOPS,
  });
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', guard(tokens, ROLE_ADMIN));
      await admin.register(userRoutes, { administration: new UserAdministration(users) });
    },
    { prefix: '/api/admin/users' },
  );
  await app.register(metricsRoutes, {
    sampler,
    tokens,
    windowSeconds: config.METRICS_WINDOW_SECONDS,
    consoleUrl: config.MESH_CONSOLE_URL,
  });
  await registerWebApp(app, resolve(config.WEB_ROOT));
  return app;
}
