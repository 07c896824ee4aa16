import type { registerMetrics } from '@music/service-kit';
import type { PromSample } from './prometheus-text.ts';
import { istioScheme } from './request-figures.ts';
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

/**
 * The mesh's view, one row per workload (`back-v1`, `back-v2`...): Istio's standard metrics as the
 * server side reports them, from the local runtime's `/stats/prometheus` or a Prometheus `/federate`
 * URL on a cluster. This is what tells a canary's versions apart; a Service's own endpoint mixes them.
 */
export function meshSource(url: string, namespace: string): MetricsSource {
  return {
    name: 'mesh',
    scheme: istioScheme,
    prometheusText: async (signal) => {
      const response = await fetch(url, { signal });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return response.text();
    },
    // A workload that answers through the mesh is up as far as the mesh can tell.
    health: async () => 'UP',
    rows: (samples) => {
      const rows = new Map<string, PromSample[]>();
      for (const sample of samples) {
        const { reporter, destination_workload: workload } = sample.labels;
        if (reporter !== 'destination' || sample.labels.destination_workload_namespace !== namespace)
          continue;
        if (!workload || workload === 'unknown') continue;
        const row = rows.get(workload) ?? [];
        row.push(sample);
        rows.set(workload, row);
      }
      return rows;
    },
  };
}
