import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, processesIn } from '../src/database/processes.ts';
import { descendants, poll, startFixture, temporaryDataDir } from './support/processes.ts';

const runtimeProcess = fileURLToPath(new URL('./fixtures/runtime-process.ts', import.meta.url));

interface Up {
  url: string;
  directory: string;
  pods: { name: string; pid: number | undefined; ready: boolean }[];
}

describe('a runtime that dies', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dataDir = await temporaryDataDir('music-mesh-death-');
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    const directory = join(dataDir, 'postgres');
    // The reapers end the servers; whatever a failed test left is killed.
    await poll(
      'PostgreSQL',
      () => processesIn(directory),
      (left) => left.length === 0,
    ).catch(() => {});
    for (const pid of await processesIn(directory)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startRuntimeProcess(): Promise<{ child: ChildProcess; up: Up }> {
    const { child, line } = await startFixture(runtimeProcess, [dataDir], /^up (.+)$/m);
    children.push(child);
    return { child, up: JSON.parse(line) as Up };
  }

  it('takes every replica and PostgreSQL with it when killed with SIGKILL, and a new start recovers', {
    timeout: 180_000,
  }, async () => {
    const { child, up } = await startRuntimeProcess();
    const replicas = up.pods.flatMap((pod) => (pod.name.startsWith('echo') && pod.pid ? [pod.pid] : []));
    expect(replicas).toHaveLength(2);
    const postgres = await processesIn(up.directory);
    expect(postgres.length).toBeGreaterThan(0);
    const started = [...descendants(child.pid as number), ...postgres];

    child.kill('SIGKILL');
    await once(child, 'exit');
    const survivors = await poll(
      'processes the runtime started',
      () => started.filter(isAlive),
      (alive) => alive.length === 0,
    );
    expect(survivors).toEqual([]);
    expect(await processesIn(up.directory)).toEqual([]);

    const again = await startRuntimeProcess();
    // The runtime is up once a replica of each Deployment is; the others may still be starting.
    expect(again.up.pods.map((pod) => pod.name).sort()).toEqual(['echo-v1-0', 'echo-v1-1', 'postgres-0']);
    expect(again.up.pods.find((pod) => pod.name === 'postgres-0')?.ready).toBe(true);
    const status = await poll(
      'an answer through the new ingress',
      () =>
        fetch(`${again.up.url}/echo/pid`).then(
          (res) => res.status,
          () => 0,
        ),
      (code) => code === 200,
    );
    expect(status).toBe(200);
    again.child.kill('SIGKILL');
    await once(again.child, 'exit');
    await poll(
      'PostgreSQL of the second runtime',
      () => processesIn(up.directory),
      (left) => left.length === 0,
    );
  });
});
