import type { Window } from './graph-api';
import type { GraphView, ViewEdge, ViewNode } from './graph-view';

/** What the side panel shows: a node or an edge of the graph, by id (`?node=` or `?edge=`). */
export interface Selection {
  readonly kind: 'node' | 'edge';
  readonly id: string;
}

/** /api/metrics' filter, as the graph's own edges are made of the same readings. */
export interface MetricsFilter {
  readonly source?: string;
  readonly destination?: string;
  readonly service?: string;
}

/** Whose access-log lines and traces: a workload's, or a Service's (through its workloads). */
export type RequestsOf =
  | { readonly workload: string }
  | { readonly service: string; readonly workloads: readonly string[] };

/** The Service whose routing explains the element, and what of it reaches the element. */
export interface RoutingOf {
  readonly service: string;
  /** Set for a workload or version: only its subsets count. */
  readonly workload?: string;
  /** The pod labels the graph knows of it (app, version), for subsets the runtime names no workload for. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PanelTarget {
  readonly selection: Selection;
  /** `back v2`, `back → back v2`, `istio-ingressgateway latest → back v3 (mirror)`. */
  readonly title: string;
  readonly node: ViewNode | undefined;
  readonly edge: ViewEdge | undefined;
  readonly metrics: MetricsFilter | undefined;
  /** What the chart counts, in words. */
  readonly metricsNote: string;
  readonly requests: RequestsOf | undefined;
  readonly routing: RoutingOf | undefined;
}

/** The title of an edge, as the table's Details button names it. */
export function edgeTitle(edge: Pick<ViewEdge, 'sourceName' | 'targetName' | 'mirror'>): string {
  return `${edge.sourceName} → ${edge.targetName}${edge.mirror ? ' (mirror)' : ''}`;
}

/** The selected element of `view` and what to ask about it; undefined when the graph lacks it. */
export function panelTarget(view: GraphView, selection: Selection): PanelTarget | undefined {
  const nodes = new Map(view.nodes.map((node) => [node.id, node]));
  if (selection.kind === 'node') {
    const node = nodes.get(selection.id);
    return node ? nodeTarget(view, node, selection) : undefined;
  }
  const edge = view.edges.find((e) => e.id === selection.id);
  const source = edge && nodes.get(edge.source);
  const target = edge && nodes.get(edge.target);
  if (!edge || !source || !target) return undefined;
  const metrics: { source?: string; destination?: string; service?: string } = {};
  // A service node stands for the Service the requests were addressed to, not for a caller.
  if (source.kind === 'service' && source.service) metrics.service = source.service;
  else if (source.workload) metrics.source = source.workload;
  if (target.kind === 'service' && target.service) metrics.service = target.service;
  else if (target.workload) metrics.destination = target.workload;
  const workload = target.workload ?? source.workload;
  const service =
    target.kind === 'service'
      ? target.service
      : source.kind === 'service'
        ? source.service
        : onlyOne(target.destServices);
  const counted = metrics.destination !== undefined ? `${target.name} received` : `${source.name} sent`;
  return {
    selection,
    title: edgeTitle(edge),
    node: undefined,
    edge,
    metrics: Object.keys(metrics).length > 0 ? metrics : undefined,
    metricsNote: `requests ${counted}${metrics.destination && metrics.source ? ` from ${source.name}` : ''}`,
    requests: workload ? { workload } : undefined,
    routing: service ? routingOf(service, target.kind === 'service' ? undefined : target) : undefined,
  };
}

function nodeTarget(view: GraphView, node: ViewNode, selection: Selection): PanelTarget {
  const base = { selection, title: node.name, node, edge: undefined };
  if (node.kind === 'service' && node.service) {
    const behind = view.edges
      .filter((edge) => edge.source === node.id)
      .map((edge) => view.nodes.find((n) => n.id === edge.target)?.workload)
      .filter((workload): workload is string => workload !== undefined);
    return {
      ...base,
      metrics: { service: node.service },
      metricsNote: `requests sent to Service ${node.service}`,
      requests: { service: node.service, workloads: [...new Set(behind)] },
      routing: { service: node.service },
    };
  }
  const service = onlyOne(node.destServices);
  if (node.workload) {
    // A root (the gateway) receives nothing: what it sends is its traffic.
    const received = node.inRate > 0 || node.outRate === 0;
    return {
      ...base,
      metrics: received ? { destination: node.workload } : { source: node.workload },
      metricsNote: `requests ${node.name} ${received ? 'received' : 'sent'}`,
      requests: { workload: node.workload },
      routing: service ? routingOf(service, node) : undefined,
    };
  }
  return {
    ...base,
    metrics: service ? { service } : undefined,
    metricsNote: service ? `requests sent to Service ${service}` : '',
    requests: undefined,
    routing: service ? { service } : undefined,
  };
}

function routingOf(service: string, node: ViewNode | undefined): RoutingOf {
  if (!node) return { service };
  const labels = {
    ...(node.app ? { app: node.app } : {}),
    ...(node.version ? { version: node.version } : {}),
  };
  return { service, ...(node.workload ? { workload: node.workload } : {}), labels };
}

function onlyOne(values: readonly string[]): string | undefined {
  return values.length === 1 ? values[0] : undefined;
}

/** Points a window is drawn with: about 12 to 30 of them. */
export const stepOf: Readonly<Record<Window, string>> = { '1m': '5s', '5m': '15s', '15m': '30s' };

export function metricsUrl(namespace: string, filter: MetricsFilter, window: Window): string {
  const params = new URLSearchParams({ namespaces: namespace });
  for (const name of ['source', 'destination', 'service'] as const) {
    const value = filter[name];
    if (value !== undefined) params.set(name, value);
  }
  params.set('duration', window);
  params.set('step', stepOf[window]);
  return `/api/metrics?${params}`;
}

/** A workload's lines directly; a Service's from a longer tail, kept to its workloads by the panel. */
export function requestsUrl(kind: 'logs' | 'traces', namespace: string, of: RequestsOf): string {
  const params = new URLSearchParams({ namespaces: namespace });
  if ('workload' in of) params.set('workload', of.workload);
  params.set('limit', String('workload' in of ? (kind === 'logs' ? 20 : 10) : kind === 'logs' ? 200 : 100));
  return `/api/${kind}?${params}`;
}

export function routingUrl(namespace: string, service: string): string {
  return `/api/routing?${new URLSearchParams({ namespaces: namespace, service })}`;
}
