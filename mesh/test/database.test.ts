import { type ChildProcess, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDatabase, startEmbeddedDatabase } from '../src/database/embedded.ts';
import { isAlive, lockPid, processesIn } from '../src/database/processes.ts';
import { silentLogger } from '../src/log.ts';
import { poll, startFixture, temporaryDataDir } from './support/processes.ts';

const owner = fileURLToPath(new URL('./fixtures/database-owner.ts', import.meta.url));

/** PIDs of postgres server processes whose command line names this data directory. */
function postgresProcessesFor(directory: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${directory}`], { encoding: 'utf8' })
      .trim()
      .split('\n');
  } catch {
    return [];
  }
}

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('embedded database', () => {
  let dataDir: string;
  let database: RunningDatabase | undefined;
  const start = () => startEmbeddedDatabase({ dataDir, port: 0, database: 'music', log: silentLogger });

  beforeAll(async () => {
    dataDir = await temporaryDataDir('music-mesh-db-');
  });

  afterAll(async () => {
    await database?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts in an empty data directory and accepts a pg connection to database music', async () => {
    database = await start();
    expect(database.directory).toBe(join(dataDir, 'postgres'));
    const rows = await query<{ db: string }>(database.url, 'SELECT current_database() AS db');
    expect(rows).toEqual([{ db: 'music' }]);
    expect(postgresProcessesFor(database.directory)).toHaveLength(1);
    expect((await stat(join(dataDir, 'postgres-password'))).mode & 0o777).toBe(0o600);
    expect(database.status()).toMatchObject({ ready: true, phase: 'Running', restarts: 0 });
  });

  it('restarts a postmaster killed with SIGKILL on the same port, with its data, and counts it', async () => {
    if (!database) throw new Error('the first test did not start the database');
    const running = database;
    await query(running.url, 'CREATE TABLE crashed (value text)');
    await query(running.url, 'INSERT INTO crashed VALUES ($1)', ['committed before the kill']);
    const readiness: boolean[] = [];
    const unsubscribe = running.onChange(() => readiness.push(running.status().ready));
    const pid = (await lockPid(running.directory)) as number;
    expect(pid).toBe(running.status().pid);

    process.kill(pid, 'SIGKILL');
    const status = await poll(
      'database status',
      () => running.status(),
      (now) => now.ready && now.restarts === 1,
    );
    unsubscribe();
    expect(status.pid).not.toBe(pid);
    // Unready while it was away, ready again once back.
    expect(readiness).toEqual([false, true]);
    expect(await query(running.url, 'SELECT value FROM crashed')).toEqual([
      { value: 'committed before the kill' },
    ]);
  });

  it('keeps its data across a stop and a start, and stop leaves no postgres process', async () => {
    if (!database) throw new Error('the first test did not start the database');
    await query(database.url, 'CREATE TABLE kept (value text)');
    await query(database.url, 'INSERT INTO kept VALUES ($1)', ['survives']);
    await database.stop();
    expect(postgresProcessesFor(database.directory)).toEqual([]);

    database = await start();
    expect(await query(database.url, 'SELECT value FROM kept')).toEqual([{ value: 'survives' }]);
    await database.stop();
    expect(postgresProcessesFor(database.directory)).toEqual([]);
    database = undefined;
  });
});

describe('a PostgreSQL left behind by a runtime that died', () => {
  let dataDir: string;
  let ownerProcess: ChildProcess | undefined;
  let database: RunningDatabase | undefined;
  const start = () => startEmbeddedDatabase({ dataDir, port: 0, database: 'music', log: silentLogger });

  beforeAll(async () => {
    dataDir = await temporaryDataDir('music-mesh-db-');
  });

  afterAll(async () => {
    ownerProcess?.kill('SIGKILL');
    await database?.stop();
    for (const pid of await processesIn(join(dataDir, 'postgres'))) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The fixture's database URL once it is up. */
  async function startOwner(): Promise<string> {
    const { child, line } = await startFixture(owner, [dataDir], /^ready (\S+)/);
    ownerProcess = child;
    return line;
  }

  it('is refused while the runtime that owns it is alive, then stopped and replaced once it is gone', async () => {
    const url = await startOwner();
    await query(url, 'CREATE TABLE orphaned (value text)');
    await query(url, 'INSERT INTO orphaned VALUES ($1)', ['written by the dead runtime']);
    const directory = join(dataDir, 'postgres');
    const orphan = (await lockPid(directory)) as number;

    await expect(start()).rejects.toThrow(/belongs to the runtime with pid \d+, still running/);
    expect(isAlive(orphan)).toBe(true);

    const child = ownerProcess as ChildProcess;
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(isAlive(orphan)).toBe(true);

    database = await start();
    expect(isAlive(orphan)).toBe(false);
    expect(database.status().pid).not.toBe(orphan);
    expect(await query(database.url, 'SELECT value FROM orphaned')).toEqual([
      { value: 'written by the dead runtime' },
    ]);
  });

  it('starts over a postmaster.pid whose process is gone', async () => {
    if (!database) throw new Error('the previous test did not start the database');
    const directory = database.directory;
    const pid = (await lockPid(directory)) as number;
    await database.stop();
    database = undefined;
    // What a SIGKILL of the postmaster leaves: its lock file, naming a process that is gone.
    await writeFile(join(directory, 'postmaster.pid'), `${pid}\n${directory}\n`);
    expect(isAlive(pid)).toBe(false);

    database = await start();
    expect(database.status()).toMatchObject({ ready: true, restarts: 0 });
    expect(await query(database.url, 'SELECT value FROM orphaned')).toHaveLength(1);
  });
});
