import { createPool, migrate } from '@music/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { AppDependencies } from '../src/app.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrations } from '../src/migrations.ts';

export interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

export interface RunningBack {
  app: FastifyInstance;
  db: pg.Pool;
  base: string;
  /** `fetch` against this instance, with `json` as the body and `bearer` as the token (none when null). */
  call(path: string, init?: RequestInit & { json?: unknown }, bearer?: string | null): Promise<Response>;
  close(): Promise<void>;
}

/**
 * One back replica as server.ts starts it (own pool, migrations, then the app on port 0), with
 * environment `env`, so a test can run several versions on one database as a canary does.
 */
export async function startBack(options: {
  databaseUrl: string;
  jwksUrl: string;
  env?: Record<string, string>;
  token?: string;
  deps?: Omit<AppDependencies, 'db'>;
}): Promise<RunningBack> {
  const config = loadConfig({ DATABASE_URL: options.databaseUrl, JWKS_URL: options.jwksUrl, ...options.env });
  const db = createPool({ url: options.databaseUrl, schema: 'back', maxConnections: 5 });
  await migrate(db, 'back', migrations);
  const app = await buildApp(config, { db, ...options.deps });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    db,
    base,
    call(path, init = {}, bearer = options.token ?? null) {
      const headers = new Headers(init.headers);
      if (bearer) headers.set('authorization', `Bearer ${bearer}`);
      if (init.json !== undefined) headers.set('content-type', 'application/json');
      const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
      return fetch(`${base}${path}`, { ...init, headers, body: body ?? null });
    },
    async close() {
      await app.close();
      await db.end();
    },
  };
}
