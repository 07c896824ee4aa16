import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { withEventTime } from '../event-clock.ts';
import { httpDate } from '../http-date.ts';
import { BodyDecoder } from '../http1/body.ts';
import { type HeadLimits, headEnd, RequestHead } from '../http1/head.ts';
import { RepeatedHead } from '../http1/repeated-head.ts';
import { DownstreamRequest, type RequestBody } from './request.ts';
import { DownstreamResponse } from './response.ts';

export interface DownstreamHandlers {
  request(req: DownstreamRequest, res: DownstreamResponse): void;
  /**
   * CONNECT: the handler owns the socket from here, paused (resume, pipe or `serve` it); `head`
   * holds the bytes that followed the request.
   */
  connect(req: DownstreamRequest, socket: Socket, head: Buffer): void;
  /** A request that could not be parsed was answered `status` and its connection closed (Envoy's DPE). */
  protocolError?(status: number, socket: Socket): void;
}

export interface DownstreamLimits extends HeadLimits {
  /** An idle keep-alive connection is closed after this long (give or take a quarter). */
  readonly idleTimeoutMs: number;
  /**
   * From the first byte of a request head to its end (Envoy's request_headers_timeout); past it,
   * 408 and the connection closes, so that clients trickling a head cannot hold sockets forever.
   */
  readonly headTimeoutMs: number;
}

const empty = Buffer.alloc(0);
/** A body nobody reads any more (answered early) is skipped up to this size, else the connection closes. */
const discardLimit = 1024 * 1024;

/**
 * One client connection of a listener: an HTTP/1.1 server on a bare socket. Node's `http` server
 * costs more per request than everything the proxy does on its own (measured here: a bare `http` +
 * undici proxy tops out near half of nginx); this parses the head from the socket's buffer in
 * one pass, builds no stream unless the request has a body, and writes each small response in
 * one syscall. One request at a time: pipelined requests wait in the buffer.
 *
 * Requests are parsed by `http1/` (head and body framing), with the rules the upstream pool
 * applies to responses; a request that breaks them is answered as Envoy's codec does (400, 431,
 * 501, 505) and the connection closes.
 */
export class DownstreamConnection {
  readonly socket: Socket;
  /** Of the request in flight: decides the response's framing. */
  http11 = true;
  /** False once this connection closes after the response in flight. */
  keepAlive = true;
  private readonly handlers: DownstreamHandlers;
  private readonly limits: DownstreamLimits;
  private buffer: Buffer = empty;
  private response: DownstreamResponse | undefined;
  private request: DownstreamRequest | undefined;
  /** Filled again by each request head. */
  private readonly head = new RequestHead();
  /** A head that repeats the last one byte for byte is not parsed again. */
  private readonly lastHead = new RepeatedHead();
  private readonly body: BodyDecoder;
  /** The body's stream while someone may read it; null once the bytes are only skipped. */
  private sink: RequestBody | null = null;
  private discarded = 0;
  private paused = false;
  private driving = false;
  private readEnded = false;
  private closing = false;
  private dead = false;
  /** The socket went to a CONNECT handler. */
  private detached = false;
  /** Idle sweeps since the last byte read or response finished (see `sweepIdle`). */
  private quietSweeps = 0;
  /** Armed only while a request head has begun and not ended: a head that arrives whole never sets it. */
  private headTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, handlers: DownstreamHandlers, limits: DownstreamLimits, initial: Buffer) {
    this.socket = socket;
    this.handlers = handlers;
    this.limits = limits;
    this.body = new BodyDecoder(limits, this.deliver);
    socket.on('data', this.onSocketData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    socket.on('error', ignore);
    // A socket handed over from CONNECT was left paused so that no byte got lost on the way.
    if (socket.isPaused()) socket.resume();
    if (initial.length > 0) {
      this.buffer = initial;
      this.run();
    }
  }

  /** True while no request is in flight and nothing waits in the buffer. */
  get idle(): boolean {
    return this.response === undefined && this.buffer.length === 0;
  }

  /** Server shutdown: close now if idle, else after the response in flight. */
  close(): void {
    this.closing = true;
    // A response whose head is still to be written tells the client not to send more.
    this.keepAlive = false;
    if (this.idle) this.socket.end();
  }

  /** Called by the response in flight once it has ended. */
  responseDone(response: DownstreamResponse): void {
    if (response !== this.response) return;
    this.response = undefined;
    this.quietSweeps = 0;
    if (!this.keepAlive || this.closing) {
      this.dead = true;
      this.socket.end();
      return;
    }
    // The rest of a body nobody will read is skipped so that the connection stays usable.
    if (this.body.reading) this.sink = null;
    if (this.paused) this.resumeBody();
    if (this.buffer.length > 0 || this.readEnded) process.nextTick(drive, this);
    else if (this.socket.isPaused()) this.socket.resume();
  }

  drive(): void {
    if (this.dead) return;
    if (this.socket.isPaused() && !this.paused) this.socket.resume();
    this.run();
  }

  /** Each read with one clock reading for all it does (event-clock.ts). */
  private onSocketData = (chunk: Buffer): void => withEventTime(this.onData, chunk);

  private onData = (chunk: Buffer): void => {
    this.quietSweeps = 0;
    if (this.dead) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.run();
  };

  private onEnd = (): void => {
    this.readEnded = true;
    if (this.body.reading) {
      // The client stopped sending in the middle of a body: the request cannot complete.
      this.socket.destroy();
      return;
    }
    if (this.idle) this.socket.end();
  };

  private onClose = (): void => {
    this.dead = true;
    this.clearHeadTimer();
    const response = this.response;
    if (this.body.reading) {
      this.body.stop();
      this.sink?.destroy(new Error('aborted'));
      this.sink = null;
    }
    if (response !== undefined && !response.finished) {
      this.response = undefined;
      response.listener?.onClientClose();
    }
  };

  private onDrain = (): void => {
    this.response?.drained();
  };

  /**
   * Called by the server every quarter of the idle timeout: a connection without a request in
   * flight that has read nothing for five calls in a row has been idle past the timeout. Cheaper
   * than the socket's own timeout, which re-arms a timer on every read and write.
   */
  sweepIdle(): void {
    if (this.detached) return;
    if (this.response !== undefined) this.quietSweeps = 0;
    else if (++this.quietSweeps >= 5) this.socket.destroy();
  }

  private onBodyRead = (): void => {
    if (!this.paused) return;
    this.resumeBody();
    if (!this.driving) this.drive();
  };

  private resumeBody(): void {
    this.paused = false;
    this.socket.resume();
  }

  private run(): void {
    if (this.driving || this.dead) return;
    this.driving = true;
    try {
      // The handler may have closed the connection (Connection: close) or taken the socket (CONNECT).
      while (!this.dead) {
        if (this.body.reading) {
          if (!this.readBody()) return;
          continue;
        }
        if (this.response !== undefined) {
          // Pipelined requests wait for the response in flight; a flood of them stops reading.
          if (this.buffer.length > this.limits.maxHeaderBytes) this.socket.pause();
          return;
        }
        if (this.buffer.length === 0) {
          if (this.readEnded) this.socket.end();
          return;
        }
        if (!this.parseHead()) return;
      }
    } finally {
      this.driving = false;
    }
  }

  /** Parses one request head from the buffer and hands the request over; false when more bytes are needed. */
  private parseHead(): boolean {
    const buf = this.buffer;
    let start = 0;
    // RFC 9112 §2.2: empty lines before a request line are ignored (a server's leniency only).
    while (buf.length - start >= 2 && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    const limits = this.limits;
    const end = headEnd(buf, start, limits);
    if (end === -1) {
      if (start > 0) this.buffer = buf.subarray(start);
      if (start < buf.length) this.headTimer ??= setTimeout(onHeadTimeout, limits.headTimeoutMs, this);
      return false;
    }
    if (typeof end !== 'number') return this.reject(end.httpStatus);
    this.clearHeadTimer();
    this.buffer = end + 4 === buf.length ? empty : buf.subarray(end + 4);
    const head = this.head;
    const lastHead = this.lastHead;
    if (!lastHead.matchesBuffer(buf, start, end - start)) {
      const error = head.parse(buf, start, end, limits);
      if (error !== undefined) {
        lastHead.forget();
        return this.reject(error.httpStatus);
      }
      lastHead.remember(buf, start, end);
    }

    const http11 = head.http11;
    const bodyLength = head.bodyLength;
    this.http11 = http11;
    this.keepAlive = !this.closing && head.persistent;
    const request = new DownstreamRequest(this.socket, head);
    if (head.method === 'CONNECT') {
      const rest = this.buffer;
      this.detach();
      this.handlers.connect(request, this.socket, rest);
      return false;
    }
    const expect = head.expect;
    if (expect !== undefined) {
      if (expect.toLowerCase() !== '100-continue') return this.reject(417);
      if (http11 && bodyLength !== 0) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    }
    const response = new DownstreamResponse(this, head.method === 'HEAD');
    this.response = response;
    if (bodyLength !== 0) {
      const body = request.body as RequestBody;
      body.onRead = this.onBodyRead;
      this.request = request;
      this.sink = body;
      this.discarded = 0;
      this.body.start(bodyLength);
    }
    this.handlers.request(request, response);
    return true;
  }

  /** Feeds the body of the request in flight from the buffer; true once it has all arrived. */
  private readBody(): boolean {
    if (this.paused) return false;
    const buf = this.buffer;
    const offset = this.body.read(buf, 0);
    if (offset < 0) return this.bodyError(this.body.error?.httpStatus ?? 400);
    if (this.dead) return false;
    this.buffer = offset === buf.length ? empty : buf.subarray(offset);
    if (this.body.reading) return false;
    this.bodyComplete();
    return true;
  }

  /** False when the connection can read no further now (reader behind, or closed). */
  private deliver = (piece: Buffer): boolean => {
    const sink = this.sink;
    if (sink === null) {
      this.discarded += piece.length;
      if (this.discarded > discardLimit) {
        this.dead = true;
        this.socket.destroy();
        return false;
      }
      return true;
    }
    if (!sink.push(piece)) {
      this.paused = true;
      this.socket.pause();
      return false;
    }
    return true;
  };

  private bodyComplete(): void {
    const request = this.request as DownstreamRequest;
    this.request = undefined;
    request.complete = true;
    this.sink?.push(null);
    this.sink = null;
  }

  /** A malformed body: the request fails, and so does the connection (it is out of step). */
  private bodyError(status: number): false {
    this.sink?.destroy(new Error('malformed request body'));
    this.sink = null;
    const response = this.response;
    if (response !== undefined && !response.headersSent) {
      this.response = undefined;
      response.finished = true;
      response.listener?.onClientClose();
      this.reject(status);
    } else {
      this.dead = true;
      this.socket.destroy();
    }
    return false;
  }

  /** Called when a request head has taken longer than the limit. */
  headTimedOut(): void {
    this.headTimer = undefined;
    if (!this.dead && this.response === undefined && !this.body.reading) this.reject(408);
  }

  private clearHeadTimer(): void {
    if (this.headTimer === undefined) return;
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }

  /** Envoy answers a request it cannot parse and closes the connection. */
  private reject(status: number): false {
    this.dead = true;
    this.clearHeadTimer();
    this.buffer = empty;
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    // Envoy's codec errors are local replies whose body is the reason phrase (http1/codec_impl.cc
    // sendProtocolError); its request-header timeout says so (conn_manager_impl.cc).
    const body = status === 408 ? 'request header timeout' : reason;
    this.socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\ndate: ${httpDate()}\r\nserver: istio-envoy\r\nconnection: close\r\n\r\n${body}`,
      'latin1',
    );
    this.handlers.protocolError?.(status, this.socket);
    return false;
  }

  /** Hands the socket to the CONNECT handler, paused as node:http does, so that bytes wait for its reader. */
  private detach(): void {
    this.dead = true;
    this.detached = true;
    const socket = this.socket;
    socket.pause();
    socket.off('data', this.onSocketData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onClose);
    socket.off('drain', this.onDrain);
    socket.off('error', ignore);
  }
}

function drive(connection: DownstreamConnection): void {
  connection.drive();
}

function onHeadTimeout(connection: DownstreamConnection): void {
  connection.headTimedOut();
}

function ignore(): void {}
