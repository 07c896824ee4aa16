import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { chunkSize } from '../chunked.ts';
import { httpDate } from '../http-date.ts';
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

export interface DownstreamLimits {
  /** Request line and headers together (Envoy's max_request_headers_kb: 60 KiB); over it, 431. */
  readonly maxHeaderBytes: number;
  /** Header lines (Envoy's max_headers_count: 100); over it, 431. */
  readonly maxHeaders: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly idleTimeoutMs: number;
  /**
   * From the first byte of a request head to its end (Envoy's request_headers_timeout); past it,
   * 408 and the connection closes, so that clients trickling a head cannot hold sockets forever.
   */
  readonly headTimeoutMs: number;
}

/** Where the body of the request being read stands. */
const Body = {
  None: 0,
  Length: 1,
  ChunkSize: 2,
  ChunkData: 3,
  ChunkDataEnd: 4,
  Trailers: 5,
} as const;
type Body = (typeof Body)[keyof typeof Body];

const crlfcrlf = Buffer.from('\r\n\r\n', 'latin1');
const empty = Buffer.alloc(0);
// RFC 9110 §5.6.2 token; field values may hold HTAB, SP, VCHAR and obs-text, nothing else.
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const invalidValue = /[\x00-\x08\x0a-\x1f\x7f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const invalidTarget = /[\x00-\x20\x7f]/;
const otherVersion = /^HTTP\/\d\.\d$/;
const digits = /^\d{1,15}$/;
const closeToken = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i;
const keepAliveToken = /(?:^|,)[ \t]*keep-alive[ \t]*(?:,|$)/i;
const endsChunked = /(?:^|,)[ \t]*chunked[ \t]*$/i;
/** A body nobody reads any more (answered early) is skipped up to this size, else the connection closes. */
const discardLimit = 1024 * 1024;
const maxChunkLine = 4096;
const maxTrailerBytes = 16 * 1024;

/**
 * One client connection of a listener: an HTTP/1.1 server on a bare socket. Node's `http` server
 * costs more per request than everything the proxy does on its own (measured here: a bare `http` +
 * undici proxy tops out near half of nginx); this parses the head from the socket's buffer in
 * one pass, builds no stream unless the request has a body, and writes each small response in
 * one syscall. One request at a time: pipelined requests wait in the buffer.
 *
 * Strict where laxity lets requests be smuggled past a proxy (RFC 9112 §6.3, §11.2): bare LF,
 * control characters, both Content-Length and Transfer-Encoding, differing lengths, obs-fold,
 * a transfer coding other than chunked: 400 (501 for an unknown coding) and the connection closes.
 */
export class DownstreamConnection {
  readonly socket: Socket;
  /** Of the request in flight: decides the response's framing. */
  http11 = true;
  /** False once this connection closes after the response in flight. */
  keepAlive = true;
  readonly #handlers: DownstreamHandlers;
  readonly #limits: DownstreamLimits;
  #buffer: Buffer = empty;
  #response: DownstreamResponse | undefined;
  #request: DownstreamRequest | undefined;
  #body: Body = Body.None;
  #remaining = 0;
  #trailerBytes = 0;
  /** The body's stream while someone may read it; null once the bytes are only skipped. */
  #sink: RequestBody | null = null;
  #discarded = 0;
  #paused = false;
  #driving = false;
  #readEnded = false;
  #closing = false;
  #dead = false;
  /** Armed only while a request head has begun and not ended: a head that arrives whole never sets it. */
  #headTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, handlers: DownstreamHandlers, limits: DownstreamLimits, initial: Buffer) {
    this.socket = socket;
    this.#handlers = handlers;
    this.#limits = limits;
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', ignore);
    // A socket handed over from CONNECT was left paused so that no byte got lost on the way.
    if (socket.isPaused()) socket.resume();
    if (initial.length > 0) {
      this.#buffer = initial;
      this.#drive();
    }
  }

  /** True while no request is in flight and nothing waits in the buffer. */
  get idle(): boolean {
    return this.#response === undefined && this.#buffer.length === 0;
  }

  /** Server shutdown: close now if idle, else after the response in flight. */
  close(): void {
    this.#closing = true;
    // A response whose head is still to be written tells the client not to send more.
    this.keepAlive = false;
    if (this.idle) this.socket.end();
  }

  /** Called by the response in flight once it has ended. */
  responseDone(response: DownstreamResponse): void {
    if (response !== this.#response) return;
    this.#response = undefined;
    if (!this.keepAlive || this.#closing) {
      this.#dead = true;
      this.socket.end();
      return;
    }
    // The rest of a body nobody will read is skipped so that the connection stays usable.
    if (this.#body !== Body.None) this.#sink = null;
    if (this.#paused) this.#resumeBody();
    if (this.#buffer.length > 0 || this.#readEnded) process.nextTick(drive, this);
    else if (this.socket.isPaused()) this.socket.resume();
  }

  drive(): void {
    if (this.#dead) return;
    if (this.socket.isPaused() && !this.#paused) this.socket.resume();
    this.#drive();
  }

  #onData = (chunk: Buffer): void => {
    if (this.#dead) return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    this.#drive();
  };

  #onEnd = (): void => {
    this.#readEnded = true;
    if (this.#body !== Body.None) {
      // The client stopped sending in the middle of a body: the request cannot complete.
      this.socket.destroy();
      return;
    }
    if (this.idle) this.socket.end();
  };

  #onClose = (): void => {
    this.#dead = true;
    this.#clearHeadTimer();
    const response = this.#response;
    if (this.#body !== Body.None) {
      this.#body = Body.None;
      this.#sink?.destroy(new Error('aborted'));
      this.#sink = null;
    }
    if (response !== undefined && !response.finished) {
      this.#response = undefined;
      response.listener?.onClientClose();
    }
  };

  #onDrain = (): void => {
    this.#response?.drained();
  };

  #onTimeout = (): void => {
    if (this.#response === undefined) this.socket.destroy();
  };

  #onBodyRead = (): void => {
    if (!this.#paused) return;
    this.#resumeBody();
    if (!this.#driving) this.drive();
  };

  #resumeBody(): void {
    this.#paused = false;
    this.socket.resume();
  }

  #drive(): void {
    if (this.#driving || this.#dead) return;
    this.#driving = true;
    try {
      // The handler may have closed the connection (Connection: close) or taken the socket (CONNECT).
      while (!this.#dead) {
        if (this.#body !== Body.None) {
          if (!this.#readBody()) return;
          continue;
        }
        if (this.#response !== undefined) {
          // Pipelined requests wait for the response in flight; a flood of them stops reading.
          if (this.#buffer.length > this.#limits.maxHeaderBytes) this.socket.pause();
          return;
        }
        if (this.#buffer.length === 0) {
          if (this.#readEnded) this.socket.end();
          return;
        }
        if (!this.#parseHead()) return;
      }
    } finally {
      this.#driving = false;
    }
  }

  /** Parses one request head from the buffer and hands the request over; false when more bytes are needed. */
  #parseHead(): boolean {
    const buf = this.#buffer;
    let start = 0;
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    while (buf.length - start >= 2 && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    const limits = this.#limits;
    const end = buf.indexOf(crlfcrlf, start);
    if (end === -1) {
      if (buf.length - start > limits.maxHeaderBytes) return this.#reject(431);
      // A bare LF would otherwise leave the head waiting for a CRLF CRLF that never comes.
      if (hasBareLf(buf, start)) return this.#reject(400);
      if (start > 0) this.#buffer = buf.subarray(start);
      if (start < buf.length) this.#headTimer ??= setTimeout(onHeadTimeout, limits.headTimeoutMs, this);
      return false;
    }
    this.#clearHeadTimer();
    if (end - start > limits.maxHeaderBytes) return this.#reject(431);
    const head = buf.toString('latin1', start, end);
    this.#buffer = end + 4 === buf.length ? empty : buf.subarray(end + 4);

    let lineEnd = head.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = head.length;
    const sp1 = head.indexOf(' ');
    const sp2 = head.lastIndexOf(' ', lineEnd - 1);
    if (sp1 <= 0 || sp1 >= lineEnd || sp2 <= sp1 + 1) return this.#reject(400);
    const method = head.slice(0, sp1);
    const target = head.slice(sp1 + 1, sp2);
    const version = head.slice(sp2 + 1, lineEnd);
    let http11: boolean;
    if (version === 'HTTP/1.1') http11 = true;
    else if (version === 'HTTP/1.0') http11 = false;
    else return this.#reject(otherVersion.test(version) ? 505 : 400);
    if (!token.test(method) || invalidTarget.test(target)) return this.#reject(400);

    const raw: string[] = [];
    let host: string | undefined;
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let connection: string | undefined;
    let expect: string | undefined;
    let userAgent: string | undefined;
    let pos = lineEnd + 2;
    while (pos < head.length) {
      let next = head.indexOf('\r\n', pos);
      if (next === -1) next = head.length;
      const colon = head.indexOf(':', pos);
      if (colon <= pos || colon >= next) return this.#reject(400);
      const name = head.slice(pos, colon);
      // Also refuses obs-fold (a line starting with whitespace) and whitespace before the colon.
      if (!token.test(name)) return this.#reject(400);
      let from = colon + 1;
      let to = next;
      while (from < to && isBlank(head.charCodeAt(from))) from++;
      while (to > from && isBlank(head.charCodeAt(to - 1))) to--;
      const value = head.slice(from, to);
      if (invalidValue.test(value)) return this.#reject(400);
      raw.push(name, value);
      if (raw.length > limits.maxHeaders * 2) return this.#reject(431);
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === 'host') {
            if (host !== undefined) return this.#reject(400);
            host = value;
          }
          break;
        case 6:
          if (name.toLowerCase() === 'expect') expect = value;
          break;
        case 10: {
          const lower = name.toLowerCase();
          if (lower === 'connection')
            connection = connection === undefined ? value : `${connection}, ${value}`;
          else if (lower === 'user-agent') userAgent ??= value;
          break;
        }
        case 14:
          if (name.toLowerCase() === 'content-length') {
            if (contentLength !== undefined && contentLength !== value) return this.#reject(400);
            contentLength = value;
          }
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding')
            transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
          break;
      }
      pos = next + 2;
    }

    let bodyLength = 0;
    if (transferEncoding !== undefined) {
      if (contentLength !== undefined || !http11) return this.#reject(400);
      if (transferEncoding.toLowerCase() !== 'chunked')
        return this.#reject(endsChunked.test(transferEncoding) ? 501 : 400);
      bodyLength = -1;
    } else if (contentLength !== undefined) {
      if (!digits.test(contentLength)) return this.#reject(400);
      bodyLength = Number(contentLength);
    }
    // Node's requireHostHeader: an HTTP/1.1 request names its host, in Host or an absolute target.
    if (http11 && host === undefined && target.charCodeAt(0) === 47 /* / */) return this.#reject(400);

    this.http11 = http11;
    this.keepAlive =
      !this.#closing &&
      (connection === undefined
        ? http11
        : http11
          ? !closeToken.test(connection)
          : keepAliveToken.test(connection));
    const request = new DownstreamRequest(
      this.socket,
      method,
      target,
      http11 ? '1.1' : '1.0',
      raw,
      host ?? '',
      connection,
      userAgent,
      bodyLength,
    );
    if (method === 'CONNECT') {
      const rest = this.#buffer;
      this.#detach();
      this.#handlers.connect(request, this.socket, rest);
      return false;
    }
    if (expect !== undefined) {
      if (expect.toLowerCase() !== '100-continue') return this.#reject(417);
      if (http11 && bodyLength !== 0) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    }
    const response = new DownstreamResponse(this, method === 'HEAD');
    this.#response = response;
    if (bodyLength !== 0) {
      const body = request.body as RequestBody;
      body.onRead = this.#onBodyRead;
      this.#request = request;
      this.#sink = body;
      this.#discarded = 0;
      this.#trailerBytes = 0;
      this.#body = bodyLength > 0 ? Body.Length : Body.ChunkSize;
      this.#remaining = Math.max(bodyLength, 0);
    }
    this.#handlers.request(request, response);
    return true;
  }

  /** Feeds the body of the request in flight from the buffer; true once it has all arrived. */
  #readBody(): boolean {
    const buf = this.#buffer;
    const length = buf.length;
    let offset = 0;
    while (offset < length && !this.#paused) {
      switch (this.#body) {
        case Body.Length:
        case Body.ChunkData: {
          const take = Math.min(this.#remaining, length - offset);
          const piece = offset === 0 && take === length ? buf : buf.subarray(offset, offset + take);
          offset += take;
          this.#remaining -= take;
          if (!this.#deliver(piece)) return false;
          if (this.#remaining === 0) {
            if (this.#body === Body.ChunkData) this.#body = Body.ChunkDataEnd;
            else {
              this.#buffer = buf.subarray(offset);
              this.#bodyComplete();
              return true;
            }
          }
          break;
        }
        case Body.ChunkDataEnd: {
          if (length - offset < 2) {
            this.#buffer = buf.subarray(offset);
            return false;
          }
          if (buf[offset] !== 13 || buf[offset + 1] !== 10) return this.#bodyError();
          offset += 2;
          this.#body = Body.ChunkSize;
          break;
        }
        case Body.ChunkSize: {
          const end = buf.indexOf('\r\n', offset, 'latin1');
          if (end === -1) {
            if (length - offset > maxChunkLine) return this.#bodyError();
            this.#buffer = buf.subarray(offset);
            return false;
          }
          const size = chunkSize(buf, offset, end);
          if (size < 0) return this.#bodyError();
          offset = end + 2;
          if (size === 0) this.#body = Body.Trailers;
          else {
            this.#remaining = size;
            this.#body = Body.ChunkData;
          }
          break;
        }
        case Body.Trailers: {
          // Trailer fields are read and dropped, as Envoy does for HTTP/1.
          const end = buf.indexOf('\r\n', offset, 'latin1');
          if (end === -1) {
            if (this.#trailerBytes + length - offset > maxTrailerBytes) return this.#bodyError();
            this.#buffer = buf.subarray(offset);
            return false;
          }
          this.#trailerBytes += end + 2 - offset;
          if (this.#trailerBytes > maxTrailerBytes) return this.#bodyError();
          const blank = end === offset;
          offset = end + 2;
          if (blank) {
            this.#buffer = buf.subarray(offset);
            this.#bodyComplete();
            return true;
          }
          break;
        }
      }
    }
    this.#buffer = offset === length ? empty : buf.subarray(offset);
    return false;
  }

  /** False when the connection can read no further now (reader behind, or closed). */
  #deliver(piece: Buffer): boolean {
    const sink = this.#sink;
    if (sink === null) {
      this.#discarded += piece.length;
      if (this.#discarded > discardLimit) {
        this.#dead = true;
        this.socket.destroy();
        return false;
      }
      return true;
    }
    if (!sink.push(piece)) {
      this.#paused = true;
      this.socket.pause();
    }
    return true;
  }

  #bodyComplete(): void {
    this.#body = Body.None;
    const request = this.#request as DownstreamRequest;
    this.#request = undefined;
    request.complete = true;
    this.#sink?.push(null);
    this.#sink = null;
  }

  /** A malformed body: the request fails, and so does the connection (it is out of step). */
  #bodyError(): false {
    this.#body = Body.None;
    this.#sink?.destroy(new Error('malformed request body'));
    this.#sink = null;
    const response = this.#response;
    if (response !== undefined && !response.headersSent) {
      this.#response = undefined;
      response.finished = true;
      response.listener?.onClientClose();
      this.#reject(400);
    } else {
      this.#dead = true;
      this.socket.destroy();
    }
    return false;
  }

  /** Called when a request head has taken longer than the limit. */
  headTimedOut(): void {
    this.#headTimer = undefined;
    if (!this.#dead && this.#response === undefined && this.#body === Body.None) this.#reject(408);
  }

  #clearHeadTimer(): void {
    if (this.#headTimer === undefined) return;
    clearTimeout(this.#headTimer);
    this.#headTimer = undefined;
  }

  /** Envoy answers a request it cannot parse and closes the connection. */
  #reject(status: number): false {
    this.#dead = true;
    this.#clearHeadTimer();
    this.#buffer = empty;
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    // Envoy's codec errors are local replies whose body is the reason phrase (http1/codec_impl.cc
    // sendProtocolError); its request-header timeout says so (conn_manager_impl.cc).
    const body = status === 408 ? 'request header timeout' : reason;
    this.socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\ndate: ${httpDate()}\r\nserver: istio-envoy\r\nconnection: close\r\n\r\n${body}`,
      'latin1',
    );
    this.#handlers.protocolError?.(status, this.socket);
    return false;
  }

  /** Hands the socket to the CONNECT handler, paused as node:http does, so that bytes wait for its reader. */
  #detach(): void {
    this.#dead = true;
    const socket = this.socket;
    socket.pause();
    socket.setTimeout(0);
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('close', this.#onClose);
    socket.off('drain', this.#onDrain);
    socket.off('timeout', this.#onTimeout);
    socket.off('error', ignore);
  }
}

function drive(connection: DownstreamConnection): void {
  connection.drive();
}

function onHeadTimeout(connection: DownstreamConnection): void {
  connection.headTimedOut();
}

/** True when an LF in `buf` from `start` on has no CR before it. */
function hasBareLf(buf: Buffer, start: number): boolean {
  let lf = buf.indexOf(10, start);
  while (lf !== -1) {
    if (lf === start || buf[lf - 1] !== 13) return true;
    lf = buf.indexOf(10, lf + 1);
  }
  return false;
}

function ignore(): void {}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}
