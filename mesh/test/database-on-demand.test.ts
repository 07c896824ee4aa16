import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseOnDemand } from '../src/database/on-demand.ts';
import { silentLogger } from '../src/log.ts';
import { temporaryDataDir } from './support/processes.ts';

describe('the database on demand', () => {
  let dataDir: string;
  let database: DatabaseOnDemand;
  const watched = new Set<string>();

  beforeAll(async () => {
    dataDir = await temporaryDataDir('music-mesh-on-demand-');
    database = new DatabaseOnDemand({
      outsideUrl: undefined,
      dataDir,
      port: 0,
      name: 'shop',
      log: silentLogger,
      watch: { watchDatabase: (dir) => watched.add(dir), forgetDatabase: (dir) => watched.delete(dir) },
    });
  });

  afterAll(async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts nothing until a workload asks for it', () => {
    expect(database.url).toBeUndefined();
    expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
  });

  it("starts one PostgreSQL for every workload that asks, with the profile's database", async () => {
    const [first, second] = await Promise.all([database.ensure(), database.ensure()]);
    expect(second).toBe(first);
    expect(database.url).toBe(first?.url);
    expect(first?.origin).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const client = new pg.Client({ connectionString: first?.url });
    await client.connect();
    const { rows } = await client.query('SELECT current_database() AS db');
    await client.end();
    expect(rows).toEqual([{ db: 'shop' }]);
    // The reaper knows its directory, to end it should the runtime die.
    expect([...watched]).toEqual([join(dataDir, 'postgres')]);
  });

  it('stops it with the runtime, and the reaper forgets it', async () => {
    await database.stop();
    expect(watched.size).toBe(0);
    await expect(database.ensure()).rejects.toThrow('the runtime is stopping');
  });
});
