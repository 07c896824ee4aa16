import type { PromSample } from './prometheus-text.ts';

/** Which series carry requests and latency, and how to read them. */
export interface MetricScheme {
  requests: string;
  buckets: string;
  /** The label holding the HTTP status. */
  status: string;
  /** Milliseconds per unit of the histogram's bounds. */
  msPerUnit: number;
}

/** service-kit's own metrics (metrics.ts): seconds, `status`. */
export const serviceKitScheme: MetricScheme = Object.freeze({
  requests: 'http_server_requests_total',
  buckets: 'http_server_request_duration_seconds_bucket',
  status: 'status',
  msPerUnit: 1000,
});

/** Istio's standard metrics: milliseconds, `response_code`. */
export const istioScheme: MetricScheme = Object.freeze({
  requests: 'istio_requests_total',
  buckets: 'istio_request_duration_milliseconds_bucket',
  status: 'response_code',
  msPerUnit: 1,
});

/** What an answer's status says: 4xx the client's fault, 5xx the server's. */
export type StatusClass = 'ok' | 'client' | 'server';

/** The request counters of one scrape, per series (keyed by the series' labels). */
export interface RequestCounters {
  /** Epoch milliseconds of the scrape. */
  at: number;
  requests: ReadonlyMap<string, { value: number; status: StatusClass }>;
  buckets: ReadonlyMap<string, { value: number; le: number }>;
  msPerUnit: number;
}

export function requestCounters(
  samples: readonly PromSample[],
  at: number,
  scheme: MetricScheme = serviceKitScheme,
): RequestCounters {
  const requests = new Map<string, { value: number; status: StatusClass }>();
  const buckets = new Map<string, { value: number; le: number }>();
  for (const sample of samples) {
    if (sample.name === scheme.requests) {
      requests.set(seriesKey(sample), {
        value: sample.value,
        status: statusClass(sample.labels[scheme.status]),
      });
    } else if (sample.name === scheme.buckets && sample.labels.le !== undefined) {
      const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
      if (!Number.isNaN(le)) buckets.set(seriesKey(sample), { value: sample.value, le });
    }
  }
  return { at, requests, buckets, msPerUnit: scheme.msPerUnit };
}

/** The sum of a scrape's request counters. */
export function totalRequests(counters: RequestCounters): number {
  let total = 0;
  for (const { value } of counters.requests.values()) total += value;
  return total;
}

/** True when a counter went down between two scrapes of one process: it restarted and counts from zero. */
export function wasReset(previous: RequestCounters, current: RequestCounters): boolean {
  for (const [key, { value }] of current.requests) {
    const before = previous.requests.get(key)?.value;
    if (before !== undefined && value < before) return true;
  }
  return false;
}

/** Growth between two scrapes of one process, as Prometheus' `increase` sums it per series. */
export interface Increase {
  requests: number;
  clientErrors: number;
  serverErrors: number;
  /** Observations per histogram upper bound, cumulative as the buckets are. */
  byBound: Map<number, number>;
}

export function emptyIncrease(): Increase {
  return { requests: 0, clientErrors: 0, serverErrors: 0, byBound: new Map() };
}

/** Adds the growth from `previous` to `current` into `into`. */
export function addIncrease(into: Increase, previous: RequestCounters, current: RequestCounters): void {
  for (const [key, { value, status }] of current.requests) {
    const delta = increase(previous.requests.get(key)?.value, value);
    into.requests += delta;
    if (status === 'client') into.clientErrors += delta;
    else if (status === 'server') into.serverErrors += delta;
  }
  for (const [key, { value, le }] of current.buckets) {
    into.byBound.set(le, (into.byBound.get(le) ?? 0) + increase(previous.buckets.get(key)?.value, value));
  }
}

/** The latency quantile of an increase, in milliseconds; null without observations. */
export function quantileMs(q: number, growth: Increase, msPerUnit: number): number | null {
  const buckets = [...growth.byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const bound = histogramQuantile(q, buckets);
  return bound === null ? null : round(bound * msPerUnit);
}

/**
 * Prometheus' histogram_quantile over cumulative buckets sorted by upper bound (`+Inf` last):
 * linear interpolation inside the bucket holding the rank; in the `+Inf` bucket, the highest finite
 * bound. Null without observations.
 */
export function histogramQuantile(
  q: number,
  buckets: readonly { le: number; count: number }[],
): number | null {
  const last = buckets.at(-1);
  if (!last || last.le !== Number.POSITIVE_INFINITY || last.count <= 0) return null;
  const rank = q * last.count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count: raw } of buckets) {
    // Counter resets between scrapes can make sums dip; buckets are cumulative, so never below the last.
    const count = Math.max(raw, lowerCount);
    if (count >= rank && count > lowerCount) {
      if (le === Number.POSITIVE_INFINITY) return lowerBound;
      return lowerBound + (le - lowerBound) * ((rank - lowerCount) / (count - lowerCount));
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

/** A counter's growth; a lower value means the process restarted and counts from zero again. */
function increase(previous: number | undefined, current: number): number {
  return previous === undefined || current < previous ? current : current - previous;
}

function seriesKey(sample: PromSample): string {
  return JSON.stringify(Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function statusClass(status: string | undefined): StatusClass {
  if (status?.length === 3 && status[0] === '4') return 'client';
  if (status?.length === 3 && status[0] === '5') return 'server';
  return 'ok';
}

export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
