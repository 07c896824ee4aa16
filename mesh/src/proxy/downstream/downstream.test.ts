import { createHash } from 'node:crypto';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDownstreamServer,
  type DownstreamHandlers,
  type DownstreamLimits,
  type DownstreamRequest,
  type DownstreamResponse,
  type DownstreamServer,
  defaultLimits,
} from './server.ts';

interface RawResponse {
  /** The exact bytes of this response (head, framing and body), latin1. */
  raw: string;
  statusLine: string;
  status: number;
  /** Lower-case names, repeats joined with `, `. */
  headers: Record<string, string>;
  /** The decoded body, latin1. */
  body: string;
}

/** A raw TCP client: writes exact bytes, reads exact responses without relying on timing. */
class Client {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #ended = false;
  #waiters = new Set<() => void>();
  /** Resolves when the server has ended or closed the connection. */
  readonly ended: Promise<void>;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    this.ended = new Promise<void>((resolve) => {
      const done = (): void => {
        this.#ended = true;
        this.#wake();
        resolve();
      };
      socket.once('end', done);
      socket.once('close', done);
    });
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Bytes received and not yet read. */
  get pending(): string {
    return this.#buffer.toString('latin1');
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }

  async #until<T>(take: () => T | undefined, what: string): Promise<T> {
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (this.#ended)
        throw new Error(
          `connection ended while waiting for ${what}; unread: ${JSON.stringify(this.pending)}`,
        );
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  #consume(length: number): string {
    const text = this.#buffer.toString('latin1', 0, length);
    this.#buffer = this.#buffer.subarray(length);
    return text;
  }

  async readBytes(length: number): Promise<string> {
    return this.#until(
      () => (this.#buffer.length >= length ? this.#consume(length) : undefined),
      `${length} bytes`,
    );
  }

  async readLine(): Promise<string> {
    return this.#until(() => {
      const end = this.#buffer.indexOf('\r\n');
      return end === -1 ? undefined : this.#consume(end + 2);
    }, 'a line');
  }

  /** Everything up to the end of the connection. */
  async readToEnd(): Promise<string> {
    await this.ended;
    return this.#consume(this.#buffer.length);
  }

  /** One response: the head, then a body framed by content-length, chunked coding or the close. */
  async readResponse(method = 'GET'): Promise<RawResponse> {
    const head = await this.#until(() => {
      const end = this.#buffer.indexOf('\r\n\r\n');
      return end === -1 ? undefined : this.#consume(end + 4);
    }, 'a response head');
    const [statusLine = '', ...lines] = head.slice(0, -4).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1] ?? Number.NaN);
    if (Number.isNaN(status)) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let raw = head;
    let body = '';
    if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
      // No body.
    } else if (headers['content-length'] !== undefined) {
      body = await this.readBytes(Number(headers['content-length']));
      raw += body;
    } else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const line = await this.readLine();
        raw += line;
        const size = /^([0-9a-fA-F]+)(?:;[^\r\n]*)?\r\n$/.exec(line)?.[1];
        if (size === undefined) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
        if (Number.parseInt(size, 16) === 0) {
          for (;;) {
            const trailer = await this.readLine();
            raw += trailer;
            if (trailer === '\r\n') break;
          }
          break;
        }
        const data = await this.readBytes(Number.parseInt(size, 16));
        const crlf = await this.readBytes(2);
        if (crlf !== '\r\n') throw new Error(`chunk not followed by CRLF: ${JSON.stringify(crlf)}`);
        body += data;
        raw += data + crlf;
      }
    } else {
      body = await this.readToEnd();
      raw += body;
    }
    return { raw, statusLine, status, headers, body };
  }
}

const servers: DownstreamServer[] = [];
const clients: Client[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close(0)));
});

type RequestHandler = DownstreamHandlers['request'];

interface Started {
  downstream: DownstreamServer;
  port: number;
  /** Every request the handler was called with, in order. */
  seen: DownstreamRequest[];
  /** Resolves with the `n`th request (1-based) once the handler has been called with it. */
  called(n: number): Promise<DownstreamRequest>;
}

async function start(
  request: RequestHandler,
  options: { connect?: DownstreamHandlers['connect']; limits?: DownstreamLimits } = {},
): Promise<Started> {
  const seen: DownstreamRequest[] = [];
  const waiting = new Set<() => void>();
  const downstream = createDownstreamServer(
    {
      request: (req, res) => {
        seen.push(req);
        for (const wake of waiting) wake();
        waiting.clear();
        request(req, res);
      },
      connect: options.connect ?? ((_req, socket) => socket.destroy()),
    },
    options.limits,
  );
  servers.push(downstream);
  await new Promise<void>((resolve) => downstream.server.listen(0, '127.0.0.1', resolve));
  const { port } = downstream.server.address() as { port: number };
  const called = async (n: number): Promise<DownstreamRequest> => {
    while (seen.length < n) await new Promise<void>((resolve) => waiting.add(resolve));
    return seen[n - 1] as DownstreamRequest;
  };
  return { downstream, port, seen, called };
}

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

async function open(port: number): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  const client = new Client(socket);
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return client;
}

/** Answers with `body` framed by content-length. */
function answer(res: DownstreamResponse, body: string, status = 200, extra: string[] = []): void {
  res.writeHead(status, undefined, ['content-length', String(Buffer.byteLength(body, 'latin1')), ...extra]);
  res.end(Buffer.from(body, 'latin1'));
}

/** Echoes method, target and body: `GET /a <body>`. */
const echo: RequestHandler = (req, res) => {
  if (req.body === null) return answer(res, `${req.method} ${req.url}`);
  void readAll(req).then((body) => answer(res, `${req.method} ${req.url} ${body}`));
};

async function readAll(req: DownstreamRequest): Promise<string> {
  const chunks: Buffer[] = [];
  if (req.body !== null) for await (const chunk of req.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
}

describe('DownstreamServer responses', () => {
  it('answers a GET with exactly the head and body the handler wrote', async () => {
    const { port, seen } = await start((_req, res) => {
      res.writeHead(200, undefined, ['content-length', '5', 'content-type', 'text/plain', 'x-multi', 'a']);
      res.end(Buffer.from('hello'));
    });
    const client = await open(port);
    client.write('GET /path?q=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: raw\r\n\r\n');
    const response = await client.readResponse();
    expect(response.raw).toBe(
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\nx-multi: a\r\n\r\nhello',
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'GET',
      url: '/path?q=1',
      httpVersion: '1.1',
      host: 'example.test',
      bodyLength: 0,
      body: null,
      complete: true,
      rawHeaders: ['host', 'example.test', 'user-agent', 'raw'],
    });
  });

  it('keeps the connection alive: two requests on one socket are both answered', async () => {
    const { port, seen } = await start(echo);
    const client = await open(port);
    client.write(get('/one'));
    expect((await client.readResponse()).body).toBe('GET /one');
    client.write(get('/two'));
    const second = await client.readResponse();
    expect(second.body).toBe('GET /two');
    expect(second.headers.connection).toBeUndefined();
    expect(seen.map((r) => r.socket.remotePort)).toEqual([client.socket.localPort, client.socket.localPort]);
  });

  it('reads each request head anew when a repeat differs in one byte of the same length', async () => {
    const { port, seen } = await start(echo);
    const client = await open(port);
    const requests = [
      'GET /a HTTP/1.1\r\nHost: h\r\nX-V: 1\r\n\r\n',
      'GET /a HTTP/1.1\r\nHost: h\r\nX-V: 1\r\n\r\n',
      'GET /b HTTP/1.1\r\nHost: h\r\nX-V: 1\r\n\r\n',
      'GET /b HTTP/1.1\r\nHost: i\r\nX-V: 1\r\n\r\n',
      'GET /b HTTP/1.1\r\nHost: i\r\nX-V: 2\r\n\r\n',
      'PUT /b HTTP/1.1\r\nHost: i\r\nX-V: 2\r\n\r\n',
      'PUT /b HTTP/1.1\r\nHost: i\r\nContent-Length: 1\r\n\r\nx',
      'PUT /b HTTP/1.1\r\nHost: i\r\nContent-Length: 2\r\n\r\nxy',
    ];
    const bodies: string[] = [];
    for (const request of requests) {
      client.write(request);
      bodies.push((await client.readResponse()).body);
    }
    // Two in one read, and a repeat after an empty line (RFC 9112 §2.2), which is compared from
    // where the request line starts.
    client.write(`${requests[0]}${requests[2]}`);
    bodies.push((await client.readResponse()).body, (await client.readResponse()).body);
    client.write(`\r\n${requests[2]}`);
    bodies.push((await client.readResponse()).body);
    expect(bodies).toEqual([
      'GET /a',
      'GET /a',
      'GET /b',
      'GET /b',
      'GET /b',
      'PUT /b',
      'PUT /b x',
      'PUT /b xy',
      'GET /a',
      'GET /b',
      'GET /b',
    ]);
    expect(seen.map((r) => [r.method, r.url, r.host, r.rawHeaders])).toEqual([
      ['GET', '/a', 'h', ['host', 'h', 'x-v', '1']],
      ['GET', '/a', 'h', ['host', 'h', 'x-v', '1']],
      ['GET', '/b', 'h', ['host', 'h', 'x-v', '1']],
      ['GET', '/b', 'i', ['host', 'i', 'x-v', '1']],
      ['GET', '/b', 'i', ['host', 'i', 'x-v', '2']],
      ['PUT', '/b', 'i', ['host', 'i', 'x-v', '2']],
      ['PUT', '/b', 'i', ['host', 'i', 'content-length', '1']],
      ['PUT', '/b', 'i', ['host', 'i', 'content-length', '2']],
      ['GET', '/a', 'h', ['host', 'h', 'x-v', '1']],
      ['GET', '/b', 'h', ['host', 'h', 'x-v', '1']],
      ['GET', '/b', 'h', ['host', 'h', 'x-v', '1']],
    ]);
  });

  it('builds the headers object as Node does: repeats joined, cookies with "; ", first of singletons', async () => {
    const { port, seen } = await start((_req, res) => answer(res, 'ok'));
    const client = await open(port);
    client.write(
      'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nCookie: a=1\r\nCookie: b=2\r\nContent-Type: one\r\nContent-Type: two\r\nX-Tab:\tv\t \r\n\r\n',
    );
    await client.readResponse();
    expect(seen[0]?.headers).toEqual({
      host: 'h',
      'x-a': '1, 2',
      cookie: 'a=1; b=2',
      'content-type': 'one',
      'x-tab': 'v',
    });
  });

  it('uses the reason phrase given, else the standard one, else "Unknown"', async () => {
    const { port } = await start((req, res) => {
      if (req.url === '/404') return answer(res, '', 404);
      res.writeHead(599, undefined, ['content-length', '0']);
      res.end();
    });
    const { port: port2 } = await start((_req, res) => {
      res.writeHead(200, 'Fine Thanks', ['content-length', '0']);
      res.end();
    });
    const client = await open(port);
    client.write(get('/404') + get('/599'));
    expect((await client.readResponse()).statusLine).toBe('HTTP/1.1 404 Not Found');
    expect((await client.readResponse()).statusLine).toBe('HTTP/1.1 599 Unknown');
    const other = await open(port2);
    other.write(get('/'));
    expect((await other.readResponse()).statusLine).toBe('HTTP/1.1 200 Fine Thanks');
  });

  it('sends a body without content-length chunked to an HTTP/1.1 client', async () => {
    const large = Buffer.alloc(40_000, 'L');
    const { port } = await start((_req, res) => {
      res.writeHead(200, undefined, ['content-type', 'text/plain']);
      res.write(Buffer.from('abc'));
      res.write(Buffer.alloc(0));
      res.write(large);
      res.end(Buffer.from('xyz'));
    });
    const client = await open(port);
    client.write(get('/'));
    const response = await client.readResponse();
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect(response.headers['content-length']).toBeUndefined();
    expect(response.headers.connection).toBeUndefined();
    expect(response.body).toBe(`abc${large.toString('latin1')}xyz`);
    expect(
      response.raw.startsWith(
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n9c40\r\n',
      ),
    ).toBe(true);
    expect(response.raw.endsWith('\r\n3\r\nxyz\r\n0\r\n\r\n')).toBe(true);
    // The connection is still usable, and a real client decodes the same thing.
    client.write(get('/'));
    expect((await client.readResponse()).body).toHaveLength(40_006);
    const fetched = await fetch(`http://127.0.0.1:${port}/`);
    expect(await fetched.text()).toBe(`abc${large.toString('latin1')}xyz`);
  });

  it('ends a chunked response with only the last chunk when end() gets no body', async () => {
    const { port } = await start((_req, res) => {
      res.writeHead(200, undefined, []);
      res.write(Buffer.from('part'));
      res.end();
    });
    const client = await open(port);
    client.write(get('/'));
    expect((await client.readResponse()).raw).toBe(
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\npart\r\n0\r\n\r\n',
    );
  });

  it('sends a body without content-length to an HTTP/1.0 client delimited by closing the connection', async () => {
    const { port } = await start((_req, res) => {
      res.writeHead(200, undefined, ['content-type', 'text/plain']);
      res.write(Buffer.from('one '));
      res.end(Buffer.from('two'));
    });
    const client = await open(port);
    client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const response = await client.readResponse();
    expect(response.raw).toBe(
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\none two',
    );
  });

  it('keeps an HTTP/1.0 client that asks for keep-alive open, and tells it so', async () => {
    const { port } = await start(echo);
    const client = await open(port);
    client.write('GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
    const first = await client.readResponse();
    expect(first.raw).toBe('HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: keep-alive\r\n\r\nGET /a');
    client.write('GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect((await client.readResponse()).body).toBe('GET /b');
  });

  it('closes an HTTP/1.0 connection that did not ask for keep-alive after the response', async () => {
    const { port } = await start(echo);
    const client = await open(port);
    client.write('GET /a HTTP/1.0\r\n\r\n');
    const response = await client.readResponse();
    expect(response.headers.connection).toBe('close');
    expect(response.body).toBe('GET /a');
    expect(await client.readToEnd()).toBe('');
  });

  it('sends no body to HEAD even when the handler writes one, and the connection goes on', async () => {
    const { port } = await start((req, res) => {
      res.writeHead(200, undefined, ['content-length', '5']);
      if (req.method === 'HEAD') res.write(Buffer.from('hello'));
      res.end(Buffer.from('hello'));
    });
    const client = await open(port);
    client.write('HEAD / HTTP/1.1\r\nHost: h\r\n\r\n');
    expect((await client.readResponse('HEAD')).raw).toBe('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n');
    client.write(get('/'));
    expect((await client.readResponse()).raw).toBe('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
  });

  it('frames no body for 204 and 304, and the connection goes on', async () => {
    const { port } = await start((req, res) => {
      if (req.url === '/204') res.writeHead(204, undefined, ['x-a', '1']);
      else if (req.url === '/304') res.writeHead(304, undefined, ['etag', '"e"', 'content-length', '10']);
      else return answer(res, 'after');
      res.end();
    });
    const client = await open(port);
    client.write(get('/204') + get('/304') + get('/'));
    expect((await client.readResponse()).raw).toBe('HTTP/1.1 204 No Content\r\nx-a: 1\r\n\r\n');
    expect((await client.readResponse()).raw).toBe(
      'HTTP/1.1 304 Not Modified\r\netag: "e"\r\ncontent-length: 10\r\n\r\n',
    );
    expect((await client.readResponse()).body).toBe('after');
  });

  it('drops a body the handler writes for 204 and 304, and the connection goes on', async () => {
    const { port } = await start((req, res) => {
      if (req.url === '/after') return answer(res, 'after');
      res.writeHead(req.url === '/204' ? 204 : 304, undefined, ['content-length', '18']);
      res.end(Buffer.from('fault filter abort'));
    });
    const client = await open(port);
    for (const path of ['/204', '/304']) {
      client.write(get(path));
      await client.readResponse();
      client.write(get('/after'));
      // A stray body would sit in front of this status line and break it.
      expect((await client.readResponse()).body).toBe('after');
    }
  });

  it('streams a large response through write and waitForDrain to a slow reader without loss', async () => {
    const pieceSize = 64 * 1024;
    const pieces = 128; // 8 MiB
    let waits = 0;
    const { port } = await start((_req, res) => {
      res.writeHead(200, undefined, ['content-length', String(pieceSize * pieces)]);
      let sent = 0;
      const pump = (): void => {
        while (sent < pieces) {
          const flushed = res.write(Buffer.alloc(pieceSize, sent % 251));
          sent++;
          if (!flushed) {
            waits++;
            res.waitForDrain({ resume: pump });
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const head = `HTTP/1.1 200 OK\r\ncontent-length: ${pieceSize * pieces}\r\n\r\n`;
    const received = await slowRead(port, get('/'), head.length + pieceSize * pieces);
    expect(received.toString('latin1', 0, head.length)).toBe(head);
    for (let i = 0; i < pieces; i++) {
      const from = head.length + i * pieceSize;
      expect(received.subarray(from, from + pieceSize).equals(Buffer.alloc(pieceSize, i % 251))).toBe(true);
    }
    expect(waits).toBeGreaterThan(0);
  });
});

/** Sends `request`, then reads `length` bytes one socket chunk per turn of the event loop. */
async function slowRead(port: number, request: string, length: number): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  socket.write(request, 'latin1');
  const chunks: Buffer[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) return resolve();
      socket.pause();
      setImmediate(() => socket.resume());
    });
    socket.once('close', () => reject(new Error(`closed after ${total} of ${length} bytes`)));
  });
  return Buffer.concat(chunks);
}

describe('DownstreamServer Connection: close', () => {
  it.each(['close', 'Close', 'keep-alive, close', 'upgrade,CLOSE '])(
    'answers "Connection: %s" with connection: close, closes, and reads nothing after it',
    async (value) => {
      const { port, seen } = await start(echo);
      const client = await open(port);
      client.write(get('/last', `Connection: ${value}\r\n`));
      const response = await client.readResponse();
      expect(response.raw).toBe('HTTP/1.1 200 OK\r\ncontent-length: 9\r\nconnection: close\r\n\r\nGET /last');
      expect(await client.readToEnd()).toBe('');
      expect(seen[0]?.connection).toBe(value.trim());
    },
  );

  it('does not hand on a request pipelined after Connection: close (first answered later)', async () => {
    const { port, seen } = await start((req, res) => setTimeout(() => echo(req, res), 5));
    const client = await open(port);
    client.write(get('/last', 'Connection: close\r\n') + get('/never'));
    expect((await client.readResponse()).body).toBe('GET /last');
    expect(await client.readToEnd()).toBe('');
    expect(seen.map((r) => r.url)).toEqual(['/last']);
  });

  it('does not hand on a request pipelined after Connection: close (first answered at once)', async () => {
    const { port, seen } = await start(echo);
    const client = await open(port);
    client.write(get('/last', 'Connection: close\r\n') + get('/never'));
    expect((await client.readResponse()).body).toBe('GET /last');
    expect(await client.readToEnd()).toBe('');
    expect(seen.map((r) => r.url)).toEqual(['/last']);
  });

  // Same loop: an HTTP/1.0 request without keep-alive, answered at once, lets the next one through.
  it('does not hand on a request pipelined after an HTTP/1.0 request (answered at once)', async () => {
    const { port, seen } = await start(echo);
    const client = await open(port);
    client.write('POST /only HTTP/1.0\r\nContent-Length: 0\r\n\r\nDELETE /never HTTP/1.0\r\n\r\n');
    expect((await client.readResponse()).body).toBe('POST /only');
    expect(await client.readToEnd()).toBe('');
    expect(seen.map((r) => r.url)).toEqual(['/only']);
  });

  it('keeps the connection alive for a Connection header that only resembles close', async () => {
    const { port } = await start(echo);
    const client = await open(port);
    client.write(get('/a', 'Connection: closed, x-close\r\n'));
    expect((await client.readResponse()).headers.connection).toBeUndefined();
    client.write(get('/b'));
    expect((await client.readResponse()).body).toBe('GET /b');
  });
});

describe('DownstreamServer request bodies', () => {
  it('delivers a content-length body intact, however it is split', async () => {
    const { port, called } = await start(echo);
    const client = await open(port);
    client.write('POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhel');
    const req = await called(1);
    expect(req).toMatchObject({ bodyLength: 11, complete: false });
    client.write('lo wo');
    client.write('rld');
    expect((await client.readResponse()).body).toBe('POST /u hello world');
    expect(req.complete).toBe(true);
  });

  it.each(['in one write', 'one byte at a time'])(
    'delivers a chunked body with extensions and trailers intact (%s), then reads the next request',
    async (how) => {
      const wire =
        'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;name=value\r\nhello\r\n1 ; x="y"\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\nX-More: u\r\n\r\n' +
        get('/after');
      const { port, seen } = await start(echo);
      const client = await open(port);
      if (how === 'in one write') client.write(wire);
      else {
        client.socket.setNoDelay(true);
        for (const char of wire) await new Promise((resolve) => client.socket.write(char, 'latin1', resolve));
      }
      expect((await client.readResponse()).body).toBe('POST /c hello 0123456789');
      expect((await client.readResponse()).body).toBe('GET /after');
      expect(seen[0]).toMatchObject({ bodyLength: -1, complete: true });
    },
  );

  it('reads the chunked body that Node’s http client sends', async () => {
    const { port, seen } = await start(echo);
    const big = 'b'.repeat(100_000);
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: '/n', agent: false }, (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.write('first,');
      req.write(big);
      req.end('last');
    });
    expect(body).toBe(`PUT /n first,${big}last`);
    expect(seen[0]?.bodyLength).toBe(-1);
  });

  it('streams a large body to a slow reader without loss, holding the client back meanwhile', async () => {
    const sent = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < sent.length; i += 4) sent.writeUInt32LE(i, i);
    let maxBuffered = 0;
    const { port } = await start((req, res) => {
      void (async () => {
        const hash = createHash('sha256');
        let length = 0;
        for await (const chunk of req.body ?? []) {
          hash.update(chunk as Buffer);
          length += (chunk as Buffer).length;
          maxBuffered = Math.max(maxBuffered, req.body?.readableLength ?? 0);
          await new Promise((resolve) => setImmediate(resolve));
        }
        answer(res, `${length} ${hash.digest('hex')}`);
      })();
    });
    const client = await open(port);
    client.write(`POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: ${sent.length}\r\n\r\n`);
    client.write(sent);
    const response = await client.readResponse();
    expect(response.body).toBe(`${sent.length} ${createHash('sha256').update(sent).digest('hex')}`);
    expect(maxBuffered).toBeLessThan(1024 * 1024);
  });

  it('answers Expect: 100-continue with 100 Continue before the client sends the body', async () => {
    const { port } = await start(echo);
    const client = await open(port);
    client.write('POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-Continue\r\n\r\n');
    expect(await client.readBytes(25)).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    client.write('data');
    expect((await client.readResponse()).raw).toBe(
      'HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nPOST /e data',
    );
  });

  it('sends no 100 Continue for a request without a body', async () => {
    const { port } = await start(echo);
    const client = await open(port);
    client.write(get('/e', 'Expect: 100-continue\r\n'));
    expect((await client.readResponse()).raw).toBe('HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nGET /e');
  });
});

describe('DownstreamServer pipelining', () => {
  it('answers three pipelined requests in order and once each, the first one answered later', async () => {
    const events: string[] = [];
    const { port } = await start((req, res) => {
      events.push(`call ${req.url}`);
      const reply = (): void => {
        events.push(`answer ${req.url}`);
        answer(res, `answer ${req.url}`);
      };
      if (req.url === '/1') setTimeout(reply, 10);
      else reply();
    });
    const client = await open(port);
    client.write(get('/1') + get('/2') + get('/3'));
    expect((await client.readResponse()).body).toBe('answer /1');
    expect((await client.readResponse()).body).toBe('answer /2');
    expect((await client.readResponse()).body).toBe('answer /3');
    client.socket.end();
    expect(await client.readToEnd()).toBe('');
    expect(events).toEqual(['call /1', 'answer /1', 'call /2', 'answer /2', 'call /3', 'answer /3']);
  });

  it('answers pipelined requests with content-length and chunked bodies', async () => {
    const { port } = await start(echo);
    const client = await open(port);
    client.write(
      'POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc' +
        'POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n' +
        get('/c'),
    );
    expect((await client.readResponse()).body).toBe('POST /a abc');
    expect((await client.readResponse()).body).toBe('POST /b de');
    expect((await client.readResponse()).body).toBe('GET /c');
  });
});

const rejected: [string, string, number][] = [
  // Once waited for a CRLF CRLF until the idle timeout instead of answering.
  ['a head whose lines end in bare LF', 'GET / HTTP/1.1\nHost: x\n\n', 400],
  ['a request line ending in bare LF, the head unfinished', 'GET / HTTP/1.1\nHost: x', 400],
  [
    'both Content-Length and Transfer-Encoding',
    `POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${get('/smuggled')}`,
    400,
  ],
  [
    'Transfer-Encoding before Content-Length',
    'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
    400,
  ],
  [
    'two different Content-Length values',
    'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    400,
  ],
  ['a non-numeric Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4x\r\n\r\nabcd', 400],
  ['a signed Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +4\r\n\r\nabcd', 400],
  [
    'Transfer-Encoding: gzip, chunked',
    'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    501,
  ],
  [
    'Transfer-Encoding: chunked, gzip',
    'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
    400,
  ],
  [
    'Transfer-Encoding split over two lines, chunked first',
    'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n',
    400,
  ],
  ['Transfer-Encoding on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['a bare LF ending the request line', 'GET / HTTP/1.1\nHost: h\r\n\r\n', 400],
  ['a bare LF between header lines', 'GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n', 400],
  ['a bare CR in a header value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\rX-B: 2\r\n\r\n', 400],
  ['an obs-fold line', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n', 400],
  ['an obs-fold line holding a colon', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\tX-B: 2\r\n\r\n', 400],
  ['whitespace between a header name and its colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n', 400],
  ['a control character in a header value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n', 400],
  ['DEL in a header value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n', 400],
  ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: h\r\nno-colon\r\n\r\n', 400],
  ['a header name that is not a token', 'GET / HTTP/1.1\r\nHost: h\r\nX(A): 1\r\n\r\n', 400],
  ['a NUL in the target', 'GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
  ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
  ['no Host on HTTP/1.1 with an origin-form target', 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', 400],
  ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['HTTP/2.0 in the request line', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505],
  ['HTTP/1.2 in the request line', 'GET / HTTP/1.2\r\nHost: h\r\n\r\n', 505],
  ['a garbage request line', 'hello\r\n\r\n', 400],
  ['a request line without a version', 'GET /\r\nHost: h\r\n\r\n', 400],
  ['a lower-case protocol name', 'GET / http/1.1\r\nHost: h\r\n\r\n', 400],
  ['a method that is not a token', 'GE(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
  [
    'Expect: something-else',
    'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: something-else\r\n\r\nx',
    417,
  ],
  ['headers over 60 KiB', `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(61 * 1024)}\r\n\r\n`, 431],
  [
    'headers over 60 KiB with no end in sight',
    `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(61 * 1024)}`,
    431,
  ],
  [
    'more than 100 header lines',
    `GET / HTTP/1.1\r\nHost: h\r\n${Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`,
    431,
  ],
];

describe('DownstreamServer rejects malformed and smuggling input', () => {
  it.each(rejected)(
    'answers %s with the status, connection: close, and closes',
    async (_name, wire, status) => {
      const { port, seen } = await start(echo);
      const client = await open(port);
      client.write(wire);
      const response = await client.readResponse();
      const reason = STATUS_CODES[status] as string;
      expect(response.statusLine).toBe(`HTTP/1.1 ${status} ${reason}`);
      expect(response.headers.connection).toBe('close');
      expect(response.body).toBe(reason);
      expect(await client.readToEnd()).toBe('');
      expect(seen).toHaveLength(0);
    },
  );

  it('accepts what sits just inside the limits: 100 header lines, 60 KiB of head, a tab in a value', async () => {
    const { port, seen } = await start(echo);
    const client = await open(port);
    const lines = Array.from({ length: 99 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    client.write(`GET /many HTTP/1.1\r\nHost: h\r\n${lines}\r\n`);
    expect((await client.readResponse()).body).toBe('GET /many');
    const prefix = 'GET /big HTTP/1.1\r\nHost: h\r\nX-Big: ';
    client.write(`${prefix}${'a'.repeat(60 * 1024 - prefix.length)}\r\n\r\n`);
    expect((await client.readResponse()).body).toBe('GET /big');
    client.write(get('/tab', 'X-Tab: a\tb\r\n'));
    expect((await client.readResponse()).body).toBe('GET /tab');
    expect(seen[2]?.headers['x-tab']).toBe('a\tb');
  });

  it('accepts HTTP/1.0 without Host, an absolute-form target without Host, and leading empty lines', async () => {
    const { port, seen } = await start(echo);
    const client = await open(port);
    client.write('GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect((await client.readResponse()).body).toBe('GET /old');
    client.write('\r\n\r\nGET http://back.test/abs HTTP/1.1\r\n\r\n');
    expect((await client.readResponse()).body).toBe('GET http://back.test/abs');
    expect(seen.map((r) => r.host)).toEqual(['', '']);
  });

  it.each([
    ['an invalid chunk size', '5\r\nhello\r\nzz\r\n'],
    ['chunk data longer than its size', '5\r\nhelloXX\r\n0\r\n\r\n'],
    ['a chunk size of more than 12 hex digits', '0000000000005\r\nhello\r\n0\r\n\r\n'],
    ['a control character in a chunk extension', '5;a\x01b\r\nhello\r\n0\r\n\r\n'],
  ])('answers %s with 400, closes, and fails the body', async (_name, chunks) => {
    let bodyError: Error | undefined;
    const { port, seen } = await start((req) => {
      req.body?.on('error', (error) => {
        bodyError = error;
      });
      req.body?.resume();
    });
    const client = await open(port);
    client.write(`POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`);
    const response = await client.readResponse();
    expect(response.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(response.headers.connection).toBe('close');
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.headers.date).toMatch(/ GMT$/);
    expect(response.body).toBe('Bad Request');
    expect(await client.readToEnd()).toBe('');
    await until(() => bodyError !== undefined);
    expect(bodyError?.message).toBe('malformed request body');
    expect(seen).toHaveLength(1);
  });
});

describe('DownstreamServer clients that go away', () => {
  it.each(['resetAndDestroy', 'destroy'] as const)(
    'tells the response listener once when the client goes away mid-response (%s)',
    async (how) => {
      let closes = 0;
      let response: DownstreamResponse | undefined;
      const { port } = await start((_req, res) => {
        response = res;
        res.listener = {
          onClientClose: () => {
            closes++;
          },
        };
        res.writeHead(200, undefined, ['content-length', String(1024 * 1024)]);
        res.write(Buffer.from('partial'));
      });
      const client = await open(port);
      client.write(get('/'));
      expect(await client.readLine()).toBe('HTTP/1.1 200 OK\r\n');
      client.socket[how]();
      // A reset is seen at once. A FIN alone reads as a half-close (the client may still be waiting
      // for its answer), so the server learns of the departure when its next writes fail.
      while (closes === 0) {
        if (how === 'destroy') response?.write(Buffer.alloc(1024));
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Writing on after the client left is harmless and tells nobody again.
      expect(response?.write(Buffer.from('more'))).toBe(true);
      response?.end(Buffer.from('rest'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(closes).toBe(1);
    },
  );

  it('does not tell the listener when the client leaves after a complete response', async () => {
    let closes = 0;
    const { port, seen } = await start((_req, res) => {
      res.listener = {
        onClientClose: () => {
          closes++;
        },
      };
      answer(res, 'done');
    });
    const client = await open(port);
    client.write(get('/'));
    await client.readResponse();
    const serverSide = (seen[0] as DownstreamRequest).socket;
    client.socket.destroy();
    await new Promise((resolve) => serverSide.once('close', resolve));
    expect(closes).toBe(0);
  });

  it.each(['end', 'destroy', 'resetAndDestroy'] as const)(
    'fails the request body when the client leaves in the middle of it (%s)',
    async (how) => {
      let failure: Error | undefined;
      const { port, called } = await start((req) => {
        req.body?.on('error', (error) => {
          failure = error;
        });
      });
      const client = await open(port);
      client.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n0123456789');
      const req = await called(1);
      const firstData = new Promise((resolve) => req.body?.once('data', resolve));
      expect(String(await firstData)).toBe('0123456789');
      client.socket[how]();
      await until(() => failure !== undefined);
      expect(failure?.message).toBe('aborted');
      expect(req.body?.destroyed).toBe(true);
      expect(req.complete).toBe(false);
    },
  );
});

describe('DownstreamServer requests answered early', () => {
  const early: RequestHandler = (req, res) => {
    if (req.method === 'POST') answer(res, `early ${req.url}`);
    else echo(req, res);
  };

  it('skips the unread body that came with the request, and parses the next request', async () => {
    const { port } = await start(early);
    const client = await open(port);
    client.write(`POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nGET /x HTT${get('/next')}`);
    expect((await client.readResponse()).body).toBe('early /p');
    expect((await client.readResponse()).body).toBe('GET /next');
  });

  it('skips an unread body that arrives after the answer', async () => {
    const { port } = await start(early);
    const client = await open(port);
    client.write('POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n');
    expect((await client.readResponse()).body).toBe('early /p');
    client.write('0123');
    client.write(`456789${get('/next')}`);
    expect((await client.readResponse()).body).toBe('GET /next');
  });

  it('closes the connection, after the answer, when an unread body goes on past 1 MiB', async () => {
    const { port, seen } = await start(early);
    const client = await open(port);
    client.write(`POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`);
    expect((await client.readResponse()).body).toBe('early /p');
    client.write(Buffer.alloc(2 * 1024 * 1024, 'G'));
    expect(await client.readToEnd()).toBe('');
    expect(seen).toHaveLength(1);
  });

  it('skips an unread chunked body, trailers included', async () => {
    const { port } = await start(early);
    const client = await open(port);
    client.write('POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    expect((await client.readResponse()).body).toBe('early /c');
    client.write(`4\r\nGET \r\n0\r\nX-T: 1\r\n\r\n${get('/next')}`);
    expect((await client.readResponse()).body).toBe('GET /next');
  });
});

describe('DownstreamServer CONNECT', () => {
  /** A server whose connect handler hands over what it got, pausing the socket first if asked. */
  async function startTunnelling(pause = false) {
    const handed = Promise.withResolvers<[DownstreamRequest, Socket, Buffer]>();
    const started = await start(echo, {
      connect: (req, socket, head) => {
        if (pause) socket.pause();
        handed.resolve([req, socket, head]);
      },
    });
    return { ...started, connected: handed.promise };
  }

  it('hands CONNECT to the connect handler with the authority, the socket and the bytes that followed', async () => {
    const { port, seen, connected } = await startTunnelling();
    const client = await open(port);
    client.write('CONNECT backend.test:443 HTTP/1.1\r\nHost: backend.test:443\r\n\r\n\x16\x03\x01early');
    const [req, socket, head] = await connected;
    expect(req).toMatchObject({ method: 'CONNECT', url: 'backend.test:443', host: 'backend.test:443' });
    expect(head.toString('latin1')).toBe('\x16\x03\x01early');
    expect(socket.remotePort).toBe(client.socket.localPort);
    expect(seen).toHaveLength(0);
    // The socket is the handler's now: the server neither answers nor reads it.
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    expect(await client.readBytes(39)).toBe('HTTP/1.1 200 Connection Established\r\n\r\n');
    const data = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.resume();
    client.write(get('/not-for-the-server'));
    expect((await data).toString('latin1')).toBe(get('/not-for-the-server'));
    expect(seen).toHaveLength(0);
  });

  it('speaks HTTP inside the tunnel once serve(socket, head) takes it over', async () => {
    let downstream: DownstreamServer | undefined;
    const started = await start(echo, {
      connect: (_req, socket, head) => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        downstream?.serve(socket, head);
      },
    });
    downstream = started.downstream;
    const client = await open(started.port);
    client.write(`CONNECT mesh.test:80 HTTP/1.1\r\nHost: mesh.test:80\r\n\r\n${get('/inside')}`);
    expect(await client.readBytes(39)).toBe('HTTP/1.1 200 Connection Established\r\n\r\n');
    expect((await client.readResponse()).body).toBe('GET /inside');
    client.write('POST /second HTTP/1.1\r\nHost: mesh.test\r\nContent-Length: 2\r\n\r\nok');
    expect((await client.readResponse()).body).toBe('POST /second ok');
    expect(started.seen.map((r) => r.host)).toEqual(['test', 'mesh.test']);
  });

  it('keeps the bytes a client sends after CONNECT until the handler starts reading', async () => {
    const { port, connected } = await startTunnelling();
    const client = await open(port);
    client.write('CONNECT backend.test:443 HTTP/1.1\r\nHost: backend.test:443\r\n\r\n');
    const [, socket] = await connected;
    // The handler is still connecting upstream when the client's next bytes arrive.
    const before = socket.bytesRead;
    client.write('early');
    await until(() => socket.bytesRead > before);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    // The handler gets the socket paused, as node:http hands it over: reading starts when it resumes.
    socket.resume();
    client.write('|late');
    await until(() => received.endsWith('|late'));
    expect(received).toBe('early|late');
  });

  it('leaves a CONNECT socket that the handler paused paused', async () => {
    const { port, connected } = await startTunnelling(true);
    const client = await open(port);
    client.write('CONNECT backend.test:443 HTTP/1.1\r\nHost: backend.test:443\r\n\r\n');
    const [, socket] = await connected;
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.isPaused()).toBe(true);
  });

  it('leaves a CONNECT socket that the handler paused paused, after a pipelined GET answered at once', async () => {
    const { port, connected } = await startTunnelling(true);
    const client = await open(port);
    client.write(`${get('/first')}CONNECT backend.test:443 HTTP/1.1\r\nHost: backend.test:443\r\n\r\n`);
    const [, socket] = await connected;
    expect((await client.readResponse()).body).toBe('GET /first');
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.isPaused()).toBe(true);
  });
});

describe('DownstreamServer close()', () => {
  it('closes an idle keep-alive connection at once and resolves', async () => {
    const { port, downstream } = await start(echo);
    const client = await open(port);
    client.write(get('/'));
    await client.readResponse();
    const began = Date.now();
    await downstream.close();
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(await client.readToEnd()).toBe('');
    await expect(open(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('lets a request in flight finish, then closes and resolves', async () => {
    let respond: (() => void) | undefined;
    const { port, downstream, called } = await start((req, res) => {
      respond = () => answer(res, `late ${req.url}`);
    });
    const client = await open(port);
    client.write(get('/slow'));
    await called(1);
    const closing = downstream.close();
    respond?.();
    expect((await client.readResponse()).body).toBe('late /slow');
    expect(await client.readToEnd()).toBe('');
    await closing;
  });

  it('tells the client of a request in flight connection: close', async () => {
    let respond: (() => void) | undefined;
    const { port, downstream, called } = await start((req, res) => {
      respond = () => answer(res, `late ${req.url}`);
    });
    const client = await open(port);
    client.write(get('/slow'));
    await called(1);
    const closing = downstream.close();
    respond?.();
    const response = await client.readResponse();
    expect(response.body).toBe('late /slow');
    expect(response.headers.connection).toBe('close');
    await closing;
  });

  it('cuts a request still in flight when the grace period ends', async () => {
    const { port, downstream, called } = await start(() => {});
    const client = await open(port);
    client.write(get('/never'));
    await called(1);
    await downstream.close(20);
    expect(await client.readToEnd()).toBe('');
  });
});

describe('DownstreamServer half-close', () => {
  it.each(['synchronously', 'later'])(
    'answers requests whose client ended its side right after sending them (handler answers %s)',
    async (when) => {
      const { port } = await start((req, res) => {
        if (when === 'later') setTimeout(() => echo(req, res), 5);
        else echo(req, res);
      });
      const client = await open(port);
      client.socket.end(
        Buffer.from(`${get('/a')}POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz`, 'latin1'),
      );
      expect((await client.readResponse()).body).toBe('GET /a');
      expect((await client.readResponse()).body).toBe('POST /b xyz');
      expect(await client.readToEnd()).toBe('');
    },
  );

  it('answers a large body whose client ended its side right after sending it, read slowly', async () => {
    const size = 4 * 1024 * 1024;
    const { port } = await start((req, res) => {
      void (async () => {
        let length = 0;
        for await (const chunk of req.body ?? []) {
          length += (chunk as Buffer).length;
          await new Promise((resolve) => setImmediate(resolve));
        }
        answer(res, String(length));
      })();
    });
    const client = await open(port);
    client.write(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${size}\r\n\r\n`);
    client.socket.end(Buffer.alloc(size, 'z'));
    expect((await client.readResponse()).body).toBe(String(size));
  });
});

describe('DownstreamServer request-head timeout', () => {
  it('answers 408 and closes a connection whose head does not end within the limit', async () => {
    const { port, seen } = await start(echo, { limits: { ...defaultLimits, headTimeoutMs: 100 } });
    const client = await open(port);
    client.write('GET / HTTP/1.1\r\nHost: ');
    const trickle = setInterval(() => client.write('x'), 20);
    try {
      const response = await client.readResponse();
      expect(response.status).toBe(408);
      expect(response.headers.connection).toBe('close');
      expect(response.body).toBe('request header timeout');
      expect(response.headers.server).toBe('istio-envoy');
      expect(await client.readToEnd()).toBe('');
      expect(seen).toHaveLength(0);
    } finally {
      clearInterval(trickle);
    }
  });

  it('does not count the time a keep-alive connection waits between requests', async () => {
    const { port } = await start(echo, { limits: { ...defaultLimits, headTimeoutMs: 100 } });
    const client = await open(port);
    client.write(get('/first'));
    await client.readResponse();
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.write(get('/second'));
    expect((await client.readResponse()).status).toBe(200);
  });
});

describe('DownstreamServer idle timeout', () => {
  it('closes a keep-alive connection that stays idle past the timeout', async () => {
    const { port } = await start(echo, { limits: { ...defaultLimits, idleTimeoutMs: 50 } });
    const client = await open(port);
    client.write(get('/'));
    await client.readResponse();
    expect(await client.readToEnd()).toBe('');
  });
});
