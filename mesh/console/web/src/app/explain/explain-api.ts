/**
 * The runtime's answer to "why does this request go where it goes", as the page reads it
 * (`Explanation` in mesh/src/proxy/explain.ts, through `POST /api/explain`).
 */
export interface ExplainedDestination {
  readonly host: string;
  readonly service: string;
  readonly subset: string | null;
  readonly port: number | null;
  readonly weight: number;
  readonly percent: number;
  readonly cluster: string | null;
  readonly subsetLabels: Readonly<Record<string, string>> | null;
  readonly destinationRule: string | null;
  readonly loadBalancer: string | null;
  readonly endpoints: readonly string[] | null;
  readonly problem: string | null;
}

export interface ExplainedRoute {
  readonly name: string;
  readonly virtualService: string | null;
  readonly action: string;
  readonly destinations: readonly ExplainedDestination[];
  readonly timeout: string;
  readonly retries: {
    readonly attempts: number;
    readonly retryOn: string;
    readonly perTryTimeoutMs: number | null;
  } | null;
  readonly fault: {
    readonly delayMs: number;
    readonly delayPercent: number;
    readonly abortStatus: number;
    readonly abortPercent: number;
  } | null;
  readonly mirrors: readonly {
    readonly host: string;
    readonly subset: string | null;
    readonly cluster: string | null;
    readonly percent: number;
  }[];
  readonly redirect: Readonly<Record<string, unknown>> | null;
  readonly directResponse: Readonly<Record<string, unknown>> | null;
  readonly stages: readonly string[];
}

export interface Explanation {
  readonly context: 'gateway' | 'mesh';
  readonly source: { readonly workload: string; readonly namespace: string } | null;
  readonly authority: string;
  readonly path: string;
  readonly method: string;
  readonly gatewayPort: number | null;
  /** `namespace/name` of each Gateway served, or `mesh`. */
  readonly gateways: readonly string[];
  readonly virtualHost: { readonly name: string; readonly virtualServices: readonly string[] } | null;
  readonly matched: boolean;
  /** `NR` (404), `passthrough`...; null when routed. */
  readonly responseFlag: string | null;
  readonly reason: string | null;
  readonly routes: readonly {
    readonly name: string;
    readonly matched: boolean;
    readonly failedCondition: string | null;
  }[];
  readonly route: ExplainedRoute | null;
}

/** An object of `GET /api/istio/config`: where each Istio object the explanation names was written. */
export interface ConfigObject {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly file: string;
  readonly line?: number | undefined;
}

export function isExplanation(value: unknown): value is Explanation {
  return (
    typeof value === 'object' &&
    value !== null &&
    'context' in value &&
    'matched' in value &&
    Array.isArray((value as { routes?: unknown }).routes)
  );
}
