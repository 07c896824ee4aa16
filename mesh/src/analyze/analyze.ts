import { ManifestError, MeshError, NotImplementedError } from '../errors.ts';
import { buildTopology } from '../manifests/load.ts';
import type { StoredResource } from '../manifests/resources.ts';
import { readerOf } from '../manifests/resources.ts';
import { resolveGatewayRef, resolveServiceHost } from '../routing/hosts.ts';
import { type AnalysisMessage, message, type ResourceOrigin, messageTypes as types } from './messages.ts';

/**
 * istioctl analyze for the resources the runtime knows: each check follows the Istio analyzer of
 * the same code (pkg/config/analysis/analyzers). Works on the manifests as written, so a resource
 * the runtime would refuse is still analyzed.
 */
export function analyze(resources: readonly StoredResource[]): AnalysisMessage[] {
  const world = new World(resources);
  return [
    ...schemaErrors(resources),
    ...gatewayReferences(world),
    ...conflictingGateways(world),
    ...destinationHosts(world),
    ...destinationPorts(world),
    ...destinationSubsets(world),
    ...conflictingMeshHosts(world),
    ...portNames(world),
    ...unreachableRules(world),
    ...ingressNotAffected(world),
    ...subsetsWithoutPods(world),
  ];
}

/** Schema checks the API server (Istio's webhook) makes: a resource failing them is refused by `apply`. */
export function schemaErrors(resources: readonly StoredResource[]): AnalysisMessage[] {
  const found: AnalysisMessage[] = [];
  for (const resource of resources) {
    try {
      buildTopology([readerOf(resource)]);
    } catch (error) {
      if (!(error instanceof MeshError)) throw error;
      const problems = error instanceof ManifestError ? error.problems : [error];
      for (const problem of problems)
        found.push(
          refusal(problem, originOf(resource, problem instanceof ManifestError ? problem.field : undefined)),
        );
      continue;
    }
    if (resource.kind !== 'VirtualService') continue;
    for (const [index, route] of list(spec(resource).http).entries()) {
      const weights = list(record(route).route).map((destination) => number(record(destination).weight) ?? 0);
      if (weights.length > 1 && weights.every((weight) => weight === 0)) {
        found.push(
          message(
            types.SchemaValidationError,
            originOf(resource, `spec.http[${index}].route`),
            'Schema validation error: total destination weight = 0',
            `spec.http[${index}]: its ${weights.length} destinations all have weight 0, so no request could be routed; give at least one a weight (they are usually meant to add up to 100).`,
            `spec.http[${index}].route`,
          ),
        );
      }
    }
  }
  return found;
}

/**
 * What `mesh apply` says of one problem of a resource it refuses: IST0106 when Istio's validation would refuse it
 * too, MESH0001 when only the local runtime lacks the kind or field (nothing is silently ignored).
 */
export function refusal(error: MeshError, origin: ResourceOrigin): AnalysisMessage {
  const field = error instanceof ManifestError ? error.field : undefined;
  const text = error instanceof ManifestError ? error.detail : error.message;
  if (error instanceof NotImplementedError) {
    return message(
      types.NotImplementedLocally,
      origin,
      `The local runtime would refuse this resource at apply: ${text}`,
      undefined,
      field,
    );
  }
  return message(types.SchemaValidationError, origin, `Schema validation error: ${text}`, undefined, field);
}

// ---- the checks -------------------------------------------------------------------------

/**
 * IST0101, a VirtualService bound to a Gateway that does not exist, and IST0132, bound to one whose
 * servers have none of its hosts (both for a missing Gateway, as Istio reports them):
 * pkg/config/analysis/analyzers/virtualservice/gateways.go.
 */
function* gatewayReferences(world: World): Iterable<AnalysisMessage> {
  for (const vs of world.virtualServices) {
    const namespace = vs.resource.namespace;
    for (const [index, ref] of vs.explicitGateways.entries()) {
      if (ref === 'mesh') continue;
      const origin = originOf(vs.resource, `spec.gateways[${index}]`);
      const fullName = resolveGatewayRef(ref, namespace);
      const gateway = world.gateways.get(fullName);
      if (!gateway)
        yield message(types.ReferencedResourceNotFound, origin, `Referenced gateway not found: "${ref}"`);
      const served = (gateway?.servers ?? []).flatMap((server) =>
        hostsForNamespace(server.hosts, gateway?.namespace ?? '', namespace),
      );
      if (!served.some((gatewayHost) => vs.writtenHosts.some((host) => hostsOverlap(gatewayHost, host)))) {
        yield message(
          types.VirtualServiceHostNotFoundInGateway,
          origin,
          `one or more host [${vs.writtenHosts.join(' ')}] defined in VirtualService ${namespace}/${vs.resource.name} not found in Gateway ${fullName}.`,
        );
      }
    }
  }
}

/**
 * A server's hosts as a VirtualService of `namespace` may bind them: `./h` is the Gateway's own
 * namespace, `*\/h` any, `*\/*` everything (sanitizeServerHostNamespace, host.NamesForNamespace).
 */
function hostsForNamespace(hosts: readonly string[], gatewayNamespace: string, namespace: string): string[] {
  if (hosts.includes('*/*')) return ['*'];
  return hosts.flatMap((host) => {
    const slash = host.indexOf('/');
    if (slash < 0) return [host];
    const scope = host.slice(0, slash) === '.' ? gatewayNamespace : host.slice(0, slash);
    return scope === namespace || scope === '*' ? [host.slice(slash + 1)] : [];
  });
}

/** Istio's host.Name.Matches: equal, or one wildcard covers the other (pkg/config/host/name.go). */
function hostsOverlap(a: string, b: string): boolean {
  const aWild = a.startsWith('*');
  const bWild = b.startsWith('*');
  if (aWild && bWild)
    return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aWild) return b.endsWith(a.slice(1));
  if (bWild) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * IST0145: Gateways for the same workloads (equal selectors, or selectors a pod satisfies both)
 * with a server on the same port and a host in common under the same bind:
 * pkg/config/analysis/analyzers/gateway/conflictinggateway.go.
 */
function* conflictingGateways(world: World): Iterable<AnalysisMessage> {
  // "selector~port" → gateway → its hosts (host → bind), as Istio's initGatewaysMap.
  const byPort = new Map<string, Map<string, ReadonlyMap<string, string>>>();
  for (const gateway of world.gateways.values()) {
    for (const server of gateway.servers) {
      const key = `${gateway.selector}~${server.port}`;
      const gateways = byPort.get(key) ?? new Map<string, ReadonlyMap<string, string>>();
      gateways.set(gateway.fullName, new Map(server.hosts.map((host) => [host, server.bind])));
      byPort.set(key, gateways);
    }
  }
  for (const gateway of world.gateways.values()) {
    const same = [...byPort].filter(([key]) => {
      const selector = key.slice(0, key.lastIndexOf('~'));
      if (selector === gateway.selector) return true;
      if (!selector.includes(gateway.selector) && !gateway.selector.includes(selector)) return false;
      return world.pods.some((pod) => selects(gateway.selector, pod.labels) && selects(selector, pod.labels));
    });
    if (gateway.selector !== '' && same.length === 0) {
      yield message(
        types.ReferencedResourceNotFound,
        originOf(gateway.resource, `spec.selector.${gateway.selector.split('=')[0]}`),
        `Referenced selector not found: "${gateway.selector}"`,
      );
      continue;
    }
    for (const server of gateway.servers) {
      const conflicting: string[] = [];
      for (const [key, gateways] of same) {
        if (key.slice(key.lastIndexOf('~') + 1) !== String(server.port)) continue;
        for (const [name, known] of gateways) {
          if (name !== gateway.fullName && duplicatesHosts(server.hosts, server.bind, known))
            conflicting.push(name);
        }
      }
      if (conflicting.length === 0) continue;
      yield message(
        types.ConflictingGateways,
        originOf(gateway.resource),
        `Conflict with gateways ${conflicting.sort().join(',')} (workload selector ${gateway.selector}, port ${server.port}, hosts ${server.hosts.join(',')}).`,
      );
    }
  }
}

/**
 * model.CheckDuplicates: a host already known under the same bind. Istio's also adds the hosts to
 * the map when none is, so a third Gateway could seem to conflict with a host it does not have;
 * this check leaves the map alone.
 */
function duplicatesHosts(
  hosts: readonly string[],
  bind: string,
  known: ReadonlyMap<string, string>,
): boolean {
  return hosts.some((host) => known.get(host) === bind);
}

/** `app=x,istio=ingressgateway` (klabels' sorted form) against a pod's labels. */
function selects(selector: string, podLabels: Readonly<Record<string, string>>): boolean {
  return selector.split(',').every((pair) => {
    const [key, value] = pair.split('=');
    return key !== undefined && podLabels[key] === value;
  });
}

/** IST0101: a destination or mirror host that names no Service. */
function* destinationHosts(world: World): Iterable<AnalysisMessage> {
  for (const vs of world.virtualServices) {
    for (const destination of vs.destinations) {
      if (world.services.has(destination.fqdn)) continue;
      const what = destination.mirror ? 'mirror host' : 'host';
      yield message(
        types.ReferencedResourceNotFound,
        originOf(vs.resource, destination.field),
        `Referenced ${what} not found: "${destination.host}"`,
      );
    }
  }
}

/**
 * IST0112, a destination without port on a Service of several ports, and IST0101 for a port the
 * Service does not have: checkServiceEntryPorts in pkg/config/analysis/analyzers/virtualservice/destinationhosts.go.
 */
function* destinationPorts(world: World): Iterable<AnalysisMessage> {
  for (const vs of world.virtualServices) {
    for (const destination of vs.destinations) {
      const service = world.services.get(destination.fqdn);
      if (!service) continue;
      const ports = list(spec(service.resource).ports).flatMap((item) => {
        const port = number(record(item).port);
        return port === undefined ? [] : [port];
      });
      const origin = originOf(vs.resource, destination.field);
      if (destination.port === undefined) {
        if (ports.length < 2) continue;
        yield message(
          types.VirtualServiceDestinationPortSelectorRequired,
          origin,
          `This VirtualService routes to a service "${destination.host}" that exposes multiple ports [${ports.join(' ')}]. Specifying a port in the destination is required to disambiguate.`,
        );
      } else if (!ports.includes(destination.port)) {
        yield message(
          types.ReferencedResourceNotFound,
          origin,
          `Referenced host:port not found: "${destination.host}:${destination.port}"`,
        );
      }
    }
  }
}

/** IST0101: a subset that no DestinationRule of the host defines (Envoy answers 503 NC). */
function* destinationSubsets(world: World): Iterable<AnalysisMessage> {
  const defined = new Set<string>();
  for (const dr of world.destinationRules) {
    for (const subset of dr.subsets) defined.add(`${dr.fqdn}+${subset.name}`);
  }
  for (const vs of world.virtualServices) {
    for (const destination of vs.destinations) {
      if (destination.subset === undefined || defined.has(`${destination.fqdn}+${destination.subset}`))
        continue;
      const what = destination.mirror ? 'mirror+subset in destinationrule' : 'host+subset in destinationrule';
      yield message(
        types.ReferencedResourceNotFound,
        originOf(vs.resource, destination.field),
        `Referenced ${what} not found: "${destination.host}+${destination.subset}"`,
        `No DestinationRule for host ${destination.host} defines subset ${destination.subset}: requests sent to it fail with 503 (NC). Apply a DestinationRule with a subset named ${destination.subset} (its labels pick the pods, e.g. version: ${destination.subset}).`,
      );
    }
  }
}

/** IST0109: several VirtualServices for the mesh gateway with the same host. */
function* conflictingMeshHosts(world: World): Iterable<AnalysisMessage> {
  const byHost = new Map<string, VirtualServiceView[]>();
  for (const vs of world.virtualServices) {
    if (!vs.meshBound) continue;
    for (const host of vs.hosts) {
      const key = `*/${host.includes('*') ? host : resolveServiceHost(host, vs.resource.namespace)}`;
      byHost.set(key, [...(byHost.get(key) ?? []), vs]);
    }
  }
  const reported = new Set<VirtualServiceView>();
  for (const [host, list] of byHost) {
    if (list.length < 2) continue;
    const names = list.map((vs) => `${vs.resource.namespace}/${vs.resource.name}`).sort();
    for (const vs of list) {
      if (reported.has(vs)) continue;
      reported.add(vs);
      yield message(
        types.ConflictingMeshGatewayVirtualServiceHosts,
        originOf(vs.resource),
        `The VirtualServices ${names.join(',')} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
      );
    }
  }
}

const protocols = new Set([
  'tcp',
  'udp',
  'grpc',
  'http',
  'http_proxy',
  'http2',
  'https',
  'tls',
  'mongo',
  'redis',
  'mysql',
]);
const wellKnownPorts = new Set([25, 53, 3306]);

/** IST0118: a Service port whose name does not start with its protocol (`http`, `http-web`, `tcp-postgres`...). */
function* portNames(world: World): Iterable<AnalysisMessage> {
  for (const service of world.services.values()) {
    for (const [index, item] of list(spec(service.resource).ports).entries()) {
      const port = record(item);
      const name = string(port.name) ?? '';
      const protocol = string(port.appProtocol) ?? name;
      const number_ = number(port.port) ?? 0;
      if (string(port.protocol)?.toUpperCase() === 'UDP') continue;
      if (protocol.toLowerCase().startsWith('grpc-web')) continue;
      if (protocols.has((protocol.split('-')[0] as string).toLowerCase())) continue;
      if (wellKnownPorts.has(number_)) continue;
      const target = port.targetPort === undefined ? String(number_) : String(port.targetPort);
      yield message(
        types.PortNameIsNotUnderNamingConvention,
        originOf(service.resource, `spec.ports[${index}].port`),
        `Port name ${name} (port: ${number_}, targetPort: ${target}) doesn't follow the naming convention of Istio port.`,
      );
    }
  }
}

/** IST0130 and IST0131, as Istio's validation finds them (analyzeUnreachableHTTPRules). */
function* unreachableRules(world: World): Iterable<AnalysisMessage> {
  for (const vs of world.virtualServices) {
    const seen = new Map<string, number>();
    let catchAll = -1;
    const prefixed: { route: string; match: string; field: string; prefix: string; rest: string }[] = [];
    for (const [ruleIndex, rule] of vs.http.entries()) {
      const routeName = rule.name ? `"${rule.name}"` : `#${ruleIndex}`;
      if (rule.match.length === 0) {
        if (catchAll >= 0) {
          yield unreachable(
            vs,
            ruleIndex,
            routeName,
            'only the last rule can have no matches',
            vs.http[catchAll]?.name,
            catchAll,
          );
        }
        catchAll = ruleIndex;
        continue;
      }
      let duplicates = 0;
      for (const [matchIndex, match] of rule.match.entries()) {
        if (catchAll >= 0) {
          yield unreachable(
            vs,
            ruleIndex,
            routeName,
            'route without matches defined before',
            vs.http[catchAll]?.name,
            catchAll,
          );
          continue;
        }
        const { name, ...conditions } = match;
        const matchName = typeof name === 'string' && name ? `"${name}"` : `#${matchIndex}`;
        const key = JSON.stringify(conditions);
        const earlier = seen.get(key);
        if (earlier !== undefined) {
          const earlierName = vs.http[earlier]?.name ? `"${vs.http[earlier]?.name}"` : `#${earlier}`;
          yield message(
            types.VirtualServiceIneffectiveMatch,
            originOf(vs.resource, `spec.http[${ruleIndex}].match[${matchIndex}]`),
            `VirtualService rule ${routeName} match ${matchName} is not used (duplicate/overlapping match in rule ${earlierName}).`,
          );
          duplicates++;
          continue;
        }
        seen.set(key, ruleIndex);
        const prefix = string(record(conditions.uri).prefix);
        if (prefix) {
          const { uri: _uri, ...rest } = conditions;
          prefixed.push({
            route: routeName,
            match: matchName,
            field: `spec.http[${ruleIndex}].match[${matchIndex}]`,
            prefix,
            rest: JSON.stringify(rest),
          });
        }
      }
      if (duplicates === rule.match.length)
        yield unreachable(vs, ruleIndex, routeName, 'all matches used by prior rules');
    }
    for (const [index, earlier] of prefixed.entries()) {
      for (const later of prefixed.slice(index + 1)) {
        if (
          later.prefix === earlier.prefix ||
          !later.prefix.startsWith(earlier.prefix) ||
          later.rest !== earlier.rest
        )
          continue;
        yield message(
          types.VirtualServiceIneffectiveMatch,
          originOf(vs.resource, later.field),
          `VirtualService rule ${later.route} match ${later.match} of prefix ${later.prefix} is not used (duplicate/overlapping match in rule ${earlier.match} of prefix ${earlier.prefix} on ${earlier.route}).`,
          `Routes are tried in order and the first match wins: every path starting with ${later.prefix} also starts with ${earlier.prefix}, so rule ${earlier.route} takes them. Move rule ${later.route} above it.`,
        );
      }
    }
  }
}

function unreachable(
  vs: VirtualServiceView,
  ruleIndex: number,
  routeName: string,
  reason: string,
  catchAllName?: string | undefined,
  catchAllIndex?: number,
): AnalysisMessage {
  const hint =
    catchAllIndex === undefined
      ? undefined
      : `Rule ${catchAllName ? `"${catchAllName}"` : `#${catchAllIndex}`} has no match, so it takes every request before rule ${routeName} is tried.`;
  return message(
    types.VirtualServiceUnreachableRule,
    originOf(vs.resource, `spec.http[${ruleIndex}]`),
    `VirtualService rule ${routeName} not used (${reason}).`,
    hint,
  );
}

/**
 * IST0140, the tutorial's trap: a mesh-only VirtualService splits or mirrors a host by subset,
 * while the gateway's VirtualService sends ingress traffic to the same host without subsets.
 * VirtualServices do not chain, so the canary never sees a request that enters through the gateway.
 */
function* ingressNotAffected(world: World): Iterable<AnalysisMessage> {
  const subsetRules = world.virtualServices.filter(
    (vs) => vs.meshBound && vs.destinations.some((destination) => destination.subset !== undefined),
  );
  for (const gatewayVs of world.virtualServices) {
    if (gatewayVs.explicitGateways.length === 0) continue;
    const gateways = gatewayVs.explicitGateways.filter((ref) => ref !== 'mesh');
    if (gateways.length === 0) continue;
    for (const [ruleIndex, rule] of gatewayVs.http.entries()) {
      for (const destination of rule.route) {
        if (destination.subset !== undefined) continue;
        for (const other of subsetRules) {
          if (other === gatewayVs) continue;
          const split = other.destinations.filter(
            (d) => d.subset !== undefined && d.fqdn === destination.fqdn,
          );
          if (
            split.length === 0 ||
            !other.hosts.some(
              (host) => resolveServiceHost(host, other.resource.namespace) === destination.fqdn,
            )
          )
            continue;
          const otherName = `${other.resource.namespace}/${other.resource.name}`;
          const routeLabel = rule.prefix
            ? `${rule.prefix} route`
            : rule.name
              ? `"${rule.name}" route`
              : `route #${ruleIndex}`;
          const what = describeSplit(split);
          yield message(
            types.IngressRouteRulesNotAffected,
            originOf(gatewayVs.resource, destination.field),
            `Subset in virtual service ${otherName} has no effect on ingress gateway ${gatewayVs.resource.namespace}/${gatewayVs.resource.name} requests`,
            `${otherName} ${what} for traffic between services only (it names no gateway, so it binds to "mesh"), and VirtualServices do not chain: the canary never touches browser traffic entering through ${gateways.join(', ')}; put the ${split.some((d) => !d.mirror) ? 'weights' : 'mirror'} on ${gatewayVs.resource.name}'s ${routeLabel}.`,
          );
        }
      }
    }
  }
}

function describeSplit(destinations: readonly DestinationView[]): string {
  const routed = destinations.filter((d) => !d.mirror);
  const mirrored = destinations.filter((d) => d.mirror);
  const parts: string[] = [];
  if (routed.length > 0) {
    parts.push(
      `sends ${routed[0]?.host} to ${routed.map((d) => `subset ${d.subset}${d.weight !== undefined ? ` (${d.weight}%)` : ''}`).join(' and ')}`,
    );
  }
  if (mirrored.length > 0)
    parts.push(`mirrors it to ${mirrored.map((d) => `subset ${d.subset}`).join(' and ')}`);
  return parts.join(' and ');
}

/** IST0173 (and IST0174 for a host without a Service): a subset whose labels select no pod. */
function* subsetsWithoutPods(world: World): Iterable<AnalysisMessage> {
  for (const dr of world.destinationRules) {
    const service = world.services.get(dr.fqdn);
    if (!service) {
      yield message(
        types.UnknownDestinationRuleHost,
        originOf(dr.resource, 'spec.host'),
        `The host ${dr.host} defined in the DestinationRule does not match any services in the mesh.`,
      );
      continue;
    }
    const selector = labels(spec(service.resource).selector);
    for (const subset of dr.subsets) {
      const wanted = { ...selector, ...subset.labels };
      const selected = world.pods.some(
        (pod) =>
          pod.namespace === service.resource.namespace &&
          Object.entries(wanted).every(([k, v]) => pod.labels[k] === v),
      );
      if (selected) continue;
      yield message(
        types.DestinationRuleSubsetNotSelectPods,
        originOf(dr.resource, subset.field),
        `The Subset ${subset.name} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
        `No Deployment in ${service.resource.namespace} runs pods labelled ${Object.entries(wanted)
          .map(([k, v]) => `${k}=${v}`)
          .join(
            ', ',
          )}; requests routed to subset ${subset.name} get 503 "no healthy upstream" until one does.`,
      );
    }
  }
}

// ---- a tolerant view of the manifests -----------------------------------------------------

interface DestinationView {
  readonly host: string;
  readonly fqdn: string;
  readonly subset: string | undefined;
  readonly port: number | undefined;
  readonly weight: number | undefined;
  readonly mirror: boolean;
  /** Path of its `host`, for the line: `spec.http[0].route[1].destination.host`. */
  readonly field: string;
}

interface RuleView {
  readonly name: string | undefined;
  readonly match: readonly Record<string, unknown>[];
  readonly prefix: string | undefined;
  readonly route: readonly DestinationView[];
}

interface VirtualServiceView {
  readonly resource: StoredResource;
  /** Lower-cased. */
  readonly hosts: readonly string[];
  readonly writtenHosts: readonly string[];
  /** As written; empty means bound to `mesh` only. */
  readonly explicitGateways: readonly string[];
  readonly meshBound: boolean;
  readonly http: readonly RuleView[];
  /** Route and mirror destinations of every rule. */
  readonly destinations: readonly DestinationView[];
}

interface DestinationRuleView {
  readonly resource: StoredResource;
  readonly host: string;
  readonly fqdn: string;
  readonly subsets: readonly { name: string; labels: Record<string, string>; field: string }[];
}

interface GatewayView {
  readonly resource: StoredResource;
  /** `namespace/name`. */
  readonly fullName: string;
  readonly namespace: string;
  /** klabels' form, keys sorted: `app=x,istio=ingressgateway`; '' selects every workload. */
  readonly selector: string;
  readonly servers: readonly { port: number | undefined; hosts: readonly string[]; bind: string }[];
}

class World {
  readonly virtualServices: VirtualServiceView[] = [];
  readonly destinationRules: DestinationRuleView[] = [];
  readonly services = new Map<string, { resource: StoredResource }>();
  readonly gateways = new Map<string, GatewayView>();
  readonly pods: { namespace: string; labels: Record<string, string> }[] = [];

  constructor(resources: readonly StoredResource[]) {
    for (const resource of resources) {
      const body = spec(resource);
      if (resource.kind === 'Service') {
        this.services.set(resolveServiceHost(resource.name, resource.namespace), { resource });
      } else if (resource.kind === 'Gateway') {
        const fullName = `${resource.namespace}/${resource.name}`;
        this.gateways.set(fullName, gatewayView(resource, fullName));
      } else if (resource.kind === 'Deployment' || resource.kind === 'StatefulSet') {
        const replicas = number(body.replicas) ?? 1;
        const podLabels = labels(record(record(body.template).metadata).labels);
        if (replicas > 0) this.pods.push({ namespace: resource.namespace, labels: podLabels });
      } else if (resource.kind === 'DestinationRule') {
        const host = string(body.host) ?? '';
        this.destinationRules.push({
          resource,
          host,
          fqdn: resolveServiceHost(host, resource.namespace),
          subsets: list(body.subsets).flatMap((item, index) => {
            const name = string(record(item).name);
            return name
              ? [{ name, labels: labels(record(item).labels), field: `spec.subsets[${index}].name` }]
              : [];
          }),
        });
      } else if (resource.kind === 'VirtualService') this.virtualServices.push(virtualServiceView(resource));
    }
  }
}

function gatewayView(resource: StoredResource, fullName: string): GatewayView {
  const body = spec(resource);
  const selector = Object.entries(labels(body.selector))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const servers = list(body.servers).map((item) => {
    const server = record(item);
    return {
      port: number(record(server.port).number),
      hosts: list(server.hosts).flatMap((h) => (typeof h === 'string' ? [h] : [])),
      bind: string(server.bind) ?? '',
    };
  });
  return { resource, fullName, namespace: resource.namespace, selector, servers };
}

function virtualServiceView(resource: StoredResource): VirtualServiceView {
  const body = spec(resource);
  const namespace = resource.namespace;
  const destination = (
    value: unknown,
    weight: unknown,
    mirror: boolean,
    field: string,
  ): DestinationView[] => {
    const host = string(record(value).host);
    if (!host) return [];
    return [
      {
        host,
        fqdn: resolveServiceHost(host, namespace),
        subset: string(record(value).subset),
        port: number(record(record(value).port).number),
        weight: number(weight),
        mirror,
        field,
      },
    ];
  };
  const http = list(body.http).map((item, index): RuleView => {
    const rule = record(item);
    const match = list(rule.match).map(record);
    const at = `spec.http[${index}]`;
    const mirrors = [
      ...destination(rule.mirror, undefined, true, `${at}.mirror.host`),
      ...list(rule.mirrors).flatMap((m, j) =>
        destination(record(m).destination, undefined, true, `${at}.mirrors[${j}].destination.host`),
      ),
    ];
    return {
      name: string(rule.name),
      match,
      prefix: match.length === 1 ? string(record(match[0]?.uri).prefix) : undefined,
      route: [
        ...list(rule.route).flatMap((r, j) =>
          destination(record(r).destination, record(r).weight, false, `${at}.route[${j}].destination.host`),
        ),
        ...mirrors,
      ],
    };
  });
  const explicitGateways = list(body.gateways).flatMap((g) => (typeof g === 'string' ? [g] : []));
  const writtenHosts = list(body.hosts).flatMap((h) => (typeof h === 'string' ? [h] : []));
  return {
    resource,
    hosts: writtenHosts.map((h) => h.toLowerCase()),
    writtenHosts,
    explicitGateways,
    meshBound: explicitGateways.length === 0 || explicitGateways.includes('mesh'),
    http: http.map((rule) => ({ ...rule, route: rule.route.filter((d) => !d.mirror) })),
    destinations: http.flatMap((rule) => rule.route),
  };
}

/** The resource and where it was written: the line of `field` when known, else of the object. */
export function originOf(resource: StoredResource, field?: string): ResourceOrigin {
  const position = resource.position;
  return {
    kind: resource.kind,
    namespace: resource.namespace,
    name: resource.name,
    file: position?.file ?? resource.file,
    line: position ? ((field !== undefined ? position.lines[field] : undefined) ?? position.line) : undefined,
  };
}

function spec(resource: StoredResource): Record<string, unknown> {
  return record(resource.manifest.spec);
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function string(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function labels(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
