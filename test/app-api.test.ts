import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/database.ts';
import { login, type RunningMusic, removeDataDir, startMusic, temporaryDataDir } from './support/music.ts';

// The same suite runs on the embedded database `npm start` uses by default, and through DATABASE_URL
// on a separate PostgreSQL server, the path a cluster takes.
describe.each([
  ['the embedded database', false],
  ['a PostgreSQL server given by DATABASE_URL', true],
])('the Music app on %s', (_name, external) => {
  let music: RunningMusic;
  let admin: string;

  beforeAll(async () => {
    music = await startMusic(external ? { databaseUrl: await createTestDatabase('e2e') } : {});
    admin = await login(music.url, 'admin', 'admin');
  });

  afterAll(async () => {
    await music?.stop();
    if (music) await removeDataDir(music.dataDir);
  });

  const api = (path: string, init: RequestInit & { json?: unknown; token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const token = init.token === undefined ? admin : init.token;
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${music.url}${path}`, {
      ...init,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : (init.body ?? null),
    });
  };

  it('routes /back to back and everything else to front, as the gateway VirtualService says', async () => {
    const tracks = await api('/back/api/tracks');
    expect(tracks.status).toBe(200);
    expect(tracks.headers.get('x-served-by')).toBe('back-v1');
    const account = await api('/api/account');
    expect(account.status).toBe(200);
    expect(account.headers.get('x-served-by')).toBeNull();
    expect(await account.json()).toMatchObject({ login: 'admin', authorities: ['ROLE_ADMIN', 'ROLE_USER'] });
    const page = await fetch(`${music.url}/tracks`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<app-root');
  });

  it('lets admin create, list, edit and delete a track through the ingress', async () => {
    const created = await api('/back/api/tracks', {
      method: 'POST',
      json: { title: 'Karma Police', artist: 'Radiohead' },
    });
    expect(created.status).toBe(201);
    const track = (await created.json()) as { id: string; createdBy: string };
    expect(track.createdBy).toBe('admin');
    const listed = (await (await api('/back/api/tracks?size=100')).json()) as Array<{ id: string }>;
    expect(listed.map((t) => t.id)).toContain(track.id);
    const edited = await api(`/back/api/tracks/${track.id}`, {
      method: 'PUT',
      json: { title: 'Karma Police (Live)', artist: 'Radiohead', album: 'OK Computer' },
    });
    expect(await edited.json()).toMatchObject({ title: 'Karma Police (Live)', album: 'OK Computer' });
    expect((await api(`/back/api/tracks/${track.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/back/api/tracks/${track.id}`)).status).toBe(404);
  });

  it('accepts tokens issued by front in back, and refuses calls without one', async () => {
    const user = await login(music.url, 'user', 'user');
    expect((await api('/back/api/tracks', { token: user })).status).toBe(200);
    const anonymous = await api('/back/api/tracks', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers bad input with 4xx problems, never 5xx', async () => {
    const cases: Array<[string, RequestInit & { json?: unknown }]> = [
      ['/back/api/tracks', { method: 'POST', json: { title: '', artist: 'x' } }],
      [
        '/back/api/tracks',
        { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } },
      ],
      ['/back/api/tracks', { method: 'POST', json: { title: 'x', artist: 'y'.repeat(200_000) } }],
      ['/back/api/tracks?size=-1', {}],
      ['/back/api/tracks/not-an-id', {}],
      ['/api/authenticate', { method: 'POST', json: { username: 'admin' } }],
      ['/api/admin/users', { method: 'POST', json: { login: 'Bad Login!', email: 'nope' } }],
    ];
    for (const [path, init] of cases) {
      const response = await api(path, init);
      expect(response.status, `${init.method ?? 'GET'} ${path}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${init.method ?? 'GET'} ${path}`).toBeLessThan(500);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('keeps user administration for admins', async () => {
    const user = await login(music.url, 'user', 'user');
    expect((await api('/api/admin/users', { token: user })).status).toBe(403);
    const users = await api('/api/admin/users');
    expect(users.status).toBe(200);
    expect(((await users.json()) as Array<{ login: string }>).map((u) => u.login)).toEqual(
      expect.arrayContaining(['admin', 'user']),
    );
  });
});

describe('the local runtime', () => {
  it('keeps tracks across a restart on the same data directory', async () => {
    const dataDir = await temporaryDataDir();
    try {
      let music = await startMusic({ dataDir });
      let token = await login(music.url, 'admin', 'admin');
      const created = await fetch(`${music.url}/back/api/tracks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Survives restarts', artist: 'Persistence' }),
      });
      const { id } = (await created.json()) as { id: string };
      await music.stop();

      music = await startMusic({ dataDir });
      try {
        token = await login(music.url, 'admin', 'admin');
        const fetched = await fetch(`${music.url}/back/api/tracks/${id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(fetched.status).toBe(200);
        expect(await fetched.json()).toMatchObject({ title: 'Survives restarts' });
      } finally {
        await music.stop();
      }
    } finally {
      await removeDataDir(dataDir);
    }
  });
});
