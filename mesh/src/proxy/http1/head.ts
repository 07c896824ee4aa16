// Request and response heads (RFC 9112 §2–§6), parsed with the same rules in both directions:
// the listeners read requests with it, the upstream pool responses. Strict where laxity lets a
// message be smuggled past a proxy or split (RFC 9112 §11): bare LF, control characters, obs-fold,
// Content-Length with Transfer-Encoding, differing Content-Lengths are errors, as in Envoy
// (source/common/http/http1/codec_impl.cc onHeadersCompleteImpl, balsa_parser.cc).
import { Http1Error } from './error.ts';
import { internedValue } from './interned-values.ts';
import { knownNameAt, knownNameIndex, knownNames, nameHashStep } from './known-names.ts';
import {
  contentLength,
  endsWithChunked,
  fieldByte,
  isFieldValue,
  isTarget,
  isToken,
  persists,
  tchar,
} from './tokens.ts';

export interface HeadLimits {
  /** Start line and field lines together (Envoy's max_request_headers_kb: 60 KiB); over it, 431. */
  readonly maxHeaderBytes: number;
  /** Field lines (Envoy's max_headers_count: 100); over it, 431. */
  readonly maxHeaders: number;
}

/** Envoy's defaults, for requests and responses alike. */
export const envoyHeadLimits: HeadLimits = Object.freeze({ maxHeaderBytes: 60 * 1024, maxHeaders: 100 });

/** A body delimited by the chunked coding (a `bodyLength`). */
export const chunkedBody = -1;
/** A body delimited by the connection closing (a `bodyLength`; responses only). */
export const closeDelimitedBody = -2;

const otherVersion = /^HTTP\/\d\.\d$/;

/**
 * Where the head that begins at `start` ends: the index of its CRLF CRLF, -1 while more bytes are
 * needed. Too long a head is an error (431), and so is a bare LF in a head still open, which would
 * otherwise wait for a CRLF CRLF that never comes.
 */
export function headEnd(buf: Buffer, start: number, limits: HeadLimits): number | Http1Error {
  const end = crlfCrlfFrom(buf, start);
  if (end === -1) {
    if (buf.length - start > limits.maxHeaderBytes) return new Http1Error(431, 'head too large');
    if (hasBareLf(buf, start)) return new Http1Error(400, 'bare LF in the head');
    return -1;
  }
  if (end - start > limits.maxHeaderBytes) return new Http1Error(431, 'head too large');
  return end;
}

/**
 * What a head says, besides its start line: the field lines as received and the facts that frame
 * the message and its connection. One object per connection, filled again by each `parse`.
 */
export class MessageHead {
  http11 = true;
  /**
   * Field lines in the order received, flat `[name, value, ...]`, names in lower case as Envoy's
   * HTTP/1 codec keeps them; a new array for each message parsed. Read only: the listeners and
   * the upstream pool hand the same array on again for a head that repeats the last one on its
   * connection byte for byte (repeated-head.ts).
   */
  raw: string[] = [];
  /** Content-Length; -1 when absent. */
  contentLength = -1;
  /** Transfer-Encoding: chunked (the only coding read). */
  chunked = false;
  /** Transfer-Encoding as received, repeats joined with `, `. */
  transferEncoding: string | undefined;
  /** Connection, repeats joined with `, `. */
  connection: string | undefined;
  /** Keep-Alive (a response's `timeout=` hint). */
  keepAlive: string | undefined;
  /** Host; how many there were in `hosts`. */
  host: string | undefined;
  hosts = 0;
  expect: string | undefined;
  /** The first User-Agent, for the access log. */
  userAgent: string | undefined;
  /** Whether the connection stays open after this message (RFC 9112 §9.3). */
  persistent = true;
  /** The known name (a `knownNames` index, -1 for none) each of the first field lines had last time. */
  private readonly guesses = new Int16Array(32).fill(-1);

  /**
   * Reads the field lines of the head in `buf` (`text` is the same bytes as a string, from `base`)
   * from `pos` on; an error when one breaks the rules. Each line is read in one pass over its bytes
   * (name as tchars up to the colon, value up to its CR), in the Buffer: a byte load costs less
   * than `charCodeAt` on a string the loop has not seen before. Only the value, and a name that is
   * not a known one (known-names.ts), are sliced.
   */
  protected readFields(
    buf: Buffer,
    base: number,
    text: string,
    pos: number,
    limits: HeadLimits,
  ): Http1Error | undefined {
    const raw: string[] = [];
    let length: string | undefined;
    this.raw = raw;
    this.transferEncoding = undefined;
    this.connection = undefined;
    this.keepAlive = undefined;
    this.host = undefined;
    this.hosts = 0;
    this.expect = undefined;
    this.userAgent = undefined;
    const end = base + text.length;
    let i = base + pos;
    // Every line ends in CR, and so does the head (`end` is where its CRLF CRLF starts): each scan
    // below stops at a byte that is neither a tchar nor a field byte, without an end check per byte.
    const guesses = this.guesses;
    let line = 0;
    while (i < end) {
      const nameStart = i;
      // A connection's heads mostly repeat their names in order: the known name this line had in
      // the last head is tried first, checked and compared in one pass.
      const guess = line < guesses.length ? (guesses[line] as number) : -1;
      const colon = guess === -1 ? -1 : knownNameAt(buf, i, guess);
      let name: string;
      if (colon !== -1) {
        name = knownNames[guess] as string;
        i = colon;
      } else {
        let hash = 0;
        for (let byte = buf[i] as number; tchar[byte] === 1; byte = buf[++i] as number)
          hash = nameHashStep(hash, byte);
        // Also refuses obs-fold (a line starting with whitespace) and whitespace before the colon.
        if (i === nameStart || buf[i] !== 58 /* : */) return lineError(text, nameStart - base);
        const known = knownNameIndex(buf, nameStart, i, hash);
        if (line < guesses.length) guesses[line] = known;
        name =
          known === -1 ? text.slice(nameStart - base, i - base).toLowerCase() : (knownNames[known] as string);
      }
      line++;
      i++;
      while (isBlank(buf[i] as number)) i++;
      const from = i;
      // HTAB, SP, VCHAR and obs-text; a CR or LF other than the line's CRLF is a bare line break,
      // which a lax parser downstream could split on (RFC 9112 §2.2).
      while (fieldByte[buf[i] as number] === 1) i++;
      if (buf[i] !== 13 || buf[i + 1] !== 10)
        return new Http1Error(400, 'control character in a header value');
      let to = i;
      while (to > from && isBlank(buf[to - 1] as number)) to--;
      const value =
        name === 'host' ? internedValue(buf, from, to, text, base) : text.slice(from - base, to - base);
      raw.push(name, value);
      if (raw.length > limits.maxHeaders * 2) return new Http1Error(431, 'too many headers');
      // Each of these is a known name: one string, whatever the spelling (known-names.ts).
      switch (name.length) {
        case 4:
          if (name === 'host') {
            this.hosts++;
            this.host = value;
          }
          break;
        case 6:
          if (name === 'expect') this.expect = value;
          break;
        case 10:
          if (name === 'connection')
            this.connection = this.connection === undefined ? value : `${this.connection}, ${value}`;
          else if (name === 'keep-alive') this.keepAlive = value;
          else if (name === 'user-agent') this.userAgent ??= value;
          break;
        case 14:
          if (name === 'content-length') {
            if (length !== undefined && length !== value)
              return new Http1Error(400, 'differing Content-Length values');
            length = value;
          }
          break;
        case 17:
          if (name === 'transfer-encoding')
            this.transferEncoding =
              this.transferEncoding === undefined ? value : `${this.transferEncoding}, ${value}`;
          break;
      }
      i += 2;
    }
    return this.#frame(length);
  }

  /** RFC 9112 §6.1–§6.3: which of Content-Length and Transfer-Encoding delimits the body. */
  #frame(length: string | undefined): Http1Error | undefined {
    this.contentLength = -1;
    this.chunked = false;
    this.persistent = persists(this.http11, this.connection);
    const coding = this.transferEncoding;
    if (coding !== undefined) {
      // Both at once "ought to be handled as an error" (§6.3): Envoy's
      // http1.content_length_and_chunked_not_allowed. HTTP/1.0 has no transfer codings (§6.1).
      if (length !== undefined) return new Http1Error(400, 'both Content-Length and Transfer-Encoding');
      if (!this.http11) return new Http1Error(400, 'Transfer-Encoding in HTTP/1.0');
      // Envoy reads chunked alone and answers anything else 501 (http1.invalid_transfer_encoding);
      // a coding applied after chunked leaves no way to find the end of the body at all.
      if (coding.toLowerCase() !== 'chunked')
        return endsWithChunked(coding)
          ? new Http1Error(501, 'unsupported transfer coding')
          : new Http1Error(400, 'chunked is not the last transfer coding');
      this.chunked = true;
    } else if (length !== undefined) {
      this.contentLength = contentLength(length);
      if (this.contentLength < 0) return new Http1Error(400, 'invalid Content-Length');
    }
    return undefined;
  }
}

export class RequestHead extends MessageHead {
  method = '';
  /** As sent: origin form (`/a?b`), absolute form (`http://back/a`), an authority (CONNECT) or `*`. */
  target = '';

  /**
   * Parses the request head in `buf` from `start` to `end`, where its final CRLF CRLF starts (as
   * `headEnd` finds it); an error (with the status to answer) when it breaks the rules.
   */
  parse(buf: Buffer, start: number, end: number, limits: HeadLimits): Http1Error | undefined {
    const text = buf.toString('latin1', start, end);
    let lineEnd = text.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = text.length;
    const sp1 = text.indexOf(' ');
    // The last space of the line, found by a loop: String#lastIndexOf is a call into C++ here.
    let sp2 = lineEnd - 1;
    while (sp2 >= 0 && text.charCodeAt(sp2) !== 32) sp2--;
    if (sp1 <= 0 || sp1 >= lineEnd || sp2 <= sp1 + 1) return new Http1Error(400, 'malformed request line');
    const version = text.slice(sp2 + 1, lineEnd);
    if (version === 'HTTP/1.1') this.http11 = true;
    else if (version === 'HTTP/1.0') this.http11 = false;
    else
      return otherVersion.test(version)
        ? new Http1Error(505, 'unsupported HTTP version')
        : new Http1Error(400, 'malformed HTTP version');
    const method = text.slice(0, sp1);
    const target = text.slice(sp1 + 1, sp2);
    if (!isToken(method)) return new Http1Error(400, 'method is not a token');
    if (!isTarget(target)) return new Http1Error(400, 'invalid request target');
    this.method = method;
    this.target = target;
    const error = this.readFields(buf, start, text, lineEnd + 2, limits);
    if (error !== undefined) return error;
    // Requests only: a response's Host means nothing. RFC 9112 §3.2 wants exactly one Host; an
    // absolute-form target may go without (as node:http's requireHostHeader allows).
    if (this.hosts > 1) return new Http1Error(400, 'more than one Host');
    if (this.http11 && this.hosts === 0 && target.charCodeAt(0) === 47 /* / */)
      return new Http1Error(400, 'no Host');
    // A CONNECT body has no meaning (RFC 9110 §9.3.6): Envoy refuses a length (400,
    // http1.body_disallowed) and a transfer coding (501, http1.invalid_transfer_encoding).
    if (method === 'CONNECT') {
      if (this.chunked) return new Http1Error(501, 'CONNECT with a transfer coding');
      if (this.contentLength > 0) return new Http1Error(400, 'CONNECT with a body');
    }
    return undefined;
  }

  /** Content-Length's bytes, `chunkedBody`, or 0: a request without either has no body (RFC 9112 §6.3 ¶7). */
  get bodyLength(): number {
    return this.chunked ? chunkedBody : Math.max(this.contentLength, 0);
  }
}

export class ResponseHead extends MessageHead {
  status = 0;
  reason = '';

  /** Parses the response head in `buf` from `start` to `end`, where its CRLF CRLF starts; an error when it breaks the rules. */
  parse(buf: Buffer, start: number, end: number, limits: HeadLimits): Http1Error | undefined {
    const text = buf.toString('latin1', start, end);
    let lineEnd = text.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = text.length;
    // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] (RFC 9112 §4); a missing last SP
    // is tolerated, as every client does.
    const minor = text.charCodeAt(7);
    if (
      lineEnd < 12 ||
      !text.startsWith('HTTP/1.') ||
      (minor !== 48 && minor !== 49) ||
      text.charCodeAt(8) !== 32 ||
      (lineEnd > 12 && text.charCodeAt(12) !== 32)
    )
      return new Http1Error(400, 'malformed status line');
    const status = statusCode(text);
    if (status < 100) return new Http1Error(400, 'invalid status code');
    const reason = lineEnd > 13 ? text.slice(13, lineEnd) : '';
    if (!isFieldValue(reason)) return new Http1Error(400, 'control character in the reason phrase');
    this.http11 = minor === 49;
    this.status = status;
    this.reason = reason;
    const error = this.readFields(buf, start, text, lineEnd + 2, limits);
    if (error !== undefined) return error;
    // Responses only: 1xx and 204 never have a body (RFC 9110 §15.2, §15.3.5), so a framing header
    // on one is a lie. Envoy's ClientConnectionImpl::onHeadersCompleteBase refuses
    // Transfer-Encoding and a non-zero Content-Length there; 304 may carry the length it stands for.
    if (status < 200 || status === 204) {
      if (this.transferEncoding !== undefined)
        return new Http1Error(400, 'Transfer-Encoding on a 1xx or 204');
      if (this.contentLength > 0) return new Http1Error(400, 'Content-Length on a 1xx or 204');
    }
    return undefined;
  }

  /**
   * How this response's body is delimited (RFC 9112 §6.3): none for HEAD, 1xx, 204 and 304
   * whatever the headers say (¶1), chunked, Content-Length's bytes, and otherwise the rest of the
   * connection (¶8). A request without either has no body; a response without either is read
   * until the upstream closes, as Envoy does.
   */
  bodyLength(method: string): number {
    const status = this.status;
    if (status < 200 || status === 204 || status === 304 || method === 'HEAD') return 0;
    if (this.chunked) return chunkedBody;
    return this.contentLength >= 0 ? this.contentLength : closeDelimitedBody;
  }
}

/**
 * A field line of a trailer section (RFC 9112 §7.1.2): the same rules as in a head. Trailers are
 * read and dropped, as Envoy does for HTTP/1 unless told to forward them.
 */
export function isFieldLine(line: string): boolean {
  const colon = line.indexOf(':');
  return colon > 0 && isToken(line.slice(0, colon)) && isFieldValue(line.slice(colon + 1));
}

/** The three digits at 9..11 of a status line, -1 when they are not digits. */
function statusCode(text: string): number {
  let code = 0;
  for (let i = 9; i < 12; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    code = code * 10 + digit;
  }
  return code;
}

/**
 * The index of the first CRLF CRLF from `start`, -1 if none. A loop rather than `buf.indexOf`:
 * heads are a few hundred bytes, which a loop scans in less time than the native call costs. A
 * byte that is neither CR nor LF rules out the four positions whose match would hold it, so the
 * loop reads about one byte in four of a head's text.
 */
function crlfCrlfFrom(buf: Buffer, start: number): number {
  const last = buf.length - 3;
  let i = start;
  while (i < last) {
    const c = buf[i + 3];
    if (c !== 10 && c !== 13) i += 4;
    else if (c === 10 && buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13) return i;
    else i++;
  }
  return -1;
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

/** Why the field line at `pos` is not `name: value`: no colon on it, or a name that is no token. */
function lineError(text: string, pos: number): Http1Error {
  let next = text.indexOf('\r\n', pos);
  if (next === -1) next = text.length;
  const colon = text.indexOf(':', pos);
  if (colon <= pos || colon >= next) return new Http1Error(400, 'header line without a name and colon');
  return new Http1Error(400, 'header name is not a token');
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}
