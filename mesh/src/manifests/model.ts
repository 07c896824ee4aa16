/** The part of Kubernetes and Istio objects the runtime uses, validated and frozen. */

export interface Source {
  /** File the object came from, relative to the deploy directory. */
  readonly file: string;
  readonly name: string;
  readonly namespace: string;
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

export type EnvVar =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly secretKeyRef: { readonly name: string; readonly key: string } };

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly ports: readonly { readonly name: string | undefined; readonly containerPort: number }[];
  readonly env: readonly EnvVar[];
  /** Only httpGet probes are run locally; other kinds count as absent. */
  readonly readinessProbe: HttpGetProbe | undefined;
  readonly livenessProbe: HttpGetProbe | undefined;
}

export interface Deployment extends Source {
  readonly kind: 'Deployment';
  readonly replicas: number;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly containers: readonly Container[];
}

export interface ServicePort {
  readonly name: string | undefined;
  readonly port: number;
  readonly targetPort: number | string;
}

export interface Service extends Source {
  readonly kind: 'Service';
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePort[];
}

export interface GatewayServer {
  readonly port: { readonly number: number; readonly name: string; readonly protocol: string };
  readonly hosts: readonly string[];
}

export interface Gateway extends Source {
  readonly kind: 'Gateway';
  readonly selector: Readonly<Record<string, string>>;
  readonly servers: readonly GatewayServer[];
}

export type StringMatch = { readonly exact: string } | { readonly prefix: string };

/** All conditions of one match must hold; later issues add headers, method, queryParams... */
export interface HttpMatchRequest {
  readonly name: string | undefined;
  readonly uri: StringMatch | undefined;
}

export interface HttpRouteDestination {
  readonly host: string;
  readonly port: number | undefined;
  readonly weight: number | undefined;
}

export interface HttpRoute {
  readonly name: string | undefined;
  /** Empty: the route matches every request. */
  readonly match: readonly HttpMatchRequest[];
  readonly route: readonly HttpRouteDestination[];
}

export interface VirtualService extends Source {
  readonly kind: 'VirtualService';
  readonly hosts: readonly string[];
  /** `mesh` when the manifest names none, as Istio does. */
  readonly gateways: readonly string[];
  readonly http: readonly HttpRoute[];
}

/** Any other kind: kept so that later issues (DestinationRule...) find it, ignored for now. */
export interface OtherResource extends Source {
  readonly kind: string;
  readonly apiVersion: string;
}

export interface Topology {
  readonly deployments: readonly Deployment[];
  readonly services: readonly Service[];
  readonly gateways: readonly Gateway[];
  readonly virtualServices: readonly VirtualService[];
  readonly others: readonly OtherResource[];
}
