import type { IncomingHttpHeaders } from 'node:http';

/**
 * The tracing headers Istio's Bookinfo services copy from an incoming request onto the calls they
 * make while handling it (samples/bookinfo productpage `getForwardHeaders`). The sidecars start and
 * end spans; only the application can tie its outgoing calls to the request that caused them.
 */
export const traceHeaderNames: readonly string[] = Object.freeze([
  'x-request-id',
  'traceparent',
  'tracestate',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  'x-ot-span-context',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'sw8',
]);

/**
 * Headers to add to an outgoing call made while handling `request` (a Fastify request or any
 * `IncomingMessage`), e.g. `fetch(url, { headers: { ...traceHeaders(request), accept: '...' } })`.
 * Only the headers present are returned; repeated ones are joined with `,` as HTTP allows.
 */
export function traceHeaders(request: { readonly headers: IncomingHttpHeaders }): Record<string, string> {
  const picked: Record<string, string> = {};
  const headers = request.headers;
  for (const name of traceHeaderNames) {
    const value = headers[name];
    if (value === undefined) continue;
    const joined = typeof value === 'string' ? value : value.join(',');
    if (joined !== '') picked[name] = joined;
  }
  return picked;
}
