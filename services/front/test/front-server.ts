import { generateKeyPairSync } from 'node:crypto';
import { createPool, migrate } from '@music/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { createTestDatabase } from '../../../test/support/database.ts';
import { buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { migrations } from '../src/migrations.ts';
import { UserRepository } from '../src/users/repository.ts';
import { seedUsers } from '../src/users/seed.ts';

export const ADMIN_PASSWORD = 'admin-secret-1';

/** An application/problem+json body, as the tests read it. */
export interface Problem {
  status: number;
  code: string;
  detail: string;
  errors: Array<{ field: string; message: string }>;
}

export interface RunningFront {
  app: FastifyInstance;
  db: pg.Pool;
  config: Readonly<Config>;
  base: string;
  call(path: string, init?: RequestInit & { json?: unknown }, bearer?: string | null): Promise<Response>;
  /** Signs in through the API and answers the id_token. */
  signIn(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * front as server.ts runs it (migrated, seeded, listening on a real port) on a fresh database.
 * BACK_URL points at a closed port unless a test says otherwise; WEB_ROOT at a directory that is not there.
 */
export async function startFront(
  env: Record<string, string> = {},
  options: { metricsIntervalMs?: number } = {},
): Promise<RunningFront> {
  const databaseUrl = await createTestDatabase('front');
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    ADMIN_PASSWORD,
    BACK_URL: 'http://127.0.0.1:9',
    WEB_ROOT: '/nonexistent/music-web',
    ...env,
  });
  const db = createPool({ url: databaseUrl, schema: 'front' });
  await migrate(db, 'front', migrations);
  await seedUsers(new UserRepository(db), config);
  const app = await buildApp(config, { db, ...options });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });

  const call: RunningFront['call'] = (path, init = {}, bearer = null) => {
    const headers = new Headers(init.headers);
    if (bearer) headers.set('authorization', `Bearer ${bearer}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
    return fetch(`${base}${path}`, { ...init, headers, body: body ?? null });
  };
  return {
    app,
    db,
    config,
    base,
    call,
    async signIn(username, password) {
      const response = await call('/api/authenticate', { method: 'POST', json: { username, password } });
      if (response.status !== 200) throw new Error(`sign-in as ${username} answered ${response.status}`);
      return ((await response.json()) as { id_token: string }).id_token;
    },
    async close() {
      await app.close();
      await db.end();
    },
  };
}
