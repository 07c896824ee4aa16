import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDatabase, startEmbeddedDatabase } from '../src/database/embedded.ts';
import { silentLogger } from '../src/log.ts';

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
    dataDir = await mkdtemp(join(tmpdir(), 'music-mesh-db-'));
    // mkdtemp makes 0700; PostgreSQL runs as another user and must get through.
    await chmod(dataDir, 0o755);
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
  });

  it('keeps its data across a stop and a start, and stop leaves no postgres process', async () => {
    if (!database) throw new Error('the previous test did not start the database');
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
