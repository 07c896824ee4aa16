import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { chunkSize } from '../chunked.ts';

/**
 * A minimal HTTP/1.1 client pool to one endpoint, for the proxy's own exchanges: keep-alive, one
 * request at a time per connection (no pipelining, as Envoy), the request head written as one
 * latin1 string, bodies streamed with backpressure, answers read by a small strict parser. It takes
 * undici's dispatch handlers (the exchange's Attempt, the mirror's handler) so that the exchange is
 * the same whichever client runs underneath. Upgrade (101) is not supported: the passthrough and
 * anything else that needs it stay on undici.
 */

export interface UpstreamPoolOptions {
  /** Most connections open at once; more requests wait in a queue. */
  readonly connections: number;
  /** Requests per connection before it is closed (DestinationRule maxRequestsPerConnection). */
  readonly maxRequestsPerConnection?: number | undefined;
  readonly connectTimeoutMs: number;
  /** Idle keep-alive when the upstream gives no `Keep-Alive: timeout=`. */
  readonly keepAliveTimeoutMs?: number;
  /** Cap on the upstream's hint. */
  readonly keepAliveMaxTimeoutMs?: number;
}

export interface UpstreamRequest {
  readonly path: string;
  readonly method: string;
  /** Flat `[name, value, ...]`. */
  readonly headers: readonly string[];
  readonly body: Buffer | Readable | null;
}

/** Subtracted from the upstream's keep-alive hint so that we never reuse a socket it is closing (undici does the same). */
const keepAliveThresholdMs = 2_000;
const maxHeadBytes = 64 * 1024;
const maxChunkLine = 4 * 1024;

const State = {
  Head: 0,
  Length: 1,
  ChunkSize: 2,
  ChunkData: 3,
  ChunkEnd: 4,
  Trailers: 5,
  UntilClose: 6,
} as const;
type State = (typeof State)[keyof typeof State];

function failure(message: string, code: string): Error {
  const error = new Error(message) as NodeJS.ErrnoException;
  error.code = code;
  return error;
}

const noTrailers: Record<string, string> = Object.freeze({}) as Record<string, string>;
const requestContext = Object.freeze({});

/** One request: queued, then on a connection, then done. Also the handler's controller. */
class Pending {
  readonly pool: UpstreamPool;
  readonly request: UpstreamRequest;
  readonly handler: Dispatcher.DispatchHandler;
  connection: Connection | undefined;
  done = false;
  aborted = false;
  paused = false;
  reason: Error | null = null;

  constructor(pool: UpstreamPool, request: UpstreamRequest, handler: Dispatcher.DispatchHandler) {
    this.pool = pool;
    this.request = request;
    this.handler = handler;
  }

  get controller(): Dispatcher.DispatchController {
    return this as unknown as Dispatcher.DispatchController;
  }

  abort(reason: Error): void {
    if (this.done) return;
    this.aborted = true;
    this.reason = reason;
    this.done = true;
    const connection = this.connection;
    if (connection !== undefined) connection.abandon(this);
    // As undici: the handler hears of its own abort, after the abort call returns.
    queueMicrotask(() => this.handler.onResponseError?.(this.controller, reason));
  }

  pause(): void {
    this.paused = true;
    this.connection?.socket.pause();
  }

  resume(): void {
    this.paused = false;
    const connection = this.connection;
    if (connection !== undefined && connection.current === this) connection.socket.resume();
  }

  /** Ends the request with an error (not via the handler's own abort). */
  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.handler.onResponseError?.(this.controller, error);
  }
}

class Connection {
  readonly pool: UpstreamPool;
  readonly socket: Socket;
  current: Pending | undefined;
  served = 0;
  idleDeadline = 0;
  connected = false;
  closed = false;
  #error: Error | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  // Response parser.
  #state: State = State.Head;
  #stash: Buffer | undefined;
  #remaining = 0;
  #reusable = true;
  #noBody = false;
  #keepAliveMs: number;
  // Request body.
  #bodyDone = true;
  #body: Readable | undefined;
  #chunked = false;

  constructor(pool: UpstreamPool, first: Pending) {
    this.pool = pool;
    this.#keepAliveMs = pool.keepAliveTimeoutMs;
    const socket = connect({ host: pool.hostname, port: pool.port });
    this.socket = socket;
    socket.setNoDelay(true);
    if (pool.connectTimeoutMs > 0)
      this.#connectTimer = setTimeout(onConnectTimeout, pool.connectTimeoutMs, this);
    socket.on('connect', () => {
      this.connected = true;
      if (this.#connectTimer) clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
    });
    guardWrites(socket, this);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#body?.resume());
    socket.on('error', (error: Error) => {
      this.#error ??= error;
    });
    socket.on('close', () => this.#onClose());
    this.send(first);
  }

  connectTimeout(): void {
    this.#connectTimer = undefined;
    if (this.connected) return;
    this.#error = failure('connect timeout', 'UND_ERR_CONNECT_TIMEOUT');
    this.socket.destroy();
  }

  send(pending: Pending): void {
    this.current = pending;
    pending.connection = this;
    this.#state = State.Head;
    this.#stash = undefined;
    this.#reusable = true;
    this.#noBody = pending.request.method === 'HEAD';
    const socket = this.socket;
    if (socket.isPaused()) socket.resume();
    const { method, path, headers, body } = pending.request;
    let head = `${method} ${path} HTTP/1.1\r\n`;
    let length: string | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.length === 14 && name.toLowerCase() === 'content-length') {
        length = headers[i + 1] as string;
        continue;
      }
      head += `${name}: ${headers[i + 1] as string}\r\n`;
    }
    if (body === null) {
      this.#bodyDone = true;
      if (length !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH')
        head += 'content-length: 0\r\n';
      socket.write(`${head}\r\n`, 'latin1');
      return;
    }
    if (Buffer.isBuffer(body)) {
      this.#bodyDone = true;
      head += `content-length: ${body.length}\r\n\r\n`;
      if (body.length <= 16 * 1024) socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      else {
        socket.cork();
        socket.write(head, 'latin1');
        socket.write(body);
        socket.uncork();
      }
      return;
    }
    this.#bodyDone = false;
    this.#chunked = length === undefined;
    head += this.#chunked ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${length}\r\n\r\n`;
    socket.write(head, 'latin1');
    this.#body = body;
    if (body.readableEnded) {
      this.#onBodyEnd();
      return;
    }
    body.on('data', this.#onBodyData);
    body.once('end', this.#onBodyEnd);
    body.once('error', this.#onBodyError);
    body.resume();
  }

  /**
   * A write failed because the upstream closed or reset the connection. An upstream that answers
   * early (413) and closes makes the next body write fail before its answer is read; Node would
   * then destroy the socket and drop that answer with it. Stop sending and keep reading: the answer,
   * or the read side's own error, ends the request.
   */
  writeFailed(error: Error): void {
    this.#error ??= error;
    this.#detachBody();
    this.#bodyDone = false;
  }

  #onBodyData = (chunk: Buffer): void => {
    const socket = this.socket;
    let flushed: boolean;
    if (this.#chunked) {
      if (chunk.length === 0) return;
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      flushed = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else flushed = socket.write(chunk);
    if (!flushed) this.#body?.pause();
  };

  #onBodyEnd = (): void => {
    if (this.#chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.#detachBody();
    this.#bodyDone = true;
  };

  #onBodyError = (): void => {
    this.#detachBody();
    this.socket.destroy();
  };

  #detachBody(): void {
    const body = this.#body;
    if (body === undefined) return;
    this.#body = undefined;
    body.off('data', this.#onBodyData);
    body.off('end', this.#onBodyEnd);
    body.off('error', this.#onBodyError);
  }

  /** The request was aborted by its handler: the connection is in an unknown state. */
  abandon(pending: Pending): void {
    if (this.current !== pending) return;
    this.current = undefined;
    this.#detachBody();
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.#stash !== undefined) {
      buf = Buffer.concat([this.#stash, chunk]);
      this.#stash = undefined;
    }
    const pending = this.current;
    if (pending === undefined) {
      // Bytes nobody asked for: the connection is out of step.
      this.socket.destroy();
      return;
    }
    const length = buf.length;
    let offset = 0;
    while (offset < length) {
      if (this.current !== pending || pending.done) return;
      switch (this.#state) {
        case State.Head: {
          const end = buf.indexOf('\r\n\r\n', offset, 'latin1');
          if (end === -1) {
            if (length - offset > maxHeadBytes) {
              this.#protocolError('response head too large');
              return;
            }
            this.#stash = buf.subarray(offset);
            return;
          }
          const text = buf.toString('latin1', offset, end);
          offset = end + 4;
          if (!this.#head(pending, text, offset < length)) return;
          break;
        }
        case State.Length: {
          const take = Math.min(this.#remaining, length - offset);
          const piece = buf.subarray(offset, offset + take);
          offset += take;
          this.#remaining -= take;
          pending.handler.onResponseData?.(pending.controller, piece);
          if (this.#remaining === 0) {
            this.#complete(pending, offset < length);
            return;
          }
          break;
        }
        case State.ChunkSize: {
          const end = buf.indexOf('\r\n', offset, 'latin1');
          if (end === -1) {
            if (length - offset > maxChunkLine) {
              this.#protocolError('chunk size line too long');
              return;
            }
            this.#stash = buf.subarray(offset);
            return;
          }
          const size = chunkSize(buf, offset, end);
          if (size < 0) {
            this.#protocolError('invalid chunk size');
            return;
          }
          offset = end + 2;
          if (size === 0) this.#state = State.Trailers;
          else {
            this.#remaining = size;
            this.#state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.#remaining, length - offset);
          const piece = buf.subarray(offset, offset + take);
          offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = State.ChunkEnd;
          pending.handler.onResponseData?.(pending.controller, piece);
          break;
        }
        case State.ChunkEnd: {
          if (length - offset < 2) {
            this.#stash = buf.subarray(offset);
            return;
          }
          if (buf[offset] !== 13 || buf[offset + 1] !== 10) {
            this.#protocolError('missing chunk CRLF');
            return;
          }
          offset += 2;
          this.#state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const end = buf.indexOf('\r\n', offset, 'latin1');
          if (end === -1) {
            if (length - offset > maxHeadBytes) {
              this.#protocolError('trailers too large');
              return;
            }
            this.#stash = buf.subarray(offset);
            return;
          }
          // Trailers are dropped, as the proxy does not forward them.
          const empty = end === offset;
          offset = end + 2;
          if (empty) {
            this.#complete(pending, offset < length);
            return;
          }
          break;
        }
        case State.UntilClose: {
          const piece = offset === 0 ? buf : buf.subarray(offset);
          offset = length;
          pending.handler.onResponseData?.(pending.controller, piece);
          break;
        }
      }
    }
  }

  /** Parses a response head; false when parsing must stop (error, abort). */
  #head(pending: Pending, text: string, more: boolean): boolean {
    const lines = text.split('\r\n');
    const statusLine = lines[0] as string;
    const minor = statusLine.charCodeAt(7);
    if (
      statusLine.length < 12 ||
      !statusLine.startsWith('HTTP/1.') ||
      (minor !== 48 && minor !== 49) ||
      statusLine.charCodeAt(8) !== 32 ||
      (statusLine.length > 12 && statusLine.charCodeAt(12) !== 32)
    ) {
      this.#protocolError('invalid status line');
      return false;
    }
    const status = Number(statusLine.slice(9, 12));
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      this.#protocolError('invalid status code');
      return false;
    }
    const statusMessage = statusLine.length > 13 ? statusLine.slice(13) : '';
    const headers: IncomingHttpHeaders = {};
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let connection: string | undefined;
    let keepAlive: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      const first = line.charCodeAt(0);
      if (colon <= 0 || first === 32 || first === 9) {
        this.#protocolError('invalid header line');
        return false;
      }
      const name = line.slice(0, colon).toLowerCase();
      const last = name.charCodeAt(name.length - 1);
      if (last === 32 || last === 9) {
        this.#protocolError('invalid header name');
        return false;
      }
      const value = line.slice(colon + 1).trim();
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else headers[name] = [existing, value];
      switch (name) {
        case 'content-length':
          if (contentLength !== undefined && contentLength !== value) {
            this.#protocolError('conflicting content-length');
            return false;
          }
          contentLength = value;
          break;
        case 'transfer-encoding':
          transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
          break;
        case 'connection':
          connection = connection === undefined ? value : `${connection}, ${value}`;
          break;
        case 'keep-alive':
          keepAlive = value;
          break;
      }
    }
    if (status < 200) {
      // 1xx: informational, skipped. 101 would switch protocols, which this client does not do.
      if (status === 101) {
        this.#protocolError('upgrade not supported');
        return false;
      }
      this.#state = State.Head;
      return true;
    }
    if (minor === 48)
      this.#reusable = connection !== undefined && /(^|,)\s*keep-alive\s*(,|$)/i.test(connection);
    else if (connection !== undefined && /(^|,)\s*close\s*(,|$)/i.test(connection)) this.#reusable = false;
    if (keepAlive !== undefined) {
      const match = /timeout\s*=\s*(\d+)/i.exec(keepAlive);
      if (match) {
        const hinted = Number(match[1]) * 1000 - keepAliveThresholdMs;
        this.#keepAliveMs = Math.min(Math.max(hinted, 1_000), this.pool.keepAliveMaxTimeoutMs);
      }
    }
    let bodyless = this.#noBody || status === 204 || status === 304;
    if (!bodyless) {
      if (transferEncoding !== undefined) {
        if (/(^|,)\s*chunked\s*$/i.test(transferEncoding)) this.#state = State.ChunkSize;
        else {
          this.#state = State.UntilClose;
          this.#reusable = false;
        }
      } else if (contentLength !== undefined) {
        if (!/^\d{1,15}$/.test(contentLength)) {
          this.#protocolError('invalid content-length');
          return false;
        }
        this.#remaining = Number(contentLength);
        if (this.#remaining === 0) bodyless = true;
        else this.#state = State.Length;
      } else {
        this.#state = State.UntilClose;
        this.#reusable = false;
      }
    }
    pending.handler.onResponseStart?.(pending.controller, status, headers, statusMessage);
    if (this.current !== pending || pending.done) return false;
    if (bodyless) {
      this.#complete(pending, more);
      return false;
    }
    return true;
  }

  #complete(pending: Pending, extra: boolean): void {
    this.current = undefined;
    this.served++;
    if (extra) this.#reusable = false;
    if (!this.#bodyDone) {
      // The upstream answered before reading the whole body: stop sending, do not reuse.
      this.#detachBody();
      this.#reusable = false;
    }
    pending.done = true;
    pending.connection = undefined;
    pending.handler.onResponseEnd?.(pending.controller, noTrailers);
    const limit = this.pool.maxRequestsPerConnection;
    if (this.#reusable && !this.closed && (limit === undefined || this.served < limit)) {
      if (pending.paused) this.socket.resume();
      this.idleDeadline = performance.now() + this.#keepAliveMs;
      this.pool.release(this);
    } else this.socket.destroy();
  }

  #protocolError(message: string): void {
    this.#error = failure(message, 'HPE_INVALID');
    this.#reusable = false;
    this.socket.destroy();
  }

  #onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#detachBody();
    const pending = this.current;
    this.current = undefined;
    if (pending !== undefined && !pending.done) {
      // A body delimited by the close also ends at a reset: Node's own 431 and 413 answers close
      // with the request's bytes unread, which the kernel turns into a reset after the answer.
      if (this.#state === State.UntilClose && this.connected && endsUntilClose(this.#error)) {
        this.#complete(pending, false);
      } else {
        pending.connection = undefined;
        const cause = this.#error as NodeJS.ErrnoException | undefined;
        let error: Error;
        if (cause !== undefined && (!this.connected || cause.code === 'HPE_INVALID')) error = cause;
        else {
          error = failure('other side closed', 'UND_ERR_SOCKET');
          if (cause !== undefined) error.cause = cause;
        }
        pending.fail(error);
      }
    }
    this.pool.removed(this);
  }
}

/** Codes of a write that failed because the peer went away, while its answer may still be readable. */
function peerGone(error: Error | null | undefined): error is Error {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}

/** Routes the socket's write failures to the connection instead of Node's destroy-on-error. */
function guardWrites(socket: Socket, connection: Connection): void {
  type Callback = (error?: Error | null) => void;
  const write = socket._write;
  const writev = socket._writev as NonNullable<Socket['_writev']>;
  const guard =
    (callback: Callback): Callback =>
    (error) => {
      if (!peerGone(error)) return callback(error);
      connection.writeFailed(error);
      callback();
    };
  socket._write = function (this: Socket, chunk, encoding, callback: Callback) {
    write.call(this, chunk, encoding, guard(callback));
  };
  socket._writev = function (this: Socket, chunks, callback: Callback) {
    writev.call(this, chunks, guard(callback));
  };
}

function endsUntilClose(error: NodeJS.ErrnoException | undefined): boolean {
  return error === undefined || error.code === 'ECONNRESET' || error.code === 'EPIPE';
}

function onConnectTimeout(connection: Connection): void {
  connection.connectTimeout();
}

function sweepIdle(pool: UpstreamPool): void {
  pool.sweep();
}

export class UpstreamPool {
  readonly hostname: string;
  readonly port: number;
  readonly connections: number;
  readonly maxRequestsPerConnection: number | undefined;
  readonly connectTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly keepAliveMaxTimeoutMs: number;
  readonly #all = new Set<Connection>();
  #idle: Connection[] = [];
  #queue: Pending[] = [];
  #queueHead = 0;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(origin: string, options: UpstreamPoolOptions) {
    const url = new URL(origin);
    if (url.protocol !== 'http:') throw new Error(`unsupported upstream origin ${origin}`);
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === '' ? 80 : Number(url.port);
    this.connections = Math.max(1, options.connections);
    this.maxRequestsPerConnection = options.maxRequestsPerConnection;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 30_000;
    this.keepAliveMaxTimeoutMs = options.keepAliveMaxTimeoutMs ?? 120_000;
  }

  /** Connections open or opening. */
  get size(): number {
    return this.#all.size;
  }

  dispatch(request: UpstreamRequest, handler: Dispatcher.DispatchHandler): boolean {
    const pending = new Pending(this, request, handler);
    handler.onRequestStart?.(pending.controller, requestContext);
    if (pending.done) return true;
    if (this.#closed) {
      pending.fail(failure('the pool is closed', 'UND_ERR_CLOSED'));
      return true;
    }
    this.#assign(pending);
    return true;
  }

  #assign(pending: Pending): void {
    const idle = this.#idle;
    if (idle.length > 0) {
      const now = performance.now();
      while (idle.length > 0) {
        const connection = idle.pop() as Connection;
        if (!connection.closed && connection.idleDeadline > now) {
          connection.send(pending);
          return;
        }
        connection.socket.destroy();
      }
    }
    if (this.#all.size < this.connections) {
      this.#all.add(new Connection(this, pending));
      return;
    }
    this.#queue.push(pending);
  }

  #nextQueued(): Pending | undefined {
    const queue = this.#queue;
    while (this.#queueHead < queue.length) {
      const pending = queue[this.#queueHead] as Pending;
      queue[this.#queueHead] = undefined as unknown as Pending;
      this.#queueHead++;
      if (this.#queueHead === queue.length) {
        this.#queue = [];
        this.#queueHead = 0;
      }
      if (!pending.done) return pending;
    }
    return undefined;
  }

  /** A connection finished its request and may serve another. */
  release(connection: Connection): void {
    if (this.#closed) {
      connection.socket.destroy();
      return;
    }
    const next = this.#nextQueued();
    if (next !== undefined) {
      connection.send(next);
      return;
    }
    this.#idle.push(connection);
    this.#sweep ??= setInterval(sweepIdle, 1_000, this).unref();
  }

  removed(connection: Connection): void {
    this.#all.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at !== -1) this.#idle.splice(at, 1);
    if (this.#closed) return;
    if (this.#all.size < this.connections) {
      const next = this.#nextQueued();
      if (next !== undefined) this.#assign(next);
    }
  }

  sweep(): void {
    const now = performance.now();
    const idle = this.#idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const connection = idle[i] as Connection;
      if (connection.idleDeadline <= now) connection.socket.destroy();
    }
    if (idle.length === 0 && this.#sweep !== undefined) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  /** Lets requests in flight finish; idle connections close now, busy ones when done. */
  close(): Promise<void> {
    this.#closed = true;
    for (const connection of this.#idle) connection.socket.destroy();
    this.#failQueue();
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    this.#closed = true;
    this.#failQueue();
    for (const connection of this.#all) connection.socket.destroy();
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
    return Promise.resolve();
  }

  #failQueue(): void {
    for (let pending = this.#nextQueued(); pending !== undefined; pending = this.#nextQueued())
      pending.fail(failure('the pool is closed', 'UND_ERR_CLOSED'));
  }
}
