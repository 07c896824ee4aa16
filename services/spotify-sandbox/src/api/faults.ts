import { setTimeout as sleep } from 'node:timers/promises';
import { WebApiError } from '../errors.ts';

/**
 * Demo faults on the Web API: extra latency on every call and a share of calls answered 500 or
 * 503 with Spotify's bodies. Mutable so a test (or a demo script holding the app) can turn them
 * on and off without a restart.
 */
export class Faults {
  failureRate: number;
  extraLatencyMs: number;
  readonly #random: () => number;

  constructor(options: { failureRate: number; extraLatencyMs: number }, random: () => number = Math.random) {
    this.failureRate = options.failureRate;
    this.extraLatencyMs = options.extraLatencyMs;
    this.#random = random;
  }

  async apply(): Promise<void> {
    if (this.extraLatencyMs > 0) await sleep(this.extraLatencyMs);
    if (this.failureRate > 0 && this.#random() < this.failureRate) {
      throw this.#random() < 0.5
        ? new WebApiError(500, 'INJECTED_FAILURE', 'Server error.')
        : new WebApiError(503, 'INJECTED_FAILURE', 'Service unavailable');
    }
  }
}
