/**
 * The Gateway servers the local ingress plays, merged per port as istiod merges them for one
 * gateway workload (pilot/pkg/model/gateway.go mergeGateways), and the virtual hosts each route
 * configuration gets (pilot/pkg/networking/core/gateway.go buildGatewayHTTPRouteConfig).
 */

import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Gateway, GatewayServer, Secret, Topology, VirtualService } from '../manifests/model.ts';
import { intersectHosts } from './hosts.ts';
import { compileMatches } from './match.ts';
import { byCreation } from './order.ts';
import { compileRetryPolicy } from './policy.ts';
import type { CompiledRoute } from './routes.ts';
import type { HostIndex, RoutingTable, ServedGateway } from './table.ts';
import { bindsTo } from './virtual-services.ts';

export interface IngressBinding {
  /** Pod labels of the local ingress gateway, matched against each Gateway's selector. */
  readonly labels: Readonly<Record<string, string>>;
  /** The gateway workload's namespace: Istio reads a server's `credentialName` Secret there. */
  readonly namespace: string;
  /** The Gateway server port a table (or a view of it) plays: requests match `port` against it. */
  readonly port: number;
}

/** Istio's default ingress gateway (istio-system/istio-ingressgateway), seen from its port 80. */
export const defaultIngressBinding: IngressBinding = Object.freeze({
  labels: Object.freeze({ istio: 'ingressgateway' }),
  namespace: 'istio-system',
  port: 80,
});

/** A server's certificate and key, ready for a TLS handshake. */
export interface ServerCredentials {
  /** `namespace/name` of the Secret. */
  readonly secret: string;
  readonly context: SecureContext;
  /** The PEM certificate and key, for a TLS server's default context (clients sending no SNI). */
  keyPair(): { readonly cert: Buffer; readonly key: Buffer };
}

/**
 * One filter chain of a Gateway port: all HTTP servers of a plain port together (route
 * `http.<port>`), or one HTTPS server (route `https.<port>.<port name>.<gateway>.<namespace>`).
 */
export interface GatewayChain {
  readonly routeName: string;
  /** SNI names an HTTPS chain answers (`*.example.com` allowed); empty: any name, and none. */
  readonly sniHosts: readonly string[];
  /** HTTPS only; undefined when its Secret is missing or unusable: its handshakes fail. */
  readonly credentials: ServerCredentials | undefined;
  readonly gateways: readonly ServedGateway[];
  readonly ingress: HostIndex;
}

export interface GatewayPort {
  /** The Gateway server port number (80, 443...). */
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly chains: readonly GatewayChain[];
}

/** What `compileGatewayPorts` needs from the table compiler. */
export interface GatewayCompileContext {
  readonly binding: IngressBinding;
  /** The VirtualServices the ingress sees, in the order it sees them. */
  readonly virtualServices: readonly VirtualService[];
  /**
   * A VirtualService's routes for a server port of Gateway `gateway` (`namespace/name`): match
   * blocks naming other Gateways are left out; no routes: it is left out there ("no routes matched").
   */
  routesOf(vs: VirtualService, port: number, gateway: string): readonly CompiledRoute[];
  buildIndex(hosts: Map<string, { vs: string[]; routes: CompiledRoute[] }>): HostIndex;
  readonly warnings: string[];
}

const plainProtocols = new Set(['HTTP', 'HTTP2']);

interface MergedServer {
  readonly gateway: string;
  /** Hosts after Istio's sanitizeServerHostNamespace, lower-cased. */
  readonly hosts: readonly string[];
  readonly server: GatewayServer;
  readonly file: string;
}

interface MergingPort {
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly chains: { routeName: string; sniHosts: string[]; servers: MergedServer[] }[];
  /** Hosts as written of the TLS servers already on the port (Istio's CheckDuplicates). */
  readonly tlsHosts: Set<string>;
}

/**
 * Every port of the Gateways selecting the ingress, oldest Gateway first. Where Istio
 * rejects a server (a protocol clash on a port, a duplicate TLS host or route name) the server
 * is skipped with a warning, as istiod logs and skips it.
 */
export function compileGatewayPorts(topology: Topology, context: GatewayCompileContext): GatewayPort[] {
  const { binding, warnings } = context;
  const ports = new Map<number, MergingPort>();
  for (const gateway of byCreation(topology.gateways)) {
    if (!selects(gateway, binding)) continue;
    const name = `${gateway.namespace}/${gateway.name}`;
    for (const server of gateway.servers) {
      const protocol = plainProtocols.has(server.port.protocol) ? 'HTTP' : 'HTTPS';
      const merged: MergedServer = {
        gateway: name,
        hosts: sanitizeHosts(server.hosts, gateway.namespace),
        server,
        file: gateway.file,
      };
      const number = server.port.number;
      const where = `${gateway.file}: Gateway ${name} server ${server.port.name || number}`;
      let port = ports.get(number);
      if (port && port.protocol !== protocol) {
        warnings.push(`${where} is skipped: port ${number} already serves ${port.protocol}`);
        continue;
      }
      if (!port) {
        port = { protocol, chains: [], tlsHosts: new Set() };
        ports.set(number, port);
      }
      if (protocol === 'HTTP') {
        const chain = port.chains[0];
        if (chain) chain.servers.push(merged);
        else port.chains.push({ routeName: `http.${number}`, sniHosts: [], servers: [merged] });
        continue;
      }
      const duplicates = merged.hosts.filter((host) => port.tlsHosts.has(host));
      if (duplicates.length > 0) {
        warnings.push(`${where} is skipped: duplicate host names ${duplicates.join(', ')} on port ${number}`);
        continue;
      }
      const routeName = `https.${number}.${server.port.name}.${gateway.name}.${gateway.namespace}`;
      const sniHosts = sniHostsOf(merged.hosts);
      const clash = port.chains.find(
        (chain) => chain.routeName === routeName || sameNames(chain.sniHosts, sniHosts),
      );
      if (clash) {
        warnings.push(
          `${where} is skipped: ${clash.routeName === routeName ? 'its port name is not unique' : `it answers the same SNI names as ${clash.routeName}`}`,
        );
        continue;
      }
      for (const host of merged.hosts) port.tlsHosts.add(host);
      port.chains.push({ routeName, sniHosts, servers: [merged] });
    }
  }
  const secrets = new Map(topology.secrets.map((secret) => [`${secret.namespace}/${secret.name}`, secret]));
  return [...ports].map(([number, port]) =>
    Object.freeze({
      port: number,
      protocol: port.protocol,
      chains: Object.freeze(
        port.chains.map((chain) => {
          return Object.freeze({
            routeName: chain.routeName,
            sniHosts: Object.freeze(chain.sniHosts),
            credentials:
              port.protocol === 'HTTPS'
                ? credentialsOf(chain.servers[0] as MergedServer, secrets, binding, warnings)
                : undefined,
            gateways: servedGateways(chain.servers),
            ingress: chainIndex(chain.servers, number, port.protocol === 'HTTPS', context),
          });
        }),
      ),
    }),
  );
}

/** Gateway port `port`'s chain named `routeName`, if the table has it. */
export function findChain(
  ports: readonly GatewayPort[],
  port: number,
  routeName: string,
): GatewayChain | undefined {
  return ports.find((p) => p.port === port)?.chains.find((chain) => chain.routeName === routeName);
}

const noHosts: HostIndex = Object.freeze({ hosts: Object.freeze([]), lookup: () => undefined });

/**
 * The table as one filter chain of one Gateway port sees it: that chain's virtual hosts as
 * `ingress`, its Gateways as `gateways`, the port as `binding.port`. The ingress's listener of that
 * chain and `explain` both route through it.
 */
export function chainTable(table: RoutingTable, port: number, routeName: string): RoutingTable {
  if (port === table.binding.port && routeName === `http.${port}`) return table;
  const chain = findChain(table.gatewayPorts, port, routeName);
  return Object.freeze({
    ...table,
    binding: Object.freeze({ ...table.binding, port }),
    gateways: chain?.gateways ?? Object.freeze([]),
    ingress: chain?.ingress ?? noHosts,
  });
}

/**
 * Envoy's filter chain choice by SNI: the exact name, then the longest `*.suffix`, then a chain
 * without names; a name nothing answers (or no name and no such chain) closes the connection.
 */
export function chainForServerName(
  chains: readonly GatewayChain[],
  serverName: string | undefined,
): GatewayChain | undefined {
  const name = serverName?.toLowerCase();
  let best: GatewayChain | undefined;
  let bestLength = -1;
  let catchAll: GatewayChain | undefined;
  for (const chain of chains) {
    if (chain.sniHosts.length === 0) {
      catchAll ??= chain;
      continue;
    }
    if (name === undefined) continue;
    for (const host of chain.sniHosts) {
      if (host === name) return chain;
      if (host.startsWith('*.') && name.endsWith(host.slice(1)) && host.length > bestLength) {
        best = chain;
        bestLength = host.length;
      }
    }
  }
  return best ?? catchAll;
}

/** The Gateways of a chain, each with the hosts of its servers there. */
function servedGateways(servers: readonly MergedServer[]): readonly ServedGateway[] {
  const hosts = new Map<string, string[]>();
  for (const server of servers) {
    const list = hosts.get(server.gateway) ?? [];
    list.push(...server.hosts.map(bareHost));
    hosts.set(server.gateway, list);
  }
  return Object.freeze(
    [...hosts].map(([name, list]) => Object.freeze({ name, hosts: Object.freeze([...new Set(list)]) })),
  );
}

function selects(gateway: Gateway, binding: IngressBinding): boolean {
  return Object.entries(gateway.selector).every(([key, value]) => binding.labels[key] === value);
}

/**
 * Istio's sanitizeServerHostNamespace, lower-cased: `.` as namespace becomes the Gateway's, and
 * the `*` namespace is dropped (`*` followed by `/h` is just `h`).
 */
function sanitizeHosts(hosts: readonly string[], namespace: string): string[] {
  return hosts.map((written) => {
    const host = written.toLowerCase();
    const slash = host.indexOf('/');
    if (slash === -1) return host;
    const ns = host.slice(0, slash);
    const name = host.slice(slash + 1);
    if (ns === '.') return `${namespace}/${name}`;
    if (ns === '*') return name;
    return host;
  });
}

function bareHost(host: string): string {
  return host.slice(host.indexOf('/') + 1);
}

/** GetSNIHostsForServer, with `*` meaning "no server_names" as Istio's filter chain match has it. */
function sniHostsOf(hosts: readonly string[]): string[] {
  const names = [...new Set(hosts.map(bareHost))].sort();
  return names.includes('*') ? [] : names;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** host.NamesForNamespace: `ns/host` entries count only for VirtualServices of namespace `ns`. */
function hostsForNamespace(hosts: readonly string[], namespace: string): string[] {
  const result: string[] = [];
  for (const host of hosts) {
    const slash = host.indexOf('/');
    if (slash === -1) result.push(host);
    else if (host.slice(0, slash) === namespace) result.push(host.slice(slash + 1));
  }
  return result;
}

/**
 * buildGatewayHTTPRouteConfig for one chain: each VirtualService bound to a server's Gateway adds
 * its routes to every host where its hosts and the server's intersect; `tls.httpsRedirect` on a
 * plain server makes each of its hosts answer 301 to https first (Envoy's require_tls ALL).
 */
function chainIndex(
  servers: readonly MergedServer[],
  port: number,
  tls: boolean,
  context: GatewayCompileContext,
): HostIndex {
  const hosts = new Map<string, { vs: string[]; routes: CompiledRoute[]; redirect: boolean }>();
  const entry = (host: string) => {
    let found = hosts.get(host);
    if (!found) {
      found = { vs: [], routes: [], redirect: false };
      hosts.set(host, found);
    }
    return found;
  };
  // Routes are built per Gateway (gatewayRoutes[gatewayName] in gateway.go), so that match-level
  // `gateways` keep a block only for the Gateway it names; a host gets each pair's routes once.
  const built = new Map<string, readonly CompiledRoute[]>();
  const added = new Set<string>();
  for (const server of servers) {
    // Behind TLS, x-forwarded-proto is https and require_tls never redirects.
    const redirect = !tls && server.server.tls?.httpsRedirect === true;
    for (const vs of context.virtualServices) {
      if (!bindsTo(vs, server.gateway)) continue;
      const serverHosts = hostsForNamespace(server.hosts, vs.namespace);
      const name = `${vs.namespace}/${vs.name}`;
      const key = `${name} ${server.gateway}`;
      for (const vsHost of vs.hosts) {
        for (const serverHost of serverHosts) {
          const host = intersectHosts(vsHost.toLowerCase(), serverHost);
          if (host === undefined) continue;
          let routes = built.get(key);
          if (routes === undefined) {
            routes = context.routesOf(vs, port, server.gateway);
            built.set(key, routes);
          }
          if (routes.length === 0) continue;
          const target = entry(host);
          if (!target.vs.includes(name)) target.vs.push(name);
          if (!added.has(`${key} ${host}`)) {
            added.add(`${key} ${host}`);
            target.routes.push(...routes);
          }
          if (redirect) target.redirect = true;
        }
      }
    }
    if (redirect) for (const host of server.hosts) entry(bareHost(host)).redirect = true;
  }
  const index = new Map<string, { vs: string[]; routes: CompiledRoute[] }>();
  for (const [host, { vs, routes, redirect }] of hosts)
    index.set(host, { vs, routes: redirect ? [httpsRedirectRoute] : routes });
  return context.buildIndex(index);
}

/** Envoy's SSL redirect for a require_tls virtual host: 301 to `https://<host as sent><path>`. */
const httpsRedirectRoute: CompiledRoute = (() => {
  const matches = compileMatches([]);
  return Object.freeze({
    name: '',
    virtualService: undefined,
    index: 0,
    matches: matches.blocks,
    test: matches.test,
    catchAll: true,
    action: 'redirect',
    destinations: Object.freeze([]),
    totalWeight: 0,
    pickDestination: () => {
      throw new Error('an https redirect has no destination');
    },
    rewritePath: undefined,
    redirect: Object.freeze({
      uri: undefined,
      authority: undefined,
      port: undefined,
      derivePort: undefined,
      scheme: 'https',
      redirectCode: 301,
    }),
    directResponse: undefined,
    timeoutMs: 0,
    retry: compileRetryPolicy(undefined),
    fault: undefined,
    mirrors: Object.freeze([]),
    headers: undefined,
  });
})();

/**
 * The server's credentialName as Istio resolves it for a gateway (pilot/pkg/model/credentials
 * resource.go, pilot/pkg/xds/sds.go, pilot/pkg/credentials/kube/secrets.go ExtractCertInfo):
 * a Secret in the gateway workload's namespace, keys `cert`/`key` first, then `tls.crt`/`tls.key`.
 */
function credentialsOf(
  server: MergedServer,
  secrets: ReadonlyMap<string, Secret>,
  binding: IngressBinding,
  warnings: string[],
): ServerCredentials | undefined {
  const credentialName = server.server.tls?.credentialName ?? '';
  const slash = credentialName.indexOf('/');
  const namespace = slash === -1 ? binding.namespace : credentialName.slice(0, slash);
  const name = credentialName.slice(slash + 1);
  const ref = `${namespace}/${name}`;
  const where = `${server.file}: Gateway ${server.gateway} server ${server.server.port.name}: credentialName ${credentialName}`;
  const fail = (why: string) => {
    warnings.push(`${where}: ${why}; TLS handshakes for its hosts fail`);
    return undefined;
  };
  if (namespace !== binding.namespace)
    return fail(
      `the ingress gateway runs in ${binding.namespace} and may read Secrets of its own namespace only`,
    );
  const secret = secrets.get(ref);
  if (!secret) {
    const elsewhere = [...secrets.values()].find((s) => s.name === name);
    return fail(
      `Secret ${ref} not found${elsewhere ? ` (there is one in ${elsewhere.namespace}; the ingress reads ${binding.namespace})` : ''}`,
    );
  }
  const pair = certificatePair(secret);
  if (typeof pair === 'string') return fail(`Secret ${ref}: ${pair}`);
  let context: SecureContext;
  try {
    context = createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (error) {
    // OpenSSL's reason names the problem (no start line, key mismatch), never the bytes.
    return fail(`Secret ${ref} holds no usable certificate and key (${(error as Error).message})`);
  }
  const validity = certificateValidity(pair.cert);
  if (validity) warnings.push(`${where}: Secret ${ref}: ${validity}`);
  return Object.freeze({ secret: ref, context, keyPair: () => pair });
}

function certificatePair(secret: Secret): { cert: Buffer; key: Buffer } | string {
  const data = secret.data;
  const nonEmpty = (key: string) => (data.get(key)?.length ?? 0) > 0;
  for (const [cert, key] of [
    ['cert', 'key'],
    ['tls.crt', 'tls.key'],
  ] as const) {
    if (nonEmpty(cert) && nonEmpty(key))
      return { cert: data.get(cert) as Buffer, key: data.get(key) as Buffer };
  }
  for (const [cert, key] of [
    ['cert', 'key'],
    ['tls.crt', 'tls.key'],
  ] as const) {
    if (data.get(cert) && data.get(key)) return `found keys "${cert}" and "${key}", but they were empty`;
  }
  const keys = [...data.keys()].sort();
  const found =
    keys.length < 3 ? keys.join(', ') : `${keys.slice(0, 3).join(', ')}, and ${keys.length - 3} more...`;
  return `found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key); found: ${found}`;
}

/** istiod's ValidateCertificate: an expired certificate is still served, with a warning. */
function certificateValidity(cert: Buffer): string | undefined {
  try {
    const x509 = new X509Certificate(cert);
    const now = Date.now();
    if (now > Date.parse(x509.validTo) || now < Date.parse(x509.validFrom))
      return 'certificate is expired or not yet valid';
  } catch {
    return 'pem decode failed';
  }
  return undefined;
}
