// How the console serves its built pages: over real HTTP, from a folder laid out as `ng build`
// leaves it, and from one where nothing was built.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleApp } from '../src/app.ts';
import type { PagesOptions } from '../src/static.ts';

const index =
  '<!doctype html><html><head><base href="/console/"></head><body><mc-root></mc-root></body></html>';

describe('the console’s pages', () => {
  let dir: string;
  let built: { url: string; server: Server };
  let unbuilt: { url: string; server: Server };

  async function serve(pages: PagesOptions): Promise<{ url: string; server: Server }> {
    const hosts = new Set<string>();
    const source = {
      window: () => ({ seconds: 0, at: 0, bounds: [], series: [], tcp: [] }),
      steps: () => [],
      maxWindowSeconds: 900,
    };
    const server = createServer(consoleApp({ source, hosts, pages }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    hosts.add(`127.0.0.1:${port}`);
    return { url: `http://127.0.0.1:${port}`, server };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'console-pages-'));
    await mkdir(join(dir, 'browser'), { recursive: true });
    await writeFile(join(dir, 'browser', 'index.html'), index);
    await writeFile(join(dir, 'browser', 'main-SD6J6R7L.js'), 'console.log(1)');
    await writeFile(join(dir, 'browser', 'favicon.svg'), '<svg/>');
    built = await serve({
      dir: join(dir, 'browser'),
      settings: { ingressUrl: 'http://localhost:8080</script>', namespace: 'music' },
    });
    unbuilt = await serve({ dir: join(dir, 'nothing-here') });
  });

  afterAll(async () => {
    for (const { server } of [built, unbuilt]) server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string) => fetch(url, { redirect: 'manual' });

  it('sends the tutorial’s Kiali address and the bare one to the app', async () => {
    for (const [path, location] of [
      ['/', '/console/'],
      ['/console', '/console/'],
      ['/kiali/console/', '/console/'],
      ['/kiali', '/console/'],
      ['/kiali/console/graph/namespaces?namespaces=music', '/console/graph/namespaces?namespaces=music'],
    ] as const) {
      const res = await get(`${built.url}${path}`);
      expect(res.status, path).toBe(302);
      expect(res.headers.get('location'), path).toBe(location);
    }
  });

  it('answers index.html for the app’s routes, never cached, with the server’s settings', async () => {
    for (const path of ['/console/', '/console/graph', '/console/some/deep/route']) {
      const res = await get(`${built.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      const text = await res.text();
      expect(text).toContain('<mc-root>');
      // The settings cannot close their script early.
      expect(text).toContain(
        '<script id="console-settings" type="application/json">{"ingressUrl":"http://localhost:8080\\u003c/script>","namespace":"music"}</script></head>',
      );
    }
  });

  it('caches hashed bundles for good and other files only after revalidating', async () => {
    const bundle = await get(`${built.url}/console/main-SD6J6R7L.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await bundle.text()).toBe('console.log(1)');
    const icon = await get(`${built.url}/console/favicon.svg`);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers a missing file or a path out of the folder with problem+json, not the app', async () => {
    for (const path of [
      '/console/main-OLDHASH1.js',
      '/console/..%2F..%2Fetc%2Fpasswd',
      '/console/%E0%A4%A',
    ]) {
      const res = await get(`${built.url}${path}`);
      expect([400, 404], path).toContain(res.status);
      expect(res.headers.get('content-type'), path).toBe('application/problem+json');
    }
  });

  it('names the build command when the pages are not built', async () => {
    const res = await get(`${unbuilt.url}/console/`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({
      code: 'CONSOLE_NOT_BUILT',
      detail:
        "the console's pages are not built: run `npm run build --workspace mesh` (npm install does it too)",
    });
  });
});
