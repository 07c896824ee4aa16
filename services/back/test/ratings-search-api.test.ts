import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { startTokenIssuer, type TokenIssuer } from '../../../test/support/tokens.ts';
import { type Problem, type RunningBack, startBack } from './harness.ts';

interface Rating {
  average: number | null;
  count: number;
  mine: number | null;
}

interface Track {
  id: string;
  title: string;
  artist: string;
  rating: Rating;
}

let back: RunningBack;
let issuer: TokenIssuer;
let admin: string;
let user: string;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  admin = await issuer.sign({ sub: 'admin', auth: 'ROLE_ADMIN ROLE_USER' });
  user = await issuer.sign({ sub: 'user', auth: 'ROLE_USER' });
  back = await startBack({
    databaseUrl: await createTestDatabase('back'),
    jwksUrl: issuer.jwksUrl,
    env: { APP_VERSION: 'v2' },
    token: admin,
  });
});

afterAll(async () => {
  await back?.close();
  await issuer?.close();
});

beforeEach(async () => {
  await back.db.query('DELETE FROM tracks');
});

async function create(track: Record<string, unknown>): Promise<Track> {
  const response = await back.call('/back/api/tracks', { method: 'POST', json: track });
  expect(response.status).toBe(201);
  return (await response.json()) as Track;
}

async function rate(id: string, stars: unknown, token = admin) {
  return back.call(`/back/api/tracks/${id}/rating`, { method: 'PUT', json: { stars } }, token);
}

async function list(query = '', token = admin): Promise<Track[]> {
  const response = await back.call(`/back/api/tracks${query}`, {}, token);
  expect(response.status).toBe(200);
  return (await response.json()) as Track[];
}

describe('ratings (back v2)', () => {
  it('lists an unrated track with an empty rating, and says it is back-v2', async () => {
    await create({ title: 'Teardrop', artist: 'Massive Attack' });
    const response = await back.call('/back/api/tracks');
    expect(response.headers.get('x-served-by')).toBe('back-v2');
    const [track] = (await response.json()) as Track[];
    expect(track?.rating).toEqual({ average: null, count: 0, mine: null });
  });

  it('rates, replaces a second rating by the same user, and averages over users', async () => {
    const { id } = await create({ title: 'Creep', artist: 'Radiohead' });
    const first = await rate(id, 4);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ average: 4, count: 1, mine: 4 });
    expect(await (await rate(id, 1, user)).json()).toEqual({ average: 2.5, count: 2, mine: 1 });
    expect(await (await rate(id, 5)).json()).toEqual({ average: 3, count: 2, mine: 5 });
    expect((await list())[0]?.rating).toEqual({ average: 3, count: 2, mine: 5 });
    expect((await list('', user))[0]?.rating).toEqual({ average: 3, count: 2, mine: 1 });
  });

  it('rounds the average to two decimals', async () => {
    const { id } = await create({ title: 'Creep', artist: 'Radiohead' });
    await rate(id, 5);
    await rate(id, 5, user);
    await rate(id, 4, await issuer.sign({ sub: 'third' }));
    expect((await list())[0]?.rating.average).toBe(4.67);
  });

  it('withdraws a rating with DELETE, twice without harm', async () => {
    const { id } = await create({ title: 'Creep', artist: 'Radiohead' });
    await rate(id, 2);
    await rate(id, 4, user);
    const removed = await back.call(`/back/api/tracks/${id}/rating`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await list())[0]?.rating).toEqual({ average: 4, count: 1, mine: null });
    expect((await back.call(`/back/api/tracks/${id}/rating`, { method: 'DELETE' })).status).toBe(204);
    expect((await list('', user))[0]?.rating).toEqual({ average: 4, count: 1, mine: 4 });
  });

  it.each([[0], [6], [2.5], ['3'], [null]])('rejects stars %j with a problem naming stars', async (stars) => {
    const { id } = await create({ title: 'Creep', artist: 'Radiohead' });
    const response = await rate(id, stars);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as Problem;
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors?.map((e) => e.field)).toContain('stars');
  });

  it('rejects a body without stars, naming stars', async () => {
    const { id } = await create({ title: 'Creep', artist: 'Radiohead' });
    const response = await back.call(`/back/api/tracks/${id}/rating`, { method: 'PUT', json: {} });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors?.[0]?.field).toBe('stars');
  });

  it('answers 404 for rating an unknown track, and 400 for an id that is not a UUID', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const put = await rate(unknown, 3);
    expect(put.status).toBe(404);
    expect(((await put.json()) as Problem).detail).toContain('does not exist');
    expect((await back.call(`/back/api/tracks/${unknown}/rating`, { method: 'DELETE' })).status).toBe(404);
    expect((await rate('42', 3)).status).toBe(400);
  });

  it('needs a token to rate', async () => {
    const { id } = await create({ title: 'Creep', artist: 'Radiohead' });
    const response = await back.call(
      `/back/api/tracks/${id}/rating`,
      { method: 'PUT', json: { stars: 3 } },
      null,
    );
    expect(response.status).toBe(401);
  });

  it('sorts by average rating, unrated tracks last in both directions', async () => {
    const low = await create({ title: 'Low', artist: 'A' });
    const high = await create({ title: 'High', artist: 'A' });
    await create({ title: 'Unrated', artist: 'A' });
    await rate(low.id, 2);
    await rate(high.id, 5);
    expect((await list('?sort=rating,desc')).map((t) => t.title)).toEqual(['High', 'Low', 'Unrated']);
    expect((await list('?sort=rating,asc')).map((t) => t.title)).toEqual(['Low', 'High', 'Unrated']);
  });

  it('drops the ratings of a deleted track', async () => {
    const { id } = await create({ title: 'Creep', artist: 'Radiohead' });
    await rate(id, 3);
    expect((await back.call(`/back/api/tracks/${id}`, { method: 'DELETE' })).status).toBe(204);
    const { rows } = await back.db.query('SELECT * FROM ratings WHERE track_id = $1', [id]);
    expect(rows).toEqual([]);
  });
});

describe('search (back v2)', () => {
  beforeEach(async () => {
    await create({ title: 'Paranoid Android', artist: 'Radiohead', album: 'OK Computer' });
    await create({ title: 'Karma Police', artist: 'Radiohead', album: 'OK Computer' });
    await create({ title: 'Teardrop', artist: 'Massive Attack', album: 'Mezzanine' });
    await create({ title: '100% Pure', artist: 'A_B' });
    await create({ title: '1000 Pure', artist: 'AxB' });
    await create({ title: 'Back\\slash', artist: 'Escape' });
  });

  const titles = async (q: string) =>
    (await list(`?q=${encodeURIComponent(q)}&sort=title,asc`)).map((t) => t.title);

  it('matches title, artist or album in any case', async () => {
    expect(await titles('POLICE')).toEqual(['Karma Police']);
    expect(await titles('radiohead')).toEqual(['Karma Police', 'Paranoid Android']);
    expect(await titles('mezZ')).toEqual(['Teardrop']);
    expect(await titles('nothing like this')).toEqual([]);
  });

  it('treats % and _ and \\ as themselves, not as patterns', async () => {
    expect(await titles('100%')).toEqual(['100% Pure']);
    expect(await titles('%')).toEqual(['100% Pure']);
    expect(await titles('a_b')).toEqual(['100% Pure']);
    expect(await titles('_')).toEqual(['100% Pure']);
    expect(await titles('\\')).toEqual(['Back\\slash']);
  });

  it('lists everything for a blank q', async () => {
    expect(await titles('   ')).toHaveLength(6);
    expect(await list('?q=')).toHaveLength(6);
  });

  it('counts and pages the matches, keeping q in the Link header', async () => {
    const response = await back.call('/back/api/tracks?q=radiohead&size=1&sort=title,asc');
    expect(response.headers.get('x-total-count')).toBe('2');
    expect(((await response.json()) as Track[]).map((t) => t.title)).toEqual(['Karma Police']);
    const link = response.headers.get('link') ?? '';
    expect(link).toContain('/back/api/tracks?sort=title%2Casc&q=radiohead&page=1&size=1>; rel="next"');
    expect(link).toContain('q=radiohead&page=0&size=1>; rel="first"');
    expect(link).toContain('q=radiohead&page=1&size=1>; rel="last"');
  });

  it('rejects a q longer than 200 characters, naming q', async () => {
    const response = await back.call(`/back/api/tracks?q=${'x'.repeat(201)}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors?.[0]?.field).toBe('q');
  });

  it('searches and rates together: matches carry their ratings', async () => {
    const [karma] = await list('?q=karma');
    await rate(karma?.id ?? '', 5);
    expect((await list('?q=karma'))[0]?.rating).toEqual({ average: 5, count: 1, mine: 5 });
  });
});
