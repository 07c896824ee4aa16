import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { startTokenIssuer, type TokenIssuer } from '../../../test/support/tokens.ts';
import { type RunningBack, startBack } from './harness.ts';
import { type SpotifyServices, startSpotifyServices } from './spotify-services.ts';

/**
 * Istio mirrors a request with `-shadow` appended to its host (`back-shadow:8080`): every version
 * must answer it as it would the real one, and change nothing.
 */
let issuer: TokenIssuer;
let token: string;
let spotify: SpotifyServices;
const backs: Record<string, RunningBack> = {};

beforeAll(async () => {
  issuer = await startTokenIssuer();
  token = await issuer.sign({ sub: 'admin', auth: 'ROLE_ADMIN ROLE_USER' });
  spotify = await startSpotifyServices();
  const databaseUrl = await createTestDatabase('back');
  for (const version of ['v1', 'v2', 'v3']) {
    backs[version] = await startBack({
      databaseUrl,
      jwksUrl: issuer.jwksUrl,
      env: { APP_VERSION: version, CLIENT_URL: spotify.clientUrl },
      token,
    });
  }
});

afterAll(async () => {
  await Promise.all(Object.values(backs).map((back) => back.close()));
  await spotify?.close();
  await issuer?.close();
});

beforeEach(async () => {
  await backs.v1?.db.query('DELETE FROM tracks');
});

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path
  body: any;
}

/** A request as the mesh delivers it: to `host` (the authority), with the user's token. */
async function send(
  back: RunningBack,
  method: string,
  url: string,
  host: string,
  body?: unknown,
): Promise<Answer> {
  const response = await back.app.inject({
    method: method as 'GET',
    url,
    headers: { host, authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: response.body === '' ? undefined : response.json(),
  };
}

const SHADOW = 'back-shadow:8080';
const REAL = 'back:8080';

/** Everything a write could touch. */
async function snapshot(back: RunningBack) {
  const tracks = await back.db.query('SELECT * FROM tracks ORDER BY id');
  const ratings = await back.db.query('SELECT * FROM ratings ORDER BY track_id, login');
  return { tracks: tracks.rows, ratings: ratings.rows };
}

async function seed(back: RunningBack, title = 'Seeded') {
  const answer = await send(back, 'POST', '/back/api/tracks', REAL, { title, artist: 'Shadow' });
  expect(answer.status).toBe(201);
  return answer.body as { id: string };
}

describe.each(['v1', 'v2', 'v3'])('mirrored traffic on back-%s', (version) => {
  const back = () => backs[version] as RunningBack;

  it('creates, updates and deletes with the real answers, the header, and no change', async () => {
    const { id } = await seed(back());
    const before = await snapshot(back());

    const created = await send(back(), 'POST', '/back/api/tracks', SHADOW, {
      title: 'Mirrored',
      artist: 'X',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), title: 'Mirrored', createdBy: 'admin' });
    expect(created.headers.location).toBe(`/back/api/tracks/${created.body.id}`);
    expect(created.headers['x-shadow-write']).toBe('rolled-back');

    const updated = await send(back(), 'PUT', `/back/api/tracks/${id}`, SHADOW, {
      title: 'Changed',
      artist: 'X',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, title: 'Changed' });
    expect(updated.headers['x-shadow-write']).toBe('rolled-back');

    const deleted = await send(back(), 'DELETE', `/back/api/tracks/${id}`, SHADOW);
    expect(deleted.status).toBe(204);
    expect(deleted.headers['x-shadow-write']).toBe('rolled-back');

    expect(await snapshot(back())).toEqual(before);
    expect((await send(back(), 'GET', `/back/api/tracks/${created.body.id}`, REAL)).status).toBe(404);
  });

  it('answers errors as the real request would, still without a change', async () => {
    await seed(back());
    const before = await snapshot(back());
    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await send(back(), 'PUT', `/back/api/tracks/${unknown}`, SHADOW, {
      title: 'x',
      artist: 'y',
    });
    expect(missing.status).toBe(404);
    expect(missing.headers['x-shadow-write']).toBe('rolled-back');
    const invalid = await send(back(), 'POST', '/back/api/tracks', SHADOW, { title: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('VALIDATION_FAILED');
    expect(await snapshot(back())).toEqual(before);
  });

  it('serves reads normally, without the header', async () => {
    const { id } = await seed(back(), 'Readable');
    const read = await send(back(), 'GET', `/back/api/tracks/${id}`, SHADOW);
    expect(read.status).toBe(200);
    expect(read.body.title).toBe('Readable');
    expect(read.headers['x-shadow-write']).toBeUndefined();
    const listed = await send(back(), 'GET', '/back/api/tracks?source=library', SHADOW);
    expect(listed.status).toBe(200);
    expect(listed.body.map((track: { id: string }) => track.id)).toEqual([id]);
  });

  it('persists the same requests without the suffix, and answers them without the header', async () => {
    const created = await send(back(), 'POST', '/back/api/tracks', REAL, { title: 'Real', artist: 'X' });
    expect(created.headers['x-shadow-write']).toBeUndefined();
    const { id } = created.body;
    await send(back(), 'PUT', `/back/api/tracks/${id}`, REAL, { title: 'Real, changed', artist: 'X' });
    expect((await snapshot(back())).tracks).toMatchObject([{ id, title: 'Real, changed' }]);
    expect((await send(back(), 'DELETE', `/back/api/tracks/${id}`, REAL)).status).toBe(204);
    expect((await snapshot(back())).tracks).toEqual([]);
  });

  it('returns every connection it took to the pool', async () => {
    const { id } = await seed(back());
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(back(), 'PUT', `/back/api/tracks/${id}`, SHADOW, { title: `Burst ${i}`, artist: 'X' }),
      ),
    );
    const pool = back().db;
    expect(pool.totalCount - pool.idleCount).toBe(0);
    expect(pool.waitingCount).toBe(0);
  });
});

describe.each(['v2', 'v3'])('mirrored ratings on back-%s', (version) => {
  const back = () => backs[version] as RunningBack;

  it('rates and withdraws with the real answers, and keeps the ratings as they were', async () => {
    const { id } = await seed(back());
    await send(back(), 'PUT', `/back/api/tracks/${id}/rating`, REAL, { stars: 2 });
    const before = await snapshot(back());

    const rated = await send(back(), 'PUT', `/back/api/tracks/${id}/rating`, SHADOW, { stars: 5 });
    expect(rated.status).toBe(200);
    expect(rated.body).toEqual({ average: 5, count: 1, mine: 5 });
    expect(rated.headers['x-shadow-write']).toBe('rolled-back');
    const withdrawn = await send(back(), 'DELETE', `/back/api/tracks/${id}/rating`, SHADOW);
    expect(withdrawn.status).toBe(204);
    expect(withdrawn.headers['x-shadow-write']).toBe('rolled-back');

    expect(await snapshot(back())).toEqual(before);
    expect(before.ratings).toMatchObject([{ track_id: id, stars: 2 }]);
  });
});

describe('mirrored saves to the library on back-v3', () => {
  it('answers 201 with the track it would store, and stores nothing; the real save persists', async () => {
    const back = backs.v3 as RunningBack;
    const [track] = (await send(back, 'GET', '/back/api/tracks?size=1', REAL)).body;
    const shadow = await send(back, 'POST', '/back/api/library', SHADOW, { spotifyId: track.spotifyId });
    expect(shadow.status).toBe(201);
    expect(shadow.body).toMatchObject({ source: 'library', spotifyId: track.spotifyId, title: track.title });
    expect(shadow.headers['x-shadow-write']).toBe('rolled-back');
    expect((await snapshot(back)).tracks).toEqual([]);

    const real = await send(back, 'POST', '/back/api/library', REAL, { spotifyId: track.spotifyId });
    expect(real.status).toBe(201);
    expect(real.headers['x-shadow-write']).toBeUndefined();
    expect((await snapshot(back)).tracks).toMatchObject([{ id: real.body.id, spotify_id: track.spotifyId }]);
  });
});

describe('which authorities are mirrors', () => {
  it.each([
    ['back-shadow:8080', true],
    ['back-shadow', true],
    ['back.music.svc.cluster.local-shadow:8080', true],
    ['back:8080-shadow', true],
    ['back:8080', false],
    ['shadow-back:8080', false],
    ['back-shadowy:8080', false],
  ])('%s → %s', async (host, mirrored) => {
    const back = backs.v2 as RunningBack;
    const answer = await send(back, 'POST', '/back/api/tracks', host, { title: 'Which', artist: 'X' });
    expect(answer.status).toBe(201);
    expect(answer.headers['x-shadow-write']).toBe(mirrored ? 'rolled-back' : undefined);
  });
});
