import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChaosError } from '../errors.ts';
import type { Probe } from '../probe.ts';

/** kill -9 of the embedded PostgreSQL's postmaster: the first line of its postmaster.pid. */
export const databaseKill: Probe = {
  name: 'database-kill',
  title: 'kill -9 of the PostgreSQL postmaster',
  async run({ stack }) {
    const directory = stack.databaseDirectory ?? join(stack.dataDir, 'postgres');
    const lock = await readFile(join(directory, 'postmaster.pid'), 'utf8').catch(() => '');
    const pid = Number(lock.split('\n', 1)[0]);
    if (!Number.isInteger(pid) || pid <= 0) throw new ChaosError(`no postmaster.pid in ${directory}`);
    process.kill(pid, 'SIGKILL');
    return { detail: `killed the postmaster (pid ${pid})` };
  },
  async after({ stack }) {
    const database = (await stack.pods()).find((p) => p.name.startsWith('postgres'));
    return database
      ? `mesh get pods: ${database.name} ${database.ready ? 'ready' : 'not ready'}, ${database.restarts} restarts`
      : 'mesh get pods shows no database';
  },
};
