/** Envoy clusters as one client sees them: a Service port, a subset, and the DestinationRule's policy. */
import type {
  ConnectionPool,
  LoadBalancerPolicy,
  OutlierDetection,
  Service,
  TrafficPolicy,
} from '../manifests/model.ts';
import type { ConsolidatedRule, DestinationRuleIndex } from './destination-rules.ts';

/** Circuit-breaker thresholds of a cluster; Istio's defaults are all 2^32−1 (cluster_traffic_policy.go). */
export interface ClusterLimits {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRequestsPerConnection: number | undefined;
}

export interface OutlierSettings {
  /** 0: this kind of ejection is off. */
  readonly consecutive5xx: number;
  readonly consecutiveGatewayErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
}

/** An Envoy cluster: a Service port, optionally narrowed to a DestinationRule subset. */
export interface Cluster {
  /** `outbound|8080|v1|back.music.svc.cluster.local`. */
  readonly name: string;
  readonly service: string;
  readonly serviceName: string;
  readonly namespace: string;
  readonly port: number;
  readonly subset: string | undefined;
  /** Subset labels an endpoint must carry, on top of the Service's selector. */
  readonly subsetLabels: Readonly<Record<string, string>> | undefined;
  /** `namespace/name` of the DestinationRule in force (the oldest of those merged), if any. */
  readonly destinationRule: string | undefined;
  /** Every DestinationRule merged into the one in force, oldest first. */
  readonly destinationRules: readonly string[];
  readonly loadBalancer: LoadBalancerPolicy;
  readonly limits: ClusterLimits;
  readonly outlier: OutlierSettings | undefined;
  readonly connectTimeoutMs: number;
}

/** The clusters of one client namespace, built on demand and kept. */
export interface ClusterCatalog {
  /** undefined: no such Service, or a subset its DestinationRule does not define (Envoy: NC). */
  cluster(service: string, port: number, subset: string | undefined): Cluster | undefined;
  /** The DestinationRule this client applies to a Service. */
  rule(service: string): ConsolidatedRule | undefined;
  readonly clusters: ReadonlyMap<string, Cluster>;
}

const unlimited = 2 ** 32 - 1;

/** Istio's default LB since 1.14 (cluster_traffic_policy.go defaultLBAlgorithm): LEAST_REQUEST. */
export const defaultLoadBalancer: LoadBalancerPolicy = 'LEAST_REQUEST';
/** Istio's mesh-wide default connectTimeout (meshconfig: 10s). */
const defaultConnectTimeoutMs = 10_000;

export function clusterCatalog(
  serviceInfo: ReadonlyMap<string, Service>,
  rules: DestinationRuleIndex,
  clientNamespace: string,
): ClusterCatalog {
  const clusters = new Map<string, Cluster>();
  const ruleOf = new Map<string, ConsolidatedRule | undefined>();
  const rule = (service: string): ConsolidatedRule | undefined => {
    if (!ruleOf.has(service)) {
      const info = serviceInfo.get(service);
      ruleOf.set(service, info ? rules.find(clientNamespace, service, info.namespace) : undefined);
    }
    return ruleOf.get(service);
  };
  const cluster = (service: string, port: number, subset: string | undefined): Cluster | undefined => {
    const info = serviceInfo.get(service);
    if (!info) return undefined;
    const dr = rule(service);
    const subsetDef = subset === undefined ? undefined : dr?.subsets.find((s) => s.name === subset);
    if (subset !== undefined && !subsetDef) return undefined;
    const name = `outbound|${port}|${subset ?? ''}|${service}`;
    const existing = clusters.get(name);
    if (existing) return existing;
    const policy = mergePolicy(dr?.trafficPolicy, subsetDef?.trafficPolicy);
    const built: Cluster = Object.freeze({
      name,
      service,
      serviceName: info.name,
      namespace: info.namespace,
      port,
      subset,
      subsetLabels: subsetDef ? subsetDef.labels : undefined,
      destinationRule: dr?.from[0],
      destinationRules: dr?.from ?? Object.freeze([]),
      loadBalancer: policy.loadBalancer ?? defaultLoadBalancer,
      limits: limitsOf(policy.connectionPool),
      outlier: outlierOf(policy.outlierDetection),
      connectTimeoutMs: policy.connectionPool?.tcp?.connectTimeoutMs ?? defaultConnectTimeoutMs,
    });
    clusters.set(name, built);
    return built;
  };
  // Every Service port gets its plain cluster, whether or not a route names it.
  for (const [fqdn, service] of serviceInfo)
    for (const port of service.ports) cluster(fqdn, port.port, undefined);
  return Object.freeze({ cluster, rule, clusters });
}

/** A subset's traffic policy replaces the top-level one field by field (Istio MergeTrafficPolicy). */
function mergePolicy(
  top: TrafficPolicy | undefined,
  subset: TrafficPolicy | undefined,
): Partial<TrafficPolicy> {
  return {
    loadBalancer: subset?.loadBalancer ?? top?.loadBalancer,
    connectionPool: subset?.connectionPool ?? top?.connectionPool,
    outlierDetection: subset?.outlierDetection ?? top?.outlierDetection,
  };
}

function limitsOf(pool: ConnectionPool | undefined): ClusterLimits {
  return Object.freeze({
    maxConnections: pool?.tcp?.maxConnections ?? unlimited,
    maxPendingRequests: pool?.http?.http1MaxPendingRequests ?? unlimited,
    maxRequests: pool?.http?.http2MaxRequests ?? unlimited,
    maxRequestsPerConnection: pool?.http?.maxRequestsPerConnection,
  });
}

/**
 * Envoy's outlier_detection defaults where Istio leaves a field unset: consecutive_5xx 5,
 * consecutive_gateway_failure off (enforcing 0), interval 10 s, base ejection 30 s, max 10 %.
 */
function outlierOf(outlier: OutlierDetection | undefined): OutlierSettings | undefined {
  if (!outlier) return undefined;
  return Object.freeze({
    consecutive5xx: outlier.consecutive5xxErrors ?? 5,
    consecutiveGatewayErrors: outlier.consecutiveGatewayErrors ?? 0,
    intervalMs: outlier.intervalMs ?? 10_000,
    baseEjectionTimeMs: outlier.baseEjectionTimeMs ?? 30_000,
    maxEjectionPercent: outlier.maxEjectionPercent ?? 10,
  });
}
