import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';

/** What repositories query: the pool, or the rolled-back transaction of a mirrored write. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Where this request's repositories read and write (see `registerShadowWrites`). */
    db: Queryable;
    /** Istio mirrored this request: its authority ends in `-shadow`. */
    shadow: boolean;
  }
}

export const SHADOW_HEADER = 'x-shadow-write';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether an authority is a mirror's: Envoy appends `-shadow` to the host, before the port
 * (`back:8080` → `back-shadow:8080`); older Envoys put it after the port (`back:8080-shadow`).
 */
export function isShadowAuthority(authority: string | undefined): boolean {
  if (authority === undefined) return false;
  const host = authority.replace(/:\d+$/, '');
  return host.endsWith('-shadow') || authority.endsWith('-shadow');
}

/**
 * Makes mirrored traffic harmless, once for every route of `scope`: a request whose authority
 * ends in `-shadow` and whose method writes gets, as `request.db`, a transaction that is always
 * rolled back, and its answer says so (`x-shadow-write: rolled-back`). It runs exactly as the
 * real request would (validation, constraints, status and body), so a mirror still compares
 * versions faithfully; it only never commits. Every other request gets the pool.
 */
export function registerShadowWrites(scope: FastifyInstance, pool: pg.Pool): void {
  const transactions = new WeakMap<FastifyRequest, RolledBackTransaction>();
  // Set by the onRequest hook below before any handler runs.
  scope.decorateRequest('db', null as never);
  scope.decorateRequest('shadow', false);
  scope.addHook('onRequest', async (request, reply) => {
    request.shadow = isShadowAuthority(request.headers.host);
    if (request.shadow && !SAFE_METHODS.has(request.method)) {
      const transaction = new RolledBackTransaction(pool);
      transactions.set(request, transaction);
      request.db = transaction;
      reply.header(SHADOW_HEADER, 'rolled-back');
    } else {
      request.db = pool;
    }
  });
  const rollback = async (request: FastifyRequest) => {
    const transaction = transactions.get(request);
    if (transaction === undefined) return;
    transactions.delete(request);
    await transaction.rollback();
  };
  // Before the answer leaves, so nobody can observe the write after its answer; onResponse is the
  // fallback for answers that skip onSend.
  scope.addHook('onSend', async (request) => rollback(request));
  scope.addHook('onResponse', async (request) => rollback(request));
}

/**
 * A transaction begun on the first query (a write refused before touching the database takes no
 * connection) and never committed. Queries issued together share the one connection.
 */
class RolledBackTransaction implements Queryable {
  readonly #pool: pg.Pool;
  #client: Promise<pg.PoolClient> | undefined;
  #over = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.#over) throw new Error('the shadow transaction is over: its request was answered');
    this.#client ??= this.#begin();
    const client = await this.#client;
    return client.query<R>(text, values);
  }

  async rollback(): Promise<void> {
    this.#over = true;
    const pending = this.#client;
    if (pending === undefined) return;
    let client: pg.PoolClient;
    try {
      client = await pending;
    } catch {
      return;
    }
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (error) {
      client.release(error as Error);
    }
  }

  async #begin(): Promise<pg.PoolClient> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    return client;
  }
}
