/** The graph API's answer as the page reads it: Kiali's JSON (mesh/console/src/graph/kiali-graph.ts). */
export type GraphType = 'versionedApp' | 'app' | 'workload' | 'service';

export type Rates = Readonly<Record<string, string>>;

export interface GraphNodeData {
  readonly id: string;
  readonly parent?: string;
  readonly nodeType: 'app' | 'service' | 'workload' | 'box' | 'unknown';
  readonly namespace: string;
  readonly workload?: string;
  readonly app?: string;
  readonly version?: string;
  readonly service?: string;
  /** The Services the node's requests were addressed to. */
  readonly destServices?: readonly { readonly namespace: string; readonly name: string }[];
  readonly traffic?: readonly { readonly protocol: string; readonly rates: Rates }[];
  readonly isBox?: string;
  readonly isGateway?: unknown;
  readonly isOutside?: boolean;
  readonly isRoot?: boolean;
  readonly hasVS?: unknown;
  readonly hasTrafficShifting?: boolean;
  readonly hasMirroring?: boolean;
  readonly hasFaultInjection?: boolean;
  readonly hasRequestRouting?: boolean;
  readonly hasRequestTimeout?: boolean;
  readonly hasCB?: boolean;
}

export interface GraphEdgeData {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** The window's p95 (the API's default `responseTime`), milliseconds. */
  readonly responseTime?: string;
  /** Response bodies' bytes per second (Kiali's `throughput`, `throughputType=response`). */
  readonly throughput?: string;
  readonly isMirror?: boolean;
  readonly traffic: { readonly protocol: string; readonly rates?: Rates };
}

export interface GraphAnswer {
  readonly timestamp: number;
  /** The window asked for, seconds. */
  readonly duration: number;
  /** The seconds the rates were measured over: less than `duration` until a whole window is seen. */
  readonly measuredDuration: number;
  readonly graphType: GraphType;
  readonly elements: {
    readonly nodes: readonly { readonly data: GraphNodeData }[];
    readonly edges: readonly { readonly data: GraphEdgeData }[];
  };
}

export const graphTypes: readonly { readonly value: GraphType; readonly label: string }[] = [
  { value: 'versionedApp', label: 'Versioned app' },
  { value: 'app', label: 'App' },
  { value: 'workload', label: 'Workload' },
  { value: 'service', label: 'Service' },
];

/** What the graph writes on its edges, as Kiali's "Edge labels" menu (the tables show every figure). */
export const edgeLabelModes = [
  { value: 'all', label: 'Rate, share, errors, p95' },
  { value: 'rate', label: 'Request rate' },
  { value: 'share', label: 'Share of source' },
  { value: 'p95', label: 'p95 latency' },
  { value: 'throughput', label: 'Throughput' },
  { value: 'none', label: 'None' },
] as const;
export type EdgeLabelMode = (typeof edgeLabelModes)[number]['value'];

export const windows = ['1m', '5m', '15m'] as const;
export type Window = (typeof windows)[number];

export const refreshIntervals = [
  { value: 'off', label: 'Off', ms: 0 },
  { value: '5s', label: 'Every 5 s', ms: 5_000 },
  { value: '10s', label: 'Every 10 s', ms: 10_000 },
  { value: '30s', label: 'Every 30 s', ms: 30_000 },
] as const;
export type RefreshInterval = (typeof refreshIntervals)[number]['value'];

/** The graph query the page sends: Kiali's parameters, service nodes injected as Kiali's page does. */
export function graphQuery(namespace: string, graphType: GraphType, window: Window): string {
  const params = new URLSearchParams({
    namespaces: namespace,
    graphType,
    injectServiceNodes: 'true',
    duration: window,
  });
  return `/api/namespaces/graph?${params}`;
}
