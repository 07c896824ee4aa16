import { parseExposition, type Sample } from './prometheus-text.ts';

/** One label set's traffic over a window: requests, and request durations per histogram bucket. */
export interface SeriesIncrease {
  readonly labels: Readonly<Record<string, string>>;
  /** Requests finished within the window (counter increase). */
  readonly requests: number;
  /** Increase per duration bucket, not cumulative, aligned with `TrafficWindow.bounds` (+Inf last). */
  readonly durations: readonly number[];
  /** Bytes of the requests' and the responses' bodies (`istio_request_bytes_sum`, `istio_response_bytes_sum`). */
  readonly requestBytes?: number;
  readonly responseBytes?: number;
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

/**
 * One scrape, as numbers by series id (the index in `#labels`) in one array: 180 scrapes of a
 * 15-minute window cost 8 bytes per value, no object per series.
 */
interface Snapshot {
  readonly at: number;
  /** The series known when it was taken. */
  readonly size: number;
  /** Buckets per series: the bounds known then, +Inf last. */
  readonly width: number;
  /**
   * Requests in [0, size), TCP bytes in [size, 2·size), request and response body bytes in
   * [2·size, 3·size) and [3·size, 4·size), then each series' cumulative bucket counts; NaN where
   * the scrape did not have the series.
   */
  readonly values: Float64Array;
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
export const requestBytesMetric = 'istio_request_bytes_sum';
export const responseBytesMetric = 'istio_response_bytes_sum';

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
  // Each label set is kept once and snapshots hold numbers by its id: 180 scrapes of a 15-minute
  // window would otherwise each hold their own copy of every series' long key.
  readonly #ids = new Map<string, number>();
  readonly #labels: Readonly<Record<string, string>>[] = [];
  #bounds: readonly number[] = [];
  #snapshots: Snapshot[] = [];

  constructor(options: ScrapedTelemetryOptions) {
    this.#url = options.url;
    this.#keepMs = (options.keepSeconds ?? 900) * 1000;
    // About 150 bytes per label set per scrape (npm run bench:console): 5,000 over 15 minutes of
    // 5 s scrapes stay under 140 MB; a local mesh has tens to hundreds.
    this.#maxSeries = options.maxSeries ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** The label sets kept, at most `maxSeries`. */
  get seriesCount(): number {
    return this.#labels.length;
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
      (name) =>
        name === requestsMetric ||
        name === bucketMetric ||
        name === tcpMetric ||
        name === requestBytesMetric ||
        name === responseBytesMetric,
    );
    const requests = new Map<number, number>();
    const tcp = new Map<number, number>();
    const requestBytes = new Map<number, number>();
    const responseBytes = new Map<number, number>();
    const byId = new Map<number, Map<number, number>>();
    const bounds = new Set<number>();
    for (const sample of samples) {
      const id = this.#idOf(sample);
      if (id === undefined) continue;
      if (sample.name === requestsMetric) requests.set(id, sample.value);
      else if (sample.name === tcpMetric) tcp.set(id, sample.value);
      else if (sample.name === requestBytesMetric) requestBytes.set(id, sample.value);
      else if (sample.name === responseBytesMetric) responseBytes.set(id, sample.value);
      else {
        const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
        if (Number.isNaN(le)) continue;
        if (Number.isFinite(le)) bounds.add(le);
        const buckets = byId.get(id) ?? new Map<number, number>();
        byId.set(id, buckets);
        buckets.set(le, sample.value);
      }
    }
    if (bounds.size > 0) this.#bounds = Object.freeze([...bounds].sort((a, b) => a - b));
    const order = [...this.#bounds, Number.POSITIVE_INFINITY];
    const size = this.#labels.length;
    const width = order.length;
    const values = new Float64Array(size * (counters + width)).fill(Number.NaN);
    [requests, tcp, requestBytes, responseBytes].forEach((counter, c) => {
      for (const [id, value] of counter) values[c * size + id] = value;
    });
    for (const [id, counts] of byId)
      order.forEach((le, i) => {
        values[counters * size + id * width + i] = counts.get(le) ?? 0;
      });
    this.#snapshots.push({ at, size, width, values });
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
    const tcp: SeriesIncrease[] = [];
    for (let id = 0; id < newest.size; id++) {
      const labels = this.#labels[id] as Record<string, string>;
      const now = newest.values[id] as number;
      if (!Number.isNaN(now)) {
        const before = valueAt(base, id);
        const requests = now >= before ? now - before : now;
        if (requests > 0) {
          const after = bucketsOf(newest, id);
          const earlier = bucketsOf(base, id);
          const reset = (after.at(-1) ?? 0) < (earlier.at(-1) ?? 0);
          const cumulative = Array.from(after, (value, i) => (reset ? value : value - (earlier[i] ?? 0)));
          const durations = cumulative.map(
            (value, i) => value - (i === 0 ? 0 : (cumulative[i - 1] as number)),
          );
          series.push({
            labels,
            requests,
            durations,
            requestBytes: increaseOf(base, newest, id, 2) ?? 0,
            responseBytes: increaseOf(base, newest, id, 3) ?? 0,
          });
        }
      }
      const bytesNow = newest.values[newest.size + id] as number;
      if (Number.isNaN(bytesNow)) continue;
      const bytesBefore = valueAt(base, id, 1);
      const bytes = bytesNow >= bytesBefore ? bytesNow - bytesBefore : bytesNow;
      if (bytes > 0) tcp.push({ labels, requests: bytes, durations: [] });
    }
    return { seconds: (newest.at - base.at) / 1000, at: newest.at, bounds: this.#bounds, series, tcp };
  }

  /** The series' id: the same for the same labels but `le`, in their written order (the runtime writes one order). */
  #idOf(sample: Sample): number | undefined {
    const entries = Object.entries(sample.labels).filter(([name]) => name !== 'le');
    const key = entries.map(([name, value]) => `${name}=${value}`).join('\u001f');
    let id = this.#ids.get(key);
    if (id === undefined) {
      if (this.#labels.length >= this.#maxSeries) return undefined;
      id = this.#labels.length;
      this.#ids.set(key, id);
      this.#labels.push(Object.freeze(Object.fromEntries(entries)));
    }
    return id;
  }
}

/** Counters per series in a snapshot, before the buckets: requests, TCP bytes, request and response bytes. */
const counters = 4;

/** A series' counter `counter` (0 requests, 1 TCP bytes, 2 and 3 body bytes) in a scrape: 0 when it did not have it. */
function valueAt(snapshot: Snapshot, id: number, counter = 0): number {
  if (id >= snapshot.size) return 0;
  const value = snapshot.values[counter * snapshot.size + id] as number;
  return Number.isNaN(value) ? 0 : value;
}

/** A counter's increase between two scrapes, as PromQL's (a lower value was a reset); undefined when the newer has none. */
function increaseOf(base: Snapshot, newest: Snapshot, id: number, counter: number): number | undefined {
  const now = newest.values[counter * newest.size + id] as number;
  if (Number.isNaN(now)) return undefined;
  const before = valueAt(base, id, counter);
  return now >= before ? now - before : now;
}

/** A series' cumulative bucket counts in a scrape; none when it did not have them. */
function bucketsOf(snapshot: Snapshot, id: number): Float64Array {
  if (id >= snapshot.size) return new Float64Array(0);
  const start = counters * snapshot.size + id * snapshot.width;
  const counts = snapshot.values.subarray(start, start + snapshot.width);
  return Number.isNaN(counts[0]) ? new Float64Array(0) : counts;
}
