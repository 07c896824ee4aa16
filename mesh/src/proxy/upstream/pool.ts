import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { eventNow, withEventTime } from '../event-clock.ts';
import { BodyDecoder } from '../http1/body.ts';
import { Http1Error } from '../http1/error.ts';
import { closeDelimitedBody, envoyHeadLimits, headEnd, ResponseHead } from '../http1/head.ts';
import { RepeatedHead } from '../http1/repeated-head.ts';
import {
  UpstreamConnectError,
  UpstreamConnectTimeoutError,
  UpstreamError,
  UpstreamPoolClosedError,
  UpstreamProtocolError,
  UpstreamResetError,
} from './errors.ts';

/**
 * A minimal HTTP/1.1 client pool to one endpoint, for the proxy's own exchanges: keep-alive, one
 * request at a time per connection (no pipelining, as Envoy), the request head written as one
 * latin1 string, bodies streamed with backpressure, answers read by `http1/` with the rules the
 * listeners apply to requests, failures reported as `UpstreamError`s (./errors.ts). It calls
 * its handlers (the inbound side's, for the exchange's Attempt or the mirror's handler) as undici
 * calls dispatch handlers, but with the answer's fields as received (`UpstreamHandler`). Upgrade
 * (101) is not supported: the passthrough and anything else that needs it stay on undici.
 */

/** Where every upstream connection's reads land (`onread`): one at a time, consumed before the next. */
const readBuffer = Buffer.allocUnsafe(64 * 1024);
const readView = new DataView(readBuffer.buffer, readBuffer.byteOffset, readBuffer.length);

/**
 * undici's dispatch handler, except that `onResponseStart` gets the head's fields in the order
 * received: flat `[name, value, ...]`, names in lower case (http1/head.ts).
 * The proxy forwards them as a list, so no headers object is built for it to take apart again.
 */
export interface UpstreamHandler {
  onRequestStart?(controller: Dispatcher.DispatchController, context: unknown): void;
  onResponseStart?(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    rawHeaders: readonly string[],
    statusMessage: string,
  ): void;
  /**
   * `chunk` is lent for the call only: its bytes are overwritten by the next read (the pool reads
   * every connection into one buffer). A handler that keeps them copies them.
   */
  onResponseData?(controller: Dispatcher.DispatchController, chunk: Buffer): void;
  onResponseEnd?(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void;
  onResponseError?(controller: Dispatcher.DispatchController, error: Error): void;
}

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
const noTrailers: Record<string, string> = Object.freeze({}) as Record<string, string>;
const requestContext = Object.freeze({});

/** One request: queued, then on a connection, then done. Also the handler's controller. */
class Pending {
  readonly pool: UpstreamPool;
  readonly request: UpstreamRequest;
  readonly handler: UpstreamHandler;
  connection: Connection | undefined;
  done = false;
  aborted = false;
  paused = false;
  reason: Error | null = null;

  constructor(pool: UpstreamPool, request: UpstreamRequest, handler: UpstreamHandler) {
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
  /** The first thing that went wrong, typed once it is known to be an upstream failure. */
  private error: Error | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  // Response parser: the bytes of a head or line not yet complete wait in the stash.
  private readonly head = new ResponseHead();
  private readonly lastHead = new RepeatedHead();
  private readonly decoder = new BodyDecoder(envoyHeadLimits, (piece) => this.deliver(piece));
  private stash: Buffer | undefined;
  private reusable = true;
  private keepAliveMs: number;
  /** The last Keep-Alive value read, so that a repeated one is not parsed again. */
  private keepAliveHint: string | undefined;
  // Request body.
  private bodyDone = true;
  private body: Readable | undefined;
  private chunked = false;

  constructor(pool: UpstreamPool, first: Pending) {
    this.pool = pool;
    this.keepAliveMs = pool.keepAliveTimeoutMs;
    const socket = connect({
      host: pool.hostname,
      port: pool.port,
      // Reads land in one shared buffer and come straight here, without a Buffer allocated per
      // read and the readable stream's queue and nextTick behind 'data': parsing and delivery
      // are synchronous, and what must outlive the call (a partial head) is copied.
      onread: {
        buffer: readBuffer,
        callback: (length: number) => {
          withEventTime(this.onRead, length);
          return true;
        },
      },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    if (pool.connectTimeoutMs > 0)
      this.connectTimer = setTimeout(onConnectTimeout, pool.connectTimeoutMs, this);
    socket.on('connect', () => {
      this.connected = true;
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    });
    guardWrites(socket, this);
    socket.on('drain', () => this.body?.resume());
    socket.on('error', (error: Error) => {
      this.error ??= error;
    });
    socket.on('close', () => this.onClose());
    this.send(first);
  }

  connectTimeout(): void {
    this.connectTimer = undefined;
    if (this.connected) return;
    this.error = new UpstreamConnectTimeoutError(this.pool.connectTimeoutMs);
    this.socket.destroy();
  }

  send(pending: Pending): void {
    this.current = pending;
    pending.connection = this;
    this.decoder.stop();
    this.stash = undefined;
    this.reusable = true;
    const socket = this.socket;
    if (socket.isPaused()) socket.resume();
    const { method, path, headers, body } = pending.request;
    // Concatenated with `+`, not a template: a template converts each value with a ToString call
    // first, a cost the heads and the access log paid some 50 times per request.
    // biome-ignore lint/style/useTemplate: see above
    let head = method + ' ' + path + ' HTTP/1.1\r\n';
    let length: string | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.length === 14 && name.toLowerCase() === 'content-length') {
        length = headers[i + 1] as string;
        continue;
      }
      // biome-ignore lint/style/useTemplate: no ToString per value (see above)
      head += name + ': ' + (headers[i + 1] as string) + '\r\n';
    }
    if (body === null) {
      this.bodyDone = true;
      if (length !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH')
        head += 'content-length: 0\r\n';
      socket.write(`${head}\r\n`, 'latin1');
      return;
    }
    if (Buffer.isBuffer(body)) {
      this.bodyDone = true;
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
    this.bodyDone = false;
    this.chunked = length === undefined;
    head += this.chunked ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${length}\r\n\r\n`;
    socket.write(head, 'latin1');
    this.body = body;
    if (body.readableEnded) {
      this.onBodyEnd();
      return;
    }
    body.on('data', this.onBodyData);
    body.once('end', this.onBodyEnd);
    body.once('error', this.onBodyError);
    body.resume();
  }

  /**
   * A write failed because the upstream closed or reset the connection. An upstream that answers
   * early (413) and closes makes the next body write fail before its answer is read; Node would
   * then destroy the socket and drop that answer with it. Stop sending and keep reading: the answer,
   * or the read side's own error, ends the request.
   */
  writeFailed(error: Error): void {
    this.error ??= error;
    this.detachBody();
    this.bodyDone = false;
  }

  private onBodyData = (chunk: Buffer): void => {
    const socket = this.socket;
    let flushed: boolean;
    if (this.chunked) {
      if (chunk.length === 0) return;
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      flushed = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else flushed = socket.write(chunk);
    if (!flushed) this.body?.pause();
  };

  private onBodyEnd = (): void => {
    if (this.chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.detachBody();
    this.bodyDone = true;
  };

  private onBodyError = (): void => {
    this.detachBody();
    this.socket.destroy();
  };

  private detachBody(): void {
    const body = this.body;
    if (body === undefined) return;
    this.body = undefined;
    body.off('data', this.onBodyData);
    body.off('end', this.onBodyEnd);
    body.off('error', this.onBodyError);
  }

  /** The request was aborted by its handler: the connection is in an unknown state. */
  abandon(pending: Pending): void {
    if (this.current !== pending) return;
    this.current = undefined;
    this.detachBody();
    this.socket.destroy();
  }

  /** Each read with one clock reading for all it does (event-clock.ts). */
  private onRead = (length: number): void => this.onData(readBuffer.subarray(0, length));

  /** `chunk` is the first bytes of `readBuffer`, which `readView` covers. */
  private onData(chunk: Buffer): void {
    let buf = chunk;
    let view: DataView | undefined = readView;
    if (this.stash !== undefined) {
      buf = Buffer.concat([this.stash, chunk]);
      view = undefined;
      this.stash = undefined;
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
      const decoder = this.decoder;
      if (!decoder.reading) {
        const end = headEnd(buf, offset, envoyHeadLimits);
        if (end === -1) {
          this.stash = Buffer.copyBytesFrom(buf, offset);
          return;
        }
        if (typeof end !== 'number') {
          this.protocolError(end);
          return;
        }
        const start = offset;
        offset = end + 4;
        if (!this.onHead(pending, buf, view, start, end, offset < length)) return;
        continue;
      }
      const next = decoder.read(buf, offset);
      if (next < 0) {
        this.protocolError(decoder.error as Http1Error);
        return;
      }
      if (this.current !== pending || pending.done) return;
      if (!decoder.reading) {
        this.complete(pending, next < length);
        return;
      }
      if (next < length) {
        // A chunk-size or trailer line not yet complete.
        this.stash = Buffer.copyBytesFrom(buf, next);
        return;
      }
      offset = next;
    }
  }

  /** Hands body bytes to the request in flight; false once it no longer wants them. */
  private deliver(piece: Buffer): boolean {
    const pending = this.current;
    if (pending === undefined || pending.done) return false;
    pending.handler.onResponseData?.(pending.controller, piece);
    return this.current === pending && !pending.done;
  }

  /**
   * Reads a response head (`view` covers `buf`, when it is the shared read buffer); false when
   * parsing must stop (error, abort, a response without body).
   */
  private onHead(
    pending: Pending,
    buf: Buffer,
    view: DataView | undefined,
    start: number,
    end: number,
    more: boolean,
  ): boolean {
    const head = this.head;
    const lastHead = this.lastHead;
    if (view === undefined || !lastHead.matches(view, start, end - start)) {
      const error = head.parse(buf, start, end, envoyHeadLimits);
      if (error !== undefined) {
        lastHead.forget();
        this.protocolError(error);
        return false;
      }
      lastHead.remember(buf, start, end);
    }
    const status = head.status;
    if (status < 200) {
      // 1xx: informational, skipped. 101 would switch protocols, which this client does not do.
      if (status === 101) {
        this.protocolError(new Http1Error(400, 'upgrade not supported'));
        return false;
      }
      return true;
    }
    if (!head.persistent) this.reusable = false;
    // An upstream repeats its hint on every response (Node's `timeout=5`): read once per value.
    const keepAlive = head.keepAlive;
    if (keepAlive !== undefined && keepAlive !== this.keepAliveHint) {
      this.keepAliveHint = keepAlive;
      const hint = keepAliveTimeout.exec(keepAlive);
      if (hint !== null) {
        const hinted = Number(hint[1]) * 1000 - keepAliveThresholdMs;
        this.keepAliveMs = Math.min(Math.max(hinted, 1_000), this.pool.keepAliveMaxTimeoutMs);
      }
    }
    const bodyLength = head.bodyLength(pending.request.method);
    if (bodyLength === closeDelimitedBody) this.reusable = false;
    pending.handler.onResponseStart?.(pending.controller, status, head.raw, head.reason);
    if (this.current !== pending || pending.done) return false;
    if (bodyLength === 0) {
      this.complete(pending, more);
      return false;
    }
    this.decoder.start(bodyLength);
    return true;
  }

  private complete(pending: Pending, extra: boolean): void {
    this.current = undefined;
    this.served++;
    if (extra) this.reusable = false;
    if (!this.bodyDone) {
      // The upstream answered before reading the whole body: stop sending, do not reuse.
      this.detachBody();
      this.reusable = false;
    }
    pending.done = true;
    pending.connection = undefined;
    pending.handler.onResponseEnd?.(pending.controller, noTrailers);
    const limit = this.pool.maxRequestsPerConnection;
    if (this.reusable && !this.closed && (limit === undefined || this.served < limit)) {
      if (pending.paused) this.socket.resume();
      this.idleDeadline = eventNow() + this.keepAliveMs;
      this.pool.release(this);
    } else this.socket.destroy();
  }

  private protocolError(error: Http1Error): void {
    this.error = new UpstreamProtocolError(error);
    this.reusable = false;
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.detachBody();
    const pending = this.current;
    this.current = undefined;
    if (pending !== undefined && !pending.done) {
      // A body delimited by the close also ends at a reset: Node's own 431 and 413 answers close
      // with the request's bytes unread, which the kernel turns into a reset after the answer.
      if (this.decoder.untilClose && this.connected && endsUntilClose(this.error)) {
        this.decoder.stop();
        this.complete(pending, false);
      } else {
        pending.connection = undefined;
        pending.fail(this.failure());
      }
    }
    this.pool.removed(this);
  }

  /** What the request in flight learns when the connection closed under it. */
  private failure(): UpstreamError {
    const cause = this.error;
    if (cause instanceof UpstreamError) return cause;
    if (!this.connected && cause !== undefined) return new UpstreamConnectError(cause);
    return new UpstreamResetError(cause);
  }
}

const keepAliveTimeout = /timeout\s*=\s*(\d+)/i;

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
  private readonly all = new Set<Connection>();
  private idle: Connection[] = [];
  private queue: Pending[] = [];
  private queueHead = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

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
    return this.all.size;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): boolean {
    const pending = new Pending(this, request, handler);
    handler.onRequestStart?.(pending.controller, requestContext);
    if (pending.done) return true;
    if (this.closed) {
      pending.fail(new UpstreamPoolClosedError());
      return true;
    }
    this.assign(pending);
    return true;
  }

  private assign(pending: Pending): void {
    const idle = this.idle;
    if (idle.length > 0) {
      const now = eventNow();
      while (idle.length > 0) {
        const connection = idle.pop() as Connection;
        if (!connection.closed && connection.idleDeadline > now) {
          connection.send(pending);
          return;
        }
        connection.socket.destroy();
      }
    }
    if (this.all.size < this.connections) {
      this.all.add(new Connection(this, pending));
      return;
    }
    this.queue.push(pending);
  }

  private nextQueued(): Pending | undefined {
    const queue = this.queue;
    while (this.queueHead < queue.length) {
      const pending = queue[this.queueHead] as Pending;
      queue[this.queueHead] = undefined as unknown as Pending;
      this.queueHead++;
      if (this.queueHead === queue.length) {
        this.queue = [];
        this.queueHead = 0;
      }
      if (!pending.done) return pending;
    }
    return undefined;
  }

  /** A connection finished its request and may serve another. */
  release(connection: Connection): void {
    if (this.closed) {
      connection.socket.destroy();
      return;
    }
    const next = this.nextQueued();
    if (next !== undefined) {
      connection.send(next);
      return;
    }
    this.idle.push(connection);
    this.sweepTimer ??= setInterval(sweepIdle, 1_000, this).unref();
  }

  removed(connection: Connection): void {
    this.all.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
    if (this.closed) return;
    if (this.all.size < this.connections) {
      const next = this.nextQueued();
      if (next !== undefined) this.assign(next);
    }
  }

  sweep(): void {
    const now = performance.now();
    const idle = this.idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const connection = idle[i] as Connection;
      if (connection.idleDeadline <= now) connection.socket.destroy();
    }
    if (idle.length === 0 && this.sweepTimer !== undefined) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  /** Lets requests in flight finish; idle connections close now, busy ones when done. */
  close(): Promise<void> {
    this.closed = true;
    for (const connection of this.idle) connection.socket.destroy();
    this.failQueue();
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    this.closed = true;
    this.failQueue();
    for (const connection of this.all) connection.socket.destroy();
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    return Promise.resolve();
  }

  private failQueue(): void {
    for (let pending = this.nextQueued(); pending !== undefined; pending = this.nextQueued())
      pending.fail(new UpstreamPoolClosedError());
  }
}
