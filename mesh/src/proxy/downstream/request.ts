import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { RequestHead } from '../http1/head.ts';

/** Header names whose repeats Node keeps only the first of (`_http_incoming.js` matchKnownFields). */
const firstOnly = new Set([
  'host',
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
]);

/**
 * One request as the downstream connection parsed it. The hot path reads the few fields the
 * parser extracts anyway (method, target, host, framing); the headers object, as Node's
 * `IncomingMessage` builds it, exists only once something asks for it (header matches, records).
 */
export class DownstreamRequest {
  readonly method: string;
  /** The request target as sent: origin form (`/a?b`), absolute form (`http://back/a`), or an authority (CONNECT). */
  readonly url: string;
  /** `1.1` or `1.0`. */
  readonly httpVersion: string;
  /** Flat `[name, value, ...]` in the order received, names in lower case. */
  readonly rawHeaders: readonly string[];
  /** The Host header, `''` when absent. */
  readonly host: string;
  /** The Connection header, when present. */
  readonly connection: string | undefined;
  /** The User-Agent header (the first), for the access log without building the headers object. */
  readonly userAgent: string | undefined;
  /** Bytes of body announced by Content-Length; -1 for a chunked body; 0 for none. */
  readonly bodyLength: number;
  /** The body as a stream, or null when the request has none. */
  readonly body: RequestBody | null;
  readonly socket: Socket;
  /** True once the whole body has arrived (at once for a request without one). */
  complete: boolean;
  private headersObject: IncomingHttpHeaders | undefined;

  constructor(socket: Socket, head: RequestHead) {
    const bodyLength = head.bodyLength;
    this.socket = socket;
    this.method = head.method;
    this.url = head.target;
    this.httpVersion = head.http11 ? '1.1' : '1.0';
    this.rawHeaders = head.raw;
    this.host = head.host ?? '';
    this.connection = head.connection;
    this.userAgent = head.userAgent;
    this.bodyLength = bodyLength;
    this.body = bodyLength === 0 ? null : new RequestBody();
    this.complete = bodyLength === 0;
  }

  /** Lower-case names; repeats joined with `, ` (`; ` for cookie), or the first kept, as Node does. */
  get headers(): IncomingHttpHeaders {
    if (this.headersObject !== undefined) return this.headersObject;
    const headers: Record<string, string> = {};
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      const value = raw[i + 1] as string;
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else if (name === 'cookie') headers[name] = `${existing}; ${value}`;
      else if (!firstOnly.has(name)) headers[name] = `${existing}, ${value}`;
    }
    this.headersObject = headers;
    return headers;
  }
}

/**
 * A request body, fed by the connection as bytes arrive. Reading pauses the socket when the
 * reader falls behind (`push` returns false) and resumes it when the reader asks for more.
 */
export class RequestBody extends Readable {
  /** Set by the connection: called when the reader wants more. */
  onRead: (() => void) | undefined;

  constructor() {
    super();
    // A malformed or cut-short body fails its own request only: the connection answers or closes
    // and tells the listener, so an error nobody else listens to must not reach the process.
    this.on('error', ignore);
  }

  override _read(): void {
    this.onRead?.();
  }
}

function ignore(): void {}
