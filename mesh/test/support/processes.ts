import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every process started, directly or not, by `pid`: replicas, PostgreSQL and its workers. */
export function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, ppid] of rows) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Reads until `until` holds, for up to 60 s: processes start and stop slowly on a loaded machine. */
export async function poll<T>(
  what: string,
  read: () => Promise<T> | T,
  until: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A temporary data directory PostgreSQL can reach: it runs as another user when we are root. */
export async function temporaryDataDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

/**
 * Runs a fixture script and waits for its first output line, which must match `pattern` (its
 * first group is returned); the fixture says what it started that way.
 */
export async function startFixture(
  script: string,
  args: readonly string[],
  pattern: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  await poll(
    `the fixture ${script}`,
    () => output,
    (text) => text.includes('\n') || child.exitCode !== null,
  );
  const match = pattern.exec(output);
  if (!match?.[1]) {
    child.kill('SIGKILL');
    throw new Error(`the fixture ${script} did not start: ${output}`);
  }
  return { child, line: match[1] };
}
