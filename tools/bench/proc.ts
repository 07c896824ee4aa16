// What a process costs, read from Linux's /proc: CPU seconds of a process tree and resident memory.
import { execFileSync } from 'node:child_process';
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
