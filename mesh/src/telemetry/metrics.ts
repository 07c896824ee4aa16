import type { ConnectionRecord } from './connection.ts';
import type { RequestRecord, WorkloadIdentity } from './record.ts';

/**
 * Istio's standard HTTP metrics, as its stats filter (istio/proxy `istio_stats.cc`) emits them:
 * same names, same labels in the same order, Envoy's default histogram buckets, Envoy's
 * Prometheus text layout. Each record counts under its own reporter, as each proxy of a hop
 * reports its side: `reporter="source"` (the ingress gateway or the calling workload's outbound
 * sidecar) and `reporter="destination"` (the endpoint's inbound side, only when the request got
 * there). A mirrored copy counts only at the destination: the caller's proxy does not report its
 * shadow requests.
 *
 * Durations keep their sub-millisecond part (Envoy truncates to whole milliseconds), so that local,
 * sub-millisecond requests still land in the right bucket.
 */

/** Envoy's default histogram buckets, which Istio does not override for these metrics. */
export const defaultBuckets: readonly number[] = Object.freeze([
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
]);

/** Istio's default cluster id (`constants.DefaultClusterName`), the value of source_/destination_cluster. */
const clusterName = 'Kubernetes';
const unknown = 'unknown';

class Histogram {
  /** Per bucket, not cumulative; the last slot is above the highest bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /** A typed array: an element load from a frozen array went through an inline-cache call. */
  readonly bounds: Float64Array;

  constructor(bounds: Float64Array) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

interface Series {
  /** Rendered once: `reporter="source",source_workload="front-v1",...`. */
  readonly labels: string;
  requests: number;
  readonly duration: Histogram;
  readonly requestBytes: Histogram;
  readonly responseBytes: Histogram;
}

interface SeriesPair {
  source: Series | undefined;
  destination: Series | undefined;
}

/**
 * Series pairs by (source, destination, code, flags, protocol), one Map per label: every key is
 * a number or a string the data path or the identity cache hands over again and again (its hash
 * is kept in the string), so counting a record builds no key string.
 */
type ByProtocol = Map<string, SeriesPair>;
type ByFlags = Map<string, ByProtocol>;
type ByStatus = Map<number, ByFlags>;
type ByDestination = Map<string, ByStatus>;

function child<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

const newByDestination = (): ByDestination => new Map();
const newByStatus = (): ByStatus => new Map();
const newByFlags = (): ByFlags => new Map();
const newByProtocol = (): ByProtocol => new Map();

export interface IstioMetricsOptions {
  readonly buckets?: readonly number[];
}

/**
 * Counts RequestRecords into Istio's metrics and renders them in Prometheus text format. Counted
 * on every request: TypeScript `private`, not `#private` (mesh/DESIGN.md).
 */
export class IstioMetrics {
  private readonly buckets: Float64Array;
  private readonly bucketLabels: readonly string[];
  /** One entry per (source, destination, code, flags, protocol) combination seen. */
  private readonly pairs = new Map<string, ByDestination>();
  private readonly series: Series[] = [];
  /** Identity objects are usually shared by the data path; their key is computed once per object. */
  private readonly identityKeys = new WeakMap<object, string>();
  private readonly tcp = new IstioTcpMetrics();
  /**
   * The pair the last record counted under, and what it was found by. Both records of a request,
   * and most requests after it, count under the same pair: compared by identity, they skip the
   * five lookups.
   */
  private last: SeriesPair | undefined;
  private lastSource: object | undefined;
  private lastDestination: object | undefined;
  private lastAuthority = '';
  private lastStatus = 0;
  private lastFlags = '';
  private lastProtocol = '';

  constructor(options: IstioMetricsOptions = {}) {
    const buckets = options.buckets ?? defaultBuckets;
    this.buckets = Float64Array.from(buckets);
    this.bucketLabels = buckets.map(formatNumber);
  }

  /** Number of label sets (series per metric) held. */
  get seriesCount(): number {
    return this.series.length;
  }

  record(record: RequestRecord): void {
    const destination = record.destination;
    let pair = this.last;
    if (
      pair === undefined ||
      record.source !== this.lastSource ||
      destination !== this.lastDestination ||
      record.status !== this.lastStatus ||
      record.responseFlags !== this.lastFlags ||
      record.protocol !== this.lastProtocol ||
      (destination === undefined && record.authority !== this.lastAuthority)
    ) {
      pair = this.pairOf(record);
      this.last = pair;
      this.lastSource = record.source;
      this.lastDestination = destination;
      this.lastAuthority = record.authority;
      this.lastStatus = record.status;
      this.lastFlags = record.responseFlags;
      this.lastProtocol = record.protocol;
    }
    if (record.reporter === 'destination') {
      pair.destination ??= this.newSeries(labelValues('destination', record));
      this.count(pair.destination, record);
    } else if (!record.mirror) {
      pair.source ??= this.newSeries(labelValues('source', record));
      this.count(pair.source, record);
    }
  }

  /** A TCP connection at open or close (telemetry/connection.ts): Istio's istio_tcp_* counters. */
  recordConnection(record: ConnectionRecord): void {
    this.tcp.record(record);
  }

  /** Prometheus text exposition format 0.0.4, families and series in a stable order. */
  render(): string {
    const series = [...this.series].sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
    const out: string[] = [];
    if (series.length > 0) {
      out.push('# TYPE istio_requests_total counter\n');
      for (const s of series) out.push(`istio_requests_total{${s.labels}} ${s.requests}\n`);
      out.push('\n');
    }
    // Envoy lists counters before histograms.
    this.tcp.render(out);
    this.renderHistogram(out, 'istio_request_bytes', series, (s) => s.requestBytes);
    this.renderHistogram(out, 'istio_request_duration_milliseconds', series, (s) => s.duration);
    this.renderHistogram(out, 'istio_response_bytes', series, (s) => s.responseBytes);
    return out.join('');
  }

  private pairOf(record: RequestRecord): SeriesPair {
    const destination = record.destination;
    const byDestination = child(this.pairs, this.identityKey(record.source), newByDestination);
    const destinationKey = destination ? this.identityKey(destination) : `\u001f${record.authority}`;
    const byStatus = child(byDestination, destinationKey, newByStatus);
    const byFlags = child(byStatus, record.status, newByFlags);
    const byProtocol = child(byFlags, record.responseFlags, newByProtocol);
    let pair = byProtocol.get(record.protocol);
    if (!pair) {
      pair = { source: undefined, destination: undefined };
      byProtocol.set(record.protocol, pair);
    }
    return pair;
  }

  private count(series: Series, record: RequestRecord): void {
    series.requests++;
    series.duration.observe(record.durationMs);
    series.requestBytes.observe(record.requestBytes);
    series.responseBytes.observe(record.responseBytes);
  }

  private newSeries(labels: readonly (readonly [string, string])[]): Series {
    const series: Series = {
      labels: labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(','),
      requests: 0,
      duration: new Histogram(this.buckets),
      requestBytes: new Histogram(this.buckets),
      responseBytes: new Histogram(this.buckets),
    };
    this.series.push(series);
    return series;
  }

  private identityKey(
    identity: WorkloadIdentity & { readonly service?: string; readonly serviceName?: string },
  ): string {
    let key = this.identityKeys.get(identity);
    if (key === undefined) {
      key = `${identity.workload}\u001f${identity.namespace}\u001f${identity.app}\u001f${identity.version}\u001f${
        identity.service ?? ''
      }\u001f${identity.serviceName ?? ''}`;
      this.identityKeys.set(identity, key);
    }
    return key;
  }

  private renderHistogram(
    out: string[],
    name: string,
    series: readonly Series[],
    pick: (s: Series) => Histogram,
  ): void {
    if (series.length === 0) return;
    const bucketLabels = this.bucketLabels;
    out.push(`# TYPE ${name} histogram\n`);
    for (const s of series) {
      const histogram = pick(s);
      let cumulative = 0;
      for (let i = 0; i < bucketLabels.length; i++) {
        cumulative += histogram.counts[i] as number;
        out.push(`${name}_bucket{${s.labels},le="${bucketLabels[i]}"} ${cumulative}\n`);
      }
      out.push(`${name}_bucket{${s.labels},le="+Inf"} ${histogram.count}\n`);
      out.push(`${name}_sum{${s.labels}} ${formatNumber(histogram.sum)}\n`);
      out.push(`${name}_count{${s.labels}} ${histogram.count}\n`);
    }
    out.push('\n');
  }
}

type Reporter = 'source' | 'destination';

/**
 * The 25 labels in istio_stats' order. Values the local runtime cannot know are what Istio reports
 * without them: no mTLS, so principals are `unknown` and connection_security_policy is `none` at the
 * destination and `unknown` at the source.
 */
function labelValues(reporter: Reporter, record: RequestRecord): (readonly [string, string])[] {
  const source = record.source;
  const destination = record.destination;
  const gateway = source.workload === 'istio-ingressgateway';
  const service =
    destination?.service ?? (reporter === 'source' && !gateway ? hostWithoutPort(record.authority) : unknown);
  const serviceName = destination?.serviceName ?? service;
  const serviceNamespace = destination ? (destination.service.split('.')[1] ?? unknown) : unknown;
  return [
    ...peerLabels(reporter, source, destination),
    ['destination_service', service],
    ['destination_canonical_service', destination ? canonicalService(destination) : unknown],
    ['destination_canonical_revision', destination ? canonicalRevision(destination) : 'latest'],
    ['destination_service_name', serviceName],
    ['destination_service_namespace', serviceNamespace],
    ['destination_cluster', destination ? clusterName : unknown],
    ['request_protocol', /grpc/i.test(record.protocol) ? 'grpc' : 'http'],
    ['response_code', String(record.status)],
    ['grpc_response_status', ''],
    ['response_flags', record.responseFlags || '-'],
    ['connection_security_policy', reporter === 'destination' ? 'none' : unknown],
  ];
}

/** The labels istio_stats puts first on HTTP and TCP series alike: the reporter and both peers. */
function peerLabels(
  reporter: Reporter,
  source: WorkloadIdentity,
  destination: WorkloadIdentity | undefined,
): (readonly [string, string])[] {
  return [
    ['reporter', reporter],
    ['source_workload', orUnknown(source.workload)],
    ['source_canonical_service', canonicalService(source)],
    ['source_canonical_revision', canonicalRevision(source)],
    ['source_workload_namespace', orUnknown(source.namespace)],
    ['source_principal', unknown],
    ['source_app', orUnknown(source.app)],
    ['source_version', orUnknown(source.version)],
    ['source_cluster', clusterName],
    ['destination_workload', orUnknown(destination?.workload)],
    ['destination_workload_namespace', orUnknown(destination?.namespace)],
    ['destination_principal', unknown],
    ['destination_app', orUnknown(destination?.app)],
    ['destination_version', orUnknown(destination?.version)],
  ];
}

function orUnknown(value: string | undefined): string {
  return value === undefined || value === '' ? unknown : value;
}

/** Istio's canonical service: the `service.istio.io/canonical-name` label, else `app`, else the workload. */
function canonicalService(identity: WorkloadIdentity): string {
  if (identity.app !== '' && identity.app !== unknown) return identity.app;
  return orUnknown(identity.workload);
}

function canonicalRevision(identity: WorkloadIdentity): string {
  return identity.version !== '' && identity.version !== unknown ? identity.version : 'latest';
}

function hostWithoutPort(authority: string): string {
  if (authority === '') return unknown;
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1) || authority;
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}

function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Math.round(value * 1e6) / 1e6);
}

// TCP: istio_stats' network filter (istio/proxy istio_stats.cc `reportHelper`) counts each
// connection through a TCP proxy under the HTTP labels minus response_code and
// grpc_response_status, with request_protocol="tcp". Its labels are fixed when it is first
// reported (flags included), as the filter's tags are.

interface TcpSeries {
  readonly labels: string;
  opened: number;
  closed: number;
  /** Bytes of closed connections; open ones add theirs when rendered. */
  receivedBytes: number;
  sentBytes: number;
  readonly open: Set<ConnectionRecord>;
}

/** Counts ConnectionRecords into istio_tcp_connections_opened/closed_total and istio_tcp_sent/received_bytes_total. */
export class IstioTcpMetrics {
  readonly #series = new Map<string, TcpSeries>();
  /** The series each open connection was counted under when it opened. */
  readonly #seriesOf = new WeakMap<ConnectionRecord, TcpSeries>();

  record(record: ConnectionRecord): void {
    let series = this.#seriesOf.get(record);
    if (series === undefined) {
      const labels = tcpLabelValues(record)
        .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
        .join(',');
      series = this.#series.get(labels);
      if (series === undefined) {
        series = { labels, opened: 0, closed: 0, receivedBytes: 0, sentBytes: 0, open: new Set() };
        this.#series.set(labels, series);
      }
      series.opened++;
      if (!record.closed) {
        series.open.add(record);
        this.#seriesOf.set(record, series);
        return;
      }
    }
    if (!record.closed) return;
    series.open.delete(record);
    this.#seriesOf.delete(record);
    series.closed++;
    series.receivedBytes += record.receivedBytes;
    series.sentBytes += record.sentBytes;
  }

  render(out: string[]): void {
    if (this.#series.size === 0) return;
    const series = [...this.#series.values()].sort((a, b) =>
      a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0,
    );
    const family = (name: string, value: (s: TcpSeries) => number): void => {
      out.push(`# TYPE ${name} counter\n`);
      for (const s of series) out.push(`${name}{${s.labels}} ${value(s)}\n`);
      out.push('\n');
    };
    family('istio_tcp_connections_closed_total', (s) => s.closed);
    family('istio_tcp_connections_opened_total', (s) => s.opened);
    family('istio_tcp_received_bytes_total', (s) => {
      let bytes = s.receivedBytes;
      for (const open of s.open) bytes += open.receivedBytes;
      return bytes;
    });
    family('istio_tcp_sent_bytes_total', (s) => {
      let bytes = s.sentBytes;
      for (const open of s.open) bytes += open.sentBytes;
      return bytes;
    });
  }
}

/**
 * The 23 labels of a TCP series in istio_stats' order. Without request headers there is no Host to
 * fall back on: a connection passed through as addressed has destination_service `unknown` and
 * destination_service_name `PassthroughCluster` (populatePeerInfo).
 */
function tcpLabelValues(record: ConnectionRecord): (readonly [string, string])[] {
  const source = record.source;
  const destination = record.destination;
  const reporter = record.reporter;
  const passthrough = record.upstreamCluster === 'PassthroughCluster';
  return [
    ...peerLabels(reporter, source, destination),
    ['destination_service', destination?.service ?? unknown],
    ['destination_canonical_service', destination ? canonicalService(destination) : unknown],
    ['destination_canonical_revision', destination ? canonicalRevision(destination) : 'latest'],
    ['destination_service_name', destination?.serviceName ?? (passthrough ? 'PassthroughCluster' : unknown)],
    ['destination_service_namespace', destination ? (destination.service.split('.')[1] ?? unknown) : unknown],
    ['destination_cluster', destination ? clusterName : unknown],
    ['request_protocol', 'tcp'],
    ['response_flags', record.responseFlags || '-'],
    ['connection_security_policy', reporter === 'destination' ? 'none' : unknown],
  ];
}
