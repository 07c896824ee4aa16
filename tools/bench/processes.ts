// The benchmarks' processes: the mesh ingress in a child of its own, stopping children, and what a
// process costs, read from Linux's /proc (CPU seconds of a process tree, resident memory).
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system, and system alone) of the processes and all their descendants. */
export async function cpuSeconds(pids: readonly number[]): Promise<{ total: number; system: number }> {
  let ticks = 0;
  let systemTicks = 0;
  const seen = new Set<number>();
  const visit = async (pid: number): Promise<void> => {
    if (seen.has(pid)) return;
    seen.add(pid);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime); the slice starts at field 3.
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    systemTicks += Number(fields[12] ?? 0);
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    for (const task of tasks) {
      const children = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
      for (const child of children.split(' ').filter(Boolean)) await visit(Number(child));
    }
  };
  for (const pid of pids) await visit(pid);
  return { total: ticks / clockTicks, system: systemTicks / clockTicks };
}

/** VmRSS of a process, MiB. */
export async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kib / 1024;
}

export interface IngressChild {
  readonly url: string;
  /** Undefined when it runs without telemetry. */
  readonly statsUrl: string | undefined;
  readonly pid: number;
  /** Sends a command over IPC and resolves with the next message it sends back. */
  ask(command: string): Promise<unknown>;
  /** Asks it to stop (so that --cpu-prof writes its profile), killing it after 5 s. Idempotent. */
  stop(): Promise<void>;
}

/**
 * tools/bench/mesh-proxy.ts in a process of its own, once it says where it listens; `script` is
 * another tree's copy of it (bench:mesh --against).
 */
export async function forkIngress(
  args: readonly string[],
  execArgv: readonly string[] = [],
  script = new URL('./mesh-proxy.ts', import.meta.url).pathname,
): Promise<IngressChild> {
  const child = fork(script, args, {
    execArgv: [...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const reply = async (waitingFor: string): Promise<unknown> => {
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`the mesh ingress (${args[0]}) exited with ${code} before ${waitingFor}`);
      }),
    ])) as [unknown];
    return message;
  };
  const message = (await reply('it was ready')) as { url: string; statsUrl?: string };
  let stopped: Promise<void> | undefined;
  return {
    url: message.url,
    statsUrl: message.statsUrl,
    pid: child.pid as number,
    ask: (command) => {
      const answer = reply(`it answered ${command}`);
      child.send(command);
      return answer;
    },
    stop: () => {
      stopped ??= stopChild(child, () => child.send('stop'));
      return stopped;
    },
  };
}

/** Stops a child (SIGTERM unless `ask` is given), and kills it when it has not exited in 5 s. */
export async function stopChild(
  child: ChildProcess,
  ask: () => unknown = () => child.kill('SIGTERM'),
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  ask();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
