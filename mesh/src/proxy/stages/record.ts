import { performance } from 'node:perf_hooks';
import type { Cluster } from '../../routing/table.ts';
import type { DestinationIdentity, RequestRecord } from '../../telemetry/record.ts';
import type { HostState } from '../cluster.ts';
import type { DownstreamRequest } from '../downstream/server.ts';
import { eventNow } from '../event-clock.ts';
import type { Exchange } from '../exchange.ts';
import { formatFlags } from '../flags.ts';

/**
 * The record at the end of every chain: what the listener reports of a request (Envoy's access
 * log and istio_stats, `reporter="source"`). It allocates the record and little else: identities
 * are shared objects (telemetry caches by identity), strings are cached per socket or constant.
 */
export function exchangeRecord(exchange: Exchange): RequestRecord {
  const req = exchange.req;
  const upstream = exchange.upstream;
  const cluster = exchange.cluster;
  const host = exchange.lastHost;
  const service = cluster?.service ?? exchange.destination?.service;
  const socket = connectionOf(req);
  return {
    reporter: 'source',
    startTime: epochMs(exchange.started),
    durationMs: eventNow() - exchange.started,
    upstreamServiceTimeMs: exchange.upstreamServiceTimeMs,
    method: exchange.method,
    path: exchange.originalPath,
    protocol: req.httpVersion === '1.1' ? 'HTTP/1.1' : 'HTTP/1.0',
    authority: exchange.authority,
    status: exchange.status,
    responseFlags: formatFlags(exchange.flags),
    requestBytes: exchange.requestBytes,
    responseBytes: exchange.responseBytes,
    // Without upstream headers (a local reply), the headers object is built for the two values.
    requestId: upstream?.requestId ?? (req.headers['x-request-id'] as string | undefined),
    userAgent: req.userAgent,
    forwardedFor: upstream?.forwardedFor ?? (req.headers['x-forwarded-for'] as string | undefined),
    upstreamHost: host?.address,
    upstreamCluster: cluster?.name,
    routeName: exchange.route?.name,
    source: exchange.context.source,
    destination: service === undefined ? undefined : destinationIdentity(host, cluster, service),
    mirror: false,
    downstreamRemoteAddress: socket.remote,
    downstreamLocalAddress: socket.local,
  };
}

export const recordLine =
  'record: one RequestRecord (reporter source) when the request ends; the inbound side records its own (reporter destination)';

/**
 * Epoch milliseconds of a `performance.now()` reading. The offset between the two clocks is
 * re-read at most once a second, so that a record costs no `Date.now()` and still follows the
 * wall clock when it is adjusted.
 */
let clockOffset = Date.now() - performance.now();
let clockCheckedAt = performance.now();
export function epochMs(monotonic: number): number {
  if (monotonic - clockCheckedAt > 1_000) {
    clockCheckedAt = performance.now();
    clockOffset = Date.now() - clockCheckedAt;
  }
  return clockOffset + monotonic;
}

/**
 * Addresses of a client connection as the access log prints them, formatted once per connection.
 * The local one is a listener's, shared by all its connections: one string for all of them, so
 * that the access log's cache compares it by identity.
 */
interface ConnectionAddresses {
  readonly remote: string;
  readonly local: string;
}
const addressesOf = Symbol('addresses');
type TaggedSocket = DownstreamRequest['socket'] & { [addressesOf]?: ConnectionAddresses };

export function connectionOf(req: DownstreamRequest): ConnectionAddresses {
  const socket = req.socket as TaggedSocket;
  let addresses = socket[addressesOf];
  if (addresses === undefined) {
    addresses = {
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      local: sharedLocalAddress(`${socket.localAddress}:${socket.localPort}`),
    };
    socket[addressesOf] = addresses;
  }
  return addresses;
}

const localAddresses = new Map<string, string>();
function sharedLocalAddress(address: string): string {
  const known = localAddresses.get(address);
  if (known !== undefined) return known;
  // Listeners are few; a bound in case a host answers on very many addresses.
  if (localAddresses.size >= 256) localAddresses.clear();
  localAddresses.set(address, address);
  return address;
}

/** The destination labels of a record: shared per endpoint and cluster, built only on error paths. */
export function destinationIdentity(
  host: HostState | undefined,
  cluster: Cluster | undefined,
  service: string,
): DestinationIdentity {
  if (host !== undefined) return host.destinationIdentity(cluster, service);
  return Object.freeze({
    workload: 'unknown',
    namespace: cluster?.namespace ?? 'unknown',
    app: 'unknown',
    version: 'unknown',
    service,
    serviceName: cluster?.serviceName ?? service.split('.')[0] ?? service,
  });
}
