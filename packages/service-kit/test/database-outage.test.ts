import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.ts';
import { createServiceApp } from '../src/app.ts';
import { createPool, ping } from '../src/database.ts';
import { registerHealth } from '../src/health.ts';

/**
 * A TCP relay in front of the real PostgreSQL that can be cut: while cut, open connections are
 * reset and new ones refused at once, as while the server is down and restarting.
 */
class Cable {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;

  constructor(target: URL) {
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.#sockets.add(from);
        from.on('error', () => to.destroy());
        from.on('close', () => {
          this.#sockets.delete(from);
          to.destroy();
        });
        from.pipe(to);
      }
    });
  }

  async listen(): Promise<number> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return (this.#server.address() as { port: number }).port;
  }

  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.resetAndDestroy();
  }

  mend(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    this.#server.close();
  }
}

async function poll<T>(what: string, read: () => Promise<T>, until: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a service whose database goes away and comes back', () => {
  let cable: Cable;
  let app: FastifyInstance;
  let pool: ReturnType<typeof createPool>;

  beforeAll(async () => {
    const real = new URL(await createTestDatabase('outage'));
    cable = new Cable(real);
    const url = new URL(real);
    url.hostname = '127.0.0.1';
    url.port = String(await cable.listen());
    pool = createPool({ url: url.toString(), schema: 'svc', maxConnections: 4 });
    app = createServiceApp({ bodyLimit: 1024 });
    registerHealth(app, { prefix: '/svc', readiness: { db: () => ping(pool) } });
    app.get('/svc/now', async () => (await pool.query<{ now: Date }>('SELECT now()')).rows[0]);
  });

  afterAll(async () => {
    await app?.close();
    await pool?.end().catch(() => {});
    await cable?.close();
  });

  const get = async (path: string) => {
    const res = await app.inject({ method: 'GET', url: path });
    return {
      status: res.statusCode,
      type: String(res.headers['content-type']).split(';')[0],
      body: res.json(),
      retry: res.headers['retry-after'],
    };
  };

  it('turns unready and answers 503 problem+json while it is away, then serves again on its own', async () => {
    // Idle connections in the pool, which the outage breaks under it.
    await Promise.all([get('/svc/now'), get('/svc/now'), get('/svc/now')]);
    expect((await get('/svc/health/readiness')).status).toBe(200);

    cable.cut();
    const away = await get('/svc/now');
    expect(away).toMatchObject({
      status: 503,
      type: 'application/problem+json',
      body: { status: 503, code: 'DATABASE_UNAVAILABLE' },
      retry: '1',
    });
    expect(JSON.stringify(away.body)).not.toMatch(/ECONN|at \//);
    expect(await get('/svc/health/readiness')).toMatchObject({ status: 503, body: { status: 'DOWN' } });

    cable.mend();
    await poll(
      'readiness after the database came back',
      async () => (await get('/svc/health/readiness')).status,
      (status) => status === 200,
    );
    expect(await get('/svc/now')).toMatchObject({ status: 200 });
  });
});
