import { readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** The PID PostgreSQL wrote on the first line of `<directory>/postmaster.pid`, if the file is there. */
export async function lockPid(directory: string): Promise<number | undefined> {
  const text = await readFile(join(directory, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.split('\n', 1)[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by its new parent) does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, owned by someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * PostgreSQL processes working in `directory`: the postmaster changes into its data directory and
 * every backend and auxiliary process inherits it, even after the postmaster is gone. That is how
 * leftovers of a killed server are found (they run in their own sessions, not our process group).
 * Empty where /proc does not exist.
 */
export async function processesIn(directory: string): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found: number[] = [];
  await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry)) return;
      const cwd = await readlink(join('/proc', entry, 'cwd')).catch(() => '');
      // A directory removed under a running server reads as `<path> (deleted)`.
      if (cwd !== directory && cwd !== `${directory} (deleted)`) return;
      const exe = await readlink(join('/proc', entry, 'exe')).catch(() => '');
      if (basename(exe) === 'postgres') found.push(Number(entry));
    }),
  );
  return found.sort((a, b) => a - b);
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Polls until `done()` holds or `timeoutMs` passes; whether it held. */
export async function waitUntil(done: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Ends every process of a PostgreSQL data directory: SIGQUIT to the postmaster (immediate
 * shutdown: it quits its children), then SIGKILL to whatever still works there.
 */
export async function killServerIn(directory: string, graceMs: number): Promise<void> {
  const pid = await lockPid(directory);
  if (pid !== undefined && (await processesIn(directory)).includes(pid)) signal(pid, 'SIGQUIT');
  if (await waitUntil(async () => (await processesIn(directory)).length === 0, graceMs)) return;
  for (const leftover of await processesIn(directory)) signal(leftover, 'SIGKILL');
  await waitUntil(async () => (await processesIn(directory)).length === 0, graceMs);
}
