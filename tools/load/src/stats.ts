import { Histogram } from './histogram.ts';
import { type Counts, versionOf } from './split.ts';

/** ok: 2xx/3xx; client: 4xx (validation, a version lacking a route); error: 5xx or no answer. */
export type Outcome = 'ok' | 'client' | 'error';

export function outcomeOf(status: number | undefined): Outcome {
  if (status === undefined || status >= 500 || status < 200) return 'error';
  if (status >= 400) return 'client';
  return 'ok';
}

export interface Sample {
  readonly operation: string;
  /** Undefined: no HTTP answer (connection refused, reset, timeout). */
  readonly status: number | undefined;
  /** The X-Served-By header, when there was one. */
  readonly servedBy: string | undefined;
  readonly latencyMs: number;
}

/** Requests, outcomes and latencies of one group (an operation, a version, everything). */
export class Tally {
  readonly latency = new Histogram();
  ok = 0;
  client = 0;
  errors = 0;

  add(outcome: Outcome, latencyMs: number): void {
    this.latency.record(latencyMs);
    if (outcome === 'ok') this.ok++;
    else if (outcome === 'client') this.client++;
    else this.errors++;
  }

  get count(): number {
    return this.ok + this.client + this.errors;
  }

  summary(): TallySummary {
    const n = this.count;
    return {
      count: n,
      ok: this.ok,
      clientErrors: this.client,
      errors: this.errors,
      errorRate: n === 0 ? 0 : this.errors / n,
      clientErrorRate: n === 0 ? 0 : this.client / n,
      p50Ms: round(this.latency.percentile(50)),
      p90Ms: round(this.latency.percentile(90)),
      p99Ms: round(this.latency.percentile(99)),
      maxMs: round(this.latency.max),
      meanMs: round(this.latency.mean),
    };
  }
}

export interface TallySummary {
  readonly count: number;
  readonly ok: number;
  readonly clientErrors: number;
  /** 5xx and requests without an answer. */
  readonly errors: number;
  readonly errorRate: number;
  readonly clientErrorRate: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** The version key of requests no back replica answered (e.g. the mesh's 503 `UH`). */
export const noVersion = 'none';

/** Everything the load generator measured, cumulative, plus a window for the live line. */
export class LoadStats {
  readonly all = new Tally();
  readonly byOperation = new Map<string, Tally>();
  readonly byVersion = new Map<string, Tally>();
  readonly statuses: Counts = {};
  /** Answers per version (X-Served-By), the measured split. */
  readonly split: Counts = {};
  #window = new Tally();

  record(sample: Sample): void {
    const outcome = outcomeOf(sample.status);
    this.all.add(outcome, sample.latencyMs);
    this.#window.add(outcome, sample.latencyMs);
    tallyOf(this.byOperation, sample.operation).add(outcome, sample.latencyMs);
    const version = sample.servedBy ? versionOf(sample.servedBy) : noVersion;
    tallyOf(this.byVersion, version).add(outcome, sample.latencyMs);
    if (sample.servedBy) this.split[version] = (this.split[version] ?? 0) + 1;
    const status = sample.status === undefined ? 'network' : String(sample.status);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
  }

  /** The tally since the previous call, and a fresh one from now on. */
  takeWindow(): Tally {
    const window = this.#window;
    this.#window = new Tally();
    return window;
  }
}

function tallyOf(map: Map<string, Tally>, key: string): Tally {
  let tally = map.get(key);
  if (!tally) {
    tally = new Tally();
    map.set(key, tally);
  }
  return tally;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
