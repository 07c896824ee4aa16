import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, type StartRuntimeOptions, startRuntime } from '../src/runtime.ts';
import { defaultTiming } from '../src/workloads/replica.ts';
import { meshCli } from './support/mesh-cli.ts';
import { temporaryDataDir } from './support/processes.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

const options: StartRuntimeOptions = {
  port: 0,
  adminPort: 0,
  statsPort: 0,
  databaseUrl: undefined,
  databasePort: 0,
  profile: join(fixtures, 'profile.yaml'),
  timing: { ...defaultTiming, backoffMs: { initial: 100, max: 1_000 }, stopGraceMs: 3_000 },
  readyTimeoutMs: 30_000,
};

const status = async (url: string) => (await request(url)).statusCode;

describe('what was applied, across restarts of the runtime on one data directory', () => {
  let dataDir: string;
  let runtime: Runtime | undefined;

  beforeAll(async () => {
    dataDir = await temporaryDataDir('music-mesh-state-');
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const restart = async (reset = false) => {
    await runtime?.stop();
    runtime = await startRuntime({ ...options, dataDir, reset });
    return runtime;
  };

  it('survives a restart: a changed route of deploy/ and an added VirtualService stay in effect', async () => {
    const first = await restart();
    const gateway = await readFile(join(fixtures, 'deploy/istio/gateway.yaml'), 'utf8');
    const step = gateway
      .split('---')[1]
      ?.replace('prefix: /echo', 'prefix: /moved')
      .concat(`---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: extra, namespace: music }
spec:
  hosts: [extra.example]
  gateways: [music-gateway]
  http: [{ route: [{ destination: { host: echo } }] }]
`) as string;
    const applied = await meshCli(dataDir, ['apply', '-f', '-'], step);
    expect(applied.stdout).toBe(
      'virtualservice.networking.istio.io/echo-gw configured\nvirtualservice.networking.istio.io/extra created\n',
    );
    expect(await status(`${first.url}/moved/pid`)).toBe(200);

    const second = await restart();
    expect(await status(`${second.url}/moved/pid`)).toBe(200);
    expect(await status(`${second.url}/echo/pid`)).toBe(404);
    const extra = await request(`${second.url}/pid`, { headers: { host: 'extra.example' } });
    expect(extra.statusCode).toBe(200);
    await extra.body.dump();
    const listed = await meshCli(dataDir, ['get', 'vs']);
    expect(listed.stdout).toMatch(/^echo-gw\s/m);
    expect(listed.stdout).toMatch(/^extra\s+\["music-gateway"\]\s+\["extra\.example"\]/m);
  });

  it('starts from deploy/ alone with reset', async () => {
    const reset = await restart(true);
    expect(await status(`${reset.url}/echo/pid`)).toBe(200);
    expect(await status(`${reset.url}/moved/pid`)).toBe(404);
    const gone = await meshCli(dataDir, ['get', 'vs', 'extra']);
    expect(gone).toMatchObject({
      code: 1,
      stderr: 'error: virtualservices.networking.istio.io "extra" not found\n',
    });
  });
});
