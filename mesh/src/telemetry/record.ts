import { channel } from 'node:diagnostics_channel';

/** A workload as Istio's telemetry labels it (source_* and destination_* labels). */
export interface WorkloadIdentity {
  /** Deployment name, e.g. `back-v1`; `istio-ingressgateway` for the ingress; `unknown` otherwise. */
  readonly workload: string;
  readonly namespace: string;
  readonly app: string;
  readonly version: string;
}

/** The workload that served a request, and the Service it was addressed as. */
export interface DestinationIdentity extends WorkloadIdentity {
  /** Service FQDN, e.g. `back.music.svc.cluster.local` (Istio's destination_service). */
  readonly service: string;
  readonly serviceName: string;
}

/**
 * What one proxy reports once per finished request, as Envoy's access log and istio_stats do: the
 * caller's side (`reporter: 'source'`: the ingress gateway or the calling workload's outbound
 * sidecar) and, when the request reached an endpoint, the endpoint's inbound side
 * (`reporter: 'destination'`), each its own record. A mirrored copy is recorded by the inbound side
 * only, with `mirror` set. Telemetry turns records into Istio's standard metrics and the access
 * log; nothing else reads them. Build one only when the channel has subscribers.
 */
export interface RequestRecord {
  /** Which proxy of the hop reports: the caller's (`source`) or the endpoint's inbound side (`destination`). */
  readonly reporter: 'source' | 'destination';
  /** Epoch milliseconds when the request arrived. */
  readonly startTime: number;
  /** Arrival to last response byte, milliseconds with sub-millisecond precision. */
  readonly durationMs: number;
  /** Time the upstream took to answer headers (Envoy's x-envoy-upstream-service-time), if one answered. */
  readonly upstreamServiceTimeMs: number | undefined;
  readonly method: string;
  /** Path as received, before any rewrite. */
  readonly path: string;
  /** `HTTP/1.1`, `HTTP/2`... as Envoy's %PROTOCOL%; telemetry maps it to request_protocol `http`/`grpc`. */
  readonly protocol: string;
  readonly authority: string;
  readonly status: number;
  /** Envoy response flags, comma-separated (`UH`, `UF,URX`, `NR`, `UO`, `FI`, `UT`, `NC`, `DI`...), or `-`. */
  readonly responseFlags: string;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly requestId: string | undefined;
  readonly userAgent: string | undefined;
  readonly forwardedFor: string | undefined;
  /** `ip:port` of the endpoint that answered, if any. */
  readonly upstreamHost: string | undefined;
  /** Envoy cluster name, `outbound|8080|v1|back.music.svc.cluster.local`, if a destination was chosen. */
  readonly upstreamCluster: string | undefined;
  /** `<virtualservice>.<namespace>/<route name or index>`-style name of the matched route, if any. */
  readonly routeName: string | undefined;
  readonly source: WorkloadIdentity;
  /**
   * Undefined when no destination Service was chosen (no route). The data path passes the same
   * object for the same endpoint and Service, so that telemetry can cache by identity.
   */
  readonly destination: DestinationIdentity | undefined;
  /** True for the fire-and-forget copy sent by a `mirror`. */
  readonly mirror: boolean;
  /** Optional, for the access log only (Envoy's %DOWNSTREAM_REMOTE_ADDRESS%, `ip:port`); `-` when absent. */
  readonly downstreamRemoteAddress?: string | undefined;
  /** Optional, for the access log only (%DOWNSTREAM_LOCAL_ADDRESS%, the listener's `ip:port`). */
  readonly downstreamLocalAddress?: string | undefined;
  /** Optional, for the access log only (%UPSTREAM_LOCAL_ADDRESS%, our side of the upstream connection). */
  readonly upstreamLocalAddress?: string | undefined;
}

/** The data path publishes every finished request here. */
export const requestChannel = channel('music-mesh:request');
