import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { startTokenIssuer, type TokenIssuer } from '../../../test/support/tokens.ts';
import { type Problem, type RunningBack, startBack } from './harness.ts';

interface Track {
  id: string;
  title: string;
  rating?: { average: number | null; count: number; mine: number | null };
}

/** back-v1 and back-v2 from the same code on ONE database, as during the tutorial's canary. */
let v1: RunningBack;
let v2: RunningBack;
let issuer: TokenIssuer;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  const token = await issuer.sign({ sub: 'admin', auth: 'ROLE_ADMIN ROLE_USER' });
  const databaseUrl = await createTestDatabase('back');
  const start = (version: string) =>
    startBack({ databaseUrl, jwksUrl: issuer.jwksUrl, env: { APP_VERSION: version }, token });
  // Both Deployments start together and both run the migrations: the advisory lock serialises them.
  [v1, v2] = await Promise.all([start('v1'), start('v2')]);
});

afterAll(async () => {
  await Promise.all([v1?.close(), v2?.close()]);
  await issuer?.close();
});

async function create(back: RunningBack, title: string): Promise<Track> {
  const response = await back.call('/back/api/tracks', { method: 'POST', json: { title, artist: 'Canary' } });
  expect(response.status).toBe(201);
  return (await response.json()) as Track;
}

async function list(back: RunningBack, query = ''): Promise<Track[]> {
  const response = await back.call(`/back/api/tracks${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Track[];
}

describe('back v1 and v2 side by side on one database', () => {
  it('migrated once although both started together', async () => {
    const { rows } = await v1.db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([
      '001-create-tracks',
      '002-ratings-and-search',
      '003-spotify-tracks',
    ]);
    const trigram = await v1.db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'");
    const indexes = await v1.db.query("SELECT 1 FROM pg_indexes WHERE indexname LIKE 'tracks_%_trgm_idx'");
    expect(indexes.rowCount).toBe(trigram.rowCount === 1 ? 3 : 0);
    expect((await v1.call('/back/management/health/readiness', {}, null)).status).toBe(200);
    expect((await v2.call('/back/management/health/readiness', {}, null)).status).toBe(200);
  });

  it('shares tracks: v1 writes, v2 rates, v1 keeps reading and editing without ratings', async () => {
    const track = await create(v1, 'Written by v1');
    const rated = await v2.call(`/back/api/tracks/${track.id}/rating`, { method: 'PUT', json: { stars: 4 } });
    expect(rated.status).toBe(200);

    const seenByV2 = (await list(v2)).find((t) => t.id === track.id);
    expect(seenByV2?.rating).toEqual({ average: 4, count: 1, mine: 4 });
    const seenByV1 = (await list(v1)).find((t) => t.id === track.id);
    expect(seenByV1).toBeDefined();
    expect(seenByV1).not.toHaveProperty('rating');

    const edited = await v1.call(`/back/api/tracks/${track.id}`, {
      method: 'PUT',
      json: { title: 'Edited by v1', artist: 'Canary' },
    });
    expect(edited.status).toBe(200);
    expect((await list(v2)).find((t) => t.id === track.id)?.rating?.count).toBe(1);
  });

  it('lets v1 delete a track that v2 users rated, taking the ratings along', async () => {
    const track = await create(v2, 'Rated, then deleted by v1');
    await v2.call(`/back/api/tracks/${track.id}/rating`, { method: 'PUT', json: { stars: 5 } });
    expect((await v1.call(`/back/api/tracks/${track.id}`, { method: 'DELETE' })).status).toBe(204);
    const { rows } = await v2.db.query('SELECT 1 FROM ratings WHERE track_id = $1', [track.id]);
    expect(rows).toHaveLength(0);
    const rateGone = await v2.call(`/back/api/tracks/${track.id}/rating`, {
      method: 'PUT',
      json: { stars: 1 },
    });
    expect(rateGone.status).toBe(404);
  });

  it('v1 ignores q and answers the whole list, with no q in its Link header', async () => {
    await create(v1, 'Needle');
    await create(v1, 'Haystack');
    const all = await v1.call('/back/api/tracks?size=100');
    const filtered = await v1.call('/back/api/tracks?size=100&q=needle');
    expect(filtered.status).toBe(200);
    expect(filtered.headers.get('x-served-by')).toBe('back-v1');
    expect(filtered.headers.get('x-total-count')).toBe(all.headers.get('x-total-count'));
    expect(((await filtered.json()) as Track[]).length).toBeGreaterThan(1);
    expect(filtered.headers.get('link')).not.toContain('q=');
    expect((await list(v2, '?q=needle')).map((t) => t.title)).toEqual(['Needle']);
  });

  it('v1 answers 404 problems for the rating routes and 400 for sorting by rating', async () => {
    const track = await create(v1, 'No stars on v1');
    for (const method of ['PUT', 'DELETE']) {
      const response = await v1.call(`/back/api/tracks/${track.id}/rating`, { method, json: { stars: 3 } });
      expect(response.status, method).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(((await response.json()) as Problem).code).toBe('NOT_FOUND');
    }
    const sorted = await v1.call('/back/api/tracks?sort=rating,desc');
    expect(sorted.status).toBe(400);
    expect(((await sorted.json()) as Problem).errors?.[0]?.field).toBe('sort');
  });

  it('answers no 5xx while v1 creates and deletes and v2 rates the same tracks at once', async () => {
    const tracks = await Promise.all(Array.from({ length: 10 }, (_, i) => create(v1, `Race ${i}`)));
    const statuses = await Promise.all(
      tracks.flatMap((track, i) => [
        v1.call(`/back/api/tracks/${track.id}`, { method: 'DELETE' }).then((r) => r.status),
        v2
          .call(`/back/api/tracks/${track.id}/rating`, { method: 'PUT', json: { stars: (i % 5) + 1 } })
          .then((r) => r.status),
        v2.call('/back/api/tracks?sort=rating,desc').then((r) => r.status),
      ]),
    );
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    const { rows } = await v2.db.query('SELECT 1 FROM ratings WHERE track_id = ANY($1::uuid[])', [
      tracks.map((t) => t.id),
    ]);
    expect(rows).toHaveLength(0);
  });
});
