import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { RequestHeaderMutation, ResponseHeaderMutation } from '../routing/policy.ts';

/**
 * Connection-level headers (RFC 9110 §7.6.1) never cross the proxy; `expect` is answered by
 * Node's server itself and undici refuses it; `proxy-authorization` is for us, not the upstream.
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

/** Handled below rather than copied. */
const special = new Set([
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-request-id',
  'traceparent',
  'x-envoy-attempt-count',
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
 * The request headers to send upstream. At the edge (gateway) Envoy appends the client address to
 * x-forwarded-for and sets x-forwarded-proto; both contexts create x-request-id and a W3C
 * traceparent when absent and keep existing ones.
 */
export function upstreamRequestHeaders(
  req: IncomingMessage,
  authority: string,
  mutation: RequestHeaderMutation,
  edge: boolean,
): UpstreamHeaders {
  const raw = req.rawHeaders;
  const connection = req.headers.connection;
  const dropped =
    connection === undefined || connection === 'keep-alive' || connection === 'close'
      ? undefined
      : connectionTokens(connection);
  const drop = mutation.drop;
  const list: string[] = ['host', authority];
  let requestId: string | undefined;
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let traceparent = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || drop.has(lower) || dropped?.has(lower)) continue;
    if (special.has(lower)) {
      const value = raw[i + 1] as string;
      if (lower === 'x-forwarded-for')
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
      else if (lower === 'x-forwarded-proto') forwardedProto ??= value;
      else if (lower === 'x-request-id') requestId ??= value;
      else if (lower === 'traceparent' && !traceparent) {
        traceparent = true;
        list.push(name, value);
      }
      continue;
    }
    list.push(name, raw[i + 1] as string);
  }
  if (edge) {
    const client = req.socket.remoteAddress ?? 'unknown';
    forwardedFor = forwardedFor === undefined ? client : `${forwardedFor}, ${client}`;
    forwardedProto = 'http';
  }
  if (forwardedFor !== undefined) list.push('x-forwarded-for', forwardedFor);
  list.push('x-forwarded-proto', forwardedProto ?? 'http');
  requestId ??= randomUUID();
  list.push('x-request-id', requestId);
  if (!traceparent) list.push('traceparent', newTraceparent());
  const append = mutation.append;
  for (let i = 0; i < append.length; i++) list.push(append[i] as string);
  list.push('x-envoy-attempt-count', '1');
  return { list, attemptIndex: list.length - 1, hostIndex: 1, requestId, forwardedFor };
}

/** `00-<trace id>-<span id>-01`, W3C Trace Context. */
function newTraceparent(): string {
  const trace = randomUUID().replaceAll('-', '');
  const span = randomUUID().slice(0, 8) + randomUUID().slice(24, 32);
  return `00-${trace}-${span}-01`;
}

/** `back:8080` → `back-shadow:8080` (Envoy puts the suffix on the host, before the port: envoy#2600). */
export function shadowAuthority(authority: string): string {
  const close = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon === -1 || colon < close) return `${authority}-shadow`;
  return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
}

/**
 * Turns the upstream's response headers (undici's parsed object, ours to change) into what the
 * client gets: connection-level headers removed, the route's operations applied, Envoy's own added.
 */
export function downstreamResponseHeaders(
  headers: IncomingHttpHeaders,
  mutation: ResponseHeaderMutation | undefined,
  upstreamServiceTimeMs: number,
): IncomingHttpHeaders {
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const token of connectionTokens(connection)) delete headers[token];
  }
  for (const name of hopByHop) if (headers[name] !== undefined) delete headers[name];
  if (mutation) {
    for (const name of mutation.drop) delete headers[name];
    for (const [name, value] of mutation.set) headers[name] = value;
    for (const [name, value] of mutation.add) {
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else headers[name] = [existing, value];
    }
  }
  headers['x-envoy-upstream-service-time'] = String(Math.round(upstreamServiceTimeMs));
  // Istio sets Envoy's server_name to istio-envoy and overwrites the upstream's.
  headers.server = 'istio-envoy';
  return headers;
}

/** Headers named in `Connection` are hop-by-hop as well. */
function connectionTokens(connection: string | string[]): Set<string> {
  const value = Array.isArray(connection) ? connection.join(',') : connection;
  return new Set(value.split(',').map((token) => token.trim().toLowerCase()));
}
