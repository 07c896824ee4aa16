import type {
  ConnectionPool,
  Destination,
  DestinationRule,
  Headers,
  HttpDirectResponse,
  HttpMatchRequest,
  HttpRedirect,
  HttpRoute,
  HttpRouteDestination,
  LoadBalancerPolicy,
  OutlierDetection,
  Service,
  Topology,
  TrafficPolicy,
  VirtualService,
} from '../manifests/model.ts';
import { boundHosts, defaultIngressBinding, type IngressBinding, servedGatewayHosts } from './gateways.ts';
import { authorityHost, hostCovers, meshHostFqdn, resolveServiceHost, serviceFqdn } from './hosts.ts';
import { type CompiledMatch, compileMatches, type RequestFacts, type RequestPredicate } from './match.ts';
import {
  type CompiledFault,
  compileFault,
  compileRequestMutation,
  compileResponseMutation,
  compileRetryPolicy,
  parseRetryOn,
  type RequestHeaderMutation,
  type ResponseHeaderMutation,
  type RetryPolicy,
} from './policy.ts';
import { compileRegexRewrite } from './regex.ts';

/** Circuit-breaker thresholds of a cluster; Istio's defaults are all 2^32−1 (cluster_traffic_policy.go). */
export interface ClusterLimits {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRequestsPerConnection: number | undefined;
}

export interface OutlierSettings {
  /** 0: this kind of ejection is off. */
  readonly consecutive5xx: number;
  readonly consecutiveGatewayErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
}

/** An Envoy cluster: a Service port, optionally narrowed to a DestinationRule subset. */
export interface Cluster {
  /** `outbound|8080|v1|back.music.svc.cluster.local`. */
  readonly name: string;
  readonly service: string;
  readonly serviceName: string;
  readonly namespace: string;
  readonly port: number;
  readonly subset: string | undefined;
  /** Subset labels an endpoint must carry, on top of the Service's selector. */
  readonly subsetLabels: Readonly<Record<string, string>> | undefined;
  /** `namespace/name` of the DestinationRule in force, if any. */
  readonly destinationRule: string | undefined;
  readonly loadBalancer: LoadBalancerPolicy;
  readonly limits: ClusterLimits;
  readonly outlier: OutlierSettings | undefined;
  readonly connectTimeoutMs: number;
}

export interface RouteDestination {
  readonly host: string;
  /** Resolved FQDN (or the host as written when it has dots and names no Service). */
  readonly service: string;
  readonly subset: string | undefined;
  readonly port: number | undefined;
  readonly weight: number;
  /** The cluster for a request on `port` (used when the destination names no port); undefined: NC. */
  cluster(requestPort: number): Cluster | undefined;
  /** Why `cluster()` finds nothing, for explain and warnings. */
  readonly problem: string | undefined;
  readonly requestHeaders: RequestHeaderMutation;
  readonly responseHeaders: ResponseHeaderMutation | undefined;
  /** The authority sent upstream, if rewritten. */
  readonly authority: string | undefined;
  /** The destination's own header operations as written (the data path compiles them in Envoy's order). */
  readonly headers: Headers | undefined;
}

export interface CompiledMirror {
  readonly destination: RouteDestination;
  /** 0–1. */
  readonly fraction: number;
}

export type RouteAction = 'route' | 'redirect' | 'direct';

export interface CompiledRoute {
  /** `<virtualservice>.<namespace>/<route name or index>`; `default` for a Service without VirtualService. */
  readonly name: string;
  /** `namespace/name`, or undefined for the default route. */
  readonly virtualService: string | undefined;
  readonly index: number;
  readonly matches: readonly CompiledMatch[];
  readonly test: RequestPredicate;
  readonly action: RouteAction;
  readonly destinations: readonly RouteDestination[];
  readonly totalWeight: number;
  pickDestination(): RouteDestination;
  /** Path rewrite for the request, given the index of the match block that matched. */
  readonly rewritePath: ((path: string, pathname: string, block: number) => string) | undefined;
  readonly redirect: HttpRedirect | undefined;
  readonly directResponse: HttpDirectResponse | undefined;
  /** 0: no route timeout (Istio's default, route.go setTimeout). */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly fault: CompiledFault | undefined;
  readonly mirrors: readonly CompiledMirror[];
  /** The route-level header operations as written. */
  readonly headers: Headers | undefined;
}

export interface VirtualHost {
  /** The host pattern (`*`, `back.music.svc.cluster.local`...). */
  readonly name: string;
  readonly virtualServices: readonly string[];
  readonly routes: readonly CompiledRoute[];
}

/** Envoy's virtual host choice: exact host, then the longest `*.suffix`, then `*`; no fallback after that. */
export interface HostIndex {
  lookup(host: string): VirtualHost | undefined;
  readonly hosts: readonly VirtualHost[];
}

export interface ServedGateway {
  /** `namespace/name`. */
  readonly name: string;
  readonly hosts: readonly string[];
}

/** Immutable: a change of configuration compiles a new table and swaps it in whole. */
export interface RoutingTable {
  /** Problems that do not stop routing (a destination naming no Service...). */
  readonly warnings: readonly string[];
  readonly binding: IngressBinding;
  /** Gateways whose HTTP server on the ingress port selects the ingress. */
  readonly gateways: readonly ServedGateway[];
  /** Virtual hosts of the ingress gateway listener. */
  readonly ingress: HostIndex;
  /** Virtual hosts of VirtualServices bound to `mesh`, by resolved host. */
  readonly mesh: HostIndex;
  /** The default virtual host of each Service (`default` route, no VirtualService), by FQDN. */
  readonly services: ReadonlyMap<string, VirtualHost>;
  readonly serviceInfo: ReadonlyMap<string, Service>;
  readonly clusters: ReadonlyMap<string, Cluster>;
  /** Route an ingress request (compatibility with the first ingress: same as `ingress` + first match). */
  lookup(request: RequestFacts): CompiledRoute | undefined;
  /** The virtual host a sidecar of `sourceNamespace` uses for `host` (no port), or undefined (passthrough). */
  meshVirtualHost(host: string, sourceNamespace: string): VirtualHost | undefined;
}

const unlimited = 2 ** 32 - 1;

/** Istio's default LB since 1.14 (cluster_traffic_policy.go defaultLBAlgorithm): LEAST_REQUEST. */
export const defaultLoadBalancer: LoadBalancerPolicy = 'LEAST_REQUEST';
/** Istio's mesh-wide default connectTimeout (meshconfig: 10s). */
const defaultConnectTimeoutMs = 10_000;

/** Compiles Gateways, VirtualServices, DestinationRules and Services into the data plane's table. */
export function compileRoutingTable(topology: Topology, binding = defaultIngressBinding): RoutingTable {
  const warnings: string[] = [];
  const serviceInfo = new Map<string, Service>(
    topology.services.map((service) => [serviceFqdn(service.name, service.namespace), service]),
  );
  const clusters = new Map<string, Cluster>();
  const rules = indexDestinationRules(topology.destinationRules ?? [], warnings);

  const clusterFor = (service: string, port: number, subset: string | undefined): Cluster | undefined => {
    const info = serviceInfo.get(service);
    if (!info) return undefined;
    const rule = findRule(rules, service);
    const subsetDef = subset === undefined ? undefined : rule?.dr.subsets.find((s) => s.name === subset);
    if (subset !== undefined && !subsetDef) return undefined;
    const name = `outbound|${port}|${subset ?? ''}|${service}`;
    const existing = clusters.get(name);
    if (existing) return existing;
    const policy = mergePolicy(rule?.dr.trafficPolicy, subsetDef?.trafficPolicy);
    const cluster: Cluster = Object.freeze({
      name,
      service,
      serviceName: info.name,
      namespace: info.namespace,
      port,
      subset,
      subsetLabels: subsetDef ? subsetDef.labels : undefined,
      destinationRule: rule ? `${rule.dr.namespace}/${rule.dr.name}` : undefined,
      loadBalancer: policy.loadBalancer ?? defaultLoadBalancer,
      limits: limitsOf(policy.connectionPool),
      outlier: outlierOf(policy.outlierDetection),
      connectTimeoutMs: policy.connectionPool?.tcp?.connectTimeoutMs ?? defaultConnectTimeoutMs,
    });
    clusters.set(name, cluster);
    return cluster;
  };

  // Every Service port gets its plain cluster, whether or not a route names it.
  for (const [fqdn, service] of serviceInfo)
    for (const port of service.ports) clusterFor(fqdn, port.port, undefined);

  const compileDestination = (
    vs: VirtualService,
    destination: Destination,
    weight: number,
    extra: HttpRouteDestination | undefined,
    route: HttpRoute | undefined,
  ): RouteDestination => {
    const service = resolveServiceHost(destination.host, vs.namespace);
    const info = serviceInfo.get(service);
    let problem: string | undefined;
    if (!info) {
      problem = `host ${destination.host} matches no Service`;
      warnings.push(`${vs.file}: destination host ${destination.host} matches no Service`);
    } else if (destination.port !== undefined && !info.ports.some((p) => p.port === destination.port)) {
      warnings.push(`${vs.file}: Service ${info.name} has no port ${destination.port}`);
    } else if (
      destination.subset !== undefined &&
      !findRule(rules, service)?.dr.subsets.some((s) => s.name === destination.subset)
    ) {
      problem = `subset ${destination.subset} of ${service} is defined by no DestinationRule`;
      warnings.push(`${vs.file}: ${problem}`);
    }
    const fixed =
      destination.port ??
      (info && info.ports.length === 1 ? (info.ports[0] as { port: number }).port : undefined);
    const byPort = new Map<number, Cluster | undefined>();
    if (info && fixed !== undefined) byPort.set(fixed, clusterFor(service, fixed, destination.subset));
    const ports = info?.ports.map((p) => p.port) ?? [];
    const cluster =
      fixed !== undefined
        ? (() => {
            const only = byPort.get(fixed);
            return () => only;
          })()
        : (requestPort: number) => {
            if (!info) return undefined;
            const port = ports.includes(requestPort) ? requestPort : (ports[0] as number);
            return clusterFor(service, port, destination.subset);
          };
    if (fixed === undefined && info) for (const port of ports) clusterFor(service, port, destination.subset);
    const requestHeaders = compileRequestMutation([route?.headers?.request, extra?.headers?.request]);
    return Object.freeze({
      host: destination.host,
      service,
      subset: destination.subset,
      port: destination.port,
      weight,
      cluster,
      problem,
      requestHeaders,
      responseHeaders: compileResponseMutation([route?.headers?.response, extra?.headers?.response]),
      // A route-level rewrite.authority wins over a destination's `host` header (route.go processDestination).
      authority: route?.rewrite?.authority ?? requestHeaders.authority,
      headers: extra?.headers,
    });
  };

  const compileRoute = (vs: VirtualService, route: HttpRoute, index: number): CompiledRoute => {
    const matches = compileMatches(route.match);
    const weighted = route.route.length > 1 ? route.route.filter((d) => (d.weight ?? 0) > 0) : route.route;
    const destinations = weighted.map((d) =>
      compileDestination(vs, d, route.route.length > 1 ? (d.weight ?? 0) : 100, d, route),
    );
    const totalWeight = destinations.reduce((sum, d) => sum + d.weight, 0);
    const mirrors = route.mirrors.map((mirror) =>
      Object.freeze({
        destination: compileDestination(vs, mirror.destination, 100, undefined, undefined),
        fraction: mirror.percentage / 100,
      }),
    );
    if (route.retries?.retryOn !== undefined) {
      const { unknown } = parseRetryOn(route.retries.retryOn);
      if (unknown.length > 0)
        warnings.push(`${vs.file}: retryOn ${unknown.join(', ')} is not an Envoy retry condition`);
    }
    return Object.freeze({
      name: `${vs.name}.${vs.namespace}/${route.name ?? index}`,
      virtualService: `${vs.namespace}/${vs.name}`,
      index,
      matches: matches.blocks,
      test: matches.test,
      action: route.redirect ? 'redirect' : route.directResponse ? 'direct' : 'route',
      destinations: Object.freeze(destinations),
      totalWeight,
      pickDestination: weightedPicker(destinations, totalWeight),
      rewritePath: compileRewrite(route, route.match),
      redirect: route.redirect,
      directResponse: route.directResponse,
      timeoutMs: route.timeoutMs ?? 0,
      retry: compileRetryPolicy(route.retries),
      fault: compileFault(route.fault),
      mirrors: Object.freeze(mirrors),
      headers: route.headers,
    });
  };

  // Ingress: VirtualServices bound to a Gateway the ingress plays.
  const gatewayHosts = servedGatewayHosts(topology.gateways, binding);
  const ingressHosts = new Map<string, { vs: string[]; routes: CompiledRoute[] }>();
  const meshHosts = new Map<string, { vs: string[]; routes: CompiledRoute[] }>();
  for (const vs of topology.virtualServices) {
    const routes = vs.http.map((route, index) => compileRoute(vs, route, index));
    const add = (target: typeof ingressHosts, host: string) => {
      const entry = target.get(host) ?? { vs: [], routes: [] };
      entry.vs.push(`${vs.namespace}/${vs.name}`);
      entry.routes.push(...routes);
      target.set(host, entry);
    };
    for (const host of boundHosts(vs, gatewayHosts)) add(ingressHosts, host);
    if (vs.gateways.includes('mesh')) {
      for (const host of vs.hosts)
        add(
          meshHosts,
          host === '*' || host.startsWith('*.') ? host.toLowerCase() : resolveServiceHost(host, vs.namespace),
        );
    }
  }

  const services = new Map<string, VirtualHost>();
  for (const [fqdn, info] of serviceInfo) {
    services.set(
      fqdn,
      Object.freeze({
        name: fqdn,
        virtualServices: Object.freeze([]),
        routes: Object.freeze([defaultRoute(fqdn, info, clusterFor)]),
      }),
    );
  }

  const ingress = buildIndex(ingressHosts);
  const mesh = buildIndex(meshHosts);
  const gateways = Object.freeze(
    [...gatewayHosts].map(([name, hosts]) => Object.freeze({ name, hosts: Object.freeze(hosts) })),
  );

  return Object.freeze({
    warnings: Object.freeze([...new Set(warnings)]),
    binding,
    gateways,
    ingress,
    mesh,
    services,
    serviceInfo,
    clusters,
    lookup(request: RequestFacts): CompiledRoute | undefined {
      const routes = ingress.lookup(request.host)?.routes;
      if (!routes) return undefined;
      for (const route of routes) if (route.test(request)) return route;
      return undefined;
    },
    meshVirtualHost(host: string, sourceNamespace: string): VirtualHost | undefined {
      const fqdn = meshHostFqdn(host, sourceNamespace);
      return mesh.lookup(fqdn) ?? services.get(fqdn);
    },
  });
}

/** The route Istio gives a Service no VirtualService mentions: all its endpoints, default retries, no timeout. */
function defaultRoute(
  fqdn: string,
  info: Service,
  clusterFor: (service: string, port: number, subset: string | undefined) => Cluster | undefined,
): CompiledRoute {
  const ports = info.ports.map((p) => p.port);
  const destination: RouteDestination = Object.freeze({
    host: fqdn,
    service: fqdn,
    subset: undefined,
    port: undefined,
    weight: 100,
    cluster: (requestPort: number) =>
      clusterFor(fqdn, ports.includes(requestPort) ? requestPort : (ports[0] ?? requestPort), undefined),
    problem: undefined,
    requestHeaders: compileRequestMutation([]),
    responseHeaders: undefined,
    authority: undefined,
    headers: undefined,
  });
  const matches = compileMatches([]);
  return Object.freeze({
    // Istio names it so (route.go DefaultRouteName).
    name: 'default',
    virtualService: undefined,
    index: 0,
    matches: matches.blocks,
    test: matches.test,
    action: 'route',
    destinations: Object.freeze([destination]),
    totalWeight: 100,
    pickDestination: () => destination,
    rewritePath: undefined,
    redirect: undefined,
    directResponse: undefined,
    timeoutMs: 0,
    retry: compileRetryPolicy(undefined),
    fault: undefined,
    mirrors: Object.freeze([]),
    headers: undefined,
  });
}

function weightedPicker(destinations: readonly RouteDestination[], total: number): () => RouteDestination {
  if (destinations.length === 1) {
    const only = destinations[0] as RouteDestination;
    return () => only;
  }
  const cumulative = new Float64Array(destinations.length);
  let sum = 0;
  for (let i = 0; i < destinations.length; i++) {
    sum += (destinations[i] as RouteDestination).weight;
    cumulative[i] = sum;
  }
  const last = destinations.length - 1;
  return () => {
    const ticket = Math.random() * total;
    for (let i = 0; i < last; i++)
      if (ticket < (cumulative[i] as number)) return destinations[i] as RouteDestination;
    return destinations[last] as RouteDestination;
  };
}

/**
 * Envoy's prefix_rewrite: the matched prefix (or, for exact and regex matches, the whole path
 * before the query) is replaced; with no uri match, the implicit prefix is `/`.
 */
function compileRewrite(
  route: HttpRoute,
  matches: readonly HttpMatchRequest[],
): ((path: string, pathname: string, block: number) => string) | undefined {
  const rewrite = route.rewrite;
  if (!rewrite) return undefined;
  if (rewrite.uriRegexRewrite) {
    const replace = compileRegexRewrite(rewrite.uriRegexRewrite.match, rewrite.uriRegexRewrite.rewrite);
    return (path, pathname) => replace(pathname) + path.slice(pathname.length);
  }
  const uri = rewrite.uri;
  if (uri === undefined) return undefined;
  const prefixLengths = matches.map((m) => {
    if (!m.uri) return 1;
    if ('prefix' in m.uri) return m.uri.prefix.length;
    return -1;
  });
  return (path, pathname, block) => {
    const length = prefixLengths[block] ?? 1;
    if (length === -1) return uri + path.slice(pathname.length);
    return uri + path.slice(length);
  };
}

interface IndexedRule {
  readonly host: string;
  readonly dr: DestinationRule;
}

function indexDestinationRules(rules: readonly DestinationRule[], warnings: string[]): IndexedRule[] {
  const indexed = rules.map((dr) => ({ host: resolveServiceHost(dr.host, dr.namespace), dr }));
  const seen = new Map<string, string>();
  for (const rule of indexed) {
    const other = seen.get(rule.host);
    if (other)
      warnings.push(
        `${rule.dr.file}: DestinationRule ${rule.dr.name} and ${other} both apply to ${rule.host}; the first wins`,
      );
    else seen.set(rule.host, rule.dr.name);
  }
  return indexed;
}

/** The DestinationRule for a Service: an exact host first, then the narrowest wildcard. */
function findRule(rules: readonly IndexedRule[], service: string): IndexedRule | undefined {
  let best: IndexedRule | undefined;
  for (const rule of rules) {
    if (rule.host === service) return rule;
    if (hostCovers(rule.host, service) && (!best || rule.host.length > best.host.length)) best = rule;
  }
  return best;
}

/** A subset's traffic policy replaces the top-level one field by field (Istio MergeTrafficPolicy). */
function mergePolicy(
  top: TrafficPolicy | undefined,
  subset: TrafficPolicy | undefined,
): Partial<TrafficPolicy> {
  return {
    loadBalancer: subset?.loadBalancer ?? top?.loadBalancer,
    connectionPool: subset?.connectionPool ?? top?.connectionPool,
    outlierDetection: subset?.outlierDetection ?? top?.outlierDetection,
  };
}

function limitsOf(pool: ConnectionPool | undefined): ClusterLimits {
  return Object.freeze({
    maxConnections: pool?.tcp?.maxConnections ?? unlimited,
    maxPendingRequests: pool?.http?.http1MaxPendingRequests ?? unlimited,
    maxRequests: pool?.http?.http2MaxRequests ?? unlimited,
    maxRequestsPerConnection: pool?.http?.maxRequestsPerConnection,
  });
}

/**
 * Envoy's outlier_detection defaults where Istio leaves a field unset: consecutive_5xx 5,
 * consecutive_gateway_failure off (enforcing 0), interval 10 s, base ejection 30 s, max 10 %.
 */
function outlierOf(outlier: OutlierDetection | undefined): OutlierSettings | undefined {
  if (!outlier) return undefined;
  return Object.freeze({
    consecutive5xx: outlier.consecutive5xxErrors ?? 5,
    consecutiveGatewayErrors: outlier.consecutiveGatewayErrors ?? 0,
    intervalMs: outlier.intervalMs ?? 10_000,
    baseEjectionTimeMs: outlier.baseEjectionTimeMs ?? 30_000,
    maxEjectionPercent: outlier.maxEjectionPercent ?? 10,
  });
}

function buildIndex(routesByHost: Map<string, { vs: string[]; routes: CompiledRoute[] }>): HostIndex {
  const exact = new Map<string, VirtualHost>();
  const suffixes: { suffix: string; host: VirtualHost }[] = [];
  let catchAll: VirtualHost | undefined;
  const all: VirtualHost[] = [];
  for (const [host, entry] of routesByHost) {
    const virtualHost: VirtualHost = Object.freeze({
      name: host,
      virtualServices: Object.freeze([...new Set(entry.vs)]),
      routes: Object.freeze(entry.routes),
    });
    all.push(virtualHost);
    if (host === '*') catchAll = virtualHost;
    else if (host.startsWith('*.')) suffixes.push({ suffix: host.slice(1), host: virtualHost });
    else exact.set(host, virtualHost);
  }
  suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  return Object.freeze({
    hosts: Object.freeze(all),
    lookup(host: string): VirtualHost | undefined {
      const found = exact.get(host);
      if (found) return found;
      for (const entry of suffixes) if (host.endsWith(entry.suffix)) return entry.host;
      return catchAll;
    },
  });
}

/** `Host` header → the lower-cased host the virtual host lookup uses. */
export { authorityHost };
