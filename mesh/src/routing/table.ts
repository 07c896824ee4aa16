import type { Gateway, Service, Topology, VirtualService } from '../manifests/model.ts';
import {
  gatewayServerHost,
  intersectHosts,
  resolveGatewayRef,
  resolveServiceHost,
  serviceFqdn,
} from './hosts.ts';
import { compileMatches, type RequestFacts, type RequestPredicate } from './match.ts';

/** One weighted destination of a route: a Service, by its FQDN. */
export interface RouteTarget {
  readonly service: string;
  readonly port: number | undefined;
  readonly weight: number;
}

export interface CompiledRoute {
  /** `<virtualservice>/<route name or index>`, as the access log shows it. */
  readonly name: string;
  readonly matches: RequestPredicate;
  readonly targets: readonly RouteTarget[];
  readonly totalWeight: number;
}

interface VirtualHost {
  readonly routes: readonly CompiledRoute[];
}

/** Immutable: a change of configuration compiles a new table and swaps it in whole. */
export interface RoutingTable {
  /** Problems that do not stop routing (a destination naming no Service...). */
  readonly warnings: readonly string[];
  lookup(request: RequestFacts): CompiledRoute | undefined;
}

export interface IngressBinding {
  /** Pod labels of the local ingress gateway, matched against each Gateway's selector. */
  readonly labels: Readonly<Record<string, string>>;
  /** The Gateway server port the ingress plays (80 in the tutorial). */
  readonly port: number;
}

export const defaultIngressBinding: IngressBinding = Object.freeze({
  labels: Object.freeze({ istio: 'ingressgateway' }),
  port: 80,
});

const httpProtocols = new Set(['HTTP', 'HTTP2']);

/** Compiles the routes of every VirtualService bound to a Gateway the ingress serves. */
export function compileRoutingTable(topology: Topology, binding = defaultIngressBinding): RoutingTable {
  const warnings: string[] = [];
  const services = new Map<string, Service>(
    topology.services.map((service) => [serviceFqdn(service.name, service.namespace), service]),
  );
  const gatewayHosts = servedGatewayHosts(topology.gateways, binding);
  const routesByHost = new Map<string, CompiledRoute[]>();

  for (const vs of topology.virtualServices) {
    const hosts = boundHosts(vs, gatewayHosts);
    if (hosts.length === 0) continue;
    const routes = vs.http.map((route, index) => {
      const targets = route.route.map((destination) => {
        const service = resolveServiceHost(destination.host, vs.namespace);
        const known = services.get(service);
        if (!known) warnings.push(`${vs.file}: destination host ${destination.host} matches no Service`);
        else if (destination.port !== undefined && !known.ports.some((p) => p.port === destination.port)) {
          warnings.push(`${vs.file}: Service ${known.name} has no port ${destination.port}`);
        }
        const weight = destination.weight ?? (route.route.length === 1 ? 100 : 0);
        return Object.freeze({ service, port: destination.port, weight });
      });
      if (targets.every((target) => target.weight === 0)) {
        for (const [i, target] of targets.entries()) targets[i] = Object.freeze({ ...target, weight: 1 });
      }
      return Object.freeze({
        name: `${vs.name}/${route.name ?? index}`,
        matches: compileMatches(route.match),
        targets: Object.freeze(targets),
        totalWeight: targets.reduce((sum, target) => sum + target.weight, 0),
      });
    });
    for (const host of hosts) {
      const list = routesByHost.get(host) ?? [];
      list.push(...routes);
      routesByHost.set(host, list);
    }
  }
  return buildTable(routesByHost, warnings);
}

/** Host patterns of the HTTP servers, on the ingress port, of Gateways selecting the ingress; by gateway ref. */
function servedGatewayHosts(gateways: readonly Gateway[], binding: IngressBinding): Map<string, string[]> {
  const served = new Map<string, string[]>();
  for (const gateway of gateways) {
    const selects = Object.entries(gateway.selector).every(([key, value]) => binding.labels[key] === value);
    if (!selects) continue;
    const hosts = gateway.servers
      .filter((server) => server.port.number === binding.port && httpProtocols.has(server.port.protocol))
      .flatMap((server) => server.hosts.map(gatewayServerHost));
    if (hosts.length > 0) served.set(`${gateway.namespace}/${gateway.name}`, hosts);
  }
  return served;
}

function boundHosts(vs: VirtualService, gatewayHosts: Map<string, string[]>): string[] {
  const hosts = new Set<string>();
  for (const ref of vs.gateways) {
    const serverHosts = gatewayHosts.get(resolveGatewayRef(ref, vs.namespace));
    if (!serverHosts) continue;
    for (const vsHost of vs.hosts) {
      for (const serverHost of serverHosts) {
        const host = intersectHosts(vsHost.toLowerCase(), serverHost);
        if (host !== undefined) hosts.add(host);
      }
    }
  }
  return [...hosts];
}

/** Envoy's virtual host choice: exact host, then the longest `*.suffix`, then `*`; no fallback after that. */
function buildTable(routesByHost: Map<string, CompiledRoute[]>, warnings: string[]): RoutingTable {
  const exact = new Map<string, VirtualHost>();
  const suffixes: { suffix: string; host: VirtualHost }[] = [];
  let catchAll: VirtualHost | undefined;
  for (const [host, routes] of routesByHost) {
    const virtualHost = Object.freeze({ routes: Object.freeze(routes) });
    if (host === '*') catchAll = virtualHost;
    else if (host.startsWith('*.')) suffixes.push({ suffix: host.slice(1), host: virtualHost });
    else exact.set(host, virtualHost);
  }
  suffixes.sort((a, b) => b.suffix.length - a.suffix.length);

  const virtualHostFor = (authority: string): VirtualHost | undefined =>
    exact.get(authority) ?? suffixes.find((entry) => authority.endsWith(entry.suffix))?.host ?? catchAll;

  return Object.freeze({
    warnings: Object.freeze(warnings),
    lookup(request: RequestFacts): CompiledRoute | undefined {
      const routes = virtualHostFor(request.authority)?.routes;
      if (!routes) return undefined;
      for (const route of routes) if (route.matches(request)) return route;
      return undefined;
    },
  });
}
