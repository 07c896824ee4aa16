import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { createServiceApp } from '../src/app.ts';
import { createPool, ping } from '../src/database.ts';
import { registerHealth } from '../src/health.ts';

/** The server-side view of a database going away: every session ended, new ones refused, then back. */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('a service pool when its database goes away and comes back', () => {
  let url: string;
  let name: string;
  let pool: pg.Pool;
  const app = createServiceApp({ bodyLimit: 1024 });

  beforeAll(async () => {
    url = await createTestDatabase('away');
    name = new URL(url).pathname.slice(1);
    pool = createPool({ url, schema: 'svc' });
    registerHealth(app, { prefix: '/management', readiness: { db: () => ping(pool) } });
    await app.ready();
  });

  afterAll(async () => {
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await pool.end();
    await app.close();
  });

  const readiness = async () =>
    (await app.inject({ method: 'GET', url: '/management/health/readiness' })).statusCode;

  it('survives losing idle and checked-out connections, is unready while away, and reconnects once back', async () => {
    await pool.query('SELECT 1');
    // A transaction in progress holds its client; losing it must not end the process.
    const held = await pool.connect();
    await held.query('BEGIN');
    expect(await readiness()).toBe(200);

    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
    await expect(held.query('SELECT 1')).rejects.toThrow();
    held.release(true);
    expect(await readiness()).toBe(503);
    await expect(pool.query('SELECT 1')).rejects.toThrow();

    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    expect(await readiness()).toBe(200);
    expect((await pool.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });
});
