import type { Counts } from '../../load/src/split.ts';

/** Requests to back from the ingress gateway, per destination_version, as each reporter counts them. */
export interface GatewayToBack {
  /** The gateway's own count: one per answered request, by the version that answered. */
  readonly source: Counts;
  /** Counted by the receiving sidecar: answers plus mirrored copies. */
  readonly destination: Counts;
}

/** Reads istio_requests_total from Prometheus text (the runtime's statsUrl). */
export function gatewayToBack(text: string): GatewayToBack {
  const source: Counts = {};
  const destination: Counts = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('istio_requests_total{')) continue;
    const labels = labelsOf(line);
    if (labels.source_workload !== 'istio-ingressgateway' || labels.destination_service_name !== 'back')
      continue;
    const into =
      labels.reporter === 'source' ? source : labels.reporter === 'destination' ? destination : undefined;
    if (!into) continue;
    const version = labels.destination_version ?? 'unknown';
    into[version] = (into[version] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { source, destination };
}

function labelsOf(line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const body = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
  for (const match of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, '$1');
  }
  return labels;
}

/** after − before, per reporter and version; versions that did not move are left out. */
export function delta(before: GatewayToBack, after: GatewayToBack): GatewayToBack {
  const diff = (a: Counts, b: Counts): Counts => {
    const out: Counts = {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const value = (b[key] ?? 0) - (a[key] ?? 0);
      if (value !== 0) out[key] = value;
    }
    return out;
  };
  return {
    source: diff(before.source, after.source),
    destination: diff(before.destination, after.destination),
  };
}

/**
 * Mirrored copies per version: what the destination sidecars saw beyond the answers. Requests that
 * never reached a replica (503 `UH`) count at the source only, hence the floor at 0.
 */
export function mirrored(step: GatewayToBack): Counts {
  const out: Counts = {};
  for (const [version, count] of Object.entries(step.destination)) {
    const copies = count - (step.source[version] ?? 0);
    if (copies > 0) out[version] = copies;
  }
  return out;
}

/** Answers per version, leaving out `unknown` (the gateway answered itself: no route, no endpoint). */
export function answered(step: GatewayToBack): Counts {
  return Object.fromEntries(Object.entries(step.source).filter(([version]) => version !== 'unknown'));
}

export async function scrape(statsUrl: string): Promise<GatewayToBack> {
  const response = await fetch(statsUrl);
  if (!response.ok) throw new Error(`${statsUrl} answered ${response.status}`);
  return gatewayToBack(await response.text());
}
