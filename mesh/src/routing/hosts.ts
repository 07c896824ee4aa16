/** Kubernetes DNS names as Istio resolves them in routing rules. */

export const clusterDomain = 'svc.cluster.local';

export function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.${clusterDomain}`;
}

/**
 * A destination host as Istio reads it: a short name (`back`) lives in the rule's namespace,
 * anything with a dot is taken as written (`back.music.svc.cluster.local`).
 */
export function resolveServiceHost(host: string, namespace: string): string {
  const lower = host.toLowerCase();
  return lower.includes('.') ? lower : serviceFqdn(lower, namespace);
}

/** `music-gateway` in the rule's namespace, or `music/music-gateway`; `mesh` is the sidecars. */
export function resolveGatewayRef(ref: string, namespace: string): string {
  if (ref === 'mesh') return ref;
  return ref.includes('/') ? ref : `${namespace}/${ref}`;
}

/** Gateway server hosts may be written `namespace/host`; only the host part routes. */
export function gatewayServerHost(host: string): string {
  const slash = host.indexOf('/');
  return (slash === -1 ? host : host.slice(slash + 1)).toLowerCase();
}

/** Does a host pattern (`*`, `*.example.com`, `example.com`) cover a host or a narrower pattern? */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

/** The narrower of two host patterns when one covers the other, as a gateway and a VirtualService intersect. */
export function intersectHosts(a: string, b: string): string | undefined {
  if (hostCovers(a, b)) return b;
  if (hostCovers(b, a)) return a;
  return undefined;
}

/** `Host: Example.com:8080` → `example.com`; `[::1]:8080` → `[::1]`. */
export function authorityHost(authority: string | undefined): string {
  if (!authority) return '';
  const end = authority.startsWith('[') ? authority.indexOf(']') + 1 : authority.indexOf(':');
  return (end <= 0 ? authority : authority.slice(0, end)).toLowerCase();
}

/** `back:8080` → 8080; none → undefined. */
export function authorityPort(authority: string | undefined): number | undefined {
  if (!authority) return undefined;
  const close = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon === -1 || colon < close) return undefined;
  const port = Number(authority.slice(colon + 1));
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * The FQDN a sidecar resolves a request host to, as the domains Istio puts on each Service's
 * virtual host: `back` (the caller's namespace), `back.music`, `back.music.svc`, or the FQDN.
 */
export function meshHostFqdn(host: string, sourceNamespace: string): string {
  if (host.endsWith(`.${clusterDomain}`)) return host;
  const dots = host.split('.').length - 1;
  if (dots === 0) return serviceFqdn(host, sourceNamespace);
  if (dots === 1) return `${host}.${clusterDomain}`;
  if (dots === 2 && host.endsWith('.svc')) return `${host}.cluster.local`;
  return host;
}
