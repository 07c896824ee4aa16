/**
 * Health of an edge or a node from its requests, with Kiali's default thresholds (its
 * `healthConfig.rate` tolerances): any 5xx is degraded and 10% 5xx a failure; 4xx are degraded
 * from 10% and a failure from 20%. No requests, no health.
 */
export type Health = 'healthy' | 'degraded' | 'failure' | 'idle';

export interface RequestRates {
  /** Requests per second, all codes. */
  readonly total: number;
  readonly http4xx: number;
  readonly http5xx: number;
}

const thresholds = {
  '5xx': { degraded: 0, failure: 10 },
  '4xx': { degraded: 10, failure: 20 },
} as const;

export function health({ total, http4xx, http5xx }: RequestRates): Health {
  if (!(total > 0)) return 'idle';
  const percent5xx = (http5xx / total) * 100;
  const percent4xx = (http4xx / total) * 100;
  if (percent5xx >= thresholds['5xx'].failure || percent4xx >= thresholds['4xx'].failure) return 'failure';
  if (percent5xx > thresholds['5xx'].degraded || percent4xx >= thresholds['4xx'].degraded) return 'degraded';
  return 'healthy';
}

export const healthLabels: Readonly<Record<Health, string>> = {
  healthy: 'Healthy',
  degraded: 'Degraded',
  failure: 'Failure',
  idle: 'No requests',
};

/** Worst first, for sorting a table by health. */
export const healthRank: Readonly<Record<Health, number>> = { failure: 0, degraded: 1, healthy: 2, idle: 3 };
