/**
 * Envoy's response flags for the outcomes the ingress produces itself, so that the access
 * log and later telemetry read like Istio's.
 */
export type ResponseFlag =
  /** No route matched. */
  | 'NR'
  /** The route's Service has no ready endpoint. */
  | 'UH'
  /** Connecting to the upstream failed. */
  | 'UF'
  /** The upstream reset or closed the connection mid-response. */
  | 'UC'
  /** The client went away before the response ended. */
  | 'DC';

/** One finished request, as the ingress reports it. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly route: string | undefined;
  readonly upstream: string | undefined;
  readonly requestId: string | undefined;
  readonly flag: ResponseFlag | undefined;
}

export function formatAccessLog(record: RequestRecord): string {
  const flag = record.flag ? ` flag=${record.flag}` : '';
  return `${record.method} ${record.path} ${record.status} ${record.durationMs.toFixed(1)}ms upstream=${
    record.upstream ?? '-'
  } route=${record.route ?? '-'}${flag}`;
}
