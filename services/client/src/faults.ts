import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { InjectedFailureError } from './errors.ts';

export interface FaultOptions {
  failureRate: number;
  extraLatencyMs: number;
  random?: () => number;
}

/**
 * FAILURE_RATE and EXTRA_LATENCY_MS for canary demos: a version that is slow or fails some share
 * of its requests, visible in the mesh's metrics. Registered on the API scope only, so probes and
 * metrics stay healthy.
 */
export function registerFaults(app: FastifyInstance, options: FaultOptions): void {
  const random = options.random ?? Math.random;
  if (options.failureRate === 0 && options.extraLatencyMs === 0) return;
  app.addHook('onRequest', async () => {
    if (options.extraLatencyMs > 0) await sleep(options.extraLatencyMs);
    if (random() < options.failureRate) throw new InjectedFailureError();
  });
}
