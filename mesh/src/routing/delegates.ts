/**
 * Delegate VirtualServices merged into their roots, as istiod does before building any route
 * (pilot/pkg/model/virtualservice_controller.go `mergeVirtualServices`, virtualservice.go
 * `MergeHTTPRoutes`, `mergeHTTPMatchRequests`, `hasConflict`).
 */
import type {
  Destination,
  HttpMatchRequest,
  HttpRoute,
  StringMatch,
  ValueMatch,
  VirtualService,
} from '../manifests/model.ts';
import { resolveServiceHost } from './hosts.ts';

/**
 * The root VirtualServices with each `delegate` route replaced by the delegate's routes, merged
 * with it; delegates themselves (no hosts) stay as they are and route nothing on their own.
 */
export function mergeDelegates(
  virtualServices: readonly VirtualService[],
  warnings: string[],
): VirtualService[] {
  const delegates = new Map(
    virtualServices.filter((vs) => vs.hosts.length === 0).map((vs) => [`${vs.namespace}/${vs.name}`, vs]),
  );
  return virtualServices.map((root) => {
    if (root.hosts.length === 0 || !root.http.some((route) => route.delegate)) return root;
    const http: HttpRoute[] = [];
    for (const route of root.http) {
      if (!route.delegate) {
        http.push(route);
        continue;
      }
      const key = `${route.delegate.namespace ?? root.namespace}/${route.delegate.name}`;
      const delegate = delegates.get(key);
      const where = `${root.file}: VirtualService ${root.namespace}/${root.name}`;
      if (!delegate) {
        warnings.push(`${where}: delegate virtual service ${key} not found; its route is left out`);
        continue;
      }
      if (!exportedTo(delegate, root.namespace)) {
        warnings.push(
          `${where}: delegate virtual service ${key} is not exported to ${root.namespace}; its route is left out`,
        );
        continue;
      }
      for (const leaf of delegate.http) {
        const merged = mergeRoute(route, resolvedIn(leaf, delegate.namespace));
        if (merged) http.push(merged);
        else
          warnings.push(
            `${where}: HTTPMatchRequests conflict: root route ${route.name ?? ''}, delegate route ${leaf.name ?? ''} of ${key}; the delegate route is left out`,
          );
      }
    }
    return Object.freeze({ ...root, http: Object.freeze(http) });
  });
}

/** A VirtualService's exportTo, `.` meaning its own namespace; the default is `*`. */
function exportedTo(vs: VirtualService, namespace: string): boolean {
  if (vs.exportTo.length === 0) return true;
  return vs.exportTo.some((entry) => entry === '*' || (entry === '.' ? vs.namespace : entry) === namespace);
}

/** Short destination hosts of a delegate name Services of its own namespace (ResolveVirtualServiceShortnames). */
function resolvedIn(route: HttpRoute, namespace: string): HttpRoute {
  const resolve = <T extends Destination>(destination: T): T => ({
    ...destination,
    host: resolveServiceHost(destination.host, namespace),
  });
  return {
    ...route,
    route: route.route.map(resolve),
    mirrors: route.mirrors.map((mirror) => ({ ...mirror, destination: resolve(mirror.destination) })),
  };
}

/** mergeHTTPRoute: the delegate's route, with the root's settings where it has none; undefined on conflict. */
function mergeRoute(root: HttpRoute, leaf: HttpRoute): HttpRoute | undefined {
  const match = mergeMatches(root.match, leaf.match);
  if (!match) return undefined;
  return Object.freeze({
    ...leaf,
    name:
      leaf.name === undefined ? root.name : root.name === undefined ? leaf.name : `${root.name}-${leaf.name}`,
    match: Object.freeze(match),
    rewrite: leaf.rewrite ?? root.rewrite,
    directResponse: leaf.directResponse ?? root.directResponse,
    timeoutMs: leaf.timeoutMs ?? root.timeoutMs,
    retries: leaf.retries ?? root.retries,
    fault: leaf.fault ?? root.fault,
    mirrors: leaf.mirrors.length > 0 ? leaf.mirrors : root.mirrors,
    headers: leaf.headers ?? root.headers,
  });
}

/**
 * mergeHTTPMatchRequests: every match of the delegate must lie within one of the root's (each
 * pair that does not conflict gives one merged match); none at all on either side takes the other's.
 */
function mergeMatches(
  root: readonly HttpMatchRequest[],
  leaf: readonly HttpMatchRequest[],
): HttpMatchRequest[] | undefined {
  if (root.length === 0) return [...leaf];
  if (leaf.length === 0) return [...root];
  const out: HttpMatchRequest[] = [];
  for (const sub of leaf) {
    let found = false;
    for (const top of root) {
      if (hasConflict(top, sub)) continue;
      out.push(mergeMatch(top, sub));
      found = true;
    }
    if (!found) return undefined;
  }
  return out.length > 0 ? out : undefined;
}

function mergeMatch(root: HttpMatchRequest, leaf: HttpMatchRequest): HttpMatchRequest {
  return Object.freeze({
    ...leaf,
    name:
      leaf.name === undefined ? root.name : root.name === undefined ? leaf.name : `${root.name}-${leaf.name}`,
    uri: leaf.uri ?? root.uri,
    scheme: leaf.scheme ?? root.scheme,
    method: leaf.method ?? root.method,
    authority: leaf.authority ?? root.authority,
    headers: mergePairs(root.headers, leaf.headers),
    withoutHeaders: mergePairs(root.withoutHeaders, leaf.withoutHeaders),
    queryParams: mergePairs(root.queryParams, leaf.queryParams),
    port: leaf.port ?? root.port,
    sourceLabels: Object.freeze({ ...root.sourceLabels, ...leaf.sourceLabels }),
    sourceNamespace: leaf.sourceNamespace ?? root.sourceNamespace,
    gateways: leaf.gateways.length > 0 ? leaf.gateways : root.gateways,
  });
}

/** maps.MergeCopy: the root's entries, the delegate's replacing those of the same name. */
function mergePairs<T>(
  root: readonly (readonly [string, T])[],
  leaf: readonly (readonly [string, T])[],
): readonly (readonly [string, T])[] {
  const merged = new Map(root);
  for (const [name, value] of leaf) merged.set(name, value);
  return Object.freeze([...merged].map((pair) => Object.freeze(pair)));
}

/** hasConflict: could the delegate's match reach beyond the root's? */
function hasConflict(root: HttpMatchRequest, leaf: HttpMatchRequest): boolean {
  const pairs: [StringMatch | undefined, StringMatch | undefined][] = [
    [root.uri, leaf.uri],
    [root.scheme, leaf.scheme],
    [root.method, leaf.method],
    [root.authority, leaf.authority],
  ];
  if (pairs.some(([r, l]) => stringMatchConflict(r, l))) return true;
  for (const key of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    const rootValues = new Map(root[key]);
    for (const [name, value] of leaf[key]) if (valueMatchConflict(rootValues.get(name), value)) return true;
  }
  if (root.ignoreUriCase !== leaf.ignoreUriCase) return true;
  if (root.port !== undefined && leaf.port !== undefined && root.port !== leaf.port) return true;
  if (root.sourceNamespace !== undefined && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [key, value] of Object.entries(leaf.sourceLabels)) {
    const rootValue = root.sourceLabels[key];
    if (rootValue !== undefined && rootValue !== value) return true;
  }
  // The root's gateways must include the delegate's.
  if (root.gateways.length > 0 && leaf.gateways.length > 0)
    return (
      leaf.gateways.length > root.gateways.length || leaf.gateways.some((g) => !root.gateways.includes(g))
    );
  return false;
}

/** Istio keeps `{}` (present) as a StringMatch without a type: it conflicts with anything below it. */
function valueMatchConflict(root: ValueMatch | undefined, leaf: ValueMatch): boolean {
  if (root === undefined) return false;
  if ('present' in root || 'present' in leaf) return true;
  return stringMatchConflict(root, leaf);
}

/** stringMatchConflict: regexes only match themselves; an exact within an exact; prefixes nest. */
function stringMatchConflict(root: StringMatch | undefined, leaf: StringMatch | undefined): boolean {
  if (root === undefined || leaf === undefined) return false;
  if ('regex' in root || 'regex' in leaf) return true;
  if ('exact' in root) return !('exact' in leaf) || leaf.exact !== root.exact;
  return !('prefix' in leaf ? leaf.prefix : leaf.exact).startsWith(root.prefix);
}
