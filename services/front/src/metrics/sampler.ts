import type { FastifyBaseLogger } from 'fastify';
import { type PromSample, parsePrometheusText } from './prometheus-text.ts';
import {
  type MetricScheme,
  type RequestCounters,
  type RequestFigures,
  requestCounters,
  requestFigures,
  serviceKitScheme,
} from './request-figures.ts';

export type Health = 'UP' | 'DOWN' | 'UNKNOWN';

/** Where figures come from: one scrape, one or more rows. Both calls must honour the signal. */
export interface MetricsSource {
  name: string;
  prometheusText(signal: AbortSignal): Promise<string>;
  health(signal: AbortSignal): Promise<Health>;
  /** How to read the samples; service-kit's metrics unless told. */
  scheme?: MetricScheme;
  /** Splits one scrape into rows (one per workload, say); without it the source is one row. */
  rows?(samples: readonly PromSample[]): ReadonlyMap<string, readonly PromSample[]>;
}

export interface ServiceFigures extends RequestFigures {
  name: string;
  health: Health;
  sampledAt: string;
}

interface SourceState {
  health: Health;
  sampledAt: number;
  previous?: RequestCounters | undefined;
  current?: RequestCounters;
  /** The last scrape failed: the counters are old, so rates read 0 until a scrape succeeds again. */
  stale: boolean;
}

const NOT_SCRAPED: RequestFigures = {
  requestsTotal: 0,
  requestRate: 0,
  errorRate: 0,
  latencyP50Ms: null,
  latencyP99Ms: null,
};

export interface SamplerOptions {
  intervalMs: number;
  log: FastifyBaseLogger;
}

/**
 * Scrapes every source on an interval and keeps the last two scrapes of each, so `/api/metrics`
 * answers from memory instead of fanning out per request.
 */
export class MetricsSampler {
  readonly #sources: readonly MetricsSource[];
  readonly #options: SamplerOptions;
  readonly #states = new Map<string, SourceState>();
  /** The row names each source produced last time. */
  readonly #rowsOf = new Map<string, Set<string>>();
  readonly #stopping = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #firstRound: Promise<void> | undefined;

  constructor(sources: readonly MetricsSource[], options: SamplerOptions) {
    this.#sources = sources;
    this.#options = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#firstRound = this.#sampleOnce();
    this.#timer = setInterval(() => void this.#sampleOnce(), this.#options.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#stopping.abort();
    await this.#round;
  }

  /** Figures per row, waiting for the first round when the sampler has just started. */
  async figures(): Promise<ServiceFigures[]> {
    await this.#firstRound;
    const names = [
      ...this.#sources.filter((source) => !source.rows).map((source) => source.name),
      ...[...this.#states.keys()]
        .filter((name) => !this.#sources.some((source) => source.name === name))
        .sort(),
    ];
    return names.map((name) => {
      const state = this.#states.get(name);
      const figures = state?.current
        ? requestFigures(state.stale ? undefined : state.previous, state.current)
        : NOT_SCRAPED;
      const sampledAt = new Date(state?.sampledAt ?? Date.now()).toISOString();
      return { name, health: state?.health ?? 'UNKNOWN', ...figures, sampledAt };
    });
  }

  /** One round at a time: a slow source delays the next round instead of piling rounds up. */
  #sampleOnce(): Promise<void> {
    this.#round ??= Promise.all(this.#sources.map((source) => this.#sample(source))).then(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  async #sample(source: MetricsSource): Promise<void> {
    const signal = AbortSignal.any([
      this.#stopping.signal,
      AbortSignal.timeout(Math.min(this.#options.intervalMs, 3_000)),
    ]);
    const [health, text] = await Promise.allSettled([source.health(signal), source.prometheusText(signal)]);
    if (this.#stopping.signal.aborted) return;
    const at = Date.now();
    const samples = text.status === 'fulfilled' ? parsePrometheusText(text.value) : undefined;
    // On a failed scrape the rows seen before go stale; a split source keeps its last row names.
    const rows: ReadonlyMap<string, readonly PromSample[] | undefined> = samples
      ? source.rows
        ? source.rows(samples)
        : new Map([[source.name, samples]])
      : new Map([...(this.#rowsOf.get(source.name) ?? [source.name])].map((name) => [name, undefined]));
    this.#rowsOf.set(source.name, new Set(rows.keys()));
    const wasFresh = [...rows.keys()].some((name) => this.#states.get(name)?.stale === false);
    if (!samples && wasFresh) {
      const reason = text.status === 'rejected' ? describe(text.reason) : 'no samples';
      this.#options.log.warn({ source: source.name, reason }, 'metrics scrape failed');
    }
    for (const [name, rowSamples] of rows) {
      const state = this.#states.get(name) ?? { health: 'UNKNOWN', sampledAt: at, stale: false };
      state.health = health.status === 'fulfilled' ? health.value : 'DOWN';
      state.sampledAt = at;
      if (rowSamples) {
        state.previous = state.current;
        state.current = requestCounters(rowSamples, at, source.scheme ?? serviceKitScheme);
        state.stale = false;
      } else {
        state.stale = true;
      }
      this.#states.set(name, state);
    }
  }
}

/** One line for the log, a stack every 5 s would drown it: fetch hides the useful part in `cause`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
