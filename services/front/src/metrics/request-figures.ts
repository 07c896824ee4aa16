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

/** The request counters of one scrape, per series (service-kit's metrics.ts labels). */
export interface RequestCounters {
  /** Epoch milliseconds of the scrape. */
  at: number;
  requests: ReadonlyMap<string, { value: number; serverError: boolean }>;
  buckets: ReadonlyMap<string, { value: number; le: number }>;
  msPerUnit: number;
}

export interface RequestFigures {
  requestsTotal: number;
  requestRate: number;
  errorRate: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

export function requestCounters(
  samples: readonly PromSample[],
  at: number,
  scheme: MetricScheme = serviceKitScheme,
): RequestCounters {
  const requests = new Map<string, { value: number; serverError: boolean }>();
  const buckets = new Map<string, { value: number; le: number }>();
  for (const sample of samples) {
    if (sample.name === scheme.requests) {
      requests.set(seriesKey(sample), {
        value: sample.value,
        serverError: /^5\d\d$/.test(sample.labels[scheme.status] ?? ''),
      });
    } else if (sample.name === scheme.buckets && sample.labels.le !== undefined) {
      const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
      if (!Number.isNaN(le)) buckets.set(seriesKey(sample), { value: sample.value, le });
    }
  }
  return { at, requests, buckets, msPerUnit: scheme.msPerUnit };
}

/**
 * Rates over the interval between two scrapes, as Prometheus' `rate` and `histogram_quantile` would
 * compute them. Without a previous scrape there is no interval: rates are 0 and latencies null.
 */
export function requestFigures(
  previous: RequestCounters | undefined,
  current: RequestCounters,
): RequestFigures {
  let requestsTotal = 0;
  for (const { value } of current.requests.values()) requestsTotal += value;
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  if (!previous || seconds <= 0) {
    return { requestsTotal, requestRate: 0, errorRate: 0, latencyP50Ms: null, latencyP99Ms: null };
  }

  let requests = 0;
  let serverErrors = 0;
  for (const [key, { value, serverError }] of current.requests) {
    const delta = increase(previous.requests.get(key)?.value, value);
    requests += delta;
    if (serverError) serverErrors += delta;
  }
  const byBound = new Map<number, number>();
  for (const [key, { value, le }] of current.buckets) {
    byBound.set(le, (byBound.get(le) ?? 0) + increase(previous.buckets.get(key)?.value, value));
  }
  const buckets = [...byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const quantileMs = (q: number) => {
    const bound = histogramQuantile(q, buckets);
    return bound === null ? null : round(bound * current.msPerUnit);
  };
  return {
    requestsTotal,
    requestRate: round(requests / seconds),
    errorRate: requests > 0 ? round(serverErrors / requests) : 0,
    latencyP50Ms: quantileMs(0.5),
    latencyP99Ms: quantileMs(0.99),
  };
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

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
