// The greetings example (examples/greetings): an app that is not Music, in two languages, run by
// the same runtime from its own profile.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, startRuntime } from '../src/index.ts';
import { defaultTiming } from '../src/workloads/replica.ts';
import { meshCli } from './support/mesh-cli.ts';
import { poll, temporaryDataDir } from './support/processes.ts';

const profile = fileURLToPath(new URL('../../examples/greetings/local/profile.yaml', import.meta.url));

const python = (() => {
  try {
    execFileSync('python3', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
if (!python) process.stderr.write('mesh/test/example-app.test.ts skipped: no python3 on PATH\n');

interface Pod {
  name: string;
  namespace: string;
  ip: string;
  version: string;
}
interface Hello {
  greeting: string;
  greeter: Pod;
  words: { word: string; punctuation: string; pod: Pod; route: string };
}

async function hello(url: string): Promise<{ status: number; body: Hello }> {
  const res = await request(`${url}/hello?name=Ada`);
  return { status: res.statusCode, body: (await res.body.json()) as Hello };
}

describe.skipIf(!python)('the greetings example, from examples/greetings/local/profile.yaml', () => {
  let dataDir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    dataDir = await temporaryDataDir('music-mesh-example-');
    runtime = await startRuntime({
      profile,
      port: 0,
      adminPort: 0,
      statsPort: 0,
      dataDir,
      timing: { ...defaultTiming, backoffMs: { initial: 100, max: 1_000 }, stopGraceMs: 3_000 },
      readyTimeoutMs: 30_000,
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers through the ingress from Node, which asks Python through the mesh, which asks Node back', async () => {
    const { status, body } = await hello(runtime.url);
    expect(status).toBe(200);
    expect(body.greeting).toBe('Hello, Ada!');
    // greeter → words took the words VirtualService (bound to the mesh), which sets this header.
    expect(body.words.route).toBe('words-mesh');
    // words → greeter: the punctuation from greeter-settings, read with envFrom's GREETER_ prefix.
    expect(body.words.punctuation).toBe('!');
  });

  it('tells each replica who it is (fieldRef) and what its ConfigMap says', async () => {
    const { body } = await hello(runtime.url);
    expect(body.greeter).toEqual({
      name: expect.stringMatching(/^greeter-v1-[01]$/),
      namespace: 'greetings',
      ip: '127.0.0.1',
      version: 'v1',
    });
    expect(body.words.pod).toEqual({
      name: 'words-v1-0',
      namespace: 'greetings',
      ip: '127.0.0.1',
      version: 'v1',
    });
    expect(body.words.word).toBe('Hello');
  });

  it("lets `mesh get` default to the profile's namespace", async () => {
    const deployments = await meshCli(dataDir, ['get', 'deployments']);
    expect(deployments.stderr).toBe('');
    expect(deployments.code).toBe(0);
    expect(deployments.stdout).toMatch(/^greeter-v1\s+2\/2/m);
    expect(deployments.stdout).toMatch(/^words-v1\s+1\/1/m);
  });

  it('starts no database: no workload needs one', () => {
    expect(
      runtime
        .pods()
        .map((pod) => pod.name)
        .sort(),
    ).toEqual(['greeter-v1-0', 'greeter-v1-1', 'words-v1-0']);
    expect(runtime.databaseUrl).toBeUndefined();
    expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
  });

  it("routes the gateway's /words/ straight to the Python service, which got traffic without a readiness probe", async () => {
    const res = await request(`${runtime.url}/words/word`);
    const body = (await res.body.json()) as Hello['words'];
    expect(res.statusCode).toBe(200);
    expect(body.route).toBe('');
    expect(runtime.endpoints('words')).toHaveLength(1);
  });

  it('gives a changed ConfigMap to replicas as they start, not to the running ones', async () => {
    await runtime.apply(
      'words-config.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: greetings-words, namespace: greetings }\ndata: { word: Howdy }\n',
    );
    expect((await hello(runtime.url)).body.words.word).toBe('Hello');
    const words = runtime.pods().find((pod) => pod.name === 'words-v1-0');
    process.kill(words?.pid as number, 'SIGKILL');
    const restarted = await poll(
      'the greeting after words restarts',
      () => hello(runtime.url).catch(() => undefined),
      (answer) => answer?.body.words?.word === 'Howdy',
    );
    expect(restarted?.body.greeting).toBe('Howdy, Ada!');
  });
});
