import { parseExposition, type Sample } from './prometheus-text.ts';

/** One label set's traffic over a window: requests, and request durations per histogram bucket. */
export interface SeriesIncrease {
  readonly labels: Readonly<Record<string, string>>;
  /** Requests finished within the window (counter increase). */
  readonly requests: number;
  /** Increase per duration bucket, not cumulative, aligned with `TrafficWindow.bounds` (+Inf last). */
  readonly durations: readonly number[];
}

/** What the console graphs: every series' increase over the last `seconds`. */
export interface TrafficWindow {
  /** Seconds the increases were measured over (the time between the two scrapes compared). */
  readonly seconds: number;
  /** When the newest scrape was taken, epoch milliseconds. */
  readonly at: number;
  /** Upper bounds of the duration buckets, milliseconds; the last bucket (+Inf) has none. */
  readonly bounds: readonly number[];
  readonly series: readonly SeriesIncrease[];
  /**
   * TCP traffic: bytes per label set (`requests` holds the bytes, `durations` is empty), read from
   * `istio_tcp_received_bytes_total` as Kiali's default TCP rate ("sent") reads it.
   */
  readonly tcp: readonly SeriesIncrease[];
}

interface Snapshot {
  readonly at: number;
  readonly requests: ReadonlyMap<string, number>;
  /** Cumulative bucket counts by series key, in `bounds` order with +Inf last. */
  readonly buckets: ReadonlyMap<string, readonly number[]>;
  readonly tcp: ReadonlyMap<string, number>;
}

export interface ScrapedTelemetryOptions {
  /** The stats endpoint, e.g. the runtime's `http://127.0.0.1:15090/stats/prometheus`. */
  readonly url: string;
  /** How long the console keeps scrapes: its largest window. */
  readonly keepSeconds?: number;
  /** Label sets kept at most; more are dropped (newest first), so memory stays bounded. */
  readonly maxSeries?: number;
  readonly now?: () => number;
}

const requestsMetric = 'istio_requests_total';
/** Kiali reads TCP "sent" bytes from the received counter (Istio's L4 telemetry is backwards, istio#32399). */
export const tcpMetric = 'istio_tcp_received_bytes_total';
const bucketMetric = 'istio_request_duration_milliseconds_bucket';

/**
 * The local data source: the runtime's Istio metrics scraped as Prometheus would, kept in memory
 * over the largest window, and read back as increases over a window, as PromQL's `increase()`
 * reads them (a counter that went down was reset: its new value is the increase). Bounded:
 * `keepSeconds` of scrapes of at most `maxSeries` label sets.
 */
export class ScrapedTelemetry {
  readonly #url: string;
  readonly #keepMs: number;
  readonly #maxSeries: number;
  readonly #now: () => number;
  readonly #labels = new Map<string, Readonly<Record<string, string>>>();
  #bounds: readonly number[] = [];
  #snapshots: Snapshot[] = [];

  constructor(options: ScrapedTelemetryOptions) {
    this.#url = options.url;
    this.#keepMs = (options.keepSeconds ?? 900) * 1000;
    this.#maxSeries = options.maxSeries ?? 20_000;
    this.#now = options.now ?? Date.now;
  }

  /** Scrapes once; a failed scrape keeps what was there (the runtime may be restarting). */
  async scrape(signal?: AbortSignal): Promise<boolean> {
    let text: string;
    try {
      const response = await fetch(this.#url, { signal: signal ?? AbortSignal.timeout(5_000) });
      if (!response.ok) return false;
      text = await response.text();
    } catch {
      return false;
    }
    this.add(text, this.#now());
    return true;
  }

  /** Adds one scrape's text, taken at `at`. */
  add(text: string, at: number): void {
    const samples = parseExposition(
      text,
      (name) => name === requestsMetric || name === bucketMetric || name === tcpMetric,
    );
    const requests = new Map<string, number>();
    const tcp = new Map<string, number>();
    const byKey = new Map<string, Map<number, number>>();
    const bounds = new Set<number>();
    for (const sample of samples) {
      const key = this.#keyOf(sample);
      if (key === undefined) continue;
      if (sample.name === requestsMetric) requests.set(key, sample.value);
      else if (sample.name === tcpMetric) tcp.set(key, sample.value);
      else {
        const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
        if (Number.isNaN(le)) continue;
        if (Number.isFinite(le)) bounds.add(le);
        const buckets = byKey.get(key) ?? new Map<number, number>();
        byKey.set(key, buckets);
        buckets.set(le, sample.value);
      }
    }
    if (bounds.size > 0) this.#bounds = Object.freeze([...bounds].sort((a, b) => a - b));
    const order = [...this.#bounds, Number.POSITIVE_INFINITY];
    const buckets = new Map<string, number[]>();
    for (const [key, values] of byKey)
      buckets.set(
        key,
        order.map((le) => values.get(le) ?? 0),
      );
    this.#snapshots.push({ at, requests, buckets, tcp });
    const oldest = at - this.#keepMs;
    // Keep one scrape at or before the oldest window's start, so that a full window has a base.
    while (this.#snapshots.length > 2 && (this.#snapshots[1] as Snapshot).at <= oldest)
      this.#snapshots.shift();
  }

  /** Every series' increase between the newest scrape and the newest one at least `seconds` older. */
  window(seconds: number): TrafficWindow {
    const newest = this.#snapshots.at(-1);
    if (!newest || this.#snapshots.length < 2)
      return { seconds, at: newest?.at ?? this.#now(), bounds: this.#bounds, series: [], tcp: [] };
    return this.#between(this.#atOrBefore(newest.at - seconds * 1000, newest), newest);
  }

  /**
   * The windows of consecutive `stepSeconds` steps over the last `seconds`, oldest first: each
   * between the newest scrapes at or before its edges (an empty one where no scrape fell).
   */
  steps(seconds: number, stepSeconds: number): TrafficWindow[] {
    const newest = this.#snapshots.at(-1);
    if (!newest) return [];
    const windows: TrafficWindow[] = [];
    for (
      let end = newest.at - seconds * 1000 + stepSeconds * 1000;
      end <= newest.at + 1;
      end += stepSeconds * 1000
    ) {
      const to = this.#atOrBefore(end, newest);
      const from = this.#atOrBefore(end - stepSeconds * 1000, to);
      windows.push(
        from === to
          ? { seconds: stepSeconds, at: end, bounds: this.#bounds, series: [], tcp: [] }
          : { ...this.#between(from, to), at: end },
      );
    }
    return windows;
  }

  /** The newest scrape at or before `at` (the oldest one when none is), never after `limit`. */
  #atOrBefore(at: number, limit: Snapshot): Snapshot {
    let found = this.#snapshots[0] as Snapshot;
    for (const snapshot of this.#snapshots) {
      if (snapshot.at > at || snapshot.at > limit.at) break;
      found = snapshot;
    }
    return found;
  }

  #between(base: Snapshot, newest: Snapshot): TrafficWindow {
    const series: SeriesIncrease[] = [];
    for (const [key, now] of newest.requests) {
      const before = base.requests.get(key) ?? 0;
      const requests = now >= before ? now - before : now;
      if (requests <= 0) continue;
      const after = newest.buckets.get(key) ?? [];
      const earlier = base.buckets.get(key) ?? [];
      const reset = (after.at(-1) ?? 0) < (earlier.at(-1) ?? 0);
      const cumulative = after.map((value, i) => (reset ? value : value - (earlier[i] ?? 0)));
      const durations = cumulative.map((value, i) => value - (i === 0 ? 0 : (cumulative[i - 1] as number)));
      series.push({ labels: this.#labels.get(key) as Record<string, string>, requests, durations });
    }
    const tcp: SeriesIncrease[] = [];
    for (const [key, now] of newest.tcp) {
      const before = base.tcp.get(key) ?? 0;
      const bytes = now >= before ? now - before : now;
      if (bytes > 0)
        tcp.push({ labels: this.#labels.get(key) as Record<string, string>, requests: bytes, durations: [] });
    }
    return { seconds: (newest.at - base.at) / 1000, at: newest.at, bounds: this.#bounds, series, tcp };
  }

  /** The series key: every label but `le`, in their written order (the runtime writes one order). */
  #keyOf(sample: Sample): string | undefined {
    const entries = Object.entries(sample.labels).filter(([name]) => name !== 'le');
    const key = entries.map(([name, value]) => `${name}=${value}`).join('\u001f');
    if (!this.#labels.has(key)) {
      if (this.#labels.size >= this.#maxSeries) return undefined;
      this.#labels.set(key, Object.freeze(Object.fromEntries(entries)));
    }
    return key;
  }
}
