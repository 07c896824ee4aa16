import type { EdgeLabelMode, GraphAnswer, GraphEdgeData, GraphNodeData, GraphType, Rates } from './graph-api';
import { type Health, health } from './health';

/** A node as the graph draws it and the table lists it, its figures read once from the API's strings. */
export interface ViewNode {
  readonly id: string;
  readonly parent: string | undefined;
  readonly kind: GraphNodeData['nodeType'];
  /** What the table and screen readers call it: `back v1`, `back`, `back-v1`. */
  readonly name: string;
  /** What the graph writes on it: inside an app's box only the version. */
  readonly label: string;
  readonly gateway: boolean;
  /** Outside the namespace shown (the ingress gateway's istio-system). */
  readonly outside: boolean;
  /** Requests per second received and sent (TCP: bytes per second). */
  readonly inRate: number;
  readonly outRate: number;
  readonly protocol: 'http' | 'tcp' | undefined;
  /** Share of the requests received that failed (4xx, 5xx, no response), percent. */
  readonly errorPercent: number | undefined;
  readonly health: Health;
  /** The routing Istio applies to a service node: traffic shifting, mirroring... */
  readonly routing: readonly string[];
  /** The labels the side panel asks the metrics, logs and routing about. */
  readonly namespace: string;
  readonly workload: string | undefined;
  readonly app: string | undefined;
  readonly version: string | undefined;
  readonly service: string | undefined;
  /** The Services (in the node's namespace) its requests were addressed to. */
  readonly destServices: readonly string[];
  /** Every configuration flag, for the side panel: virtual service, request timeout, circuit breaker... */
  readonly flags: readonly string[];
}

export interface ViewEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly sourceName: string;
  readonly targetName: string;
  readonly protocol: 'http' | 'tcp';
  /** Requests per second (TCP: bytes per second). */
  readonly rate: number;
  /** Share of the source's requests, percent (Kiali's httpPercentReq). */
  readonly share: number | undefined;
  /** Share of the edge's requests that failed, percent (httpPercentErr). */
  readonly errorPercent: number | undefined;
  readonly p95Ms: number | undefined;
  /** Response bodies' bytes per second (HTTP). */
  readonly throughput: number | undefined;
  readonly mirror: boolean;
  readonly health: Health;
  readonly label: string;
}

export interface GraphView {
  readonly graphType: GraphType;
  readonly windowSeconds: number;
  readonly measuredSeconds: number;
  readonly timestamp: number;
  /** Boxes first, then the nodes, in the API's order. */
  readonly nodes: readonly ViewNode[];
  readonly edges: readonly ViewEdge[];
}

/** The API's answer as the page shows it. */
export function graphView(answer: GraphAnswer): GraphView {
  const boxed = new Set(answer.elements.nodes.map(({ data }) => data.parent).filter(Boolean));
  const nodes = answer.elements.nodes.map(({ data }) => viewNode(data, boxed.has(data.id)));
  const names = new Map(nodes.map((node) => [node.id, node.name]));
  const edges = answer.elements.edges.map(({ data }) => viewEdge(data, names));
  return {
    graphType: answer.graphType,
    windowSeconds: answer.duration,
    measuredSeconds: answer.measuredDuration,
    timestamp: answer.timestamp,
    nodes,
    edges,
  };
}

function viewNode(data: GraphNodeData, isBox: boolean): ViewNode {
  const name = nodeName(data);
  const http = data.traffic?.find((t) => t.protocol === 'http')?.rates;
  const tcp = data.traffic?.find((t) => t.protocol === 'tcp')?.rates;
  const inRate = http ? rate(http, 'httpIn') : rate(tcp, 'tcpIn');
  const errors = rate(http, 'httpIn4xx') + rate(http, 'httpIn5xx') + rate(http, 'httpInNoResponse');
  const routing = [
    data.hasTrafficShifting && 'traffic shifting',
    data.hasMirroring && 'mirroring',
    data.hasFaultInjection && 'fault injection',
  ].filter((flag): flag is string => typeof flag === 'string');
  const flags = [
    data.isGateway !== undefined && 'gateway',
    data.isRoot && 'root (sends, receives nothing)',
    data.isOutside && 'outside the namespace',
    data.hasVS !== undefined && 'virtual service',
    data.hasRequestRouting && 'request routing',
    ...routing,
    data.hasRequestTimeout && 'request timeout',
    data.hasCB && 'circuit breaker',
  ].filter((flag): flag is string => typeof flag === 'string');
  return {
    id: data.id,
    parent: data.parent,
    kind: isBox ? 'box' : data.nodeType,
    name,
    label: data.parent && data.version ? data.version : name,
    gateway: data.isGateway !== undefined,
    outside: data.isOutside === true,
    inRate,
    outRate: http ? rate(http, 'httpOut') : rate(tcp, 'tcpOut'),
    protocol: http ? 'http' : tcp ? 'tcp' : undefined,
    errorPercent: http && inRate > 0 ? (errors / inRate) * 100 : undefined,
    health:
      http && inRate > 0
        ? health({ total: inRate, http4xx: rate(http, 'httpIn4xx'), http5xx: rate(http, 'httpIn5xx') })
        : http || tcp
          ? 'healthy'
          : 'idle',
    routing,
    namespace: data.namespace,
    workload: data.workload,
    app: data.app,
    version: data.version,
    service: data.service,
    destServices: (data.destServices ?? [])
      .filter((service) => service.namespace === data.namespace)
      .map((service) => service.name),
    flags,
  };
}

/** Kiali's names: an app with its version in the versioned-app graph, a workload, a service. */
function nodeName(data: GraphNodeData): string {
  switch (data.nodeType) {
    case 'box':
      return data.app ?? 'app';
    case 'service':
      return data.service ?? 'unknown';
    case 'workload':
      return data.workload ?? 'unknown';
    case 'app':
      return data.version ? `${data.app} ${data.version}` : (data.app ?? 'unknown');
    case 'unknown':
      return 'unknown';
  }
}

// Kiali's names for an edge's share of its source's requests and its own failed share.
const shareKey = 'httpPercentReq';
const errorKey = 'httpPercentErr';

function viewEdge(data: GraphEdgeData, names: ReadonlyMap<string, string>): ViewEdge {
  const rates = data.traffic.rates;
  const protocol = data.traffic.protocol === 'tcp' ? 'tcp' : 'http';
  const total = rate(rates, protocol);
  const share = optional(rates?.[shareKey]);
  const errorPercent = optional(rates?.[errorKey]) ?? (protocol === 'http' ? 0 : undefined);
  const p95Ms = optional(data.responseTime);
  const mirror = data.isMirror === true;
  const edge = {
    id: data.id,
    source: data.source,
    target: data.target,
    sourceName: names.get(data.source) ?? 'unknown',
    targetName: names.get(data.target) ?? 'unknown',
    protocol,
    rate: total,
    share,
    errorPercent,
    p95Ms,
    throughput: optional(data.throughput),
    mirror,
    health:
      protocol === 'http'
        ? health({ total, http4xx: rate(rates, 'http4xx'), http5xx: rate(rates, 'http5xx') })
        : total > 0
          ? 'healthy'
          : 'idle',
  } as const;
  return { ...edge, label: edgeLabel(edge) };
}

/**
 * What an edge says on the graph: with `all`, its figures on one or two short lines (rate and
 * share, then errors and p95); otherwise the one figure asked for (nothing where it has none).
 */
export function edgeLabel(edge: Omit<ViewEdge, 'label'>, mode: EdgeLabelMode = 'all'): string {
  if (mode === 'none') return '';
  if (mode === 'rate') return formatRate(edge.rate, edge.protocol);
  if (mode === 'share') return edge.share === undefined ? '' : formatPercent(edge.share);
  if (mode === 'p95') return edge.p95Ms === undefined ? '' : formatMs(edge.p95Ms);
  if (mode === 'throughput') return edge.throughput === undefined ? '' : formatRate(edge.throughput, 'tcp');
  const first = [formatRate(edge.rate, edge.protocol)];
  if (edge.share !== undefined && edge.share < 100) first.push(`${formatPercent(edge.share)}`);
  if (edge.mirror) first.push('mirror');
  const second: string[] = [];
  if (edge.errorPercent) second.push(`${formatPercent(edge.errorPercent)} err`);
  if (edge.p95Ms !== undefined) second.push(`p95 ${formatMs(edge.p95Ms)}`);
  return [first.join(' · '), second.join(' · ')].filter((line) => line !== '').join('\n');
}

export function formatRate(value: number, protocol: 'http' | 'tcp'): string {
  if (protocol === 'tcp') {
    if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(1)} MB/s`;
    if (value >= 1_000) return `${(value / 1_000).toFixed(1)} kB/s`;
    return `${value.toFixed(0)} B/s`;
  }
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} rps`;
}

export function formatPercent(value: number): string {
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)}%`;
}

export function formatMs(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

/** A cytoscape element as `cy.add()` takes it (kept free of cytoscape's types: this module is pure). */
export interface Element {
  readonly group: 'nodes' | 'edges';
  readonly data: { readonly id: string; readonly [name: string]: string | number | boolean | undefined };
  readonly classes: string;
}

/** The view as cytoscape elements: health, kind and mirror as classes the style sheet colours. */
export function cytoscapeElements(view: GraphView, labels: EdgeLabelMode = 'all'): Element[] {
  const nodes = view.nodes.map(
    (node): Element => ({
      group: 'nodes',
      data: { id: node.id, parent: node.parent, label: node.label, name: node.name },
      classes: [
        `kind-${node.kind}`,
        `health-${node.health}`,
        node.gateway ? 'gateway' : '',
        node.outside ? 'outside' : '',
      ]
        .filter(Boolean)
        .join(' '),
    }),
  );
  const edges = view.edges.map(
    (edge): Element => ({
      group: 'edges',
      data: {
        id: edge.id,
        source: edge.source,
        target: edge.target,
        label: labels === 'all' ? edge.label : edgeLabel(edge, labels),
      },
      classes: [`health-${edge.health}`, edge.protocol, edge.mirror ? 'mirror' : '']
        .filter(Boolean)
        .join(' '),
    }),
  );
  return [...nodes, ...edges];
}

function rate(rates: Rates | undefined, name: string): number {
  const value = Number(rates?.[name] ?? 0);
  return Number.isFinite(value) ? value : 0;
}

function optional(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
