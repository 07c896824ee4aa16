import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { InjectedFailureError } from './errors.ts';

export interface FaultOptions {
  /** Share of requests answered 500, 0..1 (FAILURE_RATE). */
  failureRate: number;
  /** Added before every request is handled (EXTRA_LATENCY_MS). */
  extraLatencyMs: number;
  /** Uniform in [0, 1); seed it (`seededRandom`) to make a test's failures predictable. */
  random: () => number;
}

/**
 * Server-side faults as emojivoto's services have them: every request of `scope` first waits
 * `extraLatencyMs`, then fails with probability `failureRate`. back registers this on `/back/api`
 * only, so health probes and metrics stay green while the API misbehaves. A fault that is off adds
 * no hook at all.
 */
export function injectFaults(scope: FastifyInstance, options: FaultOptions): void {
  const { failureRate, extraLatencyMs, random } = options;
  if (extraLatencyMs > 0) {
    scope.addHook('onRequest', async () => {
      await sleep(extraLatencyMs);
    });
  }
  if (failureRate > 0) {
    scope.addHook('onRequest', async () => {
      if (random() < failureRate) throw new InjectedFailureError(failureRate);
    });
  }
}

/** A small deterministic generator (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
