import type { registerMetrics } from '@music/service-kit';
import type { PromSample } from './prometheus-text.ts';
import { istioScheme, serviceKitScheme } from './request-figures.ts';
import type { FigureSource, Health, HealthCheck } from './sampler.ts';

/** front's own counters: this replica's registry, read without HTTP. */
export function ownCounters(card: string, registry: ReturnType<typeof registerMetrics>): FigureSource {
  return {
    name: card,
    kind: 'self',
    scheme: serviceKitScheme,
    prometheusText: () => registry.metrics(),
    cards: (samples) => new Map([[card, samples]]),
  };
}

/**
 * A Service's `/prometheus` over HTTP, e.g. back's `/back/management`. The Service answers each
 * scrape from one of its replicas, so each reading names the process behind it (its version and
 * start time, from service-kit's default labels and prom-client's process metrics) and the card
 * sums the replicas it has seen.
 */
export function serviceEndpoint(card: string, managementUrl: string): FigureSource {
  return {
    name: card,
    kind: 'endpoint',
    scheme: serviceKitScheme,
    prometheusText: async (signal) => {
      const response = await fetch(`${managementUrl}/prometheus`, { signal });
      if (!response.ok) throw new Error(`${managementUrl}/prometheus answered ${response.status}`);
      return response.text();
    },
    cards: (samples) => new Map([[card, samples]]),
    instance: (samples) => {
      const started = samples.find((s) => s.name === 'process_start_time_seconds');
      const version = samples.find((s) => s.labels.version !== undefined)?.labels.version ?? '';
      return `${version}@${started?.value ?? ''}`;
    },
  };
}

/** This process's readiness, as its own probe checks it. */
export function readiness(card: string, ready: () => Promise<boolean>): HealthCheck {
  return { card, check: async () => ((await ready()) ? 'UP' : 'DOWN') };
}

/** A Service's `/health` over HTTP: UP when the replica that answers says so. */
export function remoteHealth(card: string, managementUrl: string): HealthCheck {
  return {
    card,
    check: async (signal): Promise<Health> => {
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
 * The mesh's view: Istio's standard metrics as the server side reports them, from the local
 * runtime's `/stats/prometheus` or a Prometheus `/federate` URL on a cluster, where each pod has its
 * own series. Each of `services` gets one card, the sum of its workloads (its canonical service, the
 * `app` label); each other workload gets a card of its own (`back-v1`, `back-v2`...), which is what
 * tells a canary's versions apart. A workload named as a service (front's Deployment `front`) is
 * that service's card, so no two cards share a name.
 */
export function meshSource(url: string, namespace: string, services: readonly string[]): FigureSource {
  return {
    name: 'mesh',
    kind: 'mesh',
    scheme: istioScheme,
    prometheusText: async (signal) => {
      const response = await fetch(url, { signal });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return response.text();
    },
    cards: (samples) => {
      const cards = new Map<string, PromSample[]>();
      const add = (card: string, sample: PromSample) => {
        const list = cards.get(card);
        if (list) list.push(sample);
        else cards.set(card, [sample]);
      };
      for (const sample of samples) {
        const { labels } = sample;
        if (labels.reporter !== 'destination' || labels.destination_workload_namespace !== namespace)
          continue;
        const workload = labels.destination_workload;
        if (!workload || workload === 'unknown') continue;
        const service = labels.destination_canonical_service ?? labels.destination_app;
        if (service !== undefined && service !== workload && services.includes(service)) add(service, sample);
        add(workload, sample);
      }
      return cards;
    },
  };
}
