export interface TtlCacheOptions {
  maxEntries: number;
  ttlMs: number;
  /** How long after expiry an entry is kept for `stale` reads. */
  staleMs: number;
  now?: () => number;
}

export interface CacheRead<V> {
  value: V;
  fresh: boolean;
}

/**
 * A bounded map of answers with a time to live. Expired entries stay readable as stale for a
 * while, so a failing upstream can be papered over; the least recently used go first when full.
 */
export class TtlCache<V> {
  readonly #options: TtlCacheOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, { value: V; storedAt: number }>();

  constructor(options: TtlCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get(key: string): CacheRead<V> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const age = this.#now() - entry.storedAt;
    if (age >= this.#options.ttlMs + this.#options.staleMs) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return { value: entry.value, fresh: age < this.#options.ttlMs };
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, storedAt: this.#now() });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
