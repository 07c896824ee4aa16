import {
  addIncrease,
  emptyIncrease,
  quantileMs,
  type RequestCounters,
  round,
  totalRequests,
  wasReset,
} from './request-figures.ts';

/** A scrape of one card's counters, and which process answered it. */
export interface Reading {
  /**
   * The process whose counters these are. A Service's endpoint answers from one replica per scrape,
   * so readings of different replicas interleave; each is compared only with the same replica's.
   */
  instance: string;
  counters: RequestCounters;
}

export interface WindowFigures {
  /** The sum of the latest counters of every process seen in the window. */
  requestsTotal: number;
  /** Epoch milliseconds of the last time the total fell: a process restarted or went away. */
  resetAt: number | null;
  /** How many seconds of readings the rates cover: the window, or less until it has filled. */
  windowSeconds: number;
  /** Processes seen in the window. */
  instances: number;
  requestRate: number;
  /** Shares 0..1 of the window's requests answered 4xx and 5xx. */
  clientErrorRate: number;
  errorRate: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/**
 * The readings of one card over the last `windowMs`, and its figures over them: rates are the
 * counters' growth between the oldest and the newest reading, as Prometheus' `rate(...[60s])`
 * computes them, summed over every process (replica) that answered in the window.
 */
export class CounterWindow {
  readonly #windowMs: number;
  #readings: Reading[] = [];
  #total: number | undefined;
  #resetAt: number | null = null;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  add(reading: Reading): void {
    const previous = this.#readings.findLast((r) => r.instance === reading.instance);
    this.#readings.push(reading);
    const since = reading.counters.at - this.#windowMs;
    this.#readings = this.#readings.filter((r) => r.counters.at >= since);
    const total = this.#latestTotal();
    const reset = previous !== undefined && wasReset(previous.counters, reading.counters);
    if (reset || (this.#total !== undefined && total < this.#total)) this.#resetAt = reading.counters.at;
    this.#total = total;
  }

  figures(): WindowFigures {
    const first = this.#readings[0];
    const last = this.#readings.at(-1);
    const seconds = first && last ? (last.counters.at - first.counters.at) / 1000 : 0;
    const growth = emptyIncrease();
    const latest = new Map<string, RequestCounters>();
    for (const { instance, counters } of this.#readings) {
      const before = latest.get(instance);
      if (before) addIncrease(growth, before, counters);
      latest.set(instance, counters);
    }
    const msPerUnit = last?.counters.msPerUnit ?? 1;
    const share = (part: number) => (growth.requests > 0 ? round(part / growth.requests) : 0);
    return {
      requestsTotal: this.#total ?? 0,
      resetAt: this.#resetAt,
      windowSeconds: round(seconds),
      instances: latest.size,
      requestRate: seconds > 0 ? round(growth.requests / seconds) : 0,
      clientErrorRate: share(growth.clientErrors),
      errorRate: share(growth.serverErrors),
      latencyP50Ms: seconds > 0 ? quantileMs(0.5, growth, msPerUnit) : null,
      latencyP99Ms: seconds > 0 ? quantileMs(0.99, growth, msPerUnit) : null,
    };
  }

  #latestTotal(): number {
    const latest = new Map<string, RequestCounters>();
    for (const { instance, counters } of this.#readings) latest.set(instance, counters);
    let total = 0;
    for (const counters of latest.values()) total += totalRequests(counters);
    return total;
  }
}
