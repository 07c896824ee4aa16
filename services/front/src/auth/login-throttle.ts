export interface LoginThrottleOptions {
  maxFailures: number;
  lockMs: number;
  /** Bounds memory under a flood of distinct usernames or addresses. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  /** Failures older than `lockMs` are forgotten. */
  windowEnds: number;
  lockedUntil: number;
}

/**
 * Counts failed sign-ins per key (username and client address) in memory. After `maxFailures`
 * failures within `lockMs`, the key is locked for `lockMs`; a successful sign-in clears it.
 * One replica's view only: with several replicas an attacker gets `maxFailures` per replica.
 */
export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #maxFailures: number;
  readonly #lockMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: LoginThrottleOptions) {
    this.#maxFailures = options.maxFailures;
    this.#lockMs = options.lockMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Whole seconds until the key may try again; 0 when it may try now. */
  retryAfterSeconds(key: string): number {
    const entry = this.#entries.get(key);
    const remaining = (entry?.lockedUntil ?? 0) - this.#now();
    return remaining > 0 ? Math.ceil(remaining / 1000) : 0;
  }

  /** Failures recorded for the key within its current window. */
  failures(key: string): number {
    const entry = this.#entries.get(key);
    return entry && entry.windowEnds > this.#now() ? entry.failures : 0;
  }

  recordFailure(key: string): void {
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (!entry || entry.windowEnds <= now) {
      entry = { failures: 0, windowEnds: now + this.#lockMs, lockedUntil: 0 };
      this.#entries.delete(key);
      this.#makeRoom(now);
      this.#entries.set(key, entry);
    }
    entry.failures += 1;
    if (entry.failures >= this.#maxFailures) {
      entry.lockedUntil = now + this.#lockMs;
      entry.windowEnds = entry.lockedUntil;
    }
  }

  recordSuccess(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #makeRoom(now: number): void {
    if (this.#entries.size < this.#maxEntries) return;
    for (const [key, entry] of this.#entries) {
      if (entry.windowEnds <= now) this.#entries.delete(key);
    }
    // Still full: drop the oldest windows (Map keeps insertion order).
    for (const key of this.#entries.keys()) {
      if (this.#entries.size < this.#maxEntries) break;
      this.#entries.delete(key);
    }
  }
}
