/**
 * HTTP routes as Envoy gets them from a VirtualService (pilot/pkg/networking/core/route/route.go
 * `BuildHTTPRoutesForVirtualService`, `TranslateRoute`), compiled for one client's clusters.
 */
import type {
  Destination,
  Headers,
  HttpDirectResponse,
  HttpMatchRequest,
  HttpRedirect,
  HttpRoute,
  HttpRouteDestination,
  Service,
  VirtualService,
} from '../manifests/model.ts';
import type { Cluster, ClusterCatalog } from './clusters.ts';
import { resolveGatewayRef, resolveServiceHost } from './hosts.ts';
import { type CompiledMatch, compileMatches, type RequestPredicate } from './match.ts';
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
  /** Index of the HTTPRoute in its VirtualService (after delegates are merged in). */
  readonly index: number;
  readonly matches: readonly CompiledMatch[];
  readonly test: RequestPredicate;
  /**
   * Matches every request (no match, or a uri of prefix `/` or regex `.*` and nothing else): a
   * gateway moves such routes after the others of its virtual host (route.go IsCatchAllRoute).
   */
  readonly catchAll: boolean;
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

/** Where the routes are built for: one listener of one client. */
export interface RouteContext {
  /** A gateway's server port: match blocks naming another port are left out. Undefined in the mesh. */
  readonly port: number | undefined;
  /** What the proxy plays: `mesh` for a sidecar, Gateway refs (`namespace/name`) for the ingress. */
  readonly gateways: ReadonlySet<string>;
  /** The proxy's pod labels and namespace, for `sourceLabels` and `sourceNamespace`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
}

export interface RouteCompiler {
  /**
   * The routes of a VirtualService, in order. Each match block is its own Envoy route; blocks
   * next to each other stay one CompiledRoute, except that a catch-all block ends the list
   * (nothing after it could match) and stands alone, so that a gateway can move it last.
   */
  virtualServiceRoutes(vs: VirtualService, context: RouteContext): CompiledRoute[];
  /** The route Istio gives a Service no VirtualService mentions: all its endpoints, default retries, no timeout. */
  defaultRoute(fqdn: string, info: Service): CompiledRoute;
}

export function routeCompiler(
  serviceInfo: ReadonlyMap<string, Service>,
  catalog: ClusterCatalog,
  warnings: string[],
): RouteCompiler {
  const compileDestination = (
    vs: VirtualService,
    destination: Destination,
    weight: number,
    extra: HttpRouteDestination | undefined,
    route: HttpRoute | undefined,
    listenPort: number | undefined,
  ): RouteDestination => {
    const service = resolveServiceHost(destination.host, vs.namespace);
    const info = serviceInfo.get(service);
    let problem: string | undefined;
    if (!info) {
      problem = `host ${destination.host} matches no Service`;
      warnings.push(`${vs.file}: destination host ${destination.host} matches no Service`);
    } else if (destination.port !== undefined && !info.ports.some((p) => p.port === destination.port)) {
      problem = `Service ${info.name} has no port ${destination.port}`;
      warnings.push(`${vs.file}: ${problem}`);
    } else if (
      destination.port === undefined &&
      listenPort !== undefined &&
      info.ports.length > 1 &&
      !info.ports.some((p) => p.port === listenPort)
    ) {
      problem = `Service ${info.name} has several ports and the destination names none: the gateway's port ${listenPort} is none of them`;
      warnings.push(`${vs.file}: ${problem} (503 NC)`);
    } else if (
      destination.subset !== undefined &&
      !catalog.rule(service)?.subsets.some((s) => s.name === destination.subset)
    ) {
      problem = `subset ${destination.subset} of ${service} is defined by no DestinationRule`;
      warnings.push(`${vs.file}: ${problem}`);
    }
    const fixed =
      destination.port ??
      (info && info.ports.length === 1 ? (info.ports[0] as { port: number }).port : undefined);
    const ports = new Set(info?.ports.map((p) => p.port));
    let cluster: (requestPort: number) => Cluster | undefined;
    if (fixed !== undefined) {
      // A port the Service does not have makes a cluster no one defines: 503 NC.
      const only = ports.has(fixed) ? catalog.cluster(service, fixed, destination.subset) : undefined;
      cluster = () => only;
    } else {
      // route.go GetDestinationCluster: no port named, several on the Service: the port the request
      // came in on, whose cluster exists only if the Service has that port (else 503 NC).
      for (const port of ports) catalog.cluster(service, port, destination.subset);
      cluster = (requestPort: number) =>
        ports.has(requestPort) ? catalog.cluster(service, requestPort, destination.subset) : undefined;
    }
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

  const compileRoute = (
    vs: VirtualService,
    route: HttpRoute,
    index: number,
    match: readonly HttpMatchRequest[],
    catchAll: boolean,
    context: RouteContext,
  ): CompiledRoute => {
    const matches = compileMatches(match);
    const weighted = route.route.length > 1 ? route.route.filter((d) => (d.weight ?? 0) > 0) : route.route;
    const destinations = weighted.map((d) =>
      compileDestination(vs, d, route.route.length > 1 ? (d.weight ?? 0) : 100, d, route, context.port),
    );
    const totalWeight = destinations.reduce((sum, d) => sum + d.weight, 0);
    const mirrors = route.mirrors.map((mirror) =>
      Object.freeze({
        destination: compileDestination(vs, mirror.destination, 100, undefined, undefined, context.port),
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
      catchAll,
      action: route.redirect ? 'redirect' : route.directResponse ? 'direct' : 'route',
      destinations: Object.freeze(destinations),
      totalWeight,
      pickDestination: weightedPicker(destinations, totalWeight),
      rewritePath: compileRewrite(route, match),
      redirect: route.redirect,
      directResponse: route.directResponse,
      timeoutMs: route.timeoutMs ?? 0,
      retry: compileRetryPolicy(route.retries),
      fault: compileFault(route.fault),
      mirrors: Object.freeze(mirrors),
      headers: route.headers,
    });
  };

  return Object.freeze({
    virtualServiceRoutes(vs: VirtualService, context: RouteContext): CompiledRoute[] {
      const out: CompiledRoute[] = [];
      for (const [index, route] of vs.http.entries()) {
        if (route.match.length === 0) {
          out.push(compileRoute(vs, route, index, [], true, context));
          break;
        }
        // TranslateRoute: a block for another port, or for other proxies, is not built at all.
        const blocks = route.match.filter(
          (m) =>
            (context.port === undefined || portMatches(m, context.port)) && sourceMatches(m, vs, context),
        );
        const end = blocks.findIndex((m) => isCatchAll(m, context));
        if (end === -1) {
          if (blocks.length > 0) out.push(compileRoute(vs, route, index, blocks, false, context));
          continue;
        }
        if (end > 0) out.push(compileRoute(vs, route, index, blocks.slice(0, end), false, context));
        out.push(compileRoute(vs, route, index, [blocks[end] as HttpMatchRequest], true, context));
        break;
      }
      return out;
    },
    defaultRoute(fqdn: string, info: Service): CompiledRoute {
      return defaultRoute(fqdn, info, catalog);
    },
  });
}

/** route.go sourceMatchHTTP: match-level `gateways` first; without them, the source's labels and namespace. */
function sourceMatches(match: HttpMatchRequest, vs: VirtualService, context: RouteContext): boolean {
  if (match.gateways.length > 0)
    return match.gateways.some((ref) => context.gateways.has(resolveGatewayRef(ref, vs.namespace)));
  for (const [key, value] of Object.entries(match.sourceLabels))
    if (context.labels[key] !== value) return false;
  return match.sourceNamespace === undefined || match.sourceNamespace === context.namespace;
}

function portMatches(match: HttpMatchRequest, port: number): boolean {
  return match.port === undefined || match.port === port;
}

/**
 * route.go IsCatchAllRoute, on the Envoy match a block becomes: path `/` (prefix) or `.*` (regex),
 * no header (method, authority, scheme and withoutHeaders are headers too), no query parameter.
 * In the mesh a block's port is tested per request, so a block with a port ends nothing.
 */
function isCatchAll(match: HttpMatchRequest, context: RouteContext): boolean {
  const uri = match.uri;
  const path = !uri || ('prefix' in uri && uri.prefix === '/') || ('regex' in uri && uri.regex === '.*');
  return (
    path &&
    match.headers.length === 0 &&
    match.withoutHeaders.length === 0 &&
    match.queryParams.length === 0 &&
    !match.method &&
    !match.authority &&
    !match.scheme &&
    (context.port !== undefined || match.port === undefined)
  );
}

function defaultRoute(fqdn: string, info: Service, catalog: ClusterCatalog): CompiledRoute {
  const ports = info.ports.map((p) => p.port);
  const destination: RouteDestination = Object.freeze({
    host: fqdn,
    service: fqdn,
    subset: undefined,
    port: undefined,
    weight: 100,
    cluster: (requestPort: number) =>
      catalog.cluster(fqdn, ports.includes(requestPort) ? requestPort : (ports[0] ?? requestPort), undefined),
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
    catchAll: true,
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
