import { createInterface } from 'node:readline';
import { killServerIn } from '../database/processes.ts';

/**
 * The reaper: a small process that outlives the runtime by a moment. The runtime tells it on
 * stdin which process groups (replicas) and PostgreSQL data directories it runs; when that pipe
 * closes (the runtime exited, SIGKILL included), whatever is still listed is killed. Nothing the
 * runtime started survives it, without native code (PR_SET_PDEATHSIG is out of Node's reach).
 */
const groups = new Set<number>();
const databases = new Set<string>();

// Its own session already keeps a terminal's signals away; a stray one must not end it early.
for (const name of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(name, () => {});

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const space = line.indexOf(' ');
  const verb = line.slice(0, space);
  const value = line.slice(space + 1);
  if (verb === 'group') groups.add(Number(value));
  else if (verb === 'ungroup') groups.delete(Number(value));
  else if (verb === 'database') databases.add(value);
  else if (verb === 'undatabase') databases.delete(value);
});
input.on('close', () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  void Promise.all([...databases].map((directory) => killServerIn(directory, 2_000))).finally(() =>
    process.exit(0),
  );
});
