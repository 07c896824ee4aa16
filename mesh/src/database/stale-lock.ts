import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { adminFile } from '../data-dir.ts';
import { DatabaseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isAlive, killServerIn, lockPid, processesIn, signal, waitUntil } from './processes.ts';

/**
 * Before PostgreSQL starts in `<dataDir>/postgres`: a `postmaster.pid` naming a process that is
 * gone (or no PostgreSQL of this directory) is removed; a server of this directory still running
 * is stopped when the runtime that started it is gone (no live pid in `<dataDir>/admin.json`),
 * and refused when that runtime is alive, since two runtimes must not share one database.
 */
export async function recoverStaleLock(dataDir: string, directory: string, log: Logger): Promise<void> {
  const pid = await lockPid(directory);
  const leftovers = await processesIn(directory);
  if (pid === undefined && leftovers.length === 0) return;
  if (pid === undefined || !leftovers.includes(pid)) {
    if (leftovers.length > 0) {
      // Backends of a killed postmaster hold its shared memory; a new one refuses to start.
      log.warn(`database: ending ${leftovers.length} process(es) left by a PostgreSQL that is gone`);
      await killServerIn(directory, 3_000);
    }
    if (pid !== undefined) {
      log.info(`database: removing a stale postmaster.pid (pid ${pid} is not PostgreSQL in ${directory})`);
      await rm(join(directory, 'postmaster.pid'), { force: true });
    }
    return;
  }
  const owner = await runtimePid(dataDir);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new DatabaseError(
      `PostgreSQL in ${directory} (pid ${pid}) belongs to the runtime with pid ${owner}, still running; stop it or use another --data-dir`,
    );
  }
  log.warn(`database: stopping PostgreSQL (pid ${pid}) left running by a runtime that is gone`);
  signal(pid, 'SIGINT');
  if (!(await waitUntil(async () => (await processesIn(directory)).length === 0, 15_000))) {
    await killServerIn(directory, 3_000);
  }
}

async function runtimePid(dataDir: string): Promise<number | undefined> {
  try {
    const { pid } = JSON.parse(await readFile(join(dataDir, adminFile), 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}
