import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { Faults } from '../src/api/faults.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const basic = `Basic ${Buffer.from('music-sandbox:music-sandbox-secret').toString('base64')}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Sandbox {
  base: string;
  clock: { offsetMs: number };
  faults: Faults;
}

let apps: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

async function start(env: Record<string, string> = {}): Promise<Sandbox> {
  const clock = { offsetMs: 0 };
  const faults = new Faults({ failureRate: 0, extraLatencyMs: 0 });
  const app = await buildApp(loadConfig(env), { now: () => Date.now() + clock.offsetMs, faults });
  apps.push(app);
  return { base: await app.listen({ port: 0, host: '127.0.0.1' }), clock, faults };
}

async function token(base: string): Promise<string> {
  const response = await fetch(`${base}/api/token`, {
    method: 'POST',
    headers: { ...FORM, authorization: basic },
    body: 'grant_type=client_credentials',
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

// Spotify's JSON is read by path in assertions; typing every object would only restate the contract.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = any;

async function get(url: string, bearer: string | null) {
  const response = await fetch(url, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}

describe('accounts service', () => {
  it('issues a bearer token for client credentials sent as HTTP Basic', async () => {
    const { base } = await start({ SANDBOX_TOKEN_TTL_SECONDS: '120' });
    const response = await fetch(`${base}/api/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: basic },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      access_token: expect.stringMatching(/^BQ/),
      token_type: 'Bearer',
      expires_in: 120,
    });
  });

  it('accepts the credentials in the form body too', async () => {
    const { base } = await start();
    const response = await fetch(`${base}/api/token`, {
      method: 'POST',
      headers: FORM,
      body: 'grant_type=client_credentials&client_id=music-sandbox&client_secret=music-sandbox-secret',
    });
    expect(response.status).toBe(200);
  });

  it('answers 400 invalid_client for a wrong secret and unsupported_grant_type for a missing grant', async () => {
    const { base } = await start();
    const wrong = await fetch(`${base}/api/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: `Basic ${Buffer.from('music-sandbox:nope').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({
      error: 'invalid_client',
      error_description: 'Invalid client secret',
    });
    const noGrant = await fetch(`${base}/api/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: basic },
      body: '',
    });
    expect(noGrant.status).toBe(400);
    expect(await noGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });
});

describe('web API', () => {
  it('pages search results with Spotify paging objects whose next and previous links work', async () => {
    const { base } = await start();
    const bearer = await token(base);
    const first = await get(`${base}/v1/search?q=love&type=track&limit=5`, bearer);
    expect(first.status).toBe(200);
    const page = first.body.tracks;
    expect(page).toMatchObject({ limit: 5, offset: 0, previous: null });
    expect(page.items).toHaveLength(5);
    expect(page.total).toBeGreaterThan(10);
    expect(page.next).toMatch(/offset=5/);
    const second = await get(page.next, bearer);
    expect(second.body.tracks).toMatchObject({ offset: 5, limit: 5, total: page.total });
    expect(second.body.tracks.items[0].id).not.toBe(page.items[0].id);
    expect((await get(second.body.tracks.previous, bearer)).body.tracks.items).toEqual(page.items);
    const last = await get(`${base}/v1/search?q=love&type=track&limit=5&offset=${page.total - 1}`, bearer);
    expect(last.body.tracks).toMatchObject({ next: null, items: [expect.any(Object)] });
  });

  it('serves a full track object by id, with album art the sandbox draws', async () => {
    const { base } = await start();
    const bearer = await token(base);
    const [found] = (await get(`${base}/v1/search?q=track:creep artist:radiohead&type=track`, bearer)).body
      .tracks.items;
    const track = await get(`${base}/v1/tracks/${found.id}`, bearer);
    expect(track.status).toBe(200);
    expect(track.body).toMatchObject({
      id: found.id,
      name: 'Creep',
      artists: [{ name: 'Radiohead', id: expect.stringMatching(/^[0-9A-Za-z]{22}$/) }],
      album: { name: 'Pablo Honey', release_date: '1992' },
      duration_ms: 238_000,
      preview_url: null,
      uri: `spotify:track:${found.id}`,
      type: 'track',
    });
    const art = await fetch(track.body.album.images[0].url);
    expect(art.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await art.text()).toContain('>PH<');
  });

  it('answers Spotify error objects: 404 unknown id, 400 malformed id, 400 bad paging', async () => {
    const { base } = await start();
    const bearer = await token(base);
    expect(await get(`${base}/v1/tracks/0000000000000000000000`, bearer)).toMatchObject({
      status: 404,
      body: { error: { status: 404, message: 'Non existing id' } },
    });
    expect(await get(`${base}/v1/tracks/not-an-id`, bearer)).toMatchObject({
      status: 400,
      body: { error: { status: 400, message: 'Invalid base62 id' } },
    });
    expect((await get(`${base}/v1/search?q=a&type=track&limit=51`, bearer)).body).toEqual({
      error: { status: 400, message: 'Invalid limit' },
    });
    expect((await get(`${base}/v1/search?q=a&type=track&offset=1001`, bearer)).body.error.message).toBe(
      'Invalid offset',
    );
    expect((await get(`${base}/v1/search?q=%20&type=track`, bearer)).body.error.message).toBe(
      'No search query',
    );
    expect((await get(`${base}/v1/search?q=a`, bearer)).body.error.message).toBe('Missing parameter type');
  });

  it('answers 401 for a missing, unknown or expired token, saying which', async () => {
    const { base, clock } = await start({ SANDBOX_TOKEN_TTL_SECONDS: '60' });
    const url = `${base}/v1/search?q=a&type=track`;
    expect((await get(url, null)).body).toEqual({ error: { status: 401, message: 'No token provided' } });
    const unknown = await get(url, 'BQnot-a-token');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe('Invalid access token');
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const bearer = await token(base);
    expect((await get(url, bearer)).status).toBe(200);
    clock.offsetMs = 61_000;
    expect((await get(url, bearer)).body).toEqual({
      error: { status: 401, message: 'The access token expired' },
    });
  });

  it('answers 429 with Retry-After once a client spends its window', async () => {
    const { base } = await start({ SANDBOX_RATE_LIMIT: '2', SANDBOX_RATE_WINDOW_SECONDS: '30' });
    const bearer = await token(base);
    const url = `${base}/v1/tracks/0000000000000000000000`;
    await get(url, bearer);
    await get(url, bearer);
    const limited = await get(url, bearer);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: { status: 429, message: 'API rate limit exceeded' } });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
  });

  it('injects 500/503 failures and latency on the web API only', async () => {
    const { base, faults } = await start();
    const bearer = await token(base);
    faults.failureRate = 1;
    faults.extraLatencyMs = 50;
    const started = performance.now();
    const failed = await get(`${base}/v1/search?q=a&type=track`, bearer);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect([500, 503]).toContain(failed.status);
    expect(failed.body.error.status).toBe(failed.status);
    expect((await fetch(`${base}/management/health/readiness`)).status).toBe(200);
    expect(await token(base)).toMatch(/^BQ/);
  });

  it('reads fault settings from the environment and rejects bad ones by name', () => {
    expect(loadConfig({ SANDBOX_FAILURE_RATE: '0.25' }).SANDBOX_FAILURE_RATE).toBe(0.25);
    expect(() => loadConfig({ SANDBOX_FAILURE_RATE: '2' })).toThrow(/SANDBOX_FAILURE_RATE/);
  });
});
