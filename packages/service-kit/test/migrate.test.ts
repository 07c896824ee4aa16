import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { createPool, type Migration, migrate } from '../src/database.ts';

const migrations: Migration[] = [
  { id: '001-create', sql: 'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)' },
  { id: '002-seed', sql: "INSERT INTO items VALUES (1, 'first')" },
];

const pools: ReturnType<typeof createPool>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

describe('migrate', () => {
  it('applies each migration once when several replicas start at the same moment', async () => {
    const url = await createTestDatabase('migrate');
    for (let i = 0; i < 6; i++) pools.push(createPool({ url, schema: 'svc' }));
    const applied = await Promise.all(pools.map((pool) => migrate(pool, 'svc', migrations)));
    expect(applied.flat().sort()).toEqual(['001-create', '002-seed']);
    const [first] = pools;
    const { rows } = await (first as (typeof pools)[number]).query('SELECT count(*)::int AS n FROM items');
    expect(rows[0].n).toBe(1);
  });

  it('applies only what is new on the next start, and leaves nothing half-done when one fails', async () => {
    const url = await createTestDatabase('migrate');
    const pool = createPool({ url, schema: 'svc' });
    pools.push(pool);
    await migrate(pool, 'svc', migrations);
    const broken: Migration[] = [
      ...migrations,
      { id: '003-good', sql: 'ALTER TABLE items ADD COLUMN rating int' },
      { id: '004-bad', sql: 'ALTER TABLE nowhere ADD COLUMN x int' },
    ];
    await expect(migrate(pool, 'svc', broken)).rejects.toThrow(/nowhere/);
    const columns = await pool.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'items'",
    );
    expect(columns.rows.map((r) => r.column_name)).not.toContain('rating');
    expect(await migrate(pool, 'svc', broken.slice(0, 3))).toEqual(['003-good']);
  });

  it('keeps each service in its own schema of a shared database', async () => {
    const url = await createTestDatabase('migrate');
    const a = createPool({ url, schema: 'alpha' });
    const b = createPool({ url, schema: 'beta' });
    pools.push(a, b);
    await migrate(a, 'alpha', migrations);
    await migrate(b, 'beta', [{ id: '001-create', sql: 'CREATE TABLE items (id int PRIMARY KEY)' }]);
    expect((await a.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(1);
    expect((await b.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(0);
  });
});
