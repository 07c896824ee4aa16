import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { startTokenIssuer, type TokenIssuer } from '../../../test/support/tokens.ts';
import { type Problem, type RunningBack, startBack } from './harness.ts';
import {
  type ForwardProxy,
  type SpotifyServices,
  startForwardProxy,
  startSpotifyServices,
} from './spotify-services.ts';

interface Rating {
  average: number | null;
  count: number;
  mine: number | null;
}

interface Item {
  id: string;
  title: string;
  artist: string;
  album: string | null;
  source: 'spotify' | 'library';
  spotifyId: string | null;
  albumArtUrl: string | null;
  popularity?: number | null;
  libraryId?: string | null;
  rating?: Rating;
  createdBy?: string;
}

/** back v3 against a real client and a real sandbox, all in-process, on one database. */
let issuer: TokenIssuer;
let token: string;
let databaseUrl: string;
let spotify: SpotifyServices;
let back: RunningBack;
const closing: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  issuer = await startTokenIssuer();
  token = await issuer.sign({ sub: 'admin', auth: 'ROLE_ADMIN ROLE_USER' });
  databaseUrl = await createTestDatabase('back');
  spotify = await startSpotifyServices();
  back = await v3({ CLIENT_URL: spotify.clientUrl });
});

afterAll(async () => {
  await Promise.all(closing.map((running) => running.close()));
  await issuer?.close();
});

beforeEach(async () => {
  await back.db.query('DELETE FROM tracks');
});

async function v3(env: Record<string, string>): Promise<RunningBack> {
  const running = await startBack({
    databaseUrl,
    jwksUrl: issuer.jwksUrl,
    env: { APP_VERSION: 'v3', ...env },
    token,
  });
  closing.push(running);
  return running;
}

async function list(path: string, on = back): Promise<{ items: Item[]; response: Response }> {
  const response = await on.call(path);
  expect(response.status, await response.clone().text()).toBe(200);
  return { items: (await response.json()) as Item[], response };
}

async function save(spotifyId: string, on = back): Promise<Response> {
  return on.call('/back/api/library', { method: 'POST', json: { spotifyId } });
}

async function problemOf(response: Response): Promise<Problem> {
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  return (await response.json()) as Problem;
}

describe('the Spotify catalog (back v3)', () => {
  it('lists the most popular tracks when no q is given, marked as from Spotify', async () => {
    const { items, response } = await list('/back/api/tracks?size=5');
    expect(response.headers.get('x-served-by')).toBe('back-v3');
    expect(Number(response.headers.get('x-total-count'))).toBeGreaterThan(300);
    expect(response.headers.get('link')).toContain('/back/api/tracks?page=1&size=5>; rel="next"');
    expect(items).toHaveLength(5);
    for (const item of items) {
      expect(item).toMatchObject({
        id: item.spotifyId,
        source: 'spotify',
        spotifyId: expect.stringMatching(/^[0-9A-Za-z]{22}$/),
        albumArtUrl: expect.stringContaining(`${spotify.sandboxUrl}/images/`),
        popularity: expect.any(Number),
        libraryId: null,
      });
      expect(item).not.toHaveProperty('rating');
    }
    const popularity = items.map((item) => item.popularity ?? 0);
    expect(popularity).toEqual([...popularity].sort((a, b) => b - a));
  });

  it('searches and pages the catalog as client does, page and size becoming offset and limit', async () => {
    const { items, response } = await list('/back/api/tracks?q=artist:queen&page=1&size=2');
    const direct = await fetch(`${spotify.clientUrl}/client/api/search?q=artist:queen&limit=2&offset=2`);
    const expected = (await direct.json()) as Array<{ spotifyId: string }>;
    expect(items.map((item) => item.spotifyId)).toEqual(expected.map((track) => track.spotifyId));
    expect(items.every((item) => item.artist.includes('Queen'))).toBe(true);
    expect(response.headers.get('x-total-count')).toBe(direct.headers.get('x-total-count'));
    const link = response.headers.get('link') ?? '';
    expect(link).toContain('/back/api/tracks?q=artist%3Aqueen&page=0&size=2>; rel="prev"');
    expect(link).toContain('/back/api/tracks?q=artist%3Aqueen&page=2&size=2>; rel="next"');
  });

  it('answers a page of more than 50 (Spotify limit) from several calls to client', async () => {
    const { items } = await list('/back/api/tracks?size=60');
    const { items: second } = await list('/back/api/tracks?size=10&page=5');
    expect(items).toHaveLength(60);
    expect(new Set(items.map((item) => item.spotifyId)).size).toBe(60);
    expect(items.slice(50).map((item) => item.id)).toEqual(second.map((item) => item.id));
  });

  it('refuses pages past where Spotify stops paging, naming page', async () => {
    const response = await back.call('/back/api/tracks?size=10&page=101');
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.field).toBe('page');
  });
});

describe('the library (back v3)', () => {
  it('saves a Spotify track once: 201 and stored with its spotify_id, then 200 with the same track', async () => {
    const [track] = (await list('/back/api/tracks?q=artist:radiohead track:creep')).items;
    const spotifyId = track?.spotifyId ?? '';
    const created = await save(spotifyId);
    expect(created.status).toBe(201);
    const saved = (await created.json()) as Item;
    expect(created.headers.get('location')).toBe(`/back/api/tracks/${saved.id}`);
    expect(saved).toMatchObject({
      title: 'Creep',
      artist: 'Radiohead',
      album: 'Pablo Honey',
      source: 'library',
      spotifyId,
      albumArtUrl: track?.albumArtUrl,
      createdBy: 'admin',
    });
    const { rows } = await back.db.query('SELECT id, spotify_id FROM tracks');
    expect(rows).toEqual([{ id: saved.id, spotify_id: spotifyId }]);

    const again = await save(spotifyId);
    expect(again.status).toBe(200);
    expect(((await again.json()) as Item).id).toBe(saved.id);
    expect((await back.db.query('SELECT 1 FROM tracks')).rowCount).toBe(1);
  });

  it('keeps one library track when the same Spotify track is saved many times at once', async () => {
    const [track] = (await list('/back/api/tracks?size=1')).items;
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => save(track?.spotifyId ?? '').then((r) => r.status)),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(7);
    expect((await back.db.query('SELECT 1 FROM tracks')).rowCount).toBe(1);
  });

  it('marks saved tracks in the catalog with their library id and ratings, which v2 rating routes set', async () => {
    const [first, second] = (await list('/back/api/tracks?size=2')).items;
    const saved = (await (await save(first?.spotifyId ?? '')).json()) as Item;
    const rated = await back.call(`/back/api/tracks/${saved.id}/rating`, {
      method: 'PUT',
      json: { stars: 4 },
    });
    expect(rated.status).toBe(200);
    const [marked, unmarked] = (await list('/back/api/tracks?size=2')).items;
    expect(marked).toMatchObject({ libraryId: saved.id, rating: { average: 4, count: 1, mine: 4 } });
    expect(unmarked).toMatchObject({ spotifyId: second?.spotifyId, libraryId: null });
    expect(unmarked).not.toHaveProperty('rating');
  });

  it('lists, searches and sorts the library as v2 does with source=library, Spotify fields included', async () => {
    const [spotifyTrack] = (await list('/back/api/tracks?q=artist:radiohead track:creep')).items;
    await save(spotifyTrack?.spotifyId ?? '');
    const typed = await back.call('/back/api/tracks', {
      method: 'POST',
      json: { title: 'Typed In', artist: 'Radiohead' },
    });
    expect(typed.status).toBe(201);
    expect(await typed.json()).toMatchObject({ source: 'library', spotifyId: null, albumArtUrl: null });

    const { items, response } = await list('/back/api/tracks?source=library&q=radiohead&sort=title,asc');
    expect(items.map((item) => [item.title, item.source, item.spotifyId !== null])).toEqual([
      ['Creep', 'library', true],
      ['Typed In', 'library', false],
    ]);
    expect(items[0]?.rating).toEqual({ average: null, count: 0, mine: null });
    expect(response.headers.get('link')).toContain('source=library');
    expect((await list('/back/api/tracks?source=library&q=typed')).items).toHaveLength(1);
  });

  it('answers 404 for a Spotify id Spotify does not know and 400 for a malformed one', async () => {
    const unknown = await save('0000000000000000000000');
    expect(unknown.status).toBe(404);
    expect((await problemOf(unknown)).detail).toContain('Spotify has no track');
    const malformed = await save('not-an-id');
    expect(malformed.status).toBe(400);
    expect((await problemOf(malformed)).errors?.[0]?.field).toBe('spotifyId');
    expect((await back.db.query('SELECT 1 FROM tracks')).rowCount).toBe(0);
  });
});

describe('the call to client', () => {
  let proxy: ForwardProxy;
  let proxied: RunningBack;

  beforeAll(async () => {
    const clientHost = 'client.test:8080';
    proxy = await startForwardProxy({ [clientHost]: spotify.clientUrl });
    closing.push(proxy);
    proxied = await v3({ CLIENT_URL: `http://${clientHost}`, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' });
  });

  it('goes through HTTP_PROXY to CLIENT_URL as written, with the trace headers and the caller token', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await proxied.call('/back/api/tracks?q=beatles&size=3', {
      headers: { traceparent, 'x-request-id': 'req-42', 'x-b3-sampled': '1' },
    });
    expect(response.status).toBe(200);
    expect((await response.json()) as Item[]).toHaveLength(3);
    const call = proxy.seen.find((seen) =>
      seen.target.startsWith('http://client.test:8080/client/api/search?'),
    );
    expect(call?.headers).toMatchObject({
      host: 'client.test:8080',
      traceparent,
      'x-request-id': 'req-42',
      'x-b3-sampled': '1',
      authorization: `Bearer ${token}`,
    });
  });

  it('answers 503 "Spotify is unavailable", never a 500, when client cannot be reached', async () => {
    const down = await v3({ CLIENT_URL: 'http://127.0.0.1:9' });
    for (const response of [
      await down.call('/back/api/tracks'),
      await save('4uLU6hMCjMI75M1A2tKUQC', down),
    ]) {
      expect(response.status).toBe(503);
      const problem = await problemOf(response);
      expect(problem).toMatchObject({ status: 503, code: 'CLIENT_UNAVAILABLE' });
      expect(problem.detail).toMatch(/^Spotify is unavailable/);
      expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|at .*\.ts/);
    }
  });

  it('answers 503 CLIENT_UNAVAILABLE when the proxy (the mesh) cannot reach client either', async () => {
    const lost = await v3({ CLIENT_URL: 'http://nowhere.test:8080', HTTP_PROXY: proxy.url });
    const response = await lost.call('/back/api/tracks');
    expect(response.status).toBe(503);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ code: 'CLIENT_UNAVAILABLE' });
    expect(problem.detail).toBe(
      'Spotify is unavailable: the client service could not be reached (the mesh answered 502).',
    );
  });

  it("answers 503 CLIENT_FAILED, naming client's code, when client itself fails", async () => {
    const broken = await startSpotifyServices({ FAILURE_RATE: '1' });
    closing.push(broken);
    const behindBroken = await v3({ CLIENT_URL: broken.clientUrl });
    const response = await behindBroken.call('/back/api/tracks');
    expect(response.status).toBe(503);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ code: 'CLIENT_FAILED' });
    expect(problem.detail).toBe('Spotify is unavailable: the client service answered 500 INJECTED_FAILURE.');
  });

  it('answers 504 CLIENT_TIMEOUT when client is slower than CLIENT_TIMEOUT_MS', async () => {
    const slowSpotify = await startSpotifyServices({ SPOTIFY_TIMEOUT_MS: '5000', SPOTIFY_RETRIES: '0' });
    closing.push(slowSpotify);
    slowSpotify.faults.extraLatencyMs = 1_000;
    const impatient = await v3({ CLIENT_URL: slowSpotify.clientUrl, CLIENT_TIMEOUT_MS: '200' });
    const started = performance.now();
    const response = await impatient.call('/back/api/tracks?q=late');
    expect(performance.now() - started).toBeLessThan(900);
    expect(response.status).toBe(504);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ code: 'CLIENT_TIMEOUT' });
    expect(problem.detail).toMatch(/^Spotify is unavailable: .*200 ms/);
  });
});

describe('Spotify failing behind client', () => {
  let failing: SpotifyServices;
  let behind: RunningBack;

  beforeAll(async () => {
    failing = await startSpotifyServices({
      SPOTIFY_RETRIES: '0',
      SPOTIFY_TIMEOUT_MS: '300',
      SPOTIFY_BREAKER_THRESHOLD: '1000',
    });
    closing.push(failing);
    behind = await v3({ CLIENT_URL: failing.clientUrl });
  });

  it("passes client's 503 SPOTIFY_UNAVAILABLE on as a problem that says Spotify is unavailable", async () => {
    failing.faults.failureRate = 1;
    try {
      const response = await behind.call('/back/api/tracks?q=unavailable');
      expect(response.status).toBe(503);
      const problem = await problemOf(response);
      expect(problem).toMatchObject({ status: 503, code: 'SPOTIFY_UNAVAILABLE' });
      expect(problem.detail).toMatch(/^Spotify is unavailable/);
      const saving = await save('4uLU6hMCjMI75M1A2tKUQC', behind);
      expect(saving.status).toBe(503);
      expect((await problemOf(saving)).code).toBe('SPOTIFY_UNAVAILABLE');
    } finally {
      failing.faults.failureRate = 0;
    }
  });

  it("passes client's 504 SPOTIFY_TIMEOUT on", async () => {
    failing.faults.extraLatencyMs = 600;
    try {
      const response = await behind.call('/back/api/tracks?q=timeout');
      expect(response.status).toBe(504);
      const problem = await problemOf(response);
      expect(problem).toMatchObject({ status: 504, code: 'SPOTIFY_TIMEOUT' });
      expect(problem.detail).toMatch(/^Spotify is unavailable/);
    } finally {
      failing.faults.extraLatencyMs = 0;
    }
  });

  it('serves what client still has cached while Spotify fails, and says so in X-Cache', async () => {
    await list('/back/api/tracks?q=abba', behind);
    failing.faults.failureRate = 1;
    try {
      const { items, response } = await list('/back/api/tracks?q=abba', behind);
      expect(items.length).toBeGreaterThan(0);
      expect(['HIT', 'STALE']).toContain(response.headers.get('x-cache'));
    } finally {
      failing.faults.failureRate = 0;
    }
  });
});
