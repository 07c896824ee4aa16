import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Problem, type RunningFront, startFront } from './front-server.ts';

const INDEX =
  '<!doctype html><html><body><app-root></app-root><script src="main-AB12CD34.js"></script></body></html>';
const html = { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } };

let webRoot: string;
let front: RunningFront;
let unbuilt: RunningFront;

beforeAll(async () => {
  webRoot = await mkdtemp(join(tmpdir(), 'music-web-'));
  await writeFile(join(webRoot, 'index.html'), INDEX);
  await writeFile(join(webRoot, 'main-AB12CD34.js'), 'console.log("app");');
  await writeFile(join(webRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await mkdir(join(webRoot, 'media'));
  await writeFile(join(webRoot, 'media', 'font-ZX98YW76.woff2'), 'font');
  await writeFile(join(webRoot, '.env'), 'SECRET=1');
  [front, unbuilt] = await Promise.all([
    startFront({ WEB_ROOT: webRoot }),
    startFront({ WEB_ROOT: join(webRoot, 'missing') }),
  ]);
});

afterAll(async () => {
  await Promise.all([front?.close(), unbuilt?.close()]);
  await rm(webRoot, { recursive: true, force: true });
});

describe('the Angular app', () => {
  it('serves index.html at / without caching it', async () => {
    const response = await front.call('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toBe(INDEX);
  });

  it('answers a browser navigation to a client-side route with index.html', async () => {
    for (const path of ['/tracks', '/admin/users/alice/edit', '/login?returnUrl=%2Ftracks']) {
      const response = await front.call(path, html);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toBe(INDEX);
    }
  });

  it('serves hashed files as immutable and other files for revalidation', async () => {
    const script = await front.call('/main-AB12CD34.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const font = await front.call('/media/font-ZX98YW76.woff2');
    expect(font.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await front.call('/favicon.svg', html);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 404 problems, not the app, for missing files fetched by scripts and for server paths', async () => {
    const missingScript = await front.call('/chunk-MISSING1.js', { headers: { accept: '*/*' } });
    expect(missingScript.status).toBe(404);
    expect(missingScript.headers.get('content-type')).toContain('application/problem+json');
    for (const path of ['/api/nothing', '/api', '/management/nothing', '/.well-known/nothing']) {
      const response = await front.call(path, html);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
    const post = await front.call('/api/nothing', { method: 'POST', json: {} });
    expect(post.status).toBe(404);
    expect(((await post.json()) as Problem).code).toBe('NOT_FOUND');
  });

  it('never serves dotfiles or files outside its root', async () => {
    expect((await front.call('/.env', html)).status).toBe(404);
    for (const path of [
      '/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/media/..%2f..%2f..%2fetc%2fpasswd',
    ]) {
      const response = await front.call(path, { headers: { accept: '*/*' } });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(await response.text()).not.toContain('root:');
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    const response = await front.call('/tracks', { method: 'HEAD', ...html });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('answers a 503 problem telling how to build the app when WEB_ROOT holds no index.html', async () => {
    for (const path of ['/', '/tracks']) {
      const response = await unbuilt.call(path, html);
      expect(response.status, path).toBe(503);
      const problem = (await response.json()) as Problem;
      expect(problem).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
      expect(problem.detail).toContain('npm run build -w services/front');
    }
    expect((await unbuilt.call('/api/account')).status).toBe(401);
  });
});
