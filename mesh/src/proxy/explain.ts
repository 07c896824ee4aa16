import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { EndpointRegistry } from '../endpoints/registry.ts';
import { chainForServerName, chainTable } from '../routing/gateways.ts';
import { authorityHost, authorityPort } from '../routing/hosts.ts';
import type { RequestFacts } from '../routing/match.ts';
import type { CompiledRoute, RouteDestination, RoutingTable } from '../routing/table.ts';
import type { WorkloadIdentity } from '../telemetry/record.ts';
import { matchRoute, normalizePath, requestTarget, resolveAuthority } from './resolve.ts';
import { defaultMeshSettings, type MeshSettings } from './settings.ts';
import { chainOf } from './stages/chain.ts';

export interface ExplainContext {
  readonly kind: 'gateway' | 'mesh';
  readonly source?: WorkloadIdentity | undefined;
  /** The source workload's pod labels (match `sourceLabels`), as its sidecar has them. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** One local listener of the ingress: Gateway port `gatewayPort` served at `url` (`ingress.listeners()`). */
export interface GatewayListenerAddress {
  readonly gatewayPort: number;
  readonly url: string;
}

export interface ExplainInput {
  readonly context: ExplainContext;
  /** `http://back:8080/api/tracks?x=1`; for the gateway, the host is the Host header the client sends. */
  readonly url: string;
  readonly method?: string | undefined;
  readonly headers?: Readonly<Record<string, string | readonly string[]>> | undefined;
  /** When given, each destination lists its ready endpoints. */
  readonly endpoints?: EndpointRegistry | undefined;
  readonly settings?: MeshSettings | undefined;
  /**
   * The ingress's local listeners: at the gateway, the URL's port (its scheme's default without
   * one) names the Gateway port of the listener on it (`http://localhost:8443` → 443 with the
   * default `--port`); a port no listener has is taken as a Gateway port when some Gateway declares
   * it (`https://music.example.com/` → 443), else it is Gateway port 80's.
   */
  readonly gatewayListeners?: readonly GatewayListenerAddress[] | undefined;
}

export interface ExplainedDestination {
  readonly host: string;
  readonly service: string;
  readonly subset: string | null;
  readonly port: number | null;
  readonly weight: number;
  /** Share of requests, in percent (weights need not add up to 100). */
  readonly percent: number;
  readonly cluster: string | null;
  readonly subsetDefined: boolean;
  readonly subsetLabels: Readonly<Record<string, string>> | null;
  readonly destinationRule: string | null;
  readonly loadBalancer: string | null;
  /** Names of the ready endpoints (when the registry was given), or null. */
  readonly endpoints: string[] | null;
  readonly problem: string | null;
}

export interface ExplainedRoute {
  readonly name: string;
  readonly virtualService: string | null;
  readonly action: string;
  readonly destinations: ExplainedDestination[];
  readonly timeout: string;
  readonly retries: {
    readonly attempts: number;
    readonly retryOn: string;
    readonly perTryTimeoutMs: number | null;
  } | null;
  readonly fault: {
    readonly delayMs: number;
    readonly delayPercent: number;
    readonly abortStatus: number;
    readonly abortPercent: number;
  } | null;
  readonly mirrors: {
    readonly host: string;
    readonly subset: string | null;
    readonly cluster: string | null;
    readonly percent: number;
  }[];
  readonly redirect: Record<string, unknown> | null;
  readonly directResponse: Record<string, unknown> | null;
  /** The route's chain of stages as the data plane runs it, one line each. */
  readonly stages: readonly string[];
}

export interface RouteCheck {
  readonly name: string;
  readonly matched: boolean;
  /** First failing condition of the first match block (null when it matched). */
  readonly failedCondition: string | null;
  /** First failing condition of each match block. */
  readonly failedConditions: (string | null)[];
}

export interface Explanation {
  readonly context: 'gateway' | 'mesh';
  readonly source: WorkloadIdentity | null;
  readonly authority: string;
  /** The path as routes see it and the upstream gets it: normalized (Istio's BASE), before any rewrite. */
  readonly path: string;
  readonly method: string;
  /** The Gateway server port the request arrives on (gateway context), or null. */
  readonly gatewayPort: number | null;
  /** Gateways served (gateway context) or `mesh`. */
  readonly gateways: string[];
  readonly virtualHost: { readonly name: string; readonly virtualServices: readonly string[] } | null;
  readonly matched: boolean;
  /** What the proxy answers when nothing is routed: `NR` (404), or `passthrough` for a mesh host that is no Service. */
  readonly responseFlag: string | null;
  readonly reason: string | null;
  /** Routes tried in order, up to the one that matched. */
  readonly routes: RouteCheck[];
  readonly route: ExplainedRoute | null;
}

/**
 * What a request would match, and why; plain JSON, for `mesh explain`. Host, port, path and route
 * come from the functions the listeners use (resolve.ts), and the route's lines from its compiled
 * chain, so explain and the data plane agree.
 */
export function explainRequest(routing: RoutingTable, input: ExplainInput): Explanation {
  const { authority: urlAuthority, target } = requestTarget(rawTarget(input.url), '');
  const authority = typeof input.headers?.host === 'string' ? input.headers.host : urlAuthority;
  const edge = input.context.kind === 'gateway';
  const source = input.context.source ?? null;
  const https = input.url.slice(0, 8).toLowerCase() === 'https://';
  const gatewayPort = edge ? gatewayPortOf(routing, urlAuthority, https, input.gatewayListeners) : null;
  const served = gatewayPort === null ? undefined : servedChain(routing, gatewayPort, urlAuthority);
  const table = served?.table ?? routing;
  const { host, port, virtualHost, tcpService } = resolveAuthority(
    table,
    edge
      ? undefined
      : table.view({ namespace: source?.namespace ?? 'default', labels: input.context.labels ?? {} }),
    authority,
  );
  const method = input.method ?? 'GET';
  const normalized = normalizePath(target, (input.settings ?? defaultMeshSettings).pathNormalization);
  const path = normalized ?? target;
  const query = path.indexOf('?');
  const headers: IncomingHttpHeaders = { host: authority };
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    headers[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
  }
  const facts: RequestFacts = {
    authority,
    host,
    port,
    path,
    pathname: query === -1 ? path : path.slice(0, query),
    method,
    scheme: served?.tls ? 'https' : 'http',
    headers,
  };
  const base = {
    context: input.context.kind,
    source,
    authority,
    path,
    method,
    gatewayPort,
    gateways: edge ? table.gateways.map((g) => g.name) : ['mesh'],
  };
  if (served?.refused !== undefined) {
    return {
      ...base,
      virtualHost: null,
      matched: false,
      responseFlag: null,
      reason: served.refused,
      routes: [],
      route: null,
    };
  }
  if (edge && table.gateways.length === 0) {
    return {
      ...base,
      virtualHost: null,
      matched: false,
      responseFlag: 'NR',
      reason: `no Gateway selecting ${Object.entries(table.binding.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')} has a server on port ${table.binding.port}`,
      routes: [],
      route: null,
    };
  }
  if (tcpService !== undefined) {
    return {
      ...base,
      virtualHost: null,
      matched: false,
      responseFlag: null,
      reason: `port ${port} of ${tcpService} is a TCP port (its appProtocol or name): no HTTP route applies; the sidecar sends the request on to one of the Service's endpoints`,
      routes: [],
      route: null,
    };
  }
  if (normalized === undefined) {
    return {
      ...base,
      virtualHost: null,
      matched: false,
      responseFlag: null,
      reason: 'the path normalization (BASE) refuses the path (an encoded NUL): answered 400',
      routes: [],
      route: null,
    };
  }
  if (!virtualHost) {
    return {
      ...base,
      virtualHost: null,
      matched: false,
      responseFlag: edge ? 'NR' : 'passthrough',
      reason: edge
        ? `no VirtualService bound to ${base.gateways.join(', ')} has a host matching ${host}`
        : `${host} is no Service and no mesh VirtualService names it: passed through as addressed (ALLOW_ANY)`,
      routes: [],
      route: null,
    };
  }
  const matched = matchRoute(virtualHost, facts);
  const routes: RouteCheck[] = [];
  for (const route of virtualHost.routes) {
    const failed = route.matches.map(
      (block) => block.conditions.find((c) => !c.test(facts))?.description ?? null,
    );
    const ok = route === matched;
    routes.push({
      name: route.name,
      matched: ok,
      failedCondition: ok ? null : (failed[0] ?? null),
      failedConditions: failed,
    });
    if (ok) break;
  }
  const vh = { name: virtualHost.name, virtualServices: [...virtualHost.virtualServices] };
  if (!matched) {
    return {
      ...base,
      virtualHost: vh,
      matched: false,
      responseFlag: 'NR',
      reason: 'no route of the virtual host matches',
      routes,
      route: null,
    };
  }
  return {
    ...base,
    virtualHost: vh,
    matched: true,
    responseFlag: null,
    reason: null,
    routes,
    route: explainRoute(matched, port, input.endpoints),
  };
}

function explainRoute(
  route: CompiledRoute,
  port: number,
  endpoints: EndpointRegistry | undefined,
): ExplainedRoute {
  const total = route.totalWeight || 1;
  const destination = (d: RouteDestination): ExplainedDestination => {
    const cluster = d.cluster(port);
    let ready: string[] | null = null;
    if (endpoints && cluster) {
      const labels = cluster.subsetLabels;
      ready = endpoints
        .endpoints(cluster.service)
        .filter((e) => !labels || Object.entries(labels).every(([k, v]) => e.labels[k] === v))
        .map((e) => e.name);
    }
    return {
      host: d.host,
      service: d.service,
      subset: d.subset ?? null,
      port: cluster?.port ?? d.port ?? null,
      weight: d.weight,
      percent: Math.round((d.weight / total) * 10_000) / 100,
      cluster: cluster?.name ?? null,
      subsetDefined: d.subset === undefined || cluster !== undefined,
      subsetLabels: cluster?.subsetLabels ? { ...cluster.subsetLabels } : null,
      destinationRule: cluster?.destinationRule ?? null,
      loadBalancer: cluster?.loadBalancer ?? null,
      endpoints: ready,
      problem: d.problem ?? (cluster ? null : 'no such cluster: answered 503 NC'),
    };
  };
  const retry = route.retry;
  const fault = route.fault;
  return {
    name: route.name,
    virtualService: route.virtualService ?? null,
    action: route.action,
    destinations: route.destinations.map(destination),
    timeout: route.timeoutMs > 0 ? `${route.timeoutMs}ms` : 'none (Istio default)',
    retries: retry
      ? {
          attempts: retry.numRetries,
          retryOn: retry.retryOnText,
          perTryTimeoutMs: retry.perTryTimeoutMs || null,
        }
      : null,
    fault: fault
      ? {
          delayMs: fault.delayMs,
          delayPercent: fault.delayFraction * 100,
          abortStatus: fault.abortStatus,
          abortPercent: fault.abortFraction * 100,
        }
      : null,
    mirrors: route.mirrors.map((m) => ({
      host: m.destination.host,
      subset: m.destination.subset ?? null,
      cluster: m.destination.cluster(port)?.name ?? null,
      percent: m.fraction * 100,
    })),
    redirect: route.redirect ? JSON.parse(JSON.stringify(route.redirect)) : null,
    directResponse: route.directResponse ? JSON.parse(JSON.stringify(route.directResponse)) : null,
    stages: [...chainOf(route).lines],
  };
}

/**
 * The Gateway port an explained gateway request arrives on: that of the local listener on the
 * URL's port, else the URL's port when a Gateway declares it, else Gateway port 80's listener.
 */
function gatewayPortOf(
  table: RoutingTable,
  urlAuthority: string,
  https: boolean,
  listeners: readonly GatewayListenerAddress[] | undefined,
): number {
  const port = authorityPort(urlAuthority) ?? (https ? 443 : 80);
  const listener = listeners?.find((l) => authorityPort(new URL(l.url).host) === port);
  if (listener !== undefined) return listener.gatewayPort;
  if (table.gatewayPorts.some((p) => p.port === port)) return port;
  return table.binding.port;
}

/**
 * The filter chain of `gatewayPort` a request reaches, as the ingress's listener of that port picks
 * it: the plain port's one chain, or an HTTPS port's chain for the SNI a client sends for the URL's
 * host (none for an IP address); `refused` says why the connection fails instead.
 */
function servedChain(
  table: RoutingTable,
  gatewayPort: number,
  urlAuthority: string,
): { table: RoutingTable; tls: boolean; refused?: string } {
  const port = table.gatewayPorts.find((p) => p.port === gatewayPort);
  if (port?.protocol !== 'HTTPS')
    return { table: chainTable(table, gatewayPort, `http.${gatewayPort}`), tls: false };
  const host = authorityHost(urlAuthority).replace(/^\[|\]$/g, '');
  const serverName = isIP(host) === 0 && host !== '' ? host : undefined;
  const chain = chainForServerName(port.chains, serverName);
  if (chain === undefined || chain.credentials === undefined) {
    const sni = serverName === undefined ? 'no SNI' : `SNI ${serverName}`;
    return {
      table,
      tls: true,
      refused: `Gateway port ${gatewayPort} (HTTPS): ${chain ? `the Secret of ${chain.routeName} is missing or unusable` : `no server answers ${sni}`}; the TLS handshake fails`,
    };
  }
  return { table: chainTable(table, gatewayPort, chain.routeName), tls: true };
}

/** `http://back:8080/a/../b`: the target as a client sends it, dot segments and all (`new URL` would resolve them). */
function rawTarget(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const slash = url.indexOf('/', scheme + 3);
  const query = url.indexOf('?', scheme + 3);
  if (slash === -1 || (query !== -1 && query < slash)) {
    const end = query === -1 ? url.length : query;
    return `${url.slice(0, end)}/${url.slice(end)}`;
  }
  return url;
}
