// The mesh console's config, explain and wizard API over the whole Music app: the runtime's admin
// API behind it, front's own login and keys deciding who may change the configuration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Console, startConsole } from '../mesh/console/src/server.ts';
import { createTestDatabase } from './support/database.ts';
import {
  consoleAuth,
  login,
  type RunningMusic,
  removeDataDir,
  startMusic,
  startMusicConsole,
} from './support/music.ts';

describe('the mesh console over Music: config, explain and the wizards', () => {
  let music: RunningMusic;
  let console: Console;

  beforeAll(async () => {
    music = await startMusic({ databaseUrl: await createTestDatabase('console') });
    console = await startMusicConsole(music, { scrapeIntervalMs: 1_000 });
  });

  afterAll(async () => {
    await console?.close();
    await music?.stop();
    if (music) await removeDataDir(music.dataDir);
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${console.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const timeouts = {
    namespace: 'music',
    service: 'back',
    timeout: '3s',
    retries: { attempts: 2, retryOn: '5xx' },
  };

  it('lists the objects as YAML with the analyze findings next to the one they concern', async () => {
    const res = await fetch(`${console.url}/api/istio/config?namespaces=music`);
    expect(res.status).toBe(200);
    const { objects } = (await res.json()) as {
      objects: {
        kind: string;
        name: string;
        file: string;
        yaml: string;
        manifest: { spec?: { subsets?: { name: string }[] } };
        findings: unknown[];
      }[];
    };
    const names = objects.map((object) => `${object.kind}/${object.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Gateway/music-gateway',
        'VirtualService/back-gw-virtualservice',
        'Deployment/back-v1',
        'Service/back',
      ]),
    );
    const gatewayRoutes = objects.find((object) => object.name === 'back-gw-virtualservice');
    expect(gatewayRoutes?.yaml).toContain('prefix: /back');
    expect(gatewayRoutes?.file).toMatch(/^deploy\/istio\/gateway\.yaml/);
    // The same object as JSON: the wizards offer the DestinationRule's subsets from it.
    const rule = objects.find((object) => object.kind === 'DestinationRule' && object.name === 'back');
    expect(rule?.manifest.spec?.subsets?.map((subset) => subset.name)).toEqual(['v1']);
  });

  it('explains a URL in the browser’s words: the route it takes and where it goes', async () => {
    const res = await post('/api/explain', { url: 'http://localhost/back/api/tracks' });
    expect(res.status).toBe(200);
    const { explanation } = (await res.json()) as { explanation: Record<string, unknown> };
    expect(JSON.stringify(explanation)).toContain('back');
  });

  it('refuses to explain a URL without its scheme or with a method that is none, naming the field', async () => {
    for (const [body, detail] of [
      [
        { url: 'localhost:8080/back' },
        'url: needs its scheme, http:// or https:// (got localhost:8080/back)',
      ],
      [
        { url: 'http://localhost/back', method: 'get me' },
        'method: must be an HTTP method such as GET or POST',
      ],
    ] as const) {
      const res = await post('/api/explain', body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(((await res.json()) as { detail: string }).detail).toBe(detail);
    }
  });

  it('previews a wizard’s YAML without a login, and applies it only with a token of the admin role', async () => {
    const preview = await post('/api/wizards/request-timeouts', timeouts);
    expect(preview.status).toBe(200);
    const { yaml } = (await preview.json()) as { yaml: string };
    expect(yaml).toContain('name: back-gw-virtualservice');
    expect(yaml).toContain('timeout: 3s');

    const anonymous = await post('/api/wizards/request-timeouts?apply=true', timeouts);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    const user = await login(music.url, 'user', 'user');
    const asUser = await post('/api/wizards/request-timeouts?apply=true', timeouts, {
      authorization: `Bearer ${user}`,
    });
    expect(asUser.status).toBe(403);
    expect(((await asUser.json()) as { detail: string }).detail).toBe(
      'changing configuration needs the ROLE_ADMIN role',
    );

    const loggedIn = await post('/api/login', { username: 'admin', password: 'admin' });
    expect(loggedIn.status).toBe(200);
    const { id_token: token } = (await loggedIn.json()) as { id_token: string };
    const applied = await post('/api/wizards/request-timeouts?apply=true', timeouts, {
      authorization: `Bearer ${token}`,
    });
    expect(applied.status).toBe(200);
    const { results } = (await applied.json()) as { results: { name: string; action: string }[] };
    expect(results.map((result) => `${result.name} ${result.action}`)).toContain(
      'back-gw-virtualservice configured',
    );

    // The runtime holds it now: the config page shows it, and the app still answers through it.
    const config = (await (await fetch(`${console.url}/api/istio/config?namespaces=music`)).json()) as {
      objects: { name: string; yaml: string }[];
    };
    expect(config.objects.find((object) => object.name === 'back-gw-virtualservice')?.yaml).toContain(
      'timeout: 3s',
    );
    expect((await fetch(`${music.url}/back/management/health/readiness`)).status).toBe(200);
  });

  it('bound beyond localhost, answers every API call only for a token of the admin role', async () => {
    const auth = consoleAuth(music.url);
    await expect(
      startConsole({ statsUrl: music.runtime.statsUrl, host: '0.0.0.0', port: 0 }),
    ).rejects.toThrow(/beyond localhost \(0\.0\.0\.0\) only with the app's login/);
    const exposed = await startConsole({ statsUrl: music.runtime.statsUrl, host: '0.0.0.0', port: 0, auth });
    try {
      const port = new URL(exposed.url).port;
      const graph = `http://127.0.0.1:${port}/api/namespaces/graph?namespaces=music`;
      expect((await fetch(graph)).status).toBe(401);
      const user = await login(music.url, 'user', 'user');
      expect((await fetch(graph, { headers: { authorization: `Bearer ${user}` } })).status).toBe(403);
      const admin = await login(music.url, 'admin', 'admin');
      expect((await fetch(graph, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    } finally {
      await exposed.close();
    }
  });

  it('refuses a wrong login and a page of another origin', async () => {
    const wrong = await post('/api/login', { username: 'admin', password: 'nope' });
    expect(wrong.status).toBe(401);
    const foreign = await post('/api/wizards/request-timeouts', timeouts, {
      origin: 'https://attacker.example',
    });
    expect(foreign.status).toBe(403);
    const weights = await post('/api/wizards/traffic-shifting', {
      namespace: 'music',
      service: 'back',
      weights: { v1: 50 },
    });
    expect(weights.status).toBe(400);
    expect(((await weights.json()) as { detail: string }).detail).toBe(
      'weights: must add up to 100 (they add up to 50)',
    );
  });
});
