import type { Service, Topology, VirtualService } from '../manifests/model.ts';
import { type Cluster, type ClusterCatalog, clusterCatalog } from './clusters.ts';
import { mergeDelegates } from './delegates.ts';
import { indexDestinationRules, rootNamespace } from './destination-rules.ts';
import {
  compileGatewayPorts,
  defaultIngressBinding,
  findChain,
  type GatewayPort,
  type IngressBinding,
} from './gateways.ts';
import { authorityHost, meshHostFqdn, resolveServiceHost, serviceFqdn } from './hosts.ts';
import type { RequestFacts } from './match.ts';
import { byCreation } from './order.ts';
import { portProtocol } from './protocols.ts';
import { type CompiledRoute, type RouteCompiler, routeCompiler } from './routes.ts';
import { virtualServicesFor, visibleVirtualServices } from './virtual-services.ts';

export type { Cluster, ClusterLimits, OutlierSettings } from './clusters.ts';
export { defaultLoadBalancer } from './clusters.ts';
export type { CompiledMirror, CompiledRoute, RouteAction, RouteDestination } from './routes.ts';

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

/**
 * What the routing of one client depends on: its namespace (DestinationRules, exportTo) and its
 * pod labels (match `sourceLabels`; none known: such matches leave it out).
 */
export interface ClientIdentity {
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** The table as one client's proxy has it (Envoy's config is per proxy). */
export interface ClientView {
  readonly client: ClientIdentity;
  /** Virtual hosts of VirtualServices bound to `mesh`, by resolved host. */
  readonly mesh: HostIndex;
  /** The default virtual host of each Service (`default` route, no VirtualService), by FQDN. */
  readonly services: ReadonlyMap<string, VirtualHost>;
  /** The clusters this client's routes use, by name. */
  readonly clusters: ReadonlyMap<string, Cluster>;
  /** The virtual host this client uses for `host` (no port), or undefined (passthrough). */
  meshVirtualHost(host: string): VirtualHost | undefined;
  /**
   * The FQDN of the Service when `host:port` is one of its TCP ports (protocols.ts): Istio gives
   * such a port a TCP proxy to the Service's endpoints and no HTTP routes. Undefined otherwise.
   */
  tcpService(host: string, port: number): string | undefined;
}

/** Immutable: a change of configuration compiles a new table and swaps it in whole. */
export interface RoutingTable {
  /** Problems that do not stop routing (a destination naming no Service...). */
  readonly warnings: readonly string[];
  readonly binding: IngressBinding;
  /** Gateways whose HTTP server on `binding.port` selects the ingress. */
  readonly gateways: readonly ServedGateway[];
  /** Virtual hosts of the ingress on `binding.port` (a proxy of the root namespace, istio-system). */
  readonly ingress: HostIndex;
  /** Every Gateway port of the ingress, with its filter chains and their virtual hosts (gateways.ts). */
  readonly gatewayPorts: readonly GatewayPort[];
  /**
   * `view({ namespace: 'istio-system' })`'s mesh hosts and Service hosts, kept for callers written
   * before views: a sidecar's own are `view(client).mesh` and `.services`.
   */
  readonly mesh: HostIndex;
  readonly services: ReadonlyMap<string, VirtualHost>;
  readonly serviceInfo: ReadonlyMap<string, Service>;
  /** Route an ingress request (compatibility with the first ingress: same as `ingress` + first match). */
  lookup(request: RequestFacts): CompiledRoute | undefined;
  /** The virtual host a sidecar of `sourceNamespace` uses for `host` (no port), or undefined (passthrough). */
  meshVirtualHost(
    host: string,
    sourceNamespace: string,
    sourceLabels?: Readonly<Record<string, string>>,
  ): VirtualHost | undefined;
  /** The table as a client sees it; the same object for the same identity. */
  view(client: ClientIdentity): ClientView;
}

interface HostEntry {
  readonly vs: string[];
  readonly routes: CompiledRoute[];
}

/** Compiles Gateways, VirtualServices, DestinationRules and Services into the data plane's table. */
export function compileRoutingTable(topology: Topology, binding = defaultIngressBinding): RoutingTable {
  const warnings: string[] = [];
  const serviceInfo = new Map<string, Service>(
    topology.services.map((service) => [serviceFqdn(service.name, service.namespace), service]),
  );
  const rules = indexDestinationRules(topology.destinationRules, warnings);
  const virtualServices = byCreation(mergeDelegates(topology.virtualServices, warnings));

  const compilers = new Map<string, { catalog: ClusterCatalog; routes: RouteCompiler }>();
  const compilerFor = (namespace: string) => {
    let found = compilers.get(namespace);
    if (!found) {
      const catalog = clusterCatalog(serviceInfo, rules, namespace);
      found = { catalog, routes: routeCompiler(serviceInfo, catalog, warnings) };
      compilers.set(namespace, found);
    }
    return found;
  };

  const tcpPorts = new Set<string>();
  for (const [fqdn, info] of serviceInfo)
    for (const port of info.ports) if (portProtocol(port) === 'tcp') tcpPorts.add(`${fqdn}:${port.port}`);

  const views = new Map<string, ClientView>();
  const view = (client: ClientIdentity): ClientView => {
    const labels = client.labels ?? {};
    const key = `${client.namespace} ${JSON.stringify(Object.entries(labels).sort())}`;
    let found = views.get(key);
    if (!found) {
      const identity = Object.freeze({ namespace: client.namespace, labels });
      found = compileView(
        identity,
        compilerFor(client.namespace),
        serviceInfo,
        tcpPorts,
        virtualServices,
        warnings,
      );
      views.set(key, found);
    }
    return found;
  };

  // Ingress: a proxy of the root namespace (istio-system). The VirtualServices bound to a Gateway
  // it plays merge per host (gateway.go buildGatewayHTTPRouteConfig), in the order it sees them.
  const ingressCompiler = compilerFor(binding.namespace).routes;
  const ingressVirtualServices = visibleVirtualServices(virtualServices, binding.namespace);
  const gatewayRoutes = (vs: VirtualService, port: number, gateway: string): readonly CompiledRoute[] =>
    ingressCompiler.virtualServiceRoutes(vs, {
      port,
      gateways: new Set([gateway]),
      labels: binding.labels,
      namespace: binding.namespace,
    });
  const gatewayPorts = compileGatewayPorts(topology, {
    binding,
    virtualServices: ingressVirtualServices,
    routesOf: gatewayRoutes,
    buildIndex: buildGatewayIndex,
    warnings,
  });
  const primary = findChain(gatewayPorts, binding.port, `http.${binding.port}`);
  const ingress = primary?.ingress ?? buildGatewayIndex(new Map());

  // Every namespace with a workload or a rule: their warnings are known at apply time.
  const namespaces = new Set([
    ...topology.deployments.map((d) => d.namespace),
    ...topology.services.map((s) => s.namespace),
    ...topology.virtualServices.map((v) => v.namespace),
  ]);
  for (const namespace of namespaces) view({ namespace });

  const rootView = view({ namespace: rootNamespace });
  const gateways = primary?.gateways ?? Object.freeze([]);

  return Object.freeze({
    warnings: Object.freeze([...new Set(warnings)]),
    binding,
    gateways,
    ingress,
    gatewayPorts,
    mesh: rootView.mesh,
    services: rootView.services,
    serviceInfo,
    lookup(request: RequestFacts): CompiledRoute | undefined {
      const routes = ingress.lookup(request.host)?.routes;
      if (!routes) return undefined;
      for (const route of routes) if (route.test(request)) return route;
      return undefined;
    },
    meshVirtualHost(
      host: string,
      sourceNamespace: string,
      sourceLabels?: Readonly<Record<string, string>>,
    ): VirtualHost | undefined {
      return view(
        sourceLabels ? { namespace: sourceNamespace, labels: sourceLabels } : { namespace: sourceNamespace },
      ).meshVirtualHost(host);
    },
    view,
  });
}

/**
 * A sidecar's virtual hosts: for each host, the routes of the oldest VirtualService bound to
 * `mesh` that names it; a younger one is left out for that host (httproute.go
 * BuildSidecarOutboundVirtualHosts: "duplicate domain from virtual service").
 */
function compileView(
  client: ClientIdentity,
  compiler: { catalog: ClusterCatalog; routes: RouteCompiler },
  serviceInfo: ReadonlyMap<string, Service>,
  tcpPorts: ReadonlySet<string>,
  virtualServices: readonly VirtualService[],
  warnings: string[],
): ClientView {
  const meshHosts = new Map<string, HostEntry>();
  for (const vs of virtualServicesFor(virtualServices, client.namespace, 'mesh')) {
    const routes = compiler.routes.virtualServiceRoutes(vs, {
      port: undefined,
      gateways: meshGateway,
      labels: client.labels ?? {},
      namespace: client.namespace,
    });
    if (routes.length === 0) continue;
    for (const written of vs.hosts) {
      const host =
        written === '*' || written.startsWith('*.')
          ? written.toLowerCase()
          : resolveServiceHost(written, vs.namespace);
      const taken = meshHosts.get(host);
      if (taken) {
        warnings.push(
          `${vs.file}: VirtualService ${vs.namespace}/${vs.name} is not used for host ${host} by sidecars: ${taken.vs[0]}, older, routes it (only the oldest VirtualService of a host applies outside gateways)`,
        );
        continue;
      }
      addRoutes(meshHosts, host, vs, routes);
    }
  }
  const services = new Map<string, VirtualHost>();
  for (const [fqdn, info] of serviceInfo) {
    services.set(
      fqdn,
      Object.freeze({
        name: fqdn,
        virtualServices: Object.freeze([]),
        routes: Object.freeze([compiler.routes.defaultRoute(fqdn, info)]),
      }),
    );
  }
  const mesh = buildIndex(meshHosts);
  return Object.freeze({
    client,
    mesh,
    services,
    clusters: compiler.catalog.clusters,
    meshVirtualHost(host: string): VirtualHost | undefined {
      const fqdn = meshHostFqdn(host, client.namespace);
      return mesh.lookup(fqdn) ?? services.get(fqdn);
    },
    tcpService(host: string, port: number): string | undefined {
      if (tcpPorts.size === 0) return undefined;
      const fqdn = meshHostFqdn(host, client.namespace);
      return tcpPorts.has(`${fqdn}:${port}`) ? fqdn : undefined;
    },
  });
}

/** A gateway's virtual hosts: each host's catch-all routes moved last (route.go SortVHostRoutes). */
function buildGatewayIndex(routesByHost: Map<string, HostEntry>): HostIndex {
  const sorted = new Map<string, HostEntry>();
  for (const [host, entry] of routesByHost)
    sorted.set(host, {
      vs: entry.vs,
      routes: [...entry.routes.filter((r) => !r.catchAll), ...entry.routes.filter((r) => r.catchAll)],
    });
  return buildIndex(sorted);
}

const meshGateway: ReadonlySet<string> = new Set(['mesh']);

function addRoutes(
  target: Map<string, HostEntry>,
  host: string,
  vs: VirtualService,
  routes: readonly CompiledRoute[],
): void {
  const entry = target.get(host) ?? { vs: [], routes: [] };
  entry.vs.push(`${vs.namespace}/${vs.name}`);
  entry.routes.push(...routes);
  target.set(host, entry);
}

function buildIndex(routesByHost: ReadonlyMap<string, HostEntry>): HostIndex {
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
