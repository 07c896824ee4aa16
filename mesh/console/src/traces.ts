import type { RouteComparisonSummary } from '../../src/telemetry/mirror-comparison.ts';
import type { RecentRequest } from '../../src/telemetry/recent.ts';

/** Where the console reads the last requests and the mirror comparison: the local runtime. */
export interface RequestFeed {
  recent(): Promise<readonly RecentRequest[]>;
  mirrors(): Promise<readonly RouteComparisonSummary[]>;
}

/** One proxy's view of one hop of a request, placed on the trace's time line. */
export interface Hop {
  readonly reporter: RecentRequest['reporter'];
  readonly source: string;
  readonly destination: string | undefined;
  readonly service: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly responseFlags: string;
  readonly route: string | undefined;
  readonly cluster: string | undefined;
  /** Milliseconds from the trace's first hop to this one's start. */
  readonly startOffsetMs: number;
  readonly durationMs: number;
  readonly mirror: boolean;
}

/** Every hop of one request, found by its `x-request-id`, as a waterfall. */
export interface Trace {
  readonly requestId: string;
  readonly startTime: number;
  /** From the first hop's start to the last hop's end. */
  readonly durationMs: number;
  /** The answer of the outermost hop (the first to start). */
  readonly status: number;
  readonly hops: readonly Hop[];
}

export interface RequestFilter {
  readonly namespaces: readonly string[];
  /** Only requests with a hop from or to this workload. */
  readonly workload?: string | undefined;
  readonly limit: number;
}

/**
 * Traces from the proxies' records: the hops that share an `x-request-id` (Envoy keeps the id
 * across hops, and a mirror's copy carries the original's), oldest hop first; the newest traces
 * first, at most `limit`.
 */
export function buildTraces(requests: readonly RecentRequest[], filter: RequestFilter): Trace[] {
  const byId = new Map<string, RecentRequest[]>();
  for (const request of requests) {
    if (!request.requestId) continue;
    const hops = byId.get(request.requestId) ?? [];
    hops.push(request);
    byId.set(request.requestId, hops);
  }
  const traces: Trace[] = [];
  for (const [requestId, records] of byId) {
    if (!records.some((record) => matches(record, filter))) continue;
    records.sort((a, b) => a.startTime - b.startTime || a.seq - b.seq);
    const first = records[0] as RecentRequest;
    const end = Math.max(...records.map((record) => record.startTime + record.durationMs));
    traces.push({
      requestId,
      startTime: first.startTime,
      durationMs: end - first.startTime,
      status: first.status,
      hops: records.map((record) => ({
        reporter: record.reporter,
        source: record.source.workload,
        destination: record.destination?.workload,
        service: record.destination?.serviceName,
        method: record.method,
        path: record.path,
        status: record.status,
        responseFlags: record.responseFlags,
        route: record.routeName,
        cluster: record.upstreamCluster,
        startOffsetMs: record.startTime - first.startTime,
        durationMs: record.durationMs,
        mirror: record.mirror,
      })),
    });
  }
  traces.sort((a, b) => b.startTime - a.startTime);
  return traces.slice(0, filter.limit);
}

/** Istio access-log lines of the matching requests, newest last, at most `limit`. */
export function accessLogLines(requests: readonly RecentRequest[], filter: RequestFilter) {
  return requests
    .filter((request) => matches(request, filter))
    .slice(-filter.limit)
    .map((request) => ({
      seq: request.seq,
      reporter: request.reporter,
      workload: request.reporter === 'source' ? request.source.workload : request.destination?.workload,
      line: request.accessLog,
    }));
}

function matches(request: RecentRequest, filter: RequestFilter): boolean {
  const namespaces = [request.source.namespace, request.destination?.namespace];
  if (!namespaces.some((namespace) => namespace !== undefined && filter.namespaces.includes(namespace)))
    return false;
  if (filter.workload === undefined) return true;
  return request.source.workload === filter.workload || request.destination?.workload === filter.workload;
}

/** The local runtime's feed, next to its metrics (`/stats/prometheus` → `/stats/requests`). */
export function runtimeFeed(statsUrl: string): RequestFeed {
  const read = async <T>(path: string): Promise<T> => {
    const url = new URL(path, statsUrl);
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    recent: async () => (await read<{ requests: RecentRequest[] }>('/stats/requests')).requests,
    mirrors: async () => (await read<{ routes: RouteComparisonSummary[] }>('/stats/mirrors')).routes,
  };
}
