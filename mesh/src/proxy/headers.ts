import { randomFillSync } from 'node:crypto';
import type { RequestHeaderMutation, ResponseHeaderMutation } from '../routing/policy.ts';
import { type DownstreamRequest, type HeadText, headText } from './downstream/server.ts';

/**
 * Connection-level headers (RFC 9110 §7.6.1) never cross the proxy; `expect` is answered by
 * the listener itself; `proxy-authorization` is for us, not the upstream.
 */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

/** What the request side does with a header, by its lower-case name. */
const Kind = {
  Copy: 0,
  HopByHop: 1,
  Host: 2,
  ForwardedFor: 3,
  ForwardedProto: 4,
  RequestId: 5,
  Traceparent: 6,
  AttemptCount: 7,
  EdgeOnly: 8,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const kinds: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ...[...hopByHop].map((name): [string, Kind] => [name, Kind.HopByHop]),
  ['host', Kind.Host],
  ['x-forwarded-for', Kind.ForwardedFor],
  ['x-forwarded-proto', Kind.ForwardedProto],
  ['x-request-id', Kind.RequestId],
  ['traceparent', Kind.Traceparent],
  ['x-envoy-attempt-count', Kind.AttemptCount],
  // Envoy sets these at the edge and trusts them only from inside the mesh.
  ['x-envoy-external-address', Kind.EdgeOnly],
  ['x-envoy-internal', Kind.EdgeOnly],
]);

export interface UpstreamHeaders {
  /** Flat `[name, value, ...]` (undici's fastest form). */
  readonly list: string[];
  /** Index in `list` of the x-envoy-attempt-count value, to bump it on retries. */
  readonly attemptIndex: number;
  /** Index of the host value, to derive the mirror's `-shadow` authority. */
  readonly hostIndex: number;
  readonly requestId: string;
  readonly forwardedFor: string | undefined;
}

/**
 * The request headers to send upstream, names in lower case as Envoy's HTTP/1 codec writes them.
 * At the edge (gateway) Envoy appends the client address to x-forwarded-for, sets
 * x-forwarded-proto and x-envoy-external-address (dropping a client's own
 * x-envoy-external-address and x-envoy-internal); both contexts create x-request-id and a W3C
 * traceparent when absent and keep existing ones.
 */
export function upstreamRequestHeaders(
  req: DownstreamRequest,
  authority: string,
  mutation: RequestHeaderMutation,
  edge: boolean,
): UpstreamHeaders {
  const raw = req.rawHeaders;
  const connection = req.connection;
  const dropped =
    connection === undefined || connection === 'keep-alive' || connection === 'close'
      ? undefined
      : connectionTokens(connection);
  const drop = mutation.drop.size > 0 ? mutation.drop : undefined;
  const list: string[] = ['host', authority];
  let requestId: string | undefined;
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let traceparent = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const kind = kinds.get(name) ?? Kind.Copy;
    if (kind === Kind.HopByHop || drop?.has(name) || dropped?.has(name)) continue;
    const value = raw[i + 1] as string;
    switch (kind) {
      case Kind.Copy:
        list.push(name, value);
        break;
      case Kind.EdgeOnly:
        if (!edge) list.push(name, value);
        break;
      case Kind.ForwardedFor:
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
      case Kind.ForwardedProto:
        forwardedProto ??= value;
        break;
      case Kind.RequestId:
        requestId ??= value;
        break;
      case Kind.Traceparent:
        if (!traceparent) {
          traceparent = true;
          list.push(name, value);
        }
        break;
      // Host is the authority above; x-envoy-attempt-count is ours to set.
    }
  }
  if (edge) {
    const client = req.socket.remoteAddress ?? 'unknown';
    forwardedFor = forwardedFor === undefined ? client : `${forwardedFor}, ${client}`;
    // The scheme of the downstream connection: a gateway's HTTPS server decrypts TLS sockets.
    forwardedProto = 'encrypted' in req.socket ? 'https' : 'http';
    list.push('x-envoy-external-address', client);
  }
  if (forwardedFor !== undefined) list.push('x-forwarded-for', forwardedFor);
  list.push('x-forwarded-proto', forwardedProto ?? 'http');
  requestId ??= requestIds.take();
  list.push('x-request-id', requestId);
  if (!traceparent) list.push('traceparent', traceparents.take());
  const append = mutation.append;
  for (let i = 0; i < append.length; i++) list.push(append[i] as string);
  list.push('x-envoy-attempt-count', '1');
  return { list, attemptIndex: list.length - 1, hostIndex: 1, requestId, forwardedFor };
}

/**
 * Request, trace and span ids. Random bytes come in blocks (one `randomFillSync` per fifty
 * requests or so) and are turned into hex digits the whole block at once, two digits per table
 * load (`Buffer#toString('hex')` does it natively, but a string that long lives outside V8's heap:
 * a malloc and a free per block, which cost more than the loop). Every field of both formats is a
 * multiple of four digits, so an id is copied into a template four digits at a time; the template
 * holds 64 ids and is read back as one flat string that each id is a slice of: one
 * Buffer-to-string call per 64 ids, no `randomUUID()`, no string building.
 */
const entropy = Buffer.allocUnsafe(2048);
const hexPairs = new Uint16Array(entropy.length);
const hexView = new DataView(hexPairs.buffer);
let hexOffset = hexPairs.length * 2;
const idsPerBatch = 64;

/** The two hex digits of each byte value as one 16-bit load, in the platform's byte order. */
const digitPairs = new Uint16Array(256);
{
  const digits = new Uint8Array(digitPairs.buffer);
  const alphabet = '0123456789abcdef';
  for (let byte = 0; byte < 256; byte++) {
    digits[byte * 2] = alphabet.charCodeAt(byte >> 4);
    digits[byte * 2 + 1] = alphabet.charCodeAt(byte & 15);
  }
}

/** Where the next `count` random hex digits start in `hexPairs`'s bytes. */
function randomHex(count: number): number {
  if (hexOffset + count > hexPairs.length * 2) {
    randomFillSync(entropy);
    for (let i = 0; i < entropy.length; i++) hexPairs[i] = digitPairs[entropy[i] as number] as number;
    hexOffset = 0;
  }
  const at = hexOffset;
  hexOffset += count;
  return at;
}

/** Copies `count` (a multiple of 4) random hex digits from `from` into `text` at `to`. */
function copyHex(text: DataView, to: number, from: number, count: number): void {
  for (let i = 0; i < count; i += 4) text.setUint32(to + i, hexView.getUint32(from + i));
}

/** Ids of one format, made 64 at a time by `fill(text, at)`, which writes one at `at`. */
class IdBatch {
  private readonly text: Buffer;
  private readonly view: DataView;
  private readonly width: number;
  private readonly fill: (text: DataView, at: number) => void;
  private ids = '';
  private next = idsPerBatch;

  constructor(template: string, fill: (text: DataView, at: number) => void) {
    this.width = template.length;
    this.text = Buffer.from(template.repeat(idsPerBatch), 'latin1');
    this.view = new DataView(this.text.buffer, this.text.byteOffset, this.text.length);
    this.fill = fill;
  }

  take(): string {
    if (this.next === idsPerBatch) {
      for (let i = 0; i < idsPerBatch; i++) this.fill(this.view, i * this.width);
      this.ids = this.text.toString('latin1');
      this.next = 0;
    }
    const at = this.next++ * this.width;
    return this.ids.slice(at, at + this.width);
  }
}

/** `8`, `9`, `a`, `b`: the digit that holds a version 4 UUID's variant bits, by two random bits. */
const variantDigits = Buffer.from('89ab', 'latin1');

/** Random UUIDs (version 4, RFC 9562) as `randomUUID()` makes them: Envoy's x-request-id. */
const requestIds = new IdBatch('00000000-0000-4000-8000-000000000000', (text, to) => {
  const at = randomHex(32);
  copyHex(text, to, at, 8);
  copyHex(text, to + 9, at + 8, 4);
  copyHex(text, to + 14, at + 12, 4);
  copyHex(text, to + 19, at + 16, 4);
  copyHex(text, to + 24, at + 20, 12);
  text.setUint8(to + 14, 52 /* 4 */);
  // The variant digit's two free bits are the two low bits of the random digit it replaces.
  text.setUint8(to + 19, variantDigits[((entropy[(at + 16) >> 1] as number) >> 4) & 3] as number);
});

/** `00-<trace id>-<span id>-01`, W3C Trace Context. */
const traceparents = new IdBatch('00-00000000000000000000000000000000-0000000000000000-01', (text, to) => {
  const at = randomHex(48);
  copyHex(text, to + 3, at, 32);
  copyHex(text, to + 36, at + 32, 16);
});

/** `back:8080` → `back-shadow:8080` (Envoy puts the suffix on the host, before the port: envoy#2600). */
export function shadowAuthority(authority: string): string {
  const close = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon === -1 || colon < close) return `${authority}-shadow`;
  return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
}

/**
 * Response headers that are not forwarded: connection-level ones, and those Envoy writes itself
 * whatever the upstream or the route's operations say.
 */
const notForwarded: ReadonlySet<string> = new Set([...hopByHop, 'server', 'x-envoy-upstream-service-time']);
/** The lengths of those names: most names of a response (content-type, date...) have none of them. */
const notForwardedLengths = new Uint8Array(64);
for (const name of notForwarded) notForwardedLengths[name.length] = 1;

/**
 * Turns the upstream's response fields (flat `[name, value, ...]` as received) into the list the
 * client gets: names in lower case as Envoy writes them, in the order received, connection-level
 * headers removed, the route's operations applied, Envoy's own added.
 */
export function downstreamResponseHeaders(
  rawHeaders: readonly string[],
  mutation: ResponseHeaderMutation | undefined,
  upstreamServiceTimeMs: number,
  serverName: string,
): string[] {
  const list = forwardedResponseHeaders(rawHeaders, mutation);
  // Envoy overwrites the upstream's `server` with its own name (istio-envoy or envoy, see ProxyContext).
  list.push('x-envoy-upstream-service-time', String(Math.round(upstreamServiceTimeMs)), 'server', serverName);
  return list;
}

/** `downstreamResponseHeaders` without Envoy's own. */
function forwardedResponseHeaders(
  rawHeaders: readonly string[],
  mutation: ResponseHeaderMutation | undefined,
): string[] {
  let connection: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i] === 'connection') {
      const value = rawHeaders[i + 1] as string;
      connection = connection === undefined ? value : `${connection},${value}`;
    }
  }
  const dropped =
    connection === undefined || connection === 'keep-alive' || connection === 'close'
      ? undefined
      : connectionTokens(connection);
  const replaced = mutation?.replaced;
  const list: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (notForwardedLengths[name.length & 63] === 1 && notForwarded.has(name)) continue;
    if (dropped?.has(name) || replaced?.has(name)) continue;
    list.push(name, rawHeaders[i + 1] as string);
  }
  if (mutation) {
    const extra = mutation.extra;
    for (let i = 0; i < extra.length; i++) list.push(extra[i] as string);
  }
  return list;
}

/** The head last made from one upstream head, for the route's operations `mutation`. */
class ForwardedHead {
  readonly status: number;
  readonly reason: string;
  readonly mutation: ResponseHeaderMutation | undefined;
  head: HeadText;
  flat = false;

  constructor(status: number, reason: string, mutation: ResponseHeaderMutation | undefined, head: HeadText) {
    this.status = status;
    this.reason = reason;
    this.mutation = mutation;
    this.head = head;
  }
}

/**
 * By the fields array of the upstream head they were made from. The upstream pool hands the same
 * array on for a head that repeats the last one on its connection (http1/repeated-head.ts): an
 * upstream's answers mostly do, so their text is made once and flattened on its second use.
 */
const forwardedHeads = new WeakMap<readonly string[], ForwardedHead>();

/**
 * The status line and fields of `downstreamResponseHeaders`, without Envoy's own (`envoyFields`
 * writes them after): the same text for as long as the upstream repeats its head.
 */
export function forwardedHead(
  status: number,
  reason: string,
  rawHeaders: readonly string[],
  mutation: ResponseHeaderMutation | undefined,
): HeadText {
  const last = forwardedHeads.get(rawHeaders);
  if (last !== undefined && last.status === status && last.reason === reason && last.mutation === mutation) {
    if (!last.flat) {
      last.head = last.head.flattened();
      last.flat = true;
    }
    return last.head;
  }
  const head = headText(status, reason, forwardedResponseHeaders(rawHeaders, mutation));
  forwardedHeads.set(rawHeaders, new ForwardedHead(status, reason, mutation, head));
  return head;
}

/** Envoy's own response fields, as lines for `DownstreamResponse#writeHeadText`. */
export function envoyFields(upstreamServiceTimeMs: number, serverName: string): string {
  // Envoy overwrites the upstream's `server` with its own name (istio-envoy or envoy, see ProxyContext).
  return `x-envoy-upstream-service-time: ${Math.round(upstreamServiceTimeMs)}\r\nserver: ${serverName}\r\n`;
}

/** Headers named in `Connection` are hop-by-hop as well. */
function connectionTokens(connection: string): Set<string> {
  return new Set(connection.split(',').map((token) => token.trim().toLowerCase()));
}
