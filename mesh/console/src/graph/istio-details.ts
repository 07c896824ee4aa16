import type { NodeData } from './kiali-graph.ts';

/** One Istio object as the runtime holds it: the manifest as written. */
export interface IstioObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** The Istio configuration of the namespaces graphed (VirtualServices, DestinationRules, Gateways). */
export interface IstioConfig {
  readonly objects: readonly IstioObject[];
}

const routeKinds = ['http', 'tcp', 'tls'] as const;

/**
 * Sets Kiali's configuration flags on the graph's nodes: on a service node inside the namespaces,
 * every VirtualService that routes to it (`hasVS` with the VirtualService's hosts; request routing,
 * timeout, fault injection, traffic shifting — a route with more than one destination, whatever the
 * weights — and mirroring, as kiali's models/virtual_service.go decides them) and a circuit breaker
 * (`hasCB`) when a DestinationRule for it has a connection pool or outlier detection; the ingress
 * gateway's node gets the hosts of the Gateways it serves.
 */
export function decorateNodes(nodes: readonly NodeData[], config: IstioConfig): void {
  const virtualServices = config.objects.filter((object) => object.kind === 'VirtualService');
  const destinationRules = config.objects.filter((object) => object.kind === 'DestinationRule');
  const gateways = config.objects.filter((object) => object.kind === 'Gateway');
  for (const node of nodes) {
    if (node.isGateway) {
      const hostnames = gateways.flatMap((gateway) =>
        list(spec(gateway).servers).flatMap((server) => strings(record(server).hosts)),
      );
      if (hostnames.length > 0) node.isGateway = { ingressInfo: { hostnames: [...new Set(hostnames)] } };
      continue;
    }
    if (node.nodeType !== 'service' || node.isOutside || !node.service) continue;
    const flags = node;
    for (const vs of virtualServices) {
      if (!routesTo(vs, node.namespace, node.service)) continue;
      flags.hasVS = {
        hostnames: [...new Set([...(flags.hasVS?.hostnames ?? []), ...strings(spec(vs).hosts)])],
      };
      const http = list(spec(vs).http).map(record);
      if (
        routeKinds.some((kind) => list(spec(vs)[kind]).some((route) => list(record(route).route).length > 0))
      )
        flags.hasRequestRouting = true;
      if (http.some((route) => route.timeout !== undefined)) flags.hasRequestTimeout = true;
      if (http.some((route) => route.fault !== undefined)) flags.hasFaultInjection = true;
      if (http.some((route) => list(route.route).length > 1)) flags.hasTrafficShifting = true;
      if (http.some((route) => route.mirror !== undefined || list(route.mirrors).length > 0))
        flags.hasMirroring = true;
    }
    for (const dr of destinationRules) {
      const host = serviceOf(String(spec(dr).host ?? ''), dr.namespace);
      if (host?.namespace !== node.namespace || host.name !== node.service) continue;
      const policies = [
        spec(dr).trafficPolicy,
        ...list(spec(dr).subsets).map((subset) => record(subset).trafficPolicy),
      ];
      if (
        policies.some(
          (policy) =>
            record(policy).connectionPool !== undefined || record(policy).outlierDetection !== undefined,
        )
      )
        flags.hasCB = true;
    }
  }
}

/** Whether any route or mirror of `vs` sends requests to the Service `namespace/name`. */
function routesTo(vs: IstioObject, namespace: string, name: string): boolean {
  for (const kind of routeKinds) {
    for (const route of list(spec(vs)[kind]).map(record)) {
      const destinations = [
        ...list(route.route).map((destination) => record(destination).destination),
        route.mirror,
        ...list(route.mirrors).map((mirror) => record(mirror).destination),
      ];
      for (const destination of destinations) {
        const service = serviceOf(String(record(destination).host ?? ''), vs.namespace);
        if (service?.namespace === namespace && service.name === name) return true;
      }
    }
  }
  return false;
}

/** `back`, `back.music`, `back.music.svc.cluster.local` → the Service they name, read in `namespace`. */
function serviceOf(host: string, namespace: string): { namespace: string; name: string } | undefined {
  if (host === '' || host.includes('*')) return undefined;
  const short = host.endsWith('.svc.cluster.local') ? host.slice(0, -'.svc.cluster.local'.length) : host;
  const [name, ns, ...rest] = short.split('.');
  if (rest.length > 0 || !name) return undefined;
  return { namespace: ns ?? namespace, name };
}

function spec(object: IstioObject): Record<string, unknown> {
  return record(object.manifest.spec);
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function strings(value: unknown): string[] {
  return list(value).filter((item): item is string => typeof item === 'string');
}
