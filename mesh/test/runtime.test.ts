import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, startRuntime } from '../src/index.ts';
import { defaultTiming } from '../src/workloads/replica.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

async function get(
  url: string,
): Promise<{ status: number; servedBy: string; body: Record<string, unknown> }> {
  const res = await request(url);
  return {
    status: res.statusCode,
    servedBy: String(res.headers['x-served-by']),
    body: (await res.body.json()) as Record<string, unknown>,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runtime on a fixture deploy directory', () => {
  let dataDir: string;
  let runtime: Runtime;
  const pids = new Set<number>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'music-mesh-runtime-'));
    // mkdtemp makes 0700; PostgreSQL runs as another user and must get through.
    await chmod(dataDir, 0o755);
    runtime = await startRuntime({
      port: 0,
      dataDir,
      databaseUrl: undefined,
      databasePort: 0,
      profile: join(fixtures, 'profile.yaml'),
      timing: { ...defaultTiming, backoffMs: { initial: 100, max: 1_000 }, stopGraceMs: 3_000 },
      readyTimeoutMs: 20_000,
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('resolves once the Service has a ready endpoint and routes to both replicas in turn', async () => {
    const served = new Set<string>();
    // Both replicas start together; the second may get ready a moment after the first.
    const deadline = Date.now() + 5_000;
    while (runtime.endpoints('echo').length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    // Istio's default balancing (LEAST_REQUEST) picks between ties at random.
    for (let i = 0; i < 40 && served.size < 2; i++) {
      const res = await get(`${runtime.url}/echo/pid`);
      expect(res.status).toBe(200);
      served.add(String(res.body.pid));
      pids.add(Number(res.body.pid));
    }
    expect(served.size).toBe(2);
  });

  it('gives replicas the manifest env with local Secrets, and their outbound listener as HTTP_PROXY', async () => {
    const env = (await get(`${runtime.url}/echo/env`)).body;
    expect(env).toMatchObject({
      APP_NAME: 'echo',
      APP_VERSION: 'v1',
      HOST: '127.0.0.1',
      BACK_URL: 'http://back:8080',
      NODE_USE_ENV_PROXY: '1',
      NO_PROXY: '127.0.0.1,localhost',
      DATABASE_URL: runtime.databaseUrl,
      MUSIC_DEV_DEFAULTS: 'true',
    });
    expect(env.HTTP_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.PORT).not.toBe('8080');
    expect(env.JWT_PRIVATE_KEY).toBeUndefined();
    expect((await stat(join(dataDir, 'jwt-private-key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('takes a crashed replica out of rotation and brings it back', async () => {
    await get(`${runtime.url}/echo/crash`);
    // Until its exit is noticed the dead replica still gets picked (503, as Envoy without retries).
    await new Promise((resolve) => setTimeout(resolve, 200));
    // While it restarts, every request gets an answer from the other replica.
    for (let i = 0; i < 10; i++) expect((await get(`${runtime.url}/echo/x`)).status).toBe(200);
    const deadline = Date.now() + 10_000;
    const served = new Set<string>();
    while (served.size < 2 && Date.now() < deadline) {
      const res = await get(`${runtime.url}/echo/pid`);
      served.add(String(res.body.pid));
      pids.add(Number(res.body.pid));
    }
    expect(served.size).toBe(2);
  });

  it('stop() ends every replica and the database', async () => {
    const directory = runtime.databaseDirectory as string;
    await runtime.stop();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const postgres = (() => {
      try {
        return execFileSync('pgrep', ['-f', `postgres -D ${directory}`], { encoding: 'utf8' }).trim();
      } catch {
        return '';
      }
    })();
    expect(postgres).toBe('');
  });
});
