import { ConsoleError } from '../errors.ts';
import {
  requestBytesMetric,
  responseBytesMetric,
  type SeriesIncrease,
  type TrafficWindow,
  tcpMetric,
} from './scraped.ts';

export interface PrometheusTelemetryOptions {
  /** The Prometheus server, e.g. `http://prometheus.istio-system:9090` (PROMETHEUS_URL). */
  readonly url: string;
  /** The largest window the console answers, seconds (Prometheus keeps far more). */
  readonly maxWindowSeconds?: number;
  readonly now?: () => number;
}

/** The labels Istio's metrics carry; Prometheus' own (`instance`, `job`, `pod`...) are summed over. */
function isIstioLabel(name: string): boolean {
  return (
    name.startsWith('source_') ||
    name.startsWith('destination_') ||
    name === 'reporter' ||
    name === 'request_protocol' ||
    name === 'response_code' ||
    name === 'response_flags' ||
    name === 'grpc_response_status' ||
    name === 'connection_security_policy'
  );
}

interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** A Prometheus that cannot answer the console's query; the graph API answers 502 with this. */
export class PrometheusError extends ConsoleError {
  constructor(message: string) {
    super('PROMETHEUS_FAILED', 502, message);
  }
}

/**
 * The cluster data source: the same increases the local source computes, read from a cluster's
 * Prometheus (the one Kiali reads): `istio_requests_total`,
 * `istio_request_duration_milliseconds_bucket` and the body bytes' sums as instant queries at the window's end and start,
 * subtracted per series and summed over Prometheus' target labels. Two instant readings, not
 * `increase()`, so that both sources count the same requests for the same scrapes (`increase()`
 * extrapolates to the window's edges); a counter lower at the end was reset, as in PromQL.
 */
export class PrometheusTelemetry {
  readonly maxWindowSeconds: number;
  readonly #url: string;
  readonly #now: () => number;

  constructor(options: PrometheusTelemetryOptions) {
    this.#url = options.url.replace(/\/+$/, '');
    this.maxWindowSeconds = options.maxWindowSeconds ?? 3_600;
    this.#now = options.now ?? Date.now;
  }

  async window(seconds: number): Promise<TrafficWindow> {
    const end = this.#now() / 1000;
    const [atEnd, atStart] = await Promise.all([this.#readings(end), this.#readings(end - seconds)]);
    return between(atStart, atEnd, seconds, end);
  }

  /** The windows of consecutive `stepSeconds` steps over the last `seconds`, oldest first. */
  async steps(seconds: number, stepSeconds: number): Promise<TrafficWindow[]> {
    const end = this.#now() / 1000;
    const times: number[] = [];
    for (let time = end - seconds; time <= end + 0.001; time += stepSeconds) times.push(time);
    const readings = await Promise.all(times.map((time) => this.#readings(time)));
    return readings
      .slice(1)
      .map((reading, i) => between(readings[i] as Readings, reading, stepSeconds, times[i + 1] as number));
  }

  async #readings(time: number): Promise<Readings> {
    const [requests, buckets, tcp, requestBytes, responseBytes] = await Promise.all([
      this.#instant('istio_requests_total', time),
      this.#instant('istio_request_duration_milliseconds_bucket', time),
      this.#instant(tcpMetric, time),
      this.#instant(requestBytesMetric, time),
      this.#instant(responseBytesMetric, time),
    ]);
    return { requests, buckets, tcp, requestBytes, responseBytes };
  }

  async #instant(metric: string, time: number): Promise<VectorSample[]> {
    const url = `${this.#url}/api/v1/query?query=${encodeURIComponent(metric)}&time=${time.toFixed(3)}`;
    let body: { status?: string; data?: { resultType?: string; result?: VectorSample[] }; error?: string };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw new PrometheusError(`Prometheus at ${this.#url} did not answer (${(error as Error).message})`);
    }
    if (body.status !== 'success' || body.data?.resultType !== 'vector')
      throw new PrometheusError(
        `Prometheus at ${this.#url} refused the query ${metric}: ${body.error ?? 'no vector'}`,
      );
    return body.data.result ?? [];
  }
}

interface Readings {
  readonly requests: readonly VectorSample[];
  readonly buckets: readonly VectorSample[];
  readonly tcp: readonly VectorSample[];
  readonly requestBytes: readonly VectorSample[];
  readonly responseBytes: readonly VectorSample[];
}

/** The increases from one reading to a later one, as a window of `seconds` ending at `end` (seconds). */
function between(start: Readings, end: Readings, seconds: number, endTime: number): TrafficWindow {
  const requests = increases(end.requests, start.requests);
  const buckets = increases(end.buckets, start.buckets, 'le');
  // Bucket bounds as written (`le="0.5"`), kept as strings to find each series' buckets again.
  const les = [...new Set([...buckets.values()].flatMap((byLe) => [...byLe.keys()]))]
    .map((le) => [Number(le), le] as const)
    .filter(([bound]) => Number.isFinite(bound))
    .sort(([a], [b]) => a - b);
  const bounds = les.map(([bound]) => bound);
  const requestBytes = increases(end.requestBytes, start.requestBytes);
  const responseBytes = increases(end.responseBytes, start.responseBytes);
  const series: SeriesIncrease[] = [];
  for (const [key, byLe] of requests) {
    const total = byLe.get('') ?? 0;
    if (total <= 0) continue;
    const cumulative = [...les.map(([, le]) => buckets.get(key)?.get(le) ?? 0), total];
    const durations = cumulative.map((value, i) => value - (i === 0 ? 0 : (cumulative[i - 1] as number)));
    series.push({
      labels: Object.fromEntries(JSON.parse(key) as [string, string][]),
      requests: total,
      durations,
      requestBytes: requestBytes.get(key)?.get('') ?? 0,
      responseBytes: responseBytes.get(key)?.get('') ?? 0,
    });
  }
  const tcp: SeriesIncrease[] = [];
  for (const [key, byPart] of increases(end.tcp, start.tcp)) {
    const bytes = byPart.get('') ?? 0;
    if (bytes > 0)
      tcp.push({
        labels: Object.fromEntries(JSON.parse(key) as [string, string][]),
        requests: bytes,
        durations: [],
      });
  }
  return { seconds, at: endTime * 1000, bounds, series, tcp };
}

/**
 * Per Istio label set (a JSON key) and `split` label value (`le` for buckets, '' for counters):
 * the end value minus the start value of each scraped series, summed over the series.
 */
function increases(end: readonly VectorSample[], start: readonly VectorSample[], split?: string) {
  const before = new Map(start.map((sample) => [seriesId(sample.metric), Number(sample.value[1])]));
  const result = new Map<string, Map<string, number>>();
  for (const sample of end) {
    const now = Number(sample.value[1]);
    const earlier = before.get(seriesId(sample.metric)) ?? 0;
    const increase = now >= earlier ? now - earlier : now;
    const labels = Object.entries(sample.metric)
      .filter(([name]) => isIstioLabel(name))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const key = JSON.stringify(labels);
    const byLe = result.get(key) ?? new Map<string, number>();
    result.set(key, byLe);
    const part = split ? (sample.metric[split] ?? '') : '';
    byLe.set(part, (byLe.get(part) ?? 0) + increase);
  }
  return result;
}

function seriesId(metric: Record<string, string>): string {
  return JSON.stringify(Object.entries(metric).sort(([a], [b]) => (a < b ? -1 : 1)));
}
