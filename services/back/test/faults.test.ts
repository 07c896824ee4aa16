import { createPool, migrate } from '@music/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { seededRandom } from '../src/faults.ts';
import { migrations } from '../src/migrations.ts';
import type { Problem } from './harness.ts';

const UNKNOWN = '/back/api/tracks/00000000-0000-4000-8000-000000000000';
const admin = async () => ({ login: 'admin', authorities: ['ROLE_ADMIN'] });

let databaseUrl: string;
let db: pg.Pool;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  databaseUrl = await createTestDatabase('back');
  db = createPool({ url: databaseUrl, schema: 'back' });
  await migrate(db, 'back', migrations);
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await db?.end();
});

/** A back with these fault variables, in-process (inject) and with a token check that always passes. */
async function backWith(env: Record<string, string>, random?: () => number) {
  const config = loadConfig({ DATABASE_URL: databaseUrl, ...env });
  const app = await buildApp(config, { db, verifyToken: admin, ...(random ? { random } : {}) });
  apps.push(app);
  return app;
}

/** How many of `n` API requests were answered 500 INJECTED_FAILURE (the rest are 404s). */
async function failures(app: FastifyInstance, n: number): Promise<number> {
  let failed = 0;
  for (let start = 0; start < n; start += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - start) }, () => app.inject({ url: UNKNOWN })),
    );
    for (const response of batch) {
      if (response.statusCode === 500) {
        expect(response.json<Problem>().code).toBe('INJECTED_FAILURE');
        failed++;
      } else expect(response.statusCode).toBe(404);
    }
  }
  return failed;
}

describe('FAILURE_RATE', () => {
  it('at 1 answers every API request with a 500 problem, while health and metrics stay 200', async () => {
    const app = await backWith({ FAILURE_RATE: '1', APP_VERSION: 'v2' });
    const response = await app.inject({ url: '/back/api/tracks' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['x-served-by']).toBe('back-v2');
    const problem = response.json<Problem>();
    expect(problem).toMatchObject({ status: 500, code: 'INJECTED_FAILURE' });
    expect(problem.detail).toMatch(/injected failure/i);
    for (const path of ['health', 'health/liveness', 'health/readiness', 'prometheus']) {
      expect((await app.inject({ url: `/back/management/${path}` })).statusCode, path).toBe(200);
    }
    const metrics = (await app.inject({ url: '/back/management/prometheus' })).body;
    expect(metrics).toMatch(/http_server_requests_total\{[^}]*route="\/back\/api\/tracks"[^}]*status="500"/);
  });

  it('at 0.3 fails exactly the draws below 0.3 of a seeded source', async () => {
    const app = await backWith({ FAILURE_RATE: '0.3' }, seededRandom(2024));
    const replay = seededRandom(2024);
    const expected = Array.from({ length: 1000 }, replay).filter((x) => x < 0.3).length;
    expect(await failures(app, 1000)).toBe(expected);
  });

  it('at 0.3 fails a share of 1000 requests within five standard deviations of 300', async () => {
    const app = await backWith({ FAILURE_RATE: '0.3' });
    const sd = Math.sqrt(1000 * 0.3 * 0.7);
    const failed = await failures(app, 1000);
    expect(failed).toBeGreaterThan(300 - 5 * sd);
    expect(failed).toBeLessThan(300 + 5 * sd);
  });

  it('at 0 (the default) fails nothing', async () => {
    expect(await failures(await backWith({}), 200)).toBe(0);
  });
});

describe('EXTRA_LATENCY_MS', () => {
  it('delays API answers by at least that long, not health', async () => {
    const app = await backWith({ EXTRA_LATENCY_MS: '250' });
    let started = performance.now();
    expect((await app.inject({ url: UNKNOWN })).statusCode).toBe(404);
    expect(performance.now() - started).toBeGreaterThanOrEqual(249);
    started = performance.now();
    expect((await app.inject({ url: '/back/management/health/liveness' })).statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(250);
  });
});

describe('fault configuration', () => {
  it.each([
    ['FAILURE_RATE', '1.5'],
    ['FAILURE_RATE', '-0.1'],
    ['FAILURE_RATE', 'often'],
    ['EXTRA_LATENCY_MS', '-1'],
  ])('stops start-up on %s=%s, naming it', (variable, value) => {
    expect(() => loadConfig({ DATABASE_URL: databaseUrl, [variable]: value })).toThrow(
      expect.objectContaining({ variable }),
    );
  });

  it('defaults both to 0', () => {
    expect(loadConfig({ DATABASE_URL: databaseUrl })).toMatchObject({ FAILURE_RATE: 0, EXTRA_LATENCY_MS: 0 });
  });
});
