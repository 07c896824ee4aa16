import pg from 'pg';

export interface Migration {
  /** Stable, ordered identifier such as `001-create-tracks`. Never rename an applied migration. */
  id: string;
  sql: string;
}

export interface DatabaseOptions {
  url: string;
  /** Each service owns one PostgreSQL schema, so several services can share one database. */
  schema: string;
  maxConnections?: number;
  applicationName?: string;
}

/** A pool whose connections see only the service's own schema (plus `public` for extensions). */
export function createPool(options: DatabaseOptions): pg.Pool {
  assertIdentifier(options.schema);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? options.schema,
    options: `-c search_path=${options.schema},public`,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A client losing its connection (database restart) must not crash the service: idle ones are
  // covered by the pool's 'error', checked-out ones (a transaction in progress) by their own; the
  // query in flight fails, the pool drops the client and connects afresh for the next one.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * Applies pending migrations in order, each in its own transaction. A transaction-scoped advisory
 * lock serialises replicas that start together: PostgreSQL's `CREATE ... IF NOT EXISTS` alone races
 * on the catalog (duplicate key on pg_class) when two run at once.
 */
export async function migrate(
  pool: pg.Pool,
  schema: string,
  migrations: readonly Migration[],
): Promise<string[]> {
  assertIdentifier(schema);
  const applied: string[] = [];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`music-migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migrations`);
    const done = new Set(rows.map((r) => r.id));
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query(`SET LOCAL search_path = ${schema}, public`);
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${schema}.schema_migrations (id) VALUES ($1)`, [migration.id]);
      applied.push(migration.id);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Reports whether the database answers, for readiness probes. */
export async function ping(pool: pg.Pool): Promise<boolean> {
  try {
    await pool.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

// Connection exceptions (08), operator intervention (57P01-57P03: shutdown, crash, starting up).
const UNAVAILABLE_SQLSTATE = /^(08|57P0[123])/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect/;

/**
 * Whether the error says the database is away (restarting, crashed, unreachable) rather than that
 * the query was wrong: the request may succeed again soon, so it is a 503, not a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)))
    return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/** PostgreSQL unique_violation: the caller turns it into a 409. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid schema name: ${name}`);
}
