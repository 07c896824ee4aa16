import { STATUS_CODES } from 'node:http';
import type { DownstreamConnection } from './connection.ts';

/** Told when the client goes away before its response is complete. */
export interface ResponseListener {
  onClientClose(): void;
}

/** Something to resume once the client has taken what was written (undici's dispatch controller). */
export interface Resumable {
  resume(): void;
}

/** Bodies up to this size leave in one write with the head: one syscall for a typical answer. */
const coalesceLimit = 16 * 1024;

/**
 * The response to one request. The head is built as one string and held back until the first
 * body bytes or the end, so that a small answer leaves in a single write. Framing follows the
 * head: its content-length, else chunked (HTTP/1.1) or the end of the connection (HTTP/1.0).
 */
export class DownstreamResponse {
  /** True once writeHead has been called (as Node's `headersSent`, the head may still be buffered). */
  headersSent = false;
  finished = false;
  listener: ResponseListener | undefined;
  private readonly connection: DownstreamConnection;
  /** HEAD, then also 1xx, 204 and 304: whatever body is written is dropped, as node:http does. */
  private bodiless: boolean;
  private head: string | undefined;
  private chunked = false;
  private drain: Resumable | undefined;

  constructor(connection: DownstreamConnection, bodiless: boolean) {
    this.connection = connection;
    this.bodiless = bodiless;
  }

  /**
   * `headers` is flat `[name, value, ...]` with lower-case names, none holding a CR, LF or NUL:
   * each is checked where it enters the proxy (the codec reading a head, `apply` reading a route's
   * header operations), as Envoy does, so that writing it is only concatenation.
   */
  writeHead(status: number, reason: string | undefined, headers: readonly string[]): void {
    this.writeHeadText(headText(status, reason, headers), '');
  }

  /**
   * Writes `head` (from `headText`, which a caller may keep for answers that repeat it) and then
   * `fields`: more field lines, each ending in CRLF, none of them framing the body.
   */
  writeHeadText(head: HeadText, fields: string): void {
    if (this.headersSent) throw new Error('response head already written');
    this.headersSent = true;
    const status = head.status;
    let text = head.text + fields;
    const connection = this.connection;
    const bodiless = this.bodiless || status < 200 || status === 204 || status === 304;
    this.bodiless = bodiless;
    if (!bodiless && !head.hasLength) {
      if (connection.http11) {
        this.chunked = true;
        text += 'transfer-encoding: chunked\r\n';
      } else connection.keepAlive = false;
    }
    if (!connection.keepAlive) text += 'connection: close\r\n';
    else if (!connection.http11) text += 'connection: keep-alive\r\n';
    this.head = `${text}\r\n`;
  }

  /**
   * False when the client is behind: wait with `waitForDrain`. `chunk` may be lent (the upstream
   * pool's reads share one buffer): it is copied, with the head or on its own, before this returns.
   */
  write(chunk: Buffer): boolean {
    if (this.finished || chunk.length === 0) return true;
    if (this.bodiless) return true;
    const socket = this.connection.socket;
    if (socket.destroyed) return true;
    const head = this.takeHead();
    if (this.chunked) {
      const frame = `${chunk.length.toString(16)}\r\n`;
      if (chunk.length <= coalesceLimit) {
        return socket.write(`${head}${frame}${chunk.toString('latin1')}\r\n`, 'latin1');
      }
      socket.cork();
      socket.write(head + frame, 'latin1');
      socket.write(Buffer.copyBytesFrom(chunk));
      const flushed = socket.write('\r\n', 'latin1');
      socket.uncork();
      return flushed;
    }
    if (chunk.length <= coalesceLimit) return socket.write(head + chunk.toString('latin1'), 'latin1');
    if (head === '') return socket.write(Buffer.copyBytesFrom(chunk));
    socket.cork();
    socket.write(head, 'latin1');
    const flushed = socket.write(Buffer.copyBytesFrom(chunk));
    socket.uncork();
    return flushed;
  }

  /** Ends the response, with a last piece of body if given. */
  end(body?: Buffer): void {
    if (this.finished) return;
    const socket = this.connection.socket;
    if (!socket.destroyed) {
      let out = this.takeHead();
      if (body !== undefined && body.length > 0 && !this.bodiless) {
        // latin1 maps bytes to characters one to one: the body goes out unchanged with the head.
        const text = body.toString('latin1');
        out += this.chunked ? `${body.length.toString(16)}\r\n${text}\r\n` : text;
      }
      if (this.chunked) out += '0\r\n\r\n';
      if (out.length > 0) socket.write(out, 'latin1');
    }
    this.finished = true;
    this.drain = undefined;
    this.connection.responseDone(this);
  }

  /** The response broke off: the client can only learn it from the connection closing. */
  destroy(): void {
    this.finished = true;
    this.drain = undefined;
    this.connection.socket.destroy();
  }

  waitForDrain(resumable: Resumable): void {
    this.drain = resumable;
  }

  /** Called by the connection when the socket has drained. */
  drained(): void {
    const resumable = this.drain;
    this.drain = undefined;
    resumable?.resume();
  }

  private takeHead(): string {
    const head = this.head;
    if (head === undefined) return '';
    this.head = undefined;
    return head;
  }
}

/** A status line and its field lines as they are written, and whether one is a content-length. */
export class HeadText {
  readonly status: number;
  readonly text: string;
  readonly hasLength: boolean;

  constructor(status: number, text: string, hasLength: boolean) {
    this.status = status;
    this.text = text;
    this.hasLength = hasLength;
  }

  /**
   * The same head as one flat string. Concatenation leaves a tree of pieces, which V8 walks piece
   * by piece each time the text is copied into a write: a head written again and again is worth
   * copying once.
   */
  flattened(): HeadText {
    return new HeadText(this.status, Buffer.from(this.text, 'latin1').toString('latin1'), this.hasLength);
  }
}

/** `headers` as in `writeHead`. */
export function headText(status: number, reason: string | undefined, headers: readonly string[]): HeadText {
  let text = statusLine(status, reason);
  let hasLength = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    const value = headers[i + 1] as string;
    if (name.length === 14 && name === 'content-length') hasLength = true;
    // biome-ignore lint/style/useTemplate: a template converts each value with a ToString call first
    text += name + ': ' + value + '\r\n';
  }
  return new HeadText(status, text, hasLength);
}

let lastStatus = 0;
let lastReason: string | undefined;
let lastLine = '';

/** `HTTP/1.1 200 OK\r\n`. Answers repeat their status and reason: the last line is reused. */
function statusLine(status: number, reason: string | undefined): string {
  if (status !== lastStatus || reason !== lastReason) {
    lastStatus = status;
    lastReason = reason;
    lastLine = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || 'Unknown'}\r\n`;
  }
  return lastLine;
}
