import { type ChildProcess, fork } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChaosError } from './errors.ts';

/** A pod as the runtime reports it (`mesh get pods`). */
export interface Pod {
  readonly name: string;
  readonly deployment: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly pid: number | undefined;
}

export type ChildRequest =
  | { readonly id: number; readonly op: 'pods' }
  | { readonly id: number; readonly op: 'apply'; readonly file: string; readonly yaml: string }
  | { readonly op: 'stop' };

export type ChildReply =
  | {
      readonly op: 'up';
      readonly url: string;
      readonly adminUrl: string;
      readonly databaseDirectory: string | undefined;
    }
  | { readonly id: number; readonly op: 'pods'; readonly pods: Pod[] }
  | { readonly id: number; readonly op: 'applied' }
  | { readonly id: number; readonly op: 'failed'; readonly message: string };

/** Music on the local runtime, in a child process, with its own data directory and free ports. */
export interface Stack {
  readonly url: string;
  readonly adminUrl: string;
  readonly dataDir: string;
  readonly databaseDirectory: string | undefined;
  /** False once the runtime's process has ended. */
  alive(): boolean;
  /** How the runtime's process ended, once it has. */
  exitReason(): string | undefined;
  pods(): Promise<Pod[]>;
  apply(file: string, yaml: string): Promise<void>;
  /** Stops the runtime (SIGKILL after the grace) and removes the data directory. */
  stop(): Promise<void>;
}

const callTimeoutMs = 30_000;

export async function startStack(startTimeoutMs: number): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'music-chaos-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to enter the directory.
  await chmod(dataDir, 0o755);
  const child = fork(new URL('./stack-process.ts', import.meta.url), [dataDir], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitReason = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    }),
  );
  const pending = new Map<number, (reply: ChildReply) => void>();
  child.on('message', (reply: ChildReply) => {
    if ('id' in reply) pending.get(reply.id)?.(reply);
  });
  let nextId = 0;
  const call = (request: ChildRequest & { id: number }): Promise<ChildReply> =>
    new Promise((resolve, reject) => {
      if (exitReason !== undefined) return reject(new ChaosError(`the runtime ${exitReason}`));
      const timer = setTimeout(() => {
        pending.delete(request.id);
        reject(new ChaosError(`the runtime did not answer "${request.op}" within ${callTimeoutMs / 1000} s`));
      }, callTimeoutMs);
      pending.set(request.id, (reply) => {
        clearTimeout(timer);
        pending.delete(request.id);
        resolve(reply);
      });
      child.send(request);
    });

  const up = await waitForUp(child, exited, startTimeoutMs).catch(async (error: unknown) => {
    await kill(child, exited);
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: up.url,
    adminUrl: up.adminUrl,
    dataDir,
    databaseDirectory: up.databaseDirectory,
    alive: () => exitReason === undefined,
    exitReason: () => exitReason,
    pods: async () => {
      const reply = await call({ id: nextId++, op: 'pods' });
      return reply.op === 'pods' ? reply.pods : [];
    },
    apply: async (file, yaml) => {
      const reply = await call({ id: nextId++, op: 'apply', file, yaml });
      if (reply.op === 'failed') throw new ChaosError(`apply ${file}: ${reply.message}`);
    },
    stop: async () => {
      await kill(child, exited);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function waitForUp(
  child: ChildProcess,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<Extract<ChildReply, { op: 'up' }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ChaosError(`the runtime was not up within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    child.on('message', (reply: ChildReply) => {
      if (reply.op !== 'up') return;
      clearTimeout(timer);
      resolve(reply);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new ChaosError('the runtime ended while starting'));
    });
  });
}

/** Asks the runtime to stop (it stops its replicas and database), then SIGKILLs it after 60 s. */
async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send({ op: 'stop' } satisfies ChildRequest);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(timer);
}
