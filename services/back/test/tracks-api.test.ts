import { createPool, migrate } from '@music/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { startTokenIssuer, type TokenIssuer } from '../../../test/support/tokens.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrations } from '../src/migrations.ts';

interface Track {
  id: string;
  title: string;
}

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors: Array<{ field: string; message: string }>;
}

let app: FastifyInstance;
let db: pg.Pool;
let issuer: TokenIssuer;
let base: string;
let token: string;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('back');
  issuer = await startTokenIssuer();
  const config = loadConfig({ DATABASE_URL: databaseUrl, JWKS_URL: issuer.jwksUrl, BODY_LIMIT: '4096' });
  db = createPool({ url: databaseUrl, schema: 'back' });
  await migrate(db, 'back', migrations);
  app = await buildApp(config, { db });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  token = await issuer.sign({ sub: 'admin', auth: 'ROLE_ADMIN ROLE_USER' });
});

afterAll(async () => {
  await app?.close();
  await db?.end();
  await issuer?.close();
});

beforeEach(async () => {
  await db.query('DELETE FROM tracks');
});

function call(path: string, init: RequestInit & { json?: unknown } = {}, bearer: string | null = token) {
  const headers = new Headers(init.headers);
  if (bearer) headers.set('authorization', `Bearer ${bearer}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  return fetch(`${base}${path}`, { ...init, headers, body: body ?? null });
}

async function create(track: Record<string, unknown>) {
  const response = await call('/back/api/tracks', { method: 'POST', json: track });
  expect(response.status).toBe(201);
  return (await response.json()) as Track;
}

describe('tracks API', () => {
  it('creates a track, answers 201 with its Location, and serves it back', async () => {
    const response = await call('/back/api/tracks', {
      method: 'POST',
      json: { title: 'Paranoid Android', artist: 'Radiohead', album: 'OK Computer', durationMs: 383_000 },
    });
    expect(response.status).toBe(201);
    const track = (await response.json()) as Track;
    expect(response.headers.get('location')).toBe(`/back/api/tracks/${track.id}`);
    expect(track).toMatchObject({ title: 'Paranoid Android', artist: 'Radiohead', createdBy: 'admin' });
    const fetched = await call(`/back/api/tracks/${track.id}`);
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(track);
  });

  it('updates and deletes a track, then answers 404 for it', async () => {
    const { id } = await create({ title: 'Creep', artist: 'Radiohead' });
    const updated = await call(`/back/api/tracks/${id}`, {
      method: 'PUT',
      json: { title: 'Creep (Acoustic)', artist: 'Radiohead', durationMs: 250_000 },
    });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ id, title: 'Creep (Acoustic)', durationMs: 250_000 });
    expect((await call(`/back/api/tracks/${id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await call(`/back/api/tracks/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toContain('application/problem+json');
    expect((await call(`/back/api/tracks/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect(
      (await call(`/back/api/tracks/${id}`, { method: 'PUT', json: { title: 'x', artist: 'y' } })).status,
    ).toBe(404);
  });

  it('pages and sorts the list with X-Total-Count and Link headers', async () => {
    for (const title of ['delta', 'Alpha', 'charlie', 'Bravo', 'echo'])
      await create({ title, artist: 'NATO' });
    const response = await call('/back/api/tracks?page=1&size=2&sort=title,asc');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-total-count')).toBe('5');
    expect(((await response.json()) as Track[]).map((t) => t.title)).toEqual(['charlie', 'delta']);
    const link = response.headers.get('link') ?? '';
    expect(link).toContain('page=0&size=2>; rel="first"');
    expect(link).toContain('page=0&size=2>; rel="prev"');
    expect(link).toContain('page=2&size=2>; rel="next"');
    expect(link).toContain('page=2&size=2>; rel="last"');
    const desc = await call('/back/api/tracks?sort=title,desc&size=1');
    expect(((await desc.json()) as Track[])[0]?.title).toBe('echo');
  });

  it('labels every response with the version that served it', async () => {
    const list = await call('/back/api/tracks');
    expect(list.headers.get('x-served-by')).toBe('back-v1');
    const unauthorized = await call('/back/api/tracks', {}, null);
    expect(unauthorized.headers.get('x-served-by')).toBe('back-v1');
    const health = await call('/back/management/health', {}, null);
    expect(health.headers.get('x-served-by')).toBe('back-v1');
  });
});

describe('bad input', () => {
  it.each([
    [{ artist: 'Radiohead' }, 'title'],
    [{ title: '', artist: 'Radiohead' }, 'title'],
    [{ title: '   ', artist: 'Radiohead' }, 'title'],
    [{ title: 'x'.repeat(201), artist: 'Radiohead' }, 'title'],
    [{ title: 'Creep' }, 'artist'],
    [{ title: 'Creep', artist: 'Radiohead', durationMs: -5 }, 'durationMs'],
    [{ title: 'Creep', artist: 'Radiohead', durationMs: 1.5 }, 'durationMs'],
    [{ title: 'Creep', artist: 'Radiohead', durationMs: '300' }, 'durationMs'],
    [{ title: 42, artist: 'Radiohead' }, 'title'],
    [{ title: 'Creep', artist: 'Radiohead', genre: 'rock' }, 'genre'],
  ])('rejects %j with a problem naming %s', async (body, field) => {
    const response = await call('/back/api/tracks', { method: 'POST', json: body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as Problem;
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect((await call('/back/api/tracks')).headers.get('x-total-count')).toBe('0');
  });

  it.each([
    ['page=-1', 'page'],
    ['size=0', 'size'],
    ['size=1000', 'size'],
    ['page=abc', 'page'],
    ['sort=password,asc', 'sort'],
    ['page=1e18', 'page'],
    ['page=10000001', 'page'],
    ['page=1.5', 'page'],
    ['size=2.5', 'size'],
  ])('rejects the query %s naming %s', async (query, field) => {
    const response = await call(`/back/api/tracks?${query}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors[0]?.field).toBe(field);
  });

  it('answers 4xx, never 5xx, to malformed JSON, a non-object, a wrong content type and a huge body', async () => {
    const post = (body: string, type = 'application/json') =>
      call('/back/api/tracks', { method: 'POST', body, headers: { 'content-type': type } });
    const malformed = await post('{"title": ');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    expect((await post('[1,2]')).status).toBe(400);
    expect((await post('null')).status).toBe(400);
    expect((await post('title=x', 'text/plain')).status).toBe(415);
    const huge = await post(JSON.stringify({ title: 'x', artist: 'y'.repeat(10_000) }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as Problem).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['title', { title: 'a\u0000b', artist: 'x' }],
    ['artist', { title: 'x', artist: '\u0000' }],
    ['album', { title: 'x', artist: 'y', album: 'lone \ud800 half' }],
    ['title', { title: 'trailing low half \udc00', artist: 'y' }],
  ])('refuses a %s PostgreSQL cannot store with 400 naming it, storing nothing', async (field, track) => {
    const response = await call('/back/api/tracks', { method: 'POST', json: track });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as Problem).errors.map((e) => e.field)).toContain(field);
    expect((await call('/back/api/tracks')).headers.get('x-total-count')).toBe('0');
  });

  it('refuses a NUL in a query parameter with 400 naming it', async () => {
    const response = await call('/back/api/tracks?sort=title%00,asc');
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors[0]?.field).toBe('sort');
  });

  it('keeps an emoji and other paired surrogates as sent', async () => {
    const created = await create({ title: 'Fire 🔥 𝄞', artist: 'x' });
    expect(created.title).toBe('Fire 🔥 𝄞');
  });

  it('answers 400 for an id that is not a UUID and 404 for an unknown one', async () => {
    expect((await call('/back/api/tracks/42')).status).toBe(400);
    const unknown = await call('/back/api/tracks/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Problem).detail).toContain('does not exist');
  });
});

describe('authentication', () => {
  it('answers 401 without a token, with an expired, tampered, foreign, alg:none or exp-less token', async () => {
    const expired = await issuer.sign({ sub: 'admin', expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'root', auth: 'ROLE_ADMIN', iss: 'music-front' }),
    ).toString('base64url');
    const tampered = `${header}.${forged}.${signature}`;
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    const foreign = await issuer.sign({ sub: 'admin', issuer: 'someone-else' });
    const endless = await issuer.sign({ sub: 'admin', expiresIn: null });
    for (const bad of [null, expired, tampered, none, foreign, endless, 'not-a-jwt']) {
      const response = await call('/back/api/tracks', {}, bad);
      expect(response.status, String(bad)).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    const expiredProblem = (await (await call('/back/api/tracks', {}, expired)).json()) as Problem;
    expect(expiredProblem.detail).toMatch(/expired/);
  });

  it('lets health and metrics through without a token', async () => {
    expect((await call('/back/management/health/liveness', {}, null)).status).toBe(200);
    const ready = await call('/back/management/health/readiness', {}, null);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'UP' });
  });
});

describe('management', () => {
  it('counts requests per route template with a latency histogram', async () => {
    await call('/back/api/tracks');
    await call('/back/api/tracks/00000000-0000-4000-8000-000000000000');
    const text = await (await call('/back/management/prometheus', {}, null)).text();
    expect(text).toMatch(
      /http_server_requests_total\{[^}]*route="\/back\/api\/tracks\/:id"[^}]*status="404"[^}]*\} 1/,
    );
    expect(text).toMatch(/http_server_request_duration_seconds_bucket\{[^}]*route="\/back\/api\/tracks"/);
    expect(text).not.toContain('00000000-0000-4000');
  });
});
