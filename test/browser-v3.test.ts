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
import { type SpotifyServices, startSpotifyServices } from '../services/back/test/spotify-services.ts';
import { buildApp as buildFront } from '../services/front/src/app.ts';
import { loadConfig as loadFrontConfig } from '../services/front/src/config.ts';
import { migrations as frontMigrations } from '../services/front/src/migrations.ts';
import { UserRepository } from '../services/front/src/users/repository.ts';
import { seedUsers } from '../services/front/src/users/seed.ts';
import { launchChromium } from './support/browser.ts';
import { createTestDatabase } from './support/database.ts';

/**
 * The Angular app on back-v3: front, back-v3 with a real client and spotify-sandbox, and back-v2
 * on the same database, behind a small ingress whose `/back` target the test switches, as in
 * browser-v2.test.ts. The mesh is not needed to see the Spotify view and how the page copes.
 */
let browser: Browser;
let ingress: Server;
let url: string;
let backTarget: string;
let spotify: SpotifyServices;
let backDb: pg.Pool;
const apps: FastifyInstance[] = [];
const pools: pg.Pool[] = [];
const backs: Record<'v2' | 'v3', string> = { v2: '', v3: '' };

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('music');
  browser = await launchChromium();
  spotify = await startSpotifyServices();
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

  backDb = await pool('back', backMigrations);
  const startBack = async (version: 'v2' | 'v3') => {
    const config = loadBackConfig({
      DATABASE_URL: databaseUrl,
      APP_VERSION: version,
      JWKS_URL: `${frontUrl}/.well-known/jwks.json`,
      CLIENT_URL: spotify.clientUrl,
    });
    const app = await buildBack(config, { db: await pool('back', backMigrations) });
    apps.push(app);
    backs[version] = await app.listen({ port: 0, host: '127.0.0.1' });
  };
  await Promise.all([startBack('v2'), startBack('v3')]);
  backTarget = backs.v3;

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
  await spotify?.close();
  await Promise.all(pools.map((db) => db.end()));
});

async function logIn(page: Page, username: string, password: string) {
  await page.goto(`${url}/login`);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/tracks$/);
}

describe('the tracks page on back-v3', () => {
  it('shows Spotify tracks with album art, saves one to the library and rates it, and copes with back-v2', async () => {
    const page = await browser.newPage();
    await logIn(page, 'admin', 'admin');
    const titles = () => page.getByTestId('track-title').allTextContents();

    await expect.poll(() => page.getByTestId('served-by').textContent()).toContain('back-v3');
    await expect.poll(() => page.getByTestId('from-spotify').count()).toBeGreaterThan(5);
    const art = page.getByTestId('album-art').first();
    await art.waitFor();
    expect(await art.getAttribute('src')).toContain(`${spotify.sandboxUrl}/images/`);
    const loaded = (img: unknown) => {
      const image = img as { complete: boolean; naturalWidth: number };
      return image.complete && image.naturalWidth > 0;
    };
    await expect.poll(() => art.evaluate(loaded)).toBe(true);
    expect(await page.getByTestId('from-spotify').first().isVisible()).toBe(true);

    await page.getByTestId('track-search').fill('creep radiohead');
    await expect.poll(titles).toEqual(['Creep']);
    const creep = page.getByTestId('track-row').filter({ hasText: 'Creep' });
    expect(await creep.getByTestId('track-rating').count()).toBe(0);
    await creep.getByTestId('save-to-library').click();
    await creep.getByTestId('in-library').waitFor();
    expect(await creep.getByTestId('save-to-library').count()).toBe(0);
    const { rows } = await backDb.query<{ title: string; spotify_id: string }>(
      'SELECT title, spotify_id FROM tracks',
    );
    expect(rows).toEqual([{ title: 'Creep', spotify_id: expect.stringMatching(/^[0-9A-Za-z]{22}$/) }]);

    expect(await creep.getByTestId('track-rating').textContent()).toContain('no ratings');
    await creep.getByTestId('rate-5').click();
    await expect.poll(() => creep.getByTestId('track-rating').textContent()).toMatch(/5\.0 ★\s*\(1\)/);

    await page.getByTestId('source-library').click();
    await page.getByTestId('track-search').fill('creep');
    await expect.poll(() => page.getByTestId('from-spotify').count()).toBe(0);
    await expect.poll(titles).toEqual(['Creep']);
    const saved = page.getByTestId('track-row').filter({ hasText: 'Creep' });
    await saved.getByTestId('track-edit').waitFor();
    expect(await saved.getByTestId('from-spotify').count()).toBe(0);
    expect(await saved.getByTestId('album-art').count()).toBe(1);
    expect(await saved.getByTestId('rate-5').getAttribute('aria-pressed')).toBe('true');

    backTarget = backs.v2;
    await page.getByTestId('track-search').fill('cree');
    await expect.poll(() => page.getByTestId('served-by').textContent()).toContain('back-v2');
    await expect.poll(titles).toEqual(['Creep']);
    await page.getByTestId('track-source').waitFor({ state: 'detached' });
    expect(await page.getByTestId('from-spotify').count()).toBe(0);
    expect(await page.getByTestId('album-art').count()).toBe(0);
    expect(await page.getByTestId('track-edit').count()).toBe(1);
    expect(await page.locator('[role=alert]').count()).toBe(0);
    await page.close();
  });
});
