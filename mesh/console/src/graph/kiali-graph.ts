import { createHash } from 'node:crypto';
import type { SeriesIncrease, TrafficWindow } from '../telemetry/scraped.ts';
import { quantile } from './quantile.ts';

export type GraphType = 'versionedApp' | 'app' | 'workload' | 'service';
export const graphTypes: readonly GraphType[] = ['versionedApp', 'app', 'workload', 'service'];

export interface GraphOptions {
  readonly namespaces: readonly string[];
  /** The window asked for, seconds. */
  readonly durationSeconds: number;
  readonly graphType: GraphType;
  /** Kiali's `injectServiceNodes` (default true): a service node between a caller and the workloads. */
  readonly injectServiceNodes: boolean;
  /** Kiali's `responseTime` quantile, as a percentile (95 by default). */
  readonly responseTimePercentile: number;
  /**
   * Kiali's throughput appender (`throughputType`, default `response`): body bytes per second on
   * HTTP edges; none when the query's `appenders` leave it out.
   */
  readonly throughput?: 'request' | 'response' | undefined;
  /** Kiali's `boxBy` (default none): compound nodes around a namespace's or a cluster's nodes. */
  readonly boxBy?: readonly BoxBy[] | undefined;
}

export type BoxBy = 'app' | 'namespace' | 'cluster';
export const boxByValues: readonly BoxBy[] = ['app', 'namespace', 'cluster'];

type Rates = Record<string, string>;

export interface NodeData {
  id: string;
  parent?: string;
  nodeType: 'app' | 'service' | 'workload' | 'box' | 'unknown';
  cluster: string;
  namespace: string;
  workload?: string;
  app?: string;
  version?: string;
  service?: string;
  destServices?: { cluster: string; namespace: string; name: string }[];
  traffic?: { protocol: string; rates: Rates }[];
  healthData: null;
  isBox?: string;
  isGateway?: { ingressInfo: { hostnames?: string[] } };
  isInjected?: boolean;
  isOutside?: boolean;
  isRoot?: boolean;
  hasVS?: { hostnames: string[] };
  hasRequestRouting?: boolean;
  hasRequestTimeout?: boolean;
  hasFaultInjection?: boolean;
  hasTrafficShifting?: boolean;
  hasMirroring?: boolean;
  hasCB?: boolean;
}

export interface EdgeData {
  id: string;
  source: string;
  target: string;
  /** p-th percentile of the request duration, milliseconds, as Kiali's `responseTime`. */
  responseTime?: string;
  /** Music Mesh's addition: the traffic is a mirror's shadow copies (drawn dashed). */
  isMirror?: boolean;
  /** Bytes per second of the requests' or the responses' bodies, as Kiali's `throughput`. */
  throughput?: string;
  traffic: {
    protocol: string;
    rates?: Rates;
    responses?: Record<string, { flags: Record<string, string>; hosts: Record<string, string> }>;
  };
}

export interface KialiGraph {
  timestamp: number;
  /** The window asked for, seconds (Kiali's `duration`). */
  duration: number;
  /**
   * Music Mesh's addition: the seconds the rates were measured over, shorter than `duration` while
   * the console has not yet seen a whole window.
   */
  measuredDuration: number;
  graphType: GraphType;
  elements: { nodes: { data: NodeData }[]; edges: { data: EdgeData }[] };
}

const unknown = 'unknown';
const cluster = 'Kubernetes';

interface NodeKey {
  readonly namespace: string;
  readonly workload: string;
  readonly app: string;
  readonly version: string;
  readonly service: string;
}

interface Node {
  readonly key: string;
  readonly data: NodeData;
  readonly rates: Map<string, number>;
  readonly destServices: Map<string, { cluster: string; namespace: string; name: string }>;
}

type Protocol = 'http' | 'tcp';

/** Kiali's node rates per protocol (graph/protocol.go): requests per second, TCP bytes per second. */
const nodeRates: readonly (readonly [Protocol, readonly string[]])[] = [
  ['http', ['httpIn', 'httpInNoResponse', 'httpIn3xx', 'httpIn4xx', 'httpIn5xx', 'httpOut']],
  ['tcp', ['tcpIn', 'tcpOut']],
];

interface Edge {
  readonly source: Node;
  readonly target: Node;
  readonly protocol: Protocol;
  mirror: boolean;
  readonly series: Set<string>;
  readonly rates: Map<string, number>;
  /** code → flags → requests, code → host → requests. */
  readonly flags: Map<string, Map<string, number>>;
  readonly hosts: Map<string, Map<string, number>>;
  readonly durations: number[];
  total: number;
  /** Body bytes per second (the throughput appender). */
  throughput: number;
}

/**
 * Kiali's namespace graph (graph/telemetry/istio/istio.go `buildNamespaceTrafficMap`, rendered as
 * graph/config/common/common.go does) from the increases of one window: the same three readings
 * of `istio_requests_total` in the same order — requests a source saw fail before any destination,
 * what destinations report, what the namespaces' own workloads report as callers — with a series
 * counted once per edge even when both proxies of a hop report it. Node ids are Kiali's
 * (`vapp_<cluster>_<namespace>_<workload>`...), hashed as Kiali hashes them.
 *
 * One addition: copies sent by a `mirror` are reported by their destination only (a caller does
 * not report its shadow requests), so destination-only traffic between two workloads is the
 * mirror's; it gets its own edge from the caller straight to the shadow workload, `isMirror`.
 */
export function buildGraph(window: TrafficWindow, options: GraphOptions): KialiGraph {
  const namespaces = new Set(options.namespaces);
  const nodes = new Map<string, Node>();
  const edges = new Map<string, Edge>();
  const seconds = window.seconds > 0 ? window.seconds : 1;
  const callerPairs = new Set<string>();
  for (const series of window.series) {
    if (series.labels.reporter === 'source') callerPairs.add(pairKey(series.labels));
  }

  // Kiali's three readings, in its order, for requests and then for TCP bytes.
  const readingsOf = (all: readonly SeriesIncrease[]): SeriesIncrease[][] => [
    all.filter(
      (s) =>
        s.labels.reporter === 'source' &&
        !namespaces.has(s.labels.source_workload_namespace ?? '') &&
        s.labels.destination_workload === unknown &&
        namespaces.has(s.labels.destination_service_namespace ?? ''),
    ),
    all.filter(
      (s) =>
        s.labels.reporter === 'destination' && namespaces.has(s.labels.destination_workload_namespace ?? ''),
    ),
    all.filter(
      (s) => s.labels.reporter === 'source' && namespaces.has(s.labels.source_workload_namespace ?? ''),
    ),
  ];
  for (const reading of readingsOf(window.series)) {
    for (const series of reading) {
      const labels = series.labels;
      const mirror = labels.reporter === 'destination' && !callerPairs.has(pairKey(labels));
      addSeries(series, mirror, 'http');
    }
  }
  for (const reading of readingsOf(window.tcp)) for (const series of reading) addSeries(series, false, 'tcp');

  function addSeries(series: SeriesIncrease, mirror: boolean, protocol: Protocol): void {
    const l = series.labels;
    const source = nodeFor(sourceKey(l));
    const dest = nodeFor(destinationKey(l));
    if (!source || !dest) return;
    if (l.source_workload === 'istio-ingressgateway') source.data.isGateway = { ingressInfo: {} };
    const code = protocol === 'tcp' ? '-' : (l.response_code ?? '0');
    const flags = l.response_flags ?? '-';
    const host = l.destination_service ?? unknown;
    const seriesHash = [nodeIdOf(source), nodeIdOf(dest), code, flags, host].join(':');
    const serviceName = l.destination_service_name ?? unknown;
    const serviceNamespace = l.destination_service_namespace ?? unknown;
    const inject =
      !mirror &&
      // A service graph is built as a service-injected workload graph, then reduced (below).
      (options.injectServiceNodes || options.graphType === 'service') &&
      ok(serviceName) &&
      dest.data.nodeType !== 'service';
    if (inject) {
      const service = nodeFor(
        { namespace: serviceNamespace, workload: '', app: '', version: '', service: serviceName },
        'service',
      );
      if (!service) return;
      service.data.isInjected = true;
      if (addEdgeTraffic(source, service, series, seriesHash, code, flags, host, false, protocol)) {
        addDestService(service, serviceNamespace, serviceName);
        addEdgeTraffic(service, dest, series, seriesHash, code, flags, host, false, protocol);
        addDestService(dest, serviceNamespace, serviceName);
      }
    } else if (addEdgeTraffic(source, dest, series, seriesHash, code, flags, host, mirror, protocol)) {
      addDestService(dest, serviceNamespace, serviceName);
    }
  }

  function nodeFor(key: NodeKey, forceType?: 'service'): Node | undefined {
    const identity = forceType === 'service' ? serviceId(key) : nodeId(key, options.graphType);
    if (!identity) return undefined;
    let node = nodes.get(identity.id);
    if (!node) {
      const data: NodeData = {
        id: hash(identity.id),
        nodeType: identity.nodeType,
        cluster,
        namespace: key.namespace,
        healthData: null,
      };
      if (identity.nodeType === 'service') data.service = key.service;
      else if (identity.nodeType !== 'unknown') {
        if (ok(key.workload) && options.graphType !== 'app') data.workload = key.workload;
        if (ok(key.app) && options.graphType !== 'workload' && options.graphType !== 'service')
          data.app = key.app;
        if (options.graphType === 'versionedApp' && ok(key.version)) data.version = key.version;
      }
      if (!namespaces.has(key.namespace) && identity.nodeType !== 'unknown') data.isOutside = true;
      node = { key: identity.id, data, rates: new Map(), destServices: new Map() };
      nodes.set(identity.id, node);
    }
    return node;
  }

  function addEdgeTraffic(
    source: Node,
    target: Node,
    series: SeriesIncrease,
    seriesHash: string,
    code: string,
    flags: string,
    host: string,
    mirror: boolean,
    protocol: Protocol,
  ): boolean {
    const key = `${source.key}>${target.key}>${protocol}${mirror ? '>mirror' : ''}`;
    let edge = edges.get(key);
    if (!edge) {
      edge = {
        source,
        target,
        protocol,
        mirror,
        series: new Set(),
        rates: new Map(),
        flags: new Map(),
        hosts: new Map(),
        durations: [],
        total: 0,
        throughput: 0,
      };
      edges.set(key, edge);
    }
    if (edge.series.has(seriesHash)) return false;
    edge.series.add(seriesHash);
    const rate = series.requests / seconds;
    const group = protocol === 'http' ? statusGroup(code) : undefined;
    add(edge.rates, protocol, rate);
    if (group) add(edge.rates, group, rate);
    edge.total += rate;
    add(nested(edge.flags, code), flags, rate);
    add(nested(edge.hosts, code), host, rate);
    series.durations.forEach((count, i) => {
      edge.durations[i] = (edge.durations[i] ?? 0) + count;
    });
    // A caller does not send its mirror's copies: they are not part of its outgoing requests.
    if (!mirror) add(source.rates, `${protocol}Out`, rate);
    add(target.rates, `${protocol}In`, rate);
    if (group) add(target.rates, group.replace('http', 'httpIn'), rate);
    return true;
  }

  function addDestService(node: Node, namespace: string, name: string): void {
    if (ok(name)) node.destServices.set(`${namespace}/${name}`, { cluster, namespace, name });
  }

  if (options.throughput) addThroughput(options.throughput);

  /**
   * Kiali's throughput appender (graph/telemetry/istio/appender/throughput.go): the bytes of what
   * one reporter saw (responses: the destination's proxy; requests: the source's), callers outside
   * the namespaces to its services and the namespaces' own callers, put on the edge into the
   * destination (from its service node when service nodes are injected); a mirror's copies, which
   * only destinations report, on their own edge.
   */
  function addThroughput(kind: 'request' | 'response'): void {
    const reporter = kind === 'response' ? 'destination' : 'source';
    for (const series of window.series) {
      const l = series.labels;
      const bytes = kind === 'response' ? series.responseBytes : series.requestBytes;
      if (l.reporter !== reporter || !bytes) continue;
      const inside = namespaces.has(l.source_workload_namespace ?? '');
      if (!inside && !namespaces.has(l.destination_service_namespace ?? '')) continue;
      const mirror = reporter === 'destination' && !callerPairs.has(pairKey(l));
      const destination = nodes.get(nodeId(destinationKey(l), options.graphType)?.id ?? '');
      if (!destination) continue;
      const serviceName = l.destination_service_name ?? unknown;
      const service =
        !mirror && (options.injectServiceNodes || options.graphType === 'service') && ok(serviceName)
          ? nodes.get(
              serviceId({
                namespace: l.destination_service_namespace ?? unknown,
                workload: '',
                app: '',
                version: '',
                service: serviceName,
              })?.id ?? '',
            )
          : undefined;
      const source = service ?? nodes.get(nodeId(sourceKey(l), options.graphType)?.id ?? '');
      if (!source) continue;
      const edge = edges.get(`${source.key}>${destination.key}>http${mirror ? '>mirror' : ''}`);
      if (edge) edge.throughput += bytes / seconds;
    }
  }

  if (options.graphType === 'service') reduceToServiceGraph(nodes, edges);
  const nodeList = [...nodes.values()];
  for (const node of nodeList) {
    const traffic: { protocol: string; rates: Rates }[] = [];
    for (const [protocol, names] of nodeRates) {
      const rates: Rates = {};
      for (const name of names) {
        const value = node.rates.get(name) ?? 0;
        if (value > 0) rates[name] = value.toFixed(2);
      }
      if (Object.keys(rates).length > 0) traffic.push({ protocol, rates });
    }
    if (traffic.length > 0) node.data.traffic = traffic;
    if (node.destServices.size > 0)
      node.data.destServices = [...node.destServices.values()].sort((a, b) =>
        a.namespace === b.namespace ? compare(a.name, b.name) : compare(a.namespace, b.namespace),
      );
  }
  const hasIncoming = new Set([...edges.values()].map((edge) => edge.target.key));
  for (const node of nodeList)
    if (!hasIncoming.has(node.key) && (node.rates.has('httpOut') || node.rates.has('tcpOut')))
      node.data.isRoot = true;

  const edgeList = [...edges.values()].map((edge) =>
    edgeData(edge, options.responseTimePercentile, window.bounds),
  );
  // Inner boxes first, as Kiali adds them: apps (always in the app graphs), namespaces, clusters.
  const boxes = options.graphType === 'app' || options.graphType === 'versionedApp' ? appBoxes(nodeList) : [];
  const roots = () => [...boxes, ...nodeList.map((node) => node.data)].filter((data) => !data.parent);
  if (options.boxBy?.includes('namespace'))
    boxes.push(...outerBoxes(roots(), 'namespace', (data) => `box_${data.cluster}_${data.namespace}`));
  if (options.boxBy?.includes('cluster'))
    boxes.push(...outerBoxes(roots(), 'cluster', (data) => `box_${data.cluster}`));
  const allNodes = [...boxes, ...nodeList.map((node) => node.data)].sort(compareNodes);
  edgeList.sort(
    (a, b) =>
      compare(a.source, b.source) ||
      compare(a.target, b.target) ||
      compare(a.traffic.protocol, b.traffic.protocol) ||
      compare(String(a.isMirror), String(b.isMirror)),
  );
  return {
    timestamp: Math.floor(window.at / 1000),
    duration: options.durationSeconds,
    measuredDuration: Math.round(window.seconds * 1000) / 1000,
    graphType: options.graphType,
    elements: { nodes: allNodes.map((data) => ({ data })), edges: edgeList.map((data) => ({ data })) },
  };
}

/**
 * Kiali's service graph (graph/telemetry/common.go `ReduceToServiceGraph`): the workload nodes of
 * the service-injected graph go; a service's edges to its workloads become edges to the services
 * those workloads call, their traffic summed (histograms too, so their percentiles stay exact);
 * a caller that is no service stays only as a root with its edges to services.
 */
function reduceToServiceGraph(nodes: Map<string, Node>, edges: Map<string, Edge>): void {
  const outgoing = new Map<string, Edge[]>();
  const incoming = new Set<string>();
  for (const edge of edges.values()) {
    outgoing.set(edge.source.key, [...(outgoing.get(edge.source.key) ?? []), edge]);
    incoming.add(edge.target.key);
  }
  const isService = (node: Node) => node.data.nodeType === 'service';
  const reduced = new Map<string, Edge>();
  const resetOut = (node: Node) => {
    node.rates.delete('httpOut');
    node.rates.delete('tcpOut');
  };
  for (const node of [...nodes.values()]) {
    const out = outgoing.get(node.key) ?? [];
    if (!isService(node)) {
      const toServices = out.filter((edge) => isService(edge.target));
      if (incoming.has(node.key) || toServices.length === 0) {
        nodes.delete(node.key);
        continue;
      }
      resetOut(node);
      for (const edge of toServices) {
        reduced.set(`${node.key}>${edge.target.key}>${edge.protocol}`, edge);
        add(node.rates, `${edge.protocol}Out`, edge.total);
      }
      continue;
    }
    resetOut(node);
    for (const toWorkload of out) {
      for (const toService of outgoing.get(toWorkload.target.key) ?? []) {
        if (!isService(toService.target)) continue;
        const key = `${node.key}>${toService.target.key}>${toService.protocol}`;
        const merged = reduced.get(key) ?? emptyEdge(node, toService.target, toService.protocol);
        reduced.set(key, merged);
        mergeEdge(merged, toService);
        add(node.rates, `${toService.protocol}Out`, toService.total);
      }
    }
  }
  edges.clear();
  for (const [key, edge] of reduced) edges.set(key, edge);
}

function emptyEdge(source: Node, target: Node, protocol: Protocol): Edge {
  return {
    source,
    target,
    protocol,
    mirror: false,
    series: new Set(),
    rates: new Map(),
    flags: new Map(),
    hosts: new Map(),
    durations: [],
    total: 0,
    throughput: 0,
  };
}

function mergeEdge(into: Edge, from: Edge): void {
  for (const [name, value] of from.rates) add(into.rates, name, value);
  for (const [code, flags] of from.flags)
    for (const [flag, value] of flags) add(nested(into.flags, code), flag, value);
  for (const [code, hosts] of from.hosts)
    for (const [host, value] of hosts) add(nested(into.hosts, code), host, value);
  from.durations.forEach((count, i) => {
    into.durations[i] = (into.durations[i] ?? 0) + count;
  });
  into.total += from.total;
  into.throughput += from.throughput;
}

function edgeData(edge: Edge, percentile: number, bounds: readonly number[]): EdgeData {
  const total = edge.total;
  const rates: Rates = {};
  const protocol = edge.protocol;
  for (const name of protocol === 'http'
    ? ['http', 'httpNoResponse', 'http3xx', 'http4xx', 'http5xx']
    : ['tcp']) {
    const value = edge.rates.get(name) ?? 0;
    if (value > 0) rates[name] = value.toFixed(2);
  }
  const errors =
    (edge.rates.get('http4xx') ?? 0) +
    (edge.rates.get('http5xx') ?? 0) +
    (edge.rates.get('httpNoResponse') ?? 0);
  if (total > 0 && errors > 0) rates.httpPercentErr = ((errors / total) * 100).toFixed(1);
  const out = edge.source.rates.get(`${protocol}Out`) ?? 0;
  if (protocol === 'http' && total > 0 && out > 0) rates.httpPercentReq = ((total / out) * 100).toFixed(1);
  const responses: NonNullable<EdgeData['traffic']['responses']> = {};
  for (const [code, flags] of edge.flags) {
    responses[code] = {
      flags: Object.fromEntries(
        [...flags].map(([flag, value]) => [flag, ((value / total) * 100).toFixed(1)]),
      ),
      hosts: Object.fromEntries(
        [...(edge.hosts.get(code) ?? [])].map(([host, value]) => [host, ((value / total) * 100).toFixed(1)]),
      ),
    };
  }
  const data: EdgeData = {
    id: hash(`${edge.source.data.id}.${edge.target.data.id}.${protocol}${edge.mirror ? '.mirror' : ''}`),
    source: edge.source.data.id,
    target: edge.target.data.id,
    traffic: { protocol, rates, responses },
  };
  const time = quantile(percentile / 100, bounds, edge.durations);
  if (time !== undefined) data.responseTime = time.toFixed(0);
  if (edge.mirror) data.isMirror = true;
  if (edge.throughput > 0) data.throughput = edge.throughput.toFixed(0);
  return data;
}

/** The caller of a series, as a node. */
function sourceKey(l: Readonly<Record<string, string>>): NodeKey {
  return {
    namespace: l.source_workload_namespace ?? unknown,
    workload: l.source_workload ?? unknown,
    app: l.source_canonical_service ?? unknown,
    version: l.source_canonical_revision ?? unknown,
    service: '',
  };
}

/** The destination of a series, as a node: its workload, or its service when none answered. */
function destinationKey(l: Readonly<Record<string, string>>): NodeKey {
  return {
    namespace: ok(l.destination_workload_namespace)
      ? (l.destination_workload_namespace as string)
      : (l.destination_service_namespace ?? unknown),
    workload: l.destination_workload ?? unknown,
    app: l.destination_canonical_service ?? unknown,
    version: l.destination_canonical_revision ?? unknown,
    service: l.destination_service_name ?? unknown,
  };
}

/** Kiali's boxByApp: a compound node per app, parent of its versions (versionedApp) or nodes. */
function appBoxes(nodes: readonly Node[]): NodeData[] {
  const members = new Map<string, NodeData[]>();
  for (const { data } of nodes) {
    if (!data.app || data.app === unknown || data.nodeType === 'service') continue;
    const key = `box_${data.cluster}_${data.namespace}_${data.app}`;
    members.set(key, [...(members.get(key) ?? []), data]);
  }
  const boxes: NodeData[] = [];
  for (const [key, children] of members) {
    const first = children[0] as NodeData;
    // Kiali boxes an app only when the box would hold more than the one node (versions).
    if (children.length < 2) continue;
    const box: NodeData = {
      id: hash(key),
      nodeType: 'box',
      cluster: first.cluster,
      namespace: first.namespace,
      app: first.app as string,
      healthData: null,
      isBox: 'app',
    };
    for (const child of children) child.parent = box.id;
    boxes.push(box);
  }
  return boxes;
}

/**
 * Kiali's boxByNamespace and boxByCluster (graph/config/common/common.go): a compound node around
 * the unboxed nodes (and boxes) of each namespace or cluster, only when there is more than one
 * such box to draw and it would hold more than one node; never around unknown.
 */
function outerBoxes(
  roots: readonly NodeData[],
  kind: 'namespace' | 'cluster',
  keyOf: (data: NodeData) => string,
): NodeData[] {
  const members = new Map<string, NodeData[]>();
  for (const data of roots) {
    if ((kind === 'namespace' ? data.namespace : data.cluster) === unknown) continue;
    const key = keyOf(data);
    members.set(key, [...(members.get(key) ?? []), data]);
  }
  if (members.size < 2) return [];
  const boxes: NodeData[] = [];
  for (const [key, children] of members) {
    if (children.length < 2) continue;
    const first = children[0] as NodeData;
    const box: NodeData = {
      id: hash(key),
      nodeType: 'box',
      cluster: first.cluster,
      namespace: kind === 'namespace' ? first.namespace : '',
      healthData: null,
      isBox: kind,
    };
    for (const child of children) child.parent = box.id;
    boxes.push(box);
  }
  return boxes;
}

/** graph/types.go `Id`: the node a set of labels is in this graph type. */
function nodeId(
  key: NodeKey,
  graphType: GraphType,
): { id: string; nodeType: NodeData['nodeType'] } | undefined {
  const { namespace, workload, app, version, service } = key;
  if (namespace === unknown && workload === unknown && app === unknown && service === '')
    return { id: `${cluster}_unknown_source`, nodeType: 'unknown' };
  if (workload === unknown && app === unknown && service === unknown)
    return { id: `svc_${cluster}_${namespace}_unknown`, nodeType: 'service' };
  if (!ok(workload) && !ok(app) && !ok(service)) return undefined;
  if (graphType === 'workload' || graphType === 'service') {
    if (!ok(workload))
      return { id: `svc_${cluster}_${namespace}_${ok(service) ? service : unknown}`, nodeType: 'service' };
    return { id: `wl_${cluster}_${namespace}_${workload}`, nodeType: 'workload' };
  }
  if (ok(app)) {
    if (graphType === 'versionedApp') {
      if (ok(workload)) return { id: `vapp_${cluster}_${namespace}_${workload}`, nodeType: 'app' };
      if (ok(version)) return { id: `vapp_${cluster}_${namespace}_${app}_${version}`, nodeType: 'app' };
    }
    return { id: `app_${cluster}_${namespace}_${app}`, nodeType: 'app' };
  }
  if (ok(workload)) return { id: `wl_${cluster}_${namespace}_${workload}`, nodeType: 'workload' };
  return { id: `svc_${cluster}_${namespace}_${service}`, nodeType: 'service' };
}

function serviceId(key: NodeKey): { id: string; nodeType: 'service' } {
  return { id: `svc_${cluster}_${key.namespace}_${key.service}`, nodeType: 'service' };
}

function pairKey(labels: Readonly<Record<string, string>>): string {
  return `${labels.source_workload_namespace}/${labels.source_workload}>${labels.destination_workload_namespace}/${labels.destination_workload}`;
}

function statusGroup(code: string): string | undefined {
  if (code === '0') return 'httpNoResponse';
  const first = code[0];
  return first === '3' || first === '4' || first === '5' ? `http${first}xx` : undefined;
}

function nodeIdOf(node: Node): string {
  return node.key;
}

function ok(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== unknown;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function nested(map: Map<string, Map<string, number>>, key: string): Map<string, number> {
  let inner = map.get(key);
  if (!inner) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kiali's order: boxes first, then namespace, app, version, service, workload. */
/** Kiali's order: parents before their children (clusters, namespaces, apps, then nodes). */
const boxRank: Record<string, number> = { cluster: 0, namespace: 1, app: 2 };

function compareNodes(a: NodeData, b: NodeData): number {
  if ((a.isBox ?? '') !== (b.isBox ?? ''))
    return (boxRank[a.isBox ?? ''] ?? 3) - (boxRank[b.isBox ?? ''] ?? 3);
  return (
    compare(a.namespace, b.namespace) ||
    compare(a.app ?? '', b.app ?? '') ||
    compare(a.version ?? '', b.version ?? '') ||
    compare(a.service ?? '', b.service ?? '') ||
    compare(a.workload ?? '', b.workload ?? '')
  );
}
