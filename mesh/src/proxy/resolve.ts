import { authorityHost, authorityPort } from '../routing/hosts.ts';
import type { RequestFacts } from '../routing/match.ts';
import type { ClientView, Cluster, CompiledRoute, RoutingTable, VirtualHost } from '../routing/table.ts';

/**
 * How a listener turns a request into host, port, path, virtual host and route. The listener and
 * `explain` both call these functions, so they cannot disagree on a request.
 */

/** Istio's meshconfig `pathNormalization` (DEFAULT is BASE; DECODE_AND_MERGE_SLASHES is not offered). */
export type PathNormalization = 'NONE' | 'BASE' | 'MERGE_SLASHES';

/** The request target split into authority and origin-form path (absolute form as Node's HTTP_PROXY sends it). */
export function requestTarget(
  url: string,
  host: string,
): { readonly authority: string; readonly target: string } {
  if (url.charCodeAt(0) === 47 /* / */) return { authority: host, target: url };
  const scheme = url.indexOf('://');
  if (scheme === -1) return { authority: host, target: url };
  const slash = url.indexOf('/', scheme + 3);
  return {
    authority: url.slice(scheme + 3, slash === -1 ? undefined : slash),
    target: slash === -1 ? '/' : url.slice(slash),
  };
}

export interface ResolvedAuthority {
  /** Lower case, no port. */
  readonly host: string;
  /** The port the request was sent to: the authority's (mesh, 80 without one), the Gateway server's (edge). */
  readonly port: number;
  /** Undefined: no virtual host (404 NR at the edge, passthrough in a sidecar). */
  readonly virtualHost: VirtualHost | undefined;
  /** In a sidecar, the Service whose TCP port the request is for: no HTTP routes, a TCP proxy to its endpoints. */
  readonly tcpService: string | undefined;
  /** That port's cluster (`outbound|9000||db.music.svc.cluster.local`): its connect timeout, its labels. */
  readonly tcpCluster: Cluster | undefined;
}

/**
 * The virtual host the ingress picks for an authority (`view` undefined), or a sidecar whose
 * client view (its namespace and pod labels, `table.view`) is `view`.
 */
export function resolveAuthority(
  table: RoutingTable,
  view: ClientView | undefined,
  authority: string,
): ResolvedAuthority {
  const host = authorityHost(authority);
  if (view === undefined)
    return Object.freeze({
      host,
      port: table.binding.port,
      virtualHost: table.ingress.lookup(host),
      tcpService: undefined,
      tcpCluster: undefined,
    });
  const port = authorityPort(authority) ?? 80;
  const tcpService = view.tcpService(host, port);
  return Object.freeze({
    host,
    port,
    virtualHost: tcpService === undefined ? view.meshVirtualHost(host) : undefined,
    tcpService,
    tcpCluster: tcpService === undefined ? undefined : view.clusters.get(`outbound|${port}||${tcpService}`),
  });
}

/** Envoy's route choice: the first route of the virtual host whose match holds. */
export function matchRoute(virtualHost: VirtualHost, request: RequestFacts): CompiledRoute | undefined {
  const routes = virtualHost.routes;
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i] as CompiledRoute;
    if (route.test(request)) return route;
  }
  return undefined;
}

/**
 * The path as Envoy's `normalize_path` leaves it (Istio sets it for BASE, `listener_builder.go`):
 * RFC 3986 dot segments removed, `%2E` read as `.`, escapes of unreserved characters decoded,
 * `\` read as `/` (Envoy's `PathUtil::canonicalPath`, its tests in `path_utility_test.cc`); the
 * query is left alone. `MERGE_SLASHES` also merges `//`. Undefined: refused (an encoded NUL),
 * which Envoy answers 400. A path with nothing to change is returned as is, without allocating.
 */
export function normalizePath(target: string, mode: PathNormalization): string | undefined {
  if (mode === 'NONE') return target;
  const query = target.indexOf('?');
  const end = query === -1 ? target.length : query;
  if (!needsWork(target, end, mode === 'MERGE_SLASHES')) return target;
  const path = canonicalPath(target.slice(0, end), mode === 'MERGE_SLASHES');
  if (path === undefined) return undefined;
  return query === -1 ? path : path + target.slice(query);
}

function needsWork(path: string, end: number, mergeSlashes: boolean): boolean {
  if (path.charCodeAt(0) !== 47) return true;
  for (let i = 0; i < end; i++) {
    const c = path.charCodeAt(i);
    if (c === 37 /* % */ || c === 92 /* \ */ || escaped.has(c)) return true;
    if (c !== 47) continue;
    const next = path.charCodeAt(i + 1);
    if (next === 47 && mergeSlashes) return true;
    if (next !== 46 /* . */) continue;
    // `/.` starts a dot segment only when the segment is `.` or `..`.
    const after = i + 2 < end ? path.charCodeAt(i + 2) : 47;
    if (after === 47) return true;
    if (after === 46 && (i + 3 >= end || path.charCodeAt(i + 3) === 47)) return true;
  }
  return false;
}

/** Characters Envoy's (Chromium's) path canonicalizer escapes. */
const escaped = new Set([' ', '"', '<', '>', '`', '{', '}'].map((c) => c.charCodeAt(0)));

function isUnreserved(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c === 126
  );
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function canonicalPath(raw: string, mergeSlashes: boolean): string | undefined {
  let decoded = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37) {
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high !== -1 && low !== -1) {
        const value = high * 16 + low;
        if (value === 0) return undefined;
        decoded += isUnreserved(value) ? String.fromCharCode(value) : raw.slice(i, i + 3);
        i += 2;
        continue;
      }
    }
    if (c === 92) decoded += '/';
    else if (escaped.has(c)) decoded += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else decoded += raw[i];
  }
  const segments = decoded.split('/');
  const kept: string[] = [];
  // A path without a leading `/` (`a/b`, `..`) is read as if it had one.
  const first = segments[0] === '' ? 1 : 0;
  for (let i = first; i < segments.length; i++) {
    const segment = segments[i] as string;
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') kept.pop();
      if (last) kept.push('');
      continue;
    }
    if (segment === '' && mergeSlashes && !last) continue;
    kept.push(segment);
  }
  return `/${kept.join('/')}`;
}
