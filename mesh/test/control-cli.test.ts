import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, startRuntime } from '../src/runtime.ts';
import { defaultTiming } from '../src/workloads/replica.ts';
import { meshCli as mesh } from './support/mesh-cli.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

async function until<T>(what: string, probe: () => T | Promise<T>, ok: (value: T) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!ok(value)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
    value = await probe();
  }
  return value;
}

async function envOf(origin: string): Promise<Record<string, string>> {
  const res = await request(`${origin}/echo/env`);
  return (await res.body.json()) as Record<string, string>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const echoV2 = join(fixtures, 'control/echo-v2.yaml');
const withReplicas = async (replicas: number, version = 'v2') =>
  (await readFile(echoV2, 'utf8'))
    .replace('replicas: 1', `replicas: ${replicas}`)
    .replace('{ name: APP_VERSION, value: v2 }', `{ name: APP_VERSION, value: ${version} }`);

describe('npm run mesh against a running runtime', () => {
  let dataDir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'music-mesh-control-'));
    await chmod(dataDir, 0o755);
    runtime = await startRuntime({
      port: 0,
      adminPort: 0,
      dataDir,
      databaseUrl: undefined,
      databasePort: 0,
      profile: join(fixtures, 'profile.yaml'),
      timing: { ...defaultTiming, backoffMs: { initial: 100, max: 1_000 }, stopGraceMs: 3_000 },
      readyTimeoutMs: 20_000,
      rolloutTimeoutMs: 10_000,
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes the admin address and token to <dataDir>/admin.json, mode 0600', async () => {
    const file = join(dataDir, 'admin.json');
    const admin = JSON.parse(await readFile(file, 'utf8')) as { url: string; token: string };
    expect(admin.url).toBe(runtime.adminUrl);
    expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(admin.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await request(`${admin.url}/v1/resources/pods`)).statusCode).toBe(401);
  });

  it('refuses an apply or delete of a file without objects, as kubectl does', async () => {
    const empty = join(dataDir, 'empty.yaml');
    for (const text of ['', '# nothing here\n---\n---\n']) {
      await writeFile(empty, text);
      expect(await mesh(dataDir, ['apply', '-f', empty])).toMatchObject({
        code: 1,
        stdout: '',
        stderr: 'error: no objects passed to apply\n',
      });
      expect(await mesh(dataDir, ['delete', '-f', '-'], text)).toMatchObject({
        code: 1,
        stderr: 'error: no objects passed to delete\n',
      });
    }
  });

  it('refuses a YAML alias bomb in one line', async () => {
    const levels = ['a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]'];
    for (let level = 1; level < 9; level++) {
      const [name, previous] = [String.fromCharCode(97 + level), String.fromCharCode(96 + level)];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const run = await mesh(dataDir, ['apply', '-f', '-'], levels.join('\n'));
    expect(run).toMatchObject({
      code: 1,
      stderr:
        'error: <stdin>: invalid YAML: too many aliases (at most 100 expansions per document) (nothing was applied)\n',
    });
  });

  it('refuses a weight or a port Istio refuses, naming the field', async () => {
    const yaml = (await readFile(join(fixtures, 'deploy/istio/gateway.yaml'), 'utf8')).split(
      '---',
    )[1] as string;
    const weighted = yaml.replace('cluster.local } }]', 'cluster.local }, weight: 3000000000 }]');
    expect(weighted).toContain('weight: 3000000000');
    const run = await mesh(dataDir, ['apply', '-f', '-'], weighted);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /weight: must be an integer <= 2147483647 \(got 3000000000\) \(nothing was applied\)\n$/,
    );
  });

  it('apply of a new Deployment starts its replicas, which join the Service once ready', async () => {
    const run = await mesh(dataDir, ['apply', '-f', echoV2]);
    expect(run).toMatchObject({ code: 0, stdout: 'deployment.apps/echo-v2 created\n' });
    const origins = await until(
      '3 echo endpoints',
      () => runtime.endpoints('echo'),
      (list) => list.length === 3,
    );
    const versions = await Promise.all(origins.map(async (origin) => (await envOf(origin)).APP_VERSION));
    expect(versions.sort()).toEqual(['v1', 'v1', 'v2']);

    const pods = await mesh(dataDir, ['get', 'pods']);
    expect(pods.code).toBe(0);
    expect(pods.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+ADDRESS\n/);
    expect(pods.stdout).toMatch(/echo-v2-0\s+1\/1\s+Running\s+0\s+\d+s\s+127\.0\.0\.1:\d+/);
    expect(pods.stdout).toMatch(/postgres-0\s+1\/1\s+Running/);
    const everywhere = await mesh(dataDir, ['get', 'pods', '-A']);
    expect(everywhere.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+ADDRESS\n/);
    expect(everywhere.stdout).toMatch(/^music\s+echo-v2-0\s+1\/1\s+Running/m);

    const again = await mesh(dataDir, ['apply', '-f', echoV2]);
    expect(again.stdout).toBe('deployment.apps/echo-v2 unchanged\n');
  });

  it('scales up and down; extra replicas leave the endpoints and stop', async () => {
    const up = await mesh(dataDir, ['apply', '-f', '-'], await withReplicas(3));
    expect(up).toMatchObject({ code: 0, stdout: 'deployment.apps/echo-v2 configured\n' });
    const five = await until(
      '5 echo endpoints',
      () => runtime.endpoints('echo'),
      (list) => list.length === 5,
    );
    const pids = await Promise.all(
      five.map(async (origin) =>
        Number(
          (await envOf(origin)).APP_VERSION === 'v2'
            ? ((await (await request(`${origin}/echo/pid`)).body.json()) as { pid: number }).pid
            : 0,
        ),
      ),
    );

    const down = await mesh(dataDir, ['apply', '-f', '-'], await withReplicas(1));
    expect(down.code).toBe(0);
    await until(
      '3 echo endpoints',
      () => runtime.endpoints('echo'),
      (list) => list.length === 3,
    );
    const stopped = pids.filter((pid) => pid > 0);
    await until(
      '2 v2 replicas gone',
      () => stopped.filter(alive).length,
      (count) => count === 1,
    );
    const deploy = await mesh(dataDir, ['get', 'deploy', 'echo-v2']);
    expect(deploy.stdout).toMatch(/echo-v2\s+1\/1\s+1\s+1\s+\d+s/);
  });

  it('a changed pod template rolls: a new replica gets ready before the old one stops', async () => {
    const before = await until(
      'one v2 endpoint',
      () => runtime.endpoints('echo'),
      (list) => list.length === 3,
    );
    const rolled = await mesh(dataDir, ['apply', '-f', '-'], await withReplicas(1, 'v2b'));
    expect(rolled.stdout).toBe('deployment.apps/echo-v2 configured\n');
    const after = await until(
      'the v2b replica to replace the v2 one',
      async () =>
        Promise.all(runtime.endpoints('echo').map(async (origin) => (await envOf(origin)).APP_VERSION)),
      (versions) => versions.includes('v2b') && !versions.includes('v2'),
    );
    expect(after.sort()).toEqual(['v1', 'v1', 'v2b']);
    expect(before.length).toBe(3);
    const pods = await mesh(dataDir, ['get', 'pods']);
    expect(pods.stdout).toMatch(/echo-v2-\d+\s+1\/1\s+Running/);
    expect(pods.stdout).not.toMatch(/echo-v2-0\s/);
  });

  it('rolls on `kubectl rollout restart`: a changed pod template annotation replaces the replica', async () => {
    const [before] = runtime.pods().filter((pod) => pod.deployment === 'echo-v2');
    const restarted = (await withReplicas(1, 'v2b')).replace(
      'labels: { app: echo, version: v2 }\n    spec:',
      'labels: { app: echo, version: v2 }\n      annotations: { kubectl.kubernetes.io/restartedAt: "2026-12-02T20:00:00Z" }\n    spec:',
    );
    expect(restarted).toContain('restartedAt');
    const rolled = await mesh(dataDir, ['apply', '-f', '-'], restarted);
    expect(rolled.stdout).toBe('deployment.apps/echo-v2 configured\n');
    const after = await until(
      'a new echo-v2 replica, ready, and the old one gone',
      () => runtime.pods().filter((pod) => pod.deployment === 'echo-v2'),
      (pods) => pods.length === 1 && pods[0]?.ready === true && pods[0]?.name !== before?.name,
    );
    expect(after[0]?.name).not.toBe(before?.name);
  });

  it('refuses an invalid resource with its file, document and field, and applies nothing of it', async () => {
    const file = join(fixtures, 'control/invalid-deployment.yaml');
    const run = await mesh(dataDir, ['apply', '-f', file]);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(
      'invalid-deployment.yaml (document 2): spec.replicas: must be an integer >= 0',
    );
    // The valid VirtualService in document 1 was not applied either, and the Deployment kept its spec.
    const vs = await mesh(dataDir, ['get', 'vs', 'echo-mesh']);
    expect(vs.code).not.toBe(0);
    expect(vs.stderr).toContain('"echo-mesh" not found');
    const deploy = await mesh(dataDir, ['get', 'deploy', 'echo-v2', '-o', 'json']);
    expect(JSON.parse(deploy.stdout).spec.replicas).toBe(1);
  });

  it('changes routing live from stdin: a route edit answers at once, unchanged the second time', async () => {
    const yaml = (await readFile(join(fixtures, 'deploy/istio/gateway.yaml'), 'utf8'))
      .split('---')[1]
      ?.replace('prefix: /echo', 'prefix: /echo2') as string;
    const run = await mesh(dataDir, ['apply', '-f', '-'], yaml);
    expect(run).toMatchObject({ code: 0, stdout: 'virtualservice.networking.istio.io/echo-gw configured\n' });
    expect((await request(`${runtime.url}/echo/pid`)).statusCode).toBe(404);
    expect((await request(`${runtime.url}/echo2/x`)).statusCode).toBe(200);
    expect((await mesh(dataDir, ['apply', '-f', '-'], yaml)).stdout).toBe(
      'virtualservice.networking.istio.io/echo-gw unchanged\n',
    );
    const vs = await mesh(dataDir, ['get', 'virtualservices']);
    expect(vs.stdout).toMatch(
      /^NAME\s+GATEWAYS\s+HOSTS\s+AGE\necho-gw\s+\["music-gateway"\]\s+\["\*"\]\s+\d+s\n$/,
    );
    const restored = await runtime.apply('gateway.yaml', yaml.replace('prefix: /echo2', 'prefix: /echo'));
    expect(restored[0]?.action).toBe('configured');
  });

  it("applies the tutorial's YAML unchanged, and analyze explains its trap", async () => {
    const tutorial = (name: string) => join(fixtures, 'tutorial', name);
    const first = await mesh(dataDir, [
      'apply',
      '-f',
      tutorial('namespace.yaml'),
      '-f',
      tutorial('gateway.yaml'),
      '-f',
      tutorial('back-virtualservice-canary.yaml'),
    ]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(
      [
        'namespace/music created',
        'gateway.networking.istio.io/music-gateway configured',
        'virtualservice.networking.istio.io/back-gw-virtualservice created',
        'virtualservice.networking.istio.io/back-virtualservice created',
        '',
      ].join('\n'),
    );
    for (const name of ['back-virtualservice-mirror.yaml', 'back-virtualservice-30-70.yaml']) {
      const run = await mesh(dataDir, ['apply', '-f', tutorial(name)]);
      expect(run).toMatchObject({
        code: 0,
        stdout: 'virtualservice.networking.istio.io/back-virtualservice configured\n',
      });
    }
    const analysis = await mesh(dataDir, ['analyze']);
    expect(analysis.code).toBe(79);
    expect(analysis.stdout).toContain(
      'Error [IST0101] (VirtualService music/back-virtualservice mesh/test/fixtures/tutorial/back-virtualservice-30-70.yaml:12) Referenced host+subset in destinationrule not found: "back+v2"',
    );
    expect(analysis.stdout).toContain('Referenced host not found: "back"');
    expect(analysis.stdout).toContain("put the weights on back-gw-virtualservice's /back route");
  });

  it('deletes what a file names, and says what it did not find', async () => {
    const file = join(fixtures, 'tutorial/back-virtualservice-30-70.yaml');
    const run = await mesh(dataDir, ['delete', '-f', file]);
    expect(run).toMatchObject({
      code: 0,
      stdout: 'virtualservice.networking.istio.io/back-virtualservice deleted\n',
    });
    const again = await mesh(dataDir, ['delete', '-f', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'Error from server (NotFound): virtualservices.networking.istio.io "back-virtualservice" not found\n',
    );
  });

  it('delete of a Deployment stops its replicas', async () => {
    const pids = await Promise.all(
      runtime.endpoints('echo').map(async (origin) => {
        const env = await envOf(origin);
        return env.APP_VERSION === 'v1'
          ? 0
          : ((await (await request(`${origin}/echo/pid`)).body.json()) as { pid: number }).pid;
      }),
    );
    const run = await mesh(dataDir, ['delete', 'deployment', 'echo-v2']);
    expect(run).toMatchObject({ code: 0, stdout: 'deployment.apps/echo-v2 deleted\n' });
    expect(runtime.endpoints('echo')).toHaveLength(2);
    await until(
      'the v2 replica to exit',
      () => pids.filter((pid) => pid > 0 && alive(pid)).length,
      (n) => n === 0,
    );
  });

  it('explain shows the route a request takes and why', async () => {
    const run = await mesh(dataDir, ['explain', 'http://localhost/echo/pid', '-H', 'x-test: 1']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('GET localhost/echo/pid  through the ingress gateway port 80');
    expect(run.stdout).toMatch(
      /→ echo\.music\.svc\.cluster\.local\S* 100% endpoints: echo-v1-\d, echo-v1-\d/,
    );
    const missing = await mesh(dataDir, ['explain', 'http://localhost/nowhere']);
    // The tutorial's back-gw-virtualservice (applied above) sends everything else to front, which has no Service here.
    expect(missing.stdout).toContain('✘ echo-gw.music/echo: uri prefix /echo');
    expect(missing.stdout).toContain('host front matches no Service');
  });

  it('explains commands with --help and fails in one line without a runtime', async () => {
    for (const command of ['apply', 'get', 'delete', 'analyze', 'explain']) {
      const help = await mesh(dataDir, [command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: mesh ${command}`);
    }
    const empty = await mkdtemp(join(tmpdir(), 'music-mesh-none-'));
    const run = await mesh(empty, ['get', 'pods']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: no mesh runtime found: ${join(empty, 'admin.json')} does not exist (npm start writes it in its data directory). If the runtime runs with --data-dir <dir>, pass the same --data-dir <dir> or set MUSIC_DATA_DIR=<dir>; its port alone (--admin, MUSIC_ADMIN_PORT) is not enough, the token is in that file\n`,
    );
    // A runtime killed with SIGKILL leaves its admin.json behind.
    const stale = new URL(runtime.adminUrl);
    stale.port = '9';
    await writeFile(join(empty, 'admin.json'), JSON.stringify({ url: stale.origin, token: 'x' }));
    const gone = await mesh(empty, ['get', 'pods']);
    await rm(empty, { recursive: true, force: true });
    expect(gone).toMatchObject({
      code: 1,
      stderr: `error: no mesh runtime answers at ${stale.origin} (named by ${join(empty, 'admin.json')}; the runtime that wrote it has stopped): start it with npm start, or pass the --data-dir of the one running\n`,
    });
  });
});
