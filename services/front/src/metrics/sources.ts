import type { registerMetrics } from '@music/service-kit';
import type { Health, MetricsSource } from './sampler.ts';

/** front itself: its own registry, and the same readiness checks its probe uses. */
export function localSource(
  name: string,
  registry: ReturnType<typeof registerMetrics>,
  ready: () => Promise<boolean>,
): MetricsSource {
  return {
    name,
    prometheusText: () => registry.metrics(),
    health: async () => ((await ready()) ? 'UP' : 'DOWN'),
  };
}

/** A service's management endpoints over HTTP, e.g. back's `/back/management`. */
export function remoteSource(name: string, managementUrl: string): MetricsSource {
  return {
    name,
    prometheusText: async (signal) => {
      const response = await fetch(`${managementUrl}/prometheus`, { signal });
      if (!response.ok) throw new Error(`${managementUrl}/prometheus answered ${response.status}`);
      return response.text();
    },
    health: async (signal): Promise<Health> => {
      const response = await fetch(`${managementUrl}/health`, {
        signal,
        headers: { accept: 'application/json' },
      });
      const body = (await response.json().catch(() => null)) as { status?: unknown } | null;
      return response.ok && body?.status === 'UP' ? 'UP' : 'DOWN';
    },
  };
}
