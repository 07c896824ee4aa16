/** The part of Kubernetes and Istio objects the runtime uses, validated and frozen. */

export interface Source {
  /** File the object came from, relative to the deploy directory. */
  readonly file: string;
  readonly name: string;
  readonly namespace: string;
  /** `metadata.creationTimestamp` in epoch ms, when the manifest carries one (Istio orders rules by it). */
  readonly createdAt: number | undefined;
}

/** Where an object was written: `file:line` in analyze's messages, as istioctl prints them. */
export interface SourcePosition {
  /** The file as given, without a document number. */
  readonly file: string;
  /** Line of the document's first field, from 1. */
  readonly line: number;
  /** Line of each field and list item by path: `spec.http[0].route[0].destination.host`. */
  readonly lines: Readonly<Record<string, number>>;
}

export interface HttpGetProbe {
  readonly path: string;
  /** A container port number or the name of one. */
  readonly port: number | string;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** One key of a Secret or ConfigMap; `optional`: a missing one leaves the variable unset. */
export interface KeyRef {
  readonly name: string;
  readonly key: string;
  readonly optional: boolean;
}

/**
 * The downward API fields a replica can read: `metadata.name`, `metadata.namespace`,
 * `metadata.labels['<key>']`, `status.podIP`.
 */
export type FieldPath = string;

export type EnvVar =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly secretKeyRef: KeyRef }
  | { readonly name: string; readonly configMapKeyRef: KeyRef }
  | { readonly name: string; readonly fieldRef: { readonly fieldPath: FieldPath } };

/** `envFrom`: every key of a ConfigMap or a Secret as a variable, with `prefix` in front. */
export interface EnvFromSource {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly name: string;
  readonly prefix: string;
  readonly optional: boolean;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly ports: readonly { readonly name: string | undefined; readonly containerPort: number }[];
  /** Replace the image's entry point and its arguments, as on Kubernetes; `$(VAR)` expanded at start. */
  readonly command: readonly string[] | undefined;
  readonly args: readonly string[] | undefined;
  readonly envFrom: readonly EnvFromSource[];
  readonly env: readonly EnvVar[];
  /** Only httpGet probes are run locally; other kinds count as absent. */
  readonly readinessProbe: HttpGetProbe | undefined;
  readonly livenessProbe: HttpGetProbe | undefined;
}

/** A Deployment, or a StatefulSet (PostgreSQL's): locally both run the same way. */
export interface Deployment extends Source {
  readonly kind: WorkloadKind;
  readonly replicas: number;
  readonly podLabels: Readonly<Record<string, string>>;
  /**
   * The pod template's annotations: part of the template, so a change rolls the replicas
   * (`kubectl rollout restart` writes `kubectl.kubernetes.io/restartedAt` here).
   */
  readonly podAnnotations: Readonly<Record<string, string>>;
  readonly containers: readonly Container[];
}

export type WorkloadKind = 'Deployment' | 'StatefulSet';

export interface ServicePort {
  readonly name: string | undefined;
  readonly port: number;
  readonly targetPort: number | string;
  /** Kubernetes `appProtocol` (`http`, `tcp`, `kubernetes.io/h2c`...): Istio reads it before the name. */
  readonly appProtocol?: string | undefined;
}

export interface Service extends Source {
  readonly kind: 'Service';
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePort[];
}

export interface GatewayServer {
  readonly port: { readonly number: number; readonly name: string; readonly protocol: string };
  /** As written: `host` or `namespace/host`, where the namespace may be `.` (the Gateway's) or `*`. */
  readonly hosts: readonly string[];
  readonly name: string | undefined;
  readonly tls: ServerTls | undefined;
}

/** A Gateway server's `tls`: a redirect on an HTTP server, or TLS terminated with a Secret (SIMPLE). */
export interface ServerTls {
  readonly httpsRedirect: boolean;
  /** Undefined on an HTTP server (only `httpsRedirect` is allowed there). */
  readonly mode: 'SIMPLE' | undefined;
  /** `name` or `namespace/name` (a `kubernetes://` prefix removed). */
  readonly credentialName: string | undefined;
}

/** A Secret's keys and decoded values; printing or serialising it shows the keys only. */
export interface SecretValues {
  keys(): readonly string[];
  get(key: string): Buffer | undefined;
}

export interface Secret extends Source {
  readonly kind: 'Secret';
  /** `Opaque` or `kubernetes.io/tls`. */
  readonly type: string;
  readonly data: SecretValues;
}

export interface Gateway extends Source {
  readonly kind: 'Gateway';
  readonly selector: Readonly<Record<string, string>>;
  readonly servers: readonly GatewayServer[];
}

/** Istio's StringMatch: exactly one of exact, prefix, regex (RE2, matching the whole value). */
export type StringMatch =
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly regex: string };

/**
 * A header or query parameter condition. `{}` in YAML means "present with any value" (Envoy's
 * present_match), and so does `regex: "*"` in withoutHeaders (any other regex must be RE2).
 */
export type ValueMatch = StringMatch | { readonly present: true };

/** All conditions of one match must hold. */
export interface HttpMatchRequest {
  readonly name: string | undefined;
  readonly uri: StringMatch | undefined;
  readonly ignoreUriCase: boolean;
  readonly method: StringMatch | undefined;
  readonly authority: StringMatch | undefined;
  readonly scheme: StringMatch | undefined;
  /** Header names lower-cased, in the order written. */
  readonly headers: readonly (readonly [string, ValueMatch])[];
  readonly withoutHeaders: readonly (readonly [string, ValueMatch])[];
  readonly queryParams: readonly (readonly [string, ValueMatch])[];
  /** The port the request was sent to (mesh: the Service port; gateway: the server port). */
  readonly port: number | undefined;
  /**
   * Which proxies get this match at all, decided when routes are built (route.go sourceMatchHTTP):
   * those playing one of `gateways` (`mesh`, or a Gateway as written), else those whose pod
   * labels include `sourceLabels` and whose namespace is `sourceNamespace` when set.
   */
  readonly gateways: readonly string[];
  readonly sourceLabels: Readonly<Record<string, string>>;
  readonly sourceNamespace: string | undefined;
}

export interface HeaderOperations {
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

export interface Headers {
  readonly request: HeaderOperations | undefined;
  readonly response: HeaderOperations | undefined;
}

export interface Destination {
  readonly host: string;
  readonly subset: string | undefined;
  readonly port: number | undefined;
}

export interface HttpRouteDestination extends Destination {
  readonly weight: number | undefined;
  readonly headers: Headers | undefined;
}

export interface HttpRewrite {
  readonly uri: string | undefined;
  readonly authority: string | undefined;
  readonly uriRegexRewrite: { readonly match: string; readonly rewrite: string } | undefined;
}

export interface HttpRedirect {
  readonly uri: string | undefined;
  readonly authority: string | undefined;
  readonly port: number | undefined;
  readonly derivePort: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT' | undefined;
  readonly scheme: string | undefined;
  readonly redirectCode: number;
}

export interface HttpDirectResponse {
  readonly status: number;
  readonly body: string | undefined;
}

export interface HttpRetry {
  readonly attempts: number;
  readonly perTryTimeoutMs: number | undefined;
  readonly retryOn: string | undefined;
  readonly retryRemoteLocalities: boolean | undefined;
  readonly backoffMs: number | undefined;
}

export interface HttpFault {
  readonly delay:
    | { readonly fixedDelayMs: number /** 0–100; omitted means 0 */; readonly percentage: number }
    | undefined;
  readonly abort:
    | { readonly httpStatus: number /** 0–100; omitted means 0 */; readonly percentage: number }
    | undefined;
}

export interface HttpMirror {
  readonly destination: Destination;
  /** 0–100; omitted means 100. */
  readonly percentage: number;
}

export interface HttpRoute {
  readonly name: string | undefined;
  /** Empty: the route matches every request. */
  readonly match: readonly HttpMatchRequest[];
  /** Empty when the route redirects or answers directly. */
  readonly route: readonly HttpRouteDestination[];
  readonly redirect: HttpRedirect | undefined;
  readonly directResponse: HttpDirectResponse | undefined;
  readonly rewrite: HttpRewrite | undefined;
  readonly headers: Headers | undefined;
  readonly timeoutMs: number | undefined;
  readonly retries: HttpRetry | undefined;
  readonly fault: HttpFault | undefined;
  /** `mirror` + `mirrorPercentage` first, then `mirrors`, as Istio adds them. */
  readonly mirrors: readonly HttpMirror[];
  /** A root's route handing its requests to the routes of a delegate VirtualService (one without hosts). */
  readonly delegate: { readonly name: string; readonly namespace: string | undefined } | undefined;
}

export interface VirtualService extends Source {
  readonly kind: 'VirtualService';
  readonly hosts: readonly string[];
  /** `mesh` when the manifest names none, as Istio does. */
  readonly gateways: readonly string[];
  readonly http: readonly HttpRoute[];
  /** As written (`.`, `*`, namespaces); empty: the mesh default, `*`. */
  readonly exportTo: readonly string[];
}

export type LoadBalancerPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';

export interface ConnectionPool {
  readonly tcp:
    | { readonly maxConnections: number | undefined; readonly connectTimeoutMs: number | undefined }
    | undefined;
  readonly http:
    | {
        readonly http1MaxPendingRequests: number | undefined;
        readonly http2MaxRequests: number | undefined;
        readonly maxRequestsPerConnection: number | undefined;
        readonly maxRetries: number | undefined;
      }
    | undefined;
}

export interface OutlierDetection {
  readonly consecutive5xxErrors: number | undefined;
  readonly consecutiveGatewayErrors: number | undefined;
  readonly intervalMs: number | undefined;
  readonly baseEjectionTimeMs: number | undefined;
  readonly maxEjectionPercent: number | undefined;
}

export interface TrafficPolicy {
  readonly loadBalancer: LoadBalancerPolicy | undefined;
  readonly connectionPool: ConnectionPool | undefined;
  readonly outlierDetection: OutlierDetection | undefined;
}

export interface Subset {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly trafficPolicy: TrafficPolicy | undefined;
}

export interface DestinationRule extends Source {
  readonly kind: 'DestinationRule';
  readonly host: string;
  readonly trafficPolicy: TrafficPolicy | undefined;
  readonly subsets: readonly Subset[];
  /** As written (`.`, `*`, namespaces); empty: the mesh default, `*`. */
  readonly exportTo: readonly string[];
}

/** Read by replicas when they start (`configMapKeyRef`, `envFrom`), as the kubelet does. */
export interface ConfigMap extends Source {
  readonly kind: 'ConfigMap';
  readonly data: Readonly<Record<string, string>>;
}

/** Any other kind: kept so that later issues find it, ignored for now. */
export interface OtherResource extends Source {
  readonly kind: string;
  readonly apiVersion: string;
}

export interface Topology {
  readonly deployments: readonly Deployment[];
  readonly services: readonly Service[];
  readonly gateways: readonly Gateway[];
  readonly virtualServices: readonly VirtualService[];
  readonly destinationRules: readonly DestinationRule[];
  readonly secrets: readonly Secret[];
  readonly configMaps: readonly ConfigMap[];
  readonly others: readonly OtherResource[];
}
