// Applied Secrets feed replicas' environment as on a cluster: the kubelet reads the Secret of the
// pod's namespace when it creates the container; the profile's local value stands in for a Secret
// that is not applied.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, startRuntime } from '../src/index.ts';
import { createLogger } from '../src/log.ts';
import { defaultTiming } from '../src/workloads/replica.ts';
import type { PodStatus } from '../src/workloads/supervisor.ts';
import { meshCli } from './support/mesh-cli.ts';
import { poll, temporaryDataDir } from './support/processes.ts';

const fixtures = fileURLToPath(new URL('fixtures/', import.meta.url));

const base64 = (text: string) => Buffer.from(text).toString('base64');

const profile = `
kind: LocalProfile
name: Secrets
manifests: [../deploy]
namespace: vault
workingDir: ${fixtures}
programs:
  test/echo: { command: [node, echo-server.ts] }
secrets:
  app-secrets: { greeting: profile-greeting-unused, pin: profile-pin-unused }
  local-only: { token: local-token-3b9e }
`;

const echo = (env: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: echo-v1, namespace: vault }
spec:
  replicas: 2
  selector: { matchLabels: { app: echo } }
  template:
    metadata: { labels: { app: echo, version: v1 } }
    spec:
      containers:
        - name: echo
          image: test/echo:0.1.0
          env:
            - { name: APP_NAME, value: echo }
            - { name: APP_VERSION, value: v1 }
${env.replace(/^/gm, '            ')}
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: vault }
spec:
  selector: { app: echo }
  ports: [{ name: http, port: 8080 }]
`;

const secretEnv = `- name: GREETING
  valueFrom: { secretKeyRef: { name: app-secrets, key: greeting } }
- name: TOKEN
  valueFrom: { secretKeyRef: { name: local-only, key: token } }`;

const appSecrets = (greeting: string) => `
apiVersion: v1
kind: Secret
metadata: { name: app-secrets, namespace: vault }
data: { greeting: ${base64(greeting)} }
stringData: { mood: sunny-5c1d }
`;

const bulkToken = (token: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata: { name: bulk-token, namespace: vault }\nstringData: { token: ${token} }\n`;

const values = [
  'applied-greeting-7f3a',
  'changed-greeting-91c2',
  'sunny-5c1d',
  'local-token-3b9e',
  'bulk-token-d4e8',
  'bulk-token-renewed-0a17',
];

/** A profile folder with its manifests, as a user's app would have it. */
async function writeApp(root: string, manifests: string): Promise<string> {
  await mkdir(join(root, 'local'), { recursive: true });
  await mkdir(join(root, 'deploy'), { recursive: true });
  await writeFile(join(root, 'local', 'profile.yaml'), profile);
  await writeFile(join(root, 'deploy', 'app.yaml'), manifests);
  return join(root, 'local', 'profile.yaml');
}

async function envOf(pod: PodStatus): Promise<Record<string, string>> {
  const res = await request(`${pod.address}/echo/env`);
  return (await res.body.json()) as Record<string, string>;
}

const timing = { ...defaultTiming, backoffMs: { initial: 100, max: 1_000 }, stopGraceMs: 3_000 };

describe('Secrets applied to the runtime, as replicas read them', () => {
  let dataDir: string;
  let runtime: Runtime;
  const lines: string[] = [];

  beforeAll(async () => {
    dataDir = await temporaryDataDir('music-mesh-secrets-');
    const manifests = `${echo(`${secretEnv}
- name: GREETING_TWICE
  value: "$(GREETING) $(GREETING)"`)}
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: bulk-v1, namespace: vault }
spec:
  selector: { matchLabels: { app: bulk } }
  template:
    metadata: { labels: { app: bulk } }
    spec:
      containers:
        - name: bulk
          image: test/echo:0.1.0
          envFrom: [{ secretRef: { name: app-secrets }, prefix: S_ }]
          env:
            - { name: APP_NAME, value: bulk }
            - { name: APP_VERSION, value: v1 }
            - { name: BULK_TOKEN, valueFrom: { secretKeyRef: { name: bulk-token, key: token } } }
---
${appSecrets('applied-greeting-7f3a')}
---
${bulkToken('bulk-token-d4e8')}`;
    runtime = await startRuntime({
      profile: await writeApp(join(dataDir, 'app'), manifests),
      port: 0,
      adminPort: 0,
      statsPort: 0,
      dataDir,
      log: createLogger((line) => lines.push(line), 'debug'),
      timing,
      readyTimeoutMs: 30_000,
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const pods = (deployment: string) => runtime.pods().filter((pod) => pod.deployment === deployment);
  const ready = (deployment: string, count: number) =>
    poll(
      `${count} ready replicas of ${deployment}`,
      () => pods(deployment).filter((pod) => pod.ready),
      (found) => found.length === count,
    );

  it("gives a replica the applied Secret's decoded value, and the profile's for a Secret not applied", async () => {
    const [pod] = await ready('echo-v1', 2);
    const env = await envOf(pod as PodStatus);
    expect(env.GREETING).toBe('applied-greeting-7f3a');
    expect(env.GREETING_TWICE).toBe('applied-greeting-7f3a applied-greeting-7f3a');
    expect(env.TOKEN).toBe('local-token-3b9e');
  });

  it("gives envFrom every key of the applied Secret, data and stringData, and none of the profile's", async () => {
    const [bulk] = await ready('bulk-v1', 1);
    const env = await envOf(bulk as PodStatus);
    expect(env.S_greeting).toBe('applied-greeting-7f3a');
    expect(env.S_mood).toBe('sunny-5c1d');
    expect(env).not.toHaveProperty('S_pin');
  });

  it('refuses to apply a Deployment whose Secret key is neither applied nor local, naming it', async () => {
    // The profile has app-secrets.pin, but the applied Secret is read whole, as on a cluster.
    const refused = runtime.apply(
      'echo.yaml',
      echo('- { name: PIN, valueFrom: { secretKeyRef: { name: app-secrets, key: pin } } }'),
    );
    await expect(refused).rejects.toThrow(
      /env PIN comes from Secret app-secrets \(key pin\): the Secret applied in namespace vault has no key pin/,
    );
    const missing = runtime.apply(
      'echo.yaml',
      echo('- { name: PIN, valueFrom: { secretKeyRef: { name: pins, key: pin } } }'),
    );
    await expect(missing).rejects.toThrow(
      /env PIN comes from Secret pins \(key pin\), which is not applied in namespace vault and has no local value \(apply it, or add it to secrets in .*profile\.yaml\)/,
    );
  });

  it('gives a changed Secret to replicas started after the change, not to the running ones', async () => {
    const [first, second] = (await ready('echo-v1', 2)) as [PodStatus, PodStatus];
    await runtime.apply('app-secrets.yaml', appSecrets('changed-greeting-91c2'));
    expect((await envOf(first)).GREETING).toBe('applied-greeting-7f3a');
    process.kill(first.pid as number, 'SIGKILL');
    const restarted = await poll(
      `${first.name} after its restart`,
      () => pods('echo-v1').find((pod) => pod.name === first.name),
      (pod) => pod?.ready === true && pod.pid !== first.pid,
    );
    expect((await envOf(restarted as PodStatus)).GREETING).toBe('changed-greeting-91c2');
    expect((await envOf(second)).GREETING).toBe('applied-greeting-7f3a');
  });

  it('keeps replicas running when a Secret they read is deleted; one that restarts waits for it', async () => {
    const [bulk] = (await ready('bulk-v1', 1)) as [PodStatus];
    const deleted = await meshCli(dataDir, ['delete', 'secret', 'bulk-token', '-n', 'vault']);
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect((await envOf(bulk)).BULK_TOKEN).toBe('bulk-token-d4e8');
    process.kill(bulk.pid as number, 'SIGKILL');
    // The kubelet's CreateContainerConfigError: no process until the Secret is back.
    await poll(
      `${bulk.name} waiting for its Secret`,
      () => pods('bulk-v1')[0]?.phase,
      (phase) => phase === 'CreateContainerConfigError',
    );
    expect(lines.join('\n')).toMatch(
      /bulk-v1-0 cannot start: Deployment bulk-v1: env BULK_TOKEN comes from Secret bulk-token \(key token\), which is not applied/,
    );
    await runtime.apply('bulk-token.yaml', bulkToken('bulk-token-renewed-0a17'));
    const [started] = (await ready('bulk-v1', 1)) as [PodStatus];
    expect((await envOf(started)).BULK_TOKEN).toBe('bulk-token-renewed-0a17');
  });

  it('writes no Secret value to its log', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const value of values) expect(lines.filter((line) => line.includes(value))).toEqual([]);
  });
});

describe('a start whose Secret key is missing from both places', () => {
  it('is refused before anything starts, naming the Secret and the key', async () => {
    const dataDir = await temporaryDataDir('music-mesh-secrets-refused-');
    try {
      const started = startRuntime({
        profile: await writeApp(
          join(dataDir, 'app'),
          echo('- { name: PIN, valueFrom: { secretKeyRef: { name: local-only, key: pin } } }'),
        ),
        port: 0,
        adminPort: 0,
        statsPort: 0,
        dataDir,
        timing,
      });
      await expect(started).rejects.toThrow(
        /Deployment echo-v1: env PIN comes from Secret local-only \(key pin\), which is not applied in namespace vault, and secrets\.local-only in .*profile\.yaml has no key pin/,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a start whose Secret was applied in an earlier run', () => {
  it('restores it before checking the workloads, so a Deployment of deploy/ that reads it starts', async () => {
    const dataDir = await temporaryDataDir('music-mesh-secrets-restored-');
    try {
      const pin = echo('- { name: PIN, valueFrom: { secretKeyRef: { name: pins, key: pin } } }');
      const secret =
        'apiVersion: v1\nkind: Secret\nmetadata: { name: pins, namespace: vault }\nstringData: { pin: "4711" }\n';
      const profile = await writeApp(join(dataDir, 'app'), `${pin}\n---\n${secret}`);
      const options = {
        profile,
        port: 0,
        adminPort: 0,
        statsPort: 0,
        dataDir,
        timing,
        readyTimeoutMs: 30_000,
      };
      await (await startRuntime(options)).stop();
      // The Secret leaves the manifests (kept out of git, say); the runtime still holds it, as a cluster would.
      await writeFile(join(dataDir, 'app', 'deploy', 'app.yaml'), pin);
      const restarted = await startRuntime(options);
      try {
        // The runtime answers once each Service has a ready endpoint: the second replica may still
        // be starting on a loaded machine, so both are awaited, and both must have the PIN.
        const pods = await poll(
          'both echo-v1 replicas ready',
          () => restarted.pods().filter((p) => p.deployment === 'echo-v1' && p.ready),
          (ready) => ready.length === 2,
        );
        for (const pod of pods) expect((await envOf(pod)).PIN).toBe('4711');
      } finally {
        await restarted.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
