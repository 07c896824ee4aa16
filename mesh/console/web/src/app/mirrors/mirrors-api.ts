/** `GET /api/mirrors` as the page reads it (`RouteComparisonSummary` in mesh/src/telemetry/mirror-comparison.ts). */
export interface MirrorOutcome {
  readonly status: number;
  readonly responseFlags: string;
  readonly durationMs: number;
  readonly bytes: number;
  /** SHA-1 of the body, base64url; absent when the body did not arrive whole. */
  readonly bodyHash?: string | undefined;
  readonly workload: string;
  readonly cluster: string;
}

export interface MirrorExample {
  readonly requestId?: string | undefined;
  /** Epoch milliseconds. */
  readonly startTime: number;
  readonly method: string;
  readonly path: string;
  readonly primary: MirrorOutcome;
  readonly shadow: MirrorOutcome;
}

export interface RouteComparison {
  /** `<VirtualService>.<namespace>/<route>`, or `-` for a route without a name. */
  readonly route: string;
  readonly namespace: string;
  readonly primaryCluster: string;
  readonly shadowCluster: string;
  readonly total: number;
  readonly statusDiffers: number;
  readonly bodyDiffers: number;
  readonly incomplete: number;
  readonly primaryMeanMs: number;
  readonly shadowMeanMs: number;
  /** The last requests answered differently, newest last. */
  readonly examples: readonly MirrorExample[];
}

export function mirrorsQuery(namespace: string): string {
  return `/api/mirrors?${new URLSearchParams({ namespaces: namespace })}`;
}
