// The character rules of RFC 9110 §5.6.2 (token), §5.5 (field values) and RFC 9112 §3.2 (request
// target), the same for requests and responses.

/** tchar: `!#$%&'*+-.^_\`|~`, digits and letters; a method or a field name is one or more of them. */
export const tchar: Uint8Array = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  tchar[c.charCodeAt(0)] = 1;

export function isToken(text: string): boolean {
  const length = text.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) if (tchar[text.charCodeAt(i)] !== 1) return false;
  return true;
}

/** 1 for the bytes a field value may hold: HTAB, SP, VCHAR and obs-text (RFC 9110 §5.5). */
export const fieldByte: Uint8Array = new Uint8Array(256).fill(1);
for (let c = 0; c < 32; c++) if (c !== 9) fieldByte[c] = 0;
fieldByte[127] = 0;

/**
 * A field value or reason phrase holds HTAB, SP, VCHAR and obs-text, nothing else: a CR or LF
 * inside one is a bare line break, which a lax parser downstream could split on (RFC 9112 §2.2).
 * Loops rather than regular expressions: the values are short and read on every message.
 */
export function isFieldValue(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return false;
  }
  return true;
}

/** A request target: visible characters only, so that no space or control character hides in it. */
export function isTarget(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 127) return false;
  }
  return true;
}

const closeElement = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i;
const keepAliveElement = /(?:^|,)[ \t]*keep-alive[ \t]*(?:,|$)/i;

/**
 * Whether the connection stays open after this message (RFC 9112 §9.3): HTTP/1.1 unless
 * `Connection` lists close, HTTP/1.0 only when it lists keep-alive.
 */
export function persists(http11: boolean, connection: string | undefined): boolean {
  if (connection === undefined) return http11;
  // The values clients send nearly always, without a regular expression.
  if (connection === 'keep-alive') return true;
  if (connection === 'close') return false;
  return http11 ? !closeElement.test(connection) : keepAliveElement.test(connection);
}

const chunkedLast = /(?:^|,)[ \t]*chunked[ \t]*$/i;

/** Transfer-Encoding lists chunked last: a coding before it is merely unknown (501), not malformed. */
export function endsWithChunked(transferEncoding: string): boolean {
  return chunkedLast.test(transferEncoding);
}

/** A Content-Length value (RFC 9110 §8.6): 1 to 15 digits, no sign, no list; -1 when not one. */
export function contentLength(value: string): number {
  const length = value.length;
  if (length === 0 || length > 15) return -1;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}
