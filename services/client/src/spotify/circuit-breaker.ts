import { SpotifyCircuitOpenError, SpotifyError } from '../errors.ts';

export interface CircuitBreakerOptions {
  /** Consecutive upstream failures that open the circuit. */
  threshold: number;
  cooldownMs: number;
  now?: () => number;
  onChange?: (state: CircuitState) => void;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Stops calling Spotify after `threshold` failures in a row, so callers get an immediate 503
 * instead of waiting on timeouts. After the cool-down one trial call goes through (half-open):
 * success closes the circuit, failure opens it for another cool-down. Errors that show Spotify is
 * answering (404, 400, 429) count as successes.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  readonly #onChange: (state: CircuitState) => void;
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    this.#threshold = options.threshold;
    this.#cooldownMs = options.cooldownMs;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange ?? (() => {});
  }

  get state(): CircuitState {
    return this.#state;
  }

  async call<T>(operation: () => Promise<T>): Promise<T> {
    this.#enter();
    try {
      const result = await operation();
      this.#succeeded();
      return result;
    } catch (error) {
      if (error instanceof SpotifyError && error.upstreamFailure) this.#failed();
      else this.#succeeded();
      throw error;
    }
  }

  #enter(): void {
    if (this.#state === 'closed') return;
    const waitedMs = this.#now() - this.#openedAt;
    if (this.#state === 'open' && waitedMs >= this.#cooldownMs) this.#move('half-open');
    if (this.#state === 'half-open' && !this.#trialInFlight) {
      this.#trialInFlight = true;
      return;
    }
    throw new SpotifyCircuitOpenError(Math.max(1, Math.ceil((this.#cooldownMs - waitedMs) / 1000)));
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#trialInFlight = false;
    if (this.#state !== 'closed') this.#move('closed');
  }

  #failed(): void {
    this.#failures += 1;
    this.#trialInFlight = false;
    if (this.#state === 'half-open' || (this.#state === 'closed' && this.#failures >= this.#threshold)) {
      this.#openedAt = this.#now();
      this.#move('open');
    }
  }

  #move(state: CircuitState): void {
    this.#state = state;
    this.#onChange(state);
  }
}
