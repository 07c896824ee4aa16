import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/**
 * Connection-level headers (RFC 9110 §7.6.1) never cross the proxy; `expect` is answered by
 * Node's server itself and undici refuses it.
 */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

/** Headers Envoy sets at the edge; the client's values are replaced or extended below. */
const edgeSet = new Set(['x-forwarded-proto', 'x-forwarded-for']);

/**
 * The request headers to send upstream, as a flat `[name, value, ...]` list (undici's fastest form).
 * Returns the request id too, so that the access log shows the one the upstream saw.
 */
export function upstreamRequestHeaders(req: IncomingMessage): { headers: string[]; requestId: string } {
  const raw = req.rawHeaders;
  const dropped = connectionTokens(req.headers.connection);
  const headers: string[] = [];
  let requestId: string | undefined;
  let forwardedFor: string | undefined;
  let sawHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || dropped?.has(lower)) continue;
    if (lower === 'host') {
      if (sawHost) continue;
      sawHost = true;
    } else if (edgeSet.has(lower)) {
      if (lower === 'x-forwarded-for') forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
      continue;
    } else if (lower === 'x-request-id') {
      if (requestId !== undefined) continue;
      requestId = value;
    }
    headers.push(name, value);
  }
  const client = req.socket.remoteAddress ?? 'unknown';
  headers.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${client}` : client);
  headers.push('x-forwarded-proto', 'http');
  if (requestId === undefined) {
    requestId = randomUUID();
    headers.push('x-request-id', requestId);
  }
  return { headers, requestId };
}

/** The upstream's response headers minus the connection-level ones. */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const dropped = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (hopByHop.has(name) || dropped?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Headers named in `Connection` are hop-by-hop as well. */
function connectionTokens(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const value = Array.isArray(connection) ? connection.join(',') : connection;
  return new Set(value.split(',').map((token) => token.trim().toLowerCase()));
}
