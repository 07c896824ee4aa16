import type { FastifyBaseLogger } from 'fastify';
import { CounterWindow, type WindowFigures } from './counter-window.ts';
import { type PromSample, parsePrometheusText } from './prometheus-text.ts';
import { type MetricScheme, requestCounters } from './request-figures.ts';

export type Health = 'UP' | 'DOWN' | 'UNKNOWN';

/** Where a card's figures come from: the mesh (every replica), front's own registry, a Service's endpoint. */
export type FiguresSource = 'mesh' | 'self' | 'endpoint';

/** One scrape feeding one or more cards. `prometheusText` must honour the signal. */
export interface FigureSource {
  /** Names the source in the log. */
  name: string;
  kind: FiguresSource;
  scheme: MetricScheme;
  prometheusText(signal: AbortSignal): Promise<string>;
  /** The samples of each card this scrape feeds; a card is fed by one source only. */
  cards(samples: readonly PromSample[]): ReadonlyMap<string, readonly PromSample[]>;
  /** Which process answered; a source that always reads the same counters leaves it out. */
  instance?(samples: readonly PromSample[]): string;
}

/** The health of one card, asked each round. It must honour the signal. */
export interface HealthCheck {
  card: string;
  check(signal: AbortSignal): Promise<Health>;
}

export interface CardFigures extends Omit<WindowFigures, 'resetAt' | 'instances'> {
  name: string;
  /** Null until the card's source has answered once. */
  source: FiguresSource | null;
  health: Health;
  resetAt: string | null;
  /** Replicas seen in the window through a Service's endpoint; null where the source covers all. */
  replicasSeen: number | null;
  sampledAt: string;
}

interface Card {
  window: CounterWindow;
  source: FiguresSource;
  sampledAt: number;
  /** The last scrape failed: the figures are old, so rates read 0 until a scrape succeeds again. */
  stale: boolean;
}

const NOT_SCRAPED = {
  requestsTotal: 0,
  resetAt: null,
  windowSeconds: 0,
  requestRate: 0,
  clientErrorRate: 0,
  errorRate: 0,
  latencyP50Ms: null,
  latencyP99Ms: null,
  replicasSeen: null,
} as const;

export interface SamplerOptions {
  intervalMs: number;
  /** The rates' window: readings older than this are dropped. */
  windowMs: number;
  log: FastifyBaseLogger;
  now?: () => number;
}

/**
 * Scrapes every source on an interval and keeps each card's readings over the window, so
 * `/api/metrics` answers from memory instead of fanning out per request. Cards with a health check
 * come first, in the order given; the others (the mesh's workloads) follow by name.
 */
export class MetricsSampler {
  readonly #sources: readonly FigureSource[];
  readonly #checks: readonly HealthCheck[];
  readonly #options: SamplerOptions;
  readonly #now: () => number;
  readonly #cards = new Map<string, Card>();
  readonly #health = new Map<string, Health>();
  /** The card names each source fed last time, which go stale when its scrape fails. */
  readonly #cardsOf = new Map<FigureSource, Set<string>>();
  /** When each source last answered: a card it starts feeding later had no requests until then. */
  readonly #answeredAt = new Map<FigureSource, number>();
  readonly #stopping = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #firstRound: Promise<void> | undefined;

  constructor(sources: readonly FigureSource[], checks: readonly HealthCheck[], options: SamplerOptions) {
    this.#sources = sources;
    this.#checks = checks;
    this.#options = options;
    this.#now = options.now ?? Date.now;
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

  /** Figures per card, waiting for the first round when the sampler has just started. */
  async figures(): Promise<CardFigures[]> {
    await this.#firstRound;
    const checked = this.#checks.map((check) => check.card);
    const others = [...this.#cards.keys()].filter((name) => !checked.includes(name)).sort();
    return [...checked, ...others].map((name) => {
      const card = this.#cards.get(name);
      const health = this.#health.get(name) ?? (card && !card.stale ? 'UP' : 'UNKNOWN');
      const sampledAt = new Date(card?.sampledAt ?? this.#now()).toISOString();
      if (!card) return { name, source: null, health, ...NOT_SCRAPED, sampledAt };
      const { resetAt, instances, ...figures } = card.window.figures();
      return {
        name,
        source: card.source,
        health,
        ...figures,
        ...(card.stale ? { ...NOT_SCRAPED, requestsTotal: figures.requestsTotal } : {}),
        resetAt: resetAt === null ? null : new Date(resetAt).toISOString(),
        replicasSeen: card.source === 'endpoint' && !card.stale ? instances : null,
        sampledAt,
      };
    });
  }

  /** One round at a time: a slow source delays the next round instead of piling rounds up. */
  #sampleOnce(): Promise<void> {
    this.#round ??= Promise.all([
      ...this.#sources.map((source) => this.#scrape(source)),
      ...this.#checks.map((check) => this.#check(check)),
    ]).then(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  #signal(): AbortSignal {
    return AbortSignal.any([
      this.#stopping.signal,
      AbortSignal.timeout(Math.min(this.#options.intervalMs, 3_000)),
    ]);
  }

  async #check(check: HealthCheck): Promise<void> {
    const health = await check.check(this.#signal()).catch((): Health => 'DOWN');
    if (!this.#stopping.signal.aborted) this.#health.set(check.card, health);
  }

  async #scrape(source: FigureSource): Promise<void> {
    const text = await source.prometheusText(this.#signal()).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, reason: describe(error) }),
    );
    if (this.#stopping.signal.aborted) return;
    const at = this.#now();
    const samples = text.ok ? parsePrometheusText(text.value) : undefined;
    const fed = [...(this.#cardsOf.get(source) ?? [])].map((name) => this.#cards.get(name));
    // An empty answer is the mesh before its first request; after cards, it is a broken source.
    if (!samples || (samples.length === 0 && fed.length > 0)) {
      if (fed.some((card) => card && !card.stale)) {
        const reason = text.ok ? 'no samples' : text.reason;
        this.#options.log.warn({ source: source.name, reason }, 'metrics scrape failed');
      }
      for (const card of fed) if (card) card.stale = true;
      return;
    }
    const instance = source.instance?.(samples) ?? source.name;
    const cards = source.cards(samples);
    const answeredBefore = this.#answeredAt.get(source);
    this.#answeredAt.set(source, at);
    this.#cardsOf.set(source, new Set(cards.keys()));
    for (const [name, cardSamples] of cards) {
      let card = this.#cards.get(name);
      if (!card) {
        card = {
          window: new CounterWindow(this.#options.windowMs),
          source: source.kind,
          sampledAt: at,
          stale: false,
        };
        // The mesh lists a workload from its first request on: before, it had none (back-v2 joining
        // a canary, any workload just after start), so its first requests count in the window.
        if (answeredBefore !== undefined) {
          card.window.add({ instance, counters: requestCounters([], answeredBefore, source.scheme) });
        }
      }
      card.window.add({ instance, counters: requestCounters(cardSamples, at, source.scheme) });
      card.sampledAt = at;
      card.stale = false;
      this.#cards.set(name, card);
    }
  }
}

/** One line for the log, a stack every 5 s would drown it: fetch hides the useful part in `cause`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
