import { RateLimitError } from '../errors.ts';

/**
 * A fixed window per client, like the rolling 30-second window Spotify applies per app. When the
 * window's budget is spent, calls get 429 with `Retry-After` set to the seconds left in the window.
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(limit: number, windowSeconds: number, now: () => number) {
    this.#limit = limit;
    this.#windowMs = windowSeconds * 1000;
    this.#now = now;
  }

  take(clientId: string): void {
    if (this.#limit === 0) return;
    const now = this.#now();
    let window = this.#windows.get(clientId);
    if (!window || now - window.start >= this.#windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(clientId, window);
    }
    window.count += 1;
    if (window.count > this.#limit) {
      throw new RateLimitError(Math.max(1, Math.ceil((window.start + this.#windowMs - now) / 1000)));
    }
  }
}
