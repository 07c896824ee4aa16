import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, migrate } from '@music/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp as buildBack } from '../services/back/src/app.ts';
import { loadConfig as loadBackConfig } from '../services/back/src/config.ts';
import { migrations as backMigrations } from '../services/back/src/migrations.ts';
import { buildApp as buildFront } from '../services/front/src/app.ts';
import { loadConfig as loadFrontConfig } from '../services/front/src/config.ts';
import { migrations as frontMigrations } from '../services/front/src/migrations.ts';
import { UserRepository } from '../services/front/src/users/repository.ts';
import { seedUsers } from '../services/front/src/users/seed.ts';
import { launchChromium } from './support/browser.ts';
import { createTestDatabase } from './support/database.ts';

/**
 * The Angular app during back's canary: front, back-v1 and back-v2 (the same code, APP_VERSION
 * apart) on one database, behind a small ingress whose `/back` target the test switches, so each
 * list comes from the version the test chooses. The mesh is not needed to see how the page copes.
 */
let browser: Browser;
let ingress: Server;
let url: string;
let backTarget: string;
const apps: FastifyInstance[] = [];
const pools: pg.Pool[] = [];
const backs: Record<'v1' | 'v2', string> = { v1: '', v2: '' };

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('music');
  browser = await launchChromium();
  const pool = async (schema: string, migrations: Parameters<typeof migrate>[2]) => {
    const db = createPool({ url: databaseUrl, schema, maxConnections: 4 });
    pools.push(db);
    await migrate(db, schema, migrations);
    return db;
  };

  const frontConfig = loadFrontConfig({ DATABASE_URL: databaseUrl, MUSIC_DEV_DEFAULTS: 'true' });
  const frontDb = await pool('front', frontMigrations);
  await seedUsers(new UserRepository(frontDb), frontConfig);
  const front = await buildFront(frontConfig, { db: frontDb });
  apps.push(front);
  const frontUrl = await front.listen({ port: 0, host: '127.0.0.1' });

  const startBack = async (version: 'v1' | 'v2') => {
    const config = loadBackConfig({
      DATABASE_URL: databaseUrl,
      APP_VERSION: version,
      JWKS_URL: `${frontUrl}/.well-known/jwks.json`,
    });
    const app = await buildBack(config, { db: await pool('back', backMigrations) });
    apps.push(app);
    backs[version] = await app.listen({ port: 0, host: '127.0.0.1' });
  };
  await Promise.all([startBack('v1'), startBack('v2')]);
  backTarget = backs.v2;

  ingress = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    const target = new URL(path, path.startsWith('/back/') ? backTarget : frontUrl);
    const upstream = request(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => ingress.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(ingress.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  ingress?.closeAllConnections();
  await new Promise((resolve) => ingress?.close(resolve));
  await Promise.all(apps.map((app) => app.close()));
  await Promise.all(pools.map((db) => db.end()));
});

async function logIn(page: Page, username: string, password: string) {
  await page.goto(`${url}/login`);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/tracks$/);
}

async function createTracks(titles: string[]) {
  const login = await fetch(`${url}/api/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin' }),
  });
  const { id_token: token } = (await login.json()) as { id_token: string };
  for (const title of titles) {
    const response = await fetch(`${url}/back/api/tracks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title, artist: 'Radiohead', album: 'OK Computer' }),
    });
    expect(response.status).toBe(201);
  }
}

describe('the tracks page across back versions', () => {
  it('searches and rates on back-v2, degrades to a hint on back-v1, and recovers on back-v2', async () => {
    await createTracks(['Karma Police', 'Lucky', 'No Surprises']);
    const page = await browser.newPage();
    await logIn(page, 'admin', 'admin');
    const titles = () => page.getByTestId('track-title').allTextContents();
    const search = page.getByTestId('track-search');

    await expect.poll(() => page.getByTestId('served-by').textContent()).toContain('back-v2');
    await search.fill('KARMA');
    await expect.poll(titles).toEqual(['Karma Police']);
    expect(await page.getByTestId('search-unavailable').count()).toBe(0);
    const karma = page.getByTestId('track-row').filter({ hasText: 'Karma Police' });
    expect(await karma.getByTestId('track-rating').textContent()).toContain('no ratings');
    await karma.getByTestId('rate-4').click();
    await expect.poll(() => karma.getByTestId('track-rating').textContent()).toMatch(/4\.0 ★\s*\(1\)/);
    expect(await karma.getByTestId('rate-4').getAttribute('aria-pressed')).toBe('true');

    backTarget = backs.v1;
    await search.fill('lucky');
    await expect.poll(() => page.getByTestId('served-by').textContent()).toContain('back-v1');
    await page.getByTestId('search-unavailable').waitFor();
    expect(await page.getByTestId('search-unavailable').textContent()).toMatch(
      /search arrives with back v2/i,
    );
    await expect.poll(async () => (await titles()).sort()).toEqual(['Karma Police', 'Lucky', 'No Surprises']);
    expect(await page.getByTestId('track-rating').count()).toBe(0);
    expect(await page.locator('[role=alert]').count()).toBe(0);

    backTarget = backs.v2;
    await search.fill('police');
    await expect.poll(titles).toEqual(['Karma Police']);
    await page.getByTestId('search-unavailable').waitFor({ state: 'detached' });
    expect(await karma.getByTestId('rate-4').getAttribute('aria-pressed')).toBe('true');
    await page.close();
  });
});
