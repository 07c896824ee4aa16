import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  UpstreamConnectError,
  UpstreamPoolClosedError,
  UpstreamProtocolError,
  UpstreamResetError,
} from './errors.ts';
import { type UpstreamHandler, UpstreamPool, type UpstreamRequest } from './pool.ts';

interface Outcome {
  status?: number;
  statusMessage?: string | undefined;
  rawHeaders?: readonly string[];
  body: string;
  ended: boolean;
  error?: NodeJS.ErrnoException;
}

function send(pool: UpstreamPool, request: Partial<UpstreamRequest> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { body: '', ended: false };
    const handler: UpstreamHandler = {
      onResponseStart(_c, status, rawHeaders, statusMessage) {
        outcome.status = status;
        outcome.rawHeaders = rawHeaders;
        outcome.statusMessage = statusMessage;
      },
      onResponseData(_c, chunk) {
        outcome.body += chunk.toString('latin1');
      },
      onResponseEnd() {
        outcome.ended = true;
        resolve(outcome);
      },
      onResponseError(_c, error) {
        outcome.error = error as NodeJS.ErrnoException;
        resolve(outcome);
      },
    };
    pool.dispatch({ path: '/p', method: 'GET', headers: ['host', 'up'], body: null, ...request }, handler);
  });
}

/** A raw TCP upstream: `respond` gets each request head (and body bytes read so far) and the socket. */
async function rawServer(
  respond: (request: string, socket: Socket, index: number) => void,
): Promise<{ server: Server; origin: string; connections: () => number; requests: string[] }> {
  let connections = 0;
  const requests: string[] = [];
  const server = createServer((socket) => {
    connections++;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      let end = buffered.indexOf('\r\n\r\n');
      while (end !== -1) {
        const head = buffered.slice(0, end + 4);
        let length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (/transfer-encoding: chunked/i.test(head)) {
          const last = buffered.indexOf('0\r\n\r\n', end + 4);
          if (last === -1) return;
          length = last + 5 - (end + 4);
        }
        if (buffered.length < end + 4 + length) return;
        const request = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        requests.push(request);
        respond(request, socket, requests.length - 1);
        end = buffered.indexOf('\r\n\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  servers.push(server);
  return { server, origin: `http://127.0.0.1:${port}`, connections: () => connections, requests };
}

const servers: Server[] = [];
const pools: UpstreamPool[] = [];
function pool(origin: string, connections = 4, maxRequestsPerConnection?: number): UpstreamPool {
  const created = new UpstreamPool(origin, {
    connections,
    connectTimeoutMs: 2_000,
    maxRequestsPerConnection,
  });
  pools.push(created);
  return created;
}

afterEach(async () => {
  for (const p of pools.splice(0)) await p.destroy();
  for (const s of servers.splice(0)) {
    s.close();
    (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  }
});

describe('UpstreamPool', () => {
  it('reads Content-Length answers and reuses the connection', async () => {
    const up = await rawServer((_r, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello'),
    );
    const p = pool(up.origin);
    for (let i = 0; i < 3; i++) {
      const outcome = await send(p);
      expect(outcome).toMatchObject({ status: 200, statusMessage: 'OK', body: 'hello', ended: true });
      expect(outcome.rawHeaders).toEqual(['content-length', '5', 'x-a', '1', 'x-a', '2']);
    }
    expect(up.connections()).toBe(1);
    expect(up.requests[0]).toBe('GET /p HTTP/1.1\r\nhost: up\r\n\r\n');
  });

  it('reads each head anew when a repeat differs in one byte of the same length', async () => {
    const heads = [
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-V: a\r\n\r\nhello',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-V: a\r\n\r\nhello',
      'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-V: a\r\n\r\nhello!',
      'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-V: b\r\n\r\nhello?',
      'HTTP/1.1 503 NO\r\nContent-Length: 6\r\nX-V: b\r\n\r\nbusy..',
    ];
    const up = await rawServer((_r, socket, index) => socket.write(heads[index] as string, 'latin1'));
    const p = pool(up.origin, 1);
    const seen: unknown[] = [];
    for (let i = 0; i < heads.length; i++) {
      const { status, statusMessage, rawHeaders, body } = await send(p);
      seen.push([status, statusMessage, rawHeaders, body]);
    }
    expect(seen).toEqual([
      [200, 'OK', ['content-length', '5', 'x-v', 'a'], 'hello'],
      [200, 'OK', ['content-length', '5', 'x-v', 'a'], 'hello'],
      [200, 'OK', ['content-length', '6', 'x-v', 'a'], 'hello!'],
      [200, 'OK', ['content-length', '6', 'x-v', 'b'], 'hello?'],
      [503, 'NO', ['content-length', '6', 'x-v', 'b'], 'busy..'],
    ]);
    expect(up.connections()).toBe(1);
  });

  it('reads chunked answers split anywhere, extensions and trailers ignored', async () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';
    const up = await rawServer((_r, socket) => {
      // One byte at a time, to cross every boundary.
      socket.setNoDelay(true);
      let i = 0;
      const step = (): void => {
        if (i < wire.length) socket.write(wire[i++] as string, 'latin1', step);
      };
      step();
    });
    const p = pool(up.origin);
    expect(await send(p)).toMatchObject({ status: 200, body: 'hello world', ended: true });
    expect(await send(p)).toMatchObject({ status: 200, body: 'hello world', ended: true });
    expect(up.connections()).toBe(1);
  });

  it('skips 1xx, reads no body for HEAD, 204 and 304', async () => {
    const up = await rawServer((request, socket) => {
      if (request.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      else if (request.startsWith('GET /204')) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      else if (request.startsWith('GET /304'))
        socket.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n');
      else
        socket.write(
          'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
        );
    });
    const p = pool(up.origin, 1);
    expect(await send(p, { method: 'HEAD' })).toMatchObject({ status: 200, body: '', ended: true });
    expect(await send(p, { path: '/204' })).toMatchObject({ status: 204, body: '', ended: true });
    expect(await send(p, { path: '/304' })).toMatchObject({ status: 304, body: '', ended: true });
    expect(await send(p)).toMatchObject({ status: 201, body: 'ok', ended: true });
    expect(up.connections()).toBe(1);
  });

  it('closes on Connection: close and reads an unframed body until close', async () => {
    const up = await rawServer((request, socket) => {
      if (request.startsWith('GET /close'))
        socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
      else socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
    });
    const p = pool(up.origin, 1);
    expect(await send(p, { path: '/close' })).toMatchObject({ status: 200, body: 'ok', ended: true });
    expect(await send(p)).toMatchObject({ status: 200, body: 'until the end', ended: true });
    expect(up.connections()).toBe(2);
  });

  it('frames request bodies: a Buffer by length, a stream chunked or by its declared length', async () => {
    const up = await rawServer((_r, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const p = pool(up.origin, 1);
    await send(p, { method: 'POST', body: Buffer.from('abc') });
    await send(p, { method: 'POST' });
    const stream = new PassThrough();
    const chunked = send(p, { method: 'POST', body: stream });
    stream.write('ab');
    stream.end('cd');
    expect(await chunked).toMatchObject({ status: 200, ended: true });
    expect(up.requests[0]).toBe('POST /p HTTP/1.1\r\nhost: up\r\ncontent-length: 3\r\n\r\nabc');
    expect(up.requests[1]).toBe('POST /p HTTP/1.1\r\nhost: up\r\ncontent-length: 0\r\n\r\n');
    expect(up.requests[2]).toBe(
      'POST /p HTTP/1.1\r\nhost: up\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n',
    );
    const sized = new PassThrough();
    const declared = send(p, {
      method: 'PUT',
      headers: ['host', 'up', 'Content-Length', '4'],
      body: sized,
    });
    sized.end('wxyz');
    expect(await declared).toMatchObject({ status: 200, ended: true });
    expect(up.requests[3]).toBe('PUT /p HTTP/1.1\r\nhost: up\r\ncontent-length: 4\r\n\r\nwxyz');
  });

  it('reports a refused connection with its code, a reset as a socket error', async () => {
    const closed = await rawServer(() => {});
    const { origin } = closed;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    expect((await send(pool(origin))).error?.code).toBe('ECONNREFUSED');
    const up = await rawServer((_r, socket) => socket.destroy());
    expect((await send(pool(up.origin))).error?.code).toBe('UND_ERR_SOCKET');
    const garbage = await rawServer((_r, socket) => socket.write('NOT HTTP\r\n\r\n'));
    expect((await send(pool(garbage.origin))).error?.code).toBe('HPE_INVALID');
  });

  it("types its failures with Envoy's reset reasons: refused, reset, pool closed", async () => {
    const closed = await rawServer(() => {});
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const refused = (await send(pool(closed.origin))).error;
    expect(refused).toBeInstanceOf(UpstreamConnectError);
    expect(refused).toMatchObject({
      resetReason: 'remote connection failure',
      transportFailureReason: 'delayed connect error: Connection refused',
      connectFailure: true,
      httpStatus: 503,
    });
    const up = await rawServer((_r, socket) => socket.destroy());
    const reset = (await send(pool(up.origin))).error;
    expect(reset).toBeInstanceOf(UpstreamResetError);
    expect(reset).toMatchObject({ resetReason: 'connection termination', connectFailure: false });
    const shut = pool(up.origin);
    await shut.close();
    const late = (await send(shut)).error;
    expect(late).toBeInstanceOf(UpstreamPoolClosedError);
    expect(late).toMatchObject({ code: 'UND_ERR_CLOSED', connectFailure: true });
  });

  it.each([
    ['a bare LF between header lines', 'HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 2\r\n\r\nok'],
    ['an obs-fold line', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok'],
    [
      'Content-Length with chunked',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['differing Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'],
    ['a coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok'],
    ['a chunk size of -3', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n'],
    [
      'chunk data without its CRLF',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n',
    ],
    ['Transfer-Encoding on a 204', 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])(
    'fails a response with %s as a protocol error (502, as Envoy), as a listener refuses the same in a request',
    async (_name, wire) => {
      const up = await rawServer((_r, socket) => socket.write(wire));
      const { error } = await send(pool(up.origin));
      expect(error).toBeInstanceOf(UpstreamProtocolError);
      expect(error).toMatchObject({ code: 'HPE_INVALID', resetReason: 'protocol error', httpStatus: 502 });
    },
  );

  it('queues beyond its connections and honours maxRequestsPerConnection', async () => {
    const up = await rawServer((_r, socket) =>
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'), 5),
    );
    const p = pool(up.origin, 2, 3);
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => send(p)));
    expect(outcomes.every((o) => o.status === 200 && o.body === 'x')).toBe(true);
    expect(p.size).toBeLessThanOrEqual(2);
    expect(up.connections()).toBe(4);
  });

  it("keeps an idle connection no longer than the upstream's Keep-Alive hint, read again when it changes", async () => {
    // timeout=60 first, then timeout=3: the pool closes 2 s before the upstream would (at least 1 s).
    const up = await rawServer((_r, socket, index) =>
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Length: 1\r\nKeep-Alive: timeout=${index === 0 ? 60 : 3}\r\n\r\nx`,
      ),
    );
    const p = new UpstreamPool(up.origin, {
      connections: 1,
      connectTimeoutMs: 2_000,
      keepAliveTimeoutMs: 60_000,
    });
    pools.push(p);
    expect((await send(p)).body).toBe('x');
    expect((await send(p)).body).toBe('x');
    expect(up.connections()).toBe(1);
    // Well inside the unit tests' 30 s, so that a connection kept too long fails the expect below.
    const deadline = Date.now() + 20_000;
    while (p.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(p.size).toBe(0);
  });

  it('aborts a request: the handler hears of it once, the connection is dropped', async () => {
    const up = await rawServer(() => {});
    const p = pool(up.origin);
    const errors: Error[] = [];
    let controller: Dispatcher.DispatchController | undefined;
    p.dispatch(
      { path: '/', method: 'GET', headers: [], body: null },
      {
        onRequestStart(c) {
          controller = c;
        },
        onResponseError(_c, error) {
          errors.push(error);
        },
      },
    );
    controller?.abort(new Error('stop'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors.map((e) => e.message)).toEqual(['stop']);
    expect(p.size).toBe(0);
  });
});
