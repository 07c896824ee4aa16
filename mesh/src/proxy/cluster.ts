import type { Endpoint, EndpointRegistry, PoolSettings } from '../endpoints/registry.ts';
import type { Cluster } from '../routing/table.ts';
import type { DestinationIdentity, WorkloadIdentity } from '../telemetry/record.ts';
import { type Inbound, type InboundSides, inboundSides } from './stages/inbound.ts';
import type { UpstreamPool } from './upstream/pool.ts';

/** What one listener knows about one endpoint of one cluster: load, failures, ejection. */
export class HostState {
  readonly endpoint: Endpoint;
  readonly identity: WorkloadIdentity;
  /** `127.0.0.1:port`, Envoy's %UPSTREAM_HOST%. */
  readonly address: string;
  active = 0;
  consecutive5xx = 0;
  consecutiveGateway = 0;
  ejectedUntil = 0;
  ejections = 0;
  /** The endpoint's inbound side and the pool to its app, as last looked up (see ClusterRuntime.pool). */
  inbound: Inbound | undefined;
  pool: UpstreamPool | undefined;
  poolSettings: PoolSettings | undefined;
  poolVersion = -1;
  #destination: DestinationIdentity | undefined;

  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
    this.identity = endpointIdentity(endpoint);
    this.address = endpoint.origin.replace(/^[a-z]+:\/\//, '');
  }

  /** The record's destination labels for this endpoint, one object per (cluster, Service) in a row. */
  destinationIdentity(cluster: Cluster | undefined, service: string): DestinationIdentity {
    const serviceName = cluster?.serviceName ?? service.split('.')[0] ?? service;
    const cached = this.#destination;
    if (cached !== undefined && cached.service === service && cached.serviceName === serviceName)
      return cached;
    const identity = Object.freeze({ ...this.identity, service, serviceName });
    this.#destination = identity;
    return identity;
  }
}

export function endpointIdentity(endpoint: Endpoint): WorkloadIdentity {
  return Object.freeze({
    workload: endpoint.workload ?? endpoint.name.replace(/-\d+$/, ''),
    namespace: endpoint.namespace,
    app: endpoint.labels.app ?? endpoint.labels['app.kubernetes.io/name'] ?? 'unknown',
    version: endpoint.labels.version ?? endpoint.labels['app.kubernetes.io/version'] ?? 'unknown',
  });
}

/**
 * A cluster as one Envoy sees it: its endpoints (Service endpoints narrowed by the subset's
 * labels), load balancing, circuit breaker counters and outlier detection. State lives per
 * listener (each sidecar has its own), across routing table swaps.
 */
export class ClusterRuntime {
  config: Cluster;
  readonly #registry: EndpointRegistry;
  readonly #sides: InboundSides;
  #version = -1;
  #hosts: HostState[] = [];
  readonly #byName = new Map<string, HostState>();
  #cursor = 0;
  #pool: PoolSettings;
  /** Requests in flight (Envoy's rq_active). */
  active = 0;

  constructor(config: Cluster, registry: EndpointRegistry) {
    this.config = config;
    this.#registry = registry;
    this.#sides = inboundSides(registry);
    this.#pool = poolSettings(config);
  }

  reconfigure(config: Cluster): void {
    if (config === this.config) return;
    const subsetChanged = !sameLabels(config.subsetLabels, this.config.subsetLabels);
    this.config = config;
    this.#pool = poolSettings(config);
    if (subsetChanged) this.#version = -1;
  }

  /** Ready endpoints of the cluster, ejected ones included. */
  hosts(): readonly HostState[] {
    if (this.#version !== this.#registry.version) this.#refresh();
    return this.#hosts;
  }

  /** Overflow check, Envoy's circuit breakers for HTTP/1.1: max_requests, then max_connections + max_pending_requests. */
  overflows(): boolean {
    const limits = this.config.limits;
    if (this.active >= limits.maxRequests) return true;
    return (
      this.active >= limits.maxConnections && this.active - limits.maxConnections >= limits.maxPendingRequests
    );
  }

  /**
   * Picks an endpoint by the cluster's load balancer, skipping ejected ones and, when possible,
   * `avoid` (Envoy's previous_hosts retry predicate). Undefined: no healthy upstream.
   */
  pick(now: number, avoid: HostState | undefined): HostState | undefined {
    const hosts = this.hosts();
    const n = hosts.length;
    if (n === 0) return undefined;
    if (n === 1) {
      const only = hosts[0] as HostState;
      return this.#healthy(only, now) ? only : undefined;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const host = this.#choose(hosts);
      if (this.#healthy(host, now) && host !== avoid) return host;
    }
    // Fall back to a scan so that a mostly-ejected cluster still finds its healthy endpoint.
    let fallback: HostState | undefined;
    for (let i = 0; i < n; i++) {
      const host = hosts[(this.#cursor + i) % n] as HostState;
      if (!this.#healthy(host, now)) continue;
      if (host !== avoid) return host;
      fallback = host;
    }
    return fallback;
  }

  /**
   * The pool to the endpoint's app for this cluster's settings, kept on the host with the
   * endpoint's inbound side: looked up again only when the settings or the registry's endpoints
   * change (a removed endpoint's pools are closed).
   */
  pool(host: HostState): UpstreamPool {
    const version = this.#registry.version;
    if (host.pool === undefined || host.poolSettings !== this.#pool || host.poolVersion !== version) {
      host.pool = this.#sides.pool(host.endpoint, this.#pool);
      host.inbound = this.#sides.inbound(host.endpoint);
      host.poolSettings = this.#pool;
      host.poolVersion = version;
    }
    return host.pool;
  }

  /** The endpoint's inbound side (after `pool(host)`). */
  inbound(host: HostState): Inbound {
    return host.inbound ?? this.#sides.inbound(host.endpoint);
  }

  /** Outlier detection input: an upstream answer (status) or a local failure (connect, reset, timeout: 503/504). */
  report(host: HostState, status: number, now: number): void {
    const outlier = this.config.outlier;
    if (!outlier) return;
    if (status < 500) {
      host.consecutive5xx = 0;
      host.consecutiveGateway = 0;
      return;
    }
    host.consecutive5xx++;
    if (status === 502 || status === 503 || status === 504) host.consecutiveGateway++;
    else host.consecutiveGateway = 0;
    const trip =
      (outlier.consecutive5xx > 0 && host.consecutive5xx >= outlier.consecutive5xx) ||
      (outlier.consecutiveGatewayErrors > 0 && host.consecutiveGateway >= outlier.consecutiveGatewayErrors);
    if (!trip || host.ejectedUntil > now) return;
    const hosts = this.hosts();
    let ejected = 0;
    for (const other of hosts) if (other.ejectedUntil > now) ejected++;
    // Envoy ejects while the ejected share stays within max_ejection_percent, and always at least one host.
    if (ejected > 0 && (100 * (ejected + 1)) / hosts.length > outlier.maxEjectionPercent) return;
    host.ejections++;
    // Envoy: base_ejection_time × number of ejections, capped by max_ejection_time (300 s default).
    host.ejectedUntil =
      now +
      Math.min(outlier.baseEjectionTimeMs * host.ejections, Math.max(300_000, outlier.baseEjectionTimeMs));
    host.consecutive5xx = 0;
    host.consecutiveGateway = 0;
  }

  #healthy(host: HostState, now: number): boolean {
    return host.ejectedUntil <= now;
  }

  #choose(hosts: readonly HostState[]): HostState {
    const n = hosts.length;
    switch (this.config.loadBalancer) {
      case 'ROUND_ROBIN':
        this.#cursor = (this.#cursor + 1) % n;
        return hosts[this.#cursor] as HostState;
      case 'RANDOM':
        return hosts[Math.floor(Math.random() * n)] as HostState;
      default: {
        // Envoy's LEAST_REQUEST with equal weights: power of two random choices (choice_count 2).
        const a = hosts[Math.floor(Math.random() * n)] as HostState;
        const b = hosts[Math.floor(Math.random() * n)] as HostState;
        return b.active < a.active ? b : a;
      }
    }
  }

  #refresh(): void {
    this.#version = this.#registry.version;
    const labels = this.config.subsetLabels;
    const keys = labels ? Object.keys(labels) : [];
    const next: HostState[] = [];
    for (const endpoint of this.#registry.endpoints(this.config.service)) {
      if (labels && !keys.every((key) => endpoint.labels[key] === labels[key])) continue;
      let state = this.#byName.get(endpoint.name);
      if (!state || state.endpoint !== endpoint) {
        state = new HostState(endpoint);
        this.#byName.set(endpoint.name, state);
      }
      next.push(state);
    }
    for (const name of this.#byName.keys())
      if (!next.some((host) => host.endpoint.name === name)) this.#byName.delete(name);
    this.#hosts = next;
  }
}

function poolSettings(cluster: Cluster): PoolSettings {
  return Object.freeze({
    connections: Math.min(cluster.limits.maxConnections, 64),
    maxRequestsPerConnection: cluster.limits.maxRequestsPerConnection,
    connectTimeoutMs: cluster.connectTimeoutMs,
  });
}

function sameLabels(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** The clusters one listener has used, by name. */
export class ClusterSet {
  readonly #registry: EndpointRegistry;
  readonly #clusters = new Map<string, ClusterRuntime>();

  constructor(registry: EndpointRegistry) {
    this.#registry = registry;
  }

  get(config: Cluster): ClusterRuntime {
    let runtime = this.#clusters.get(config.name);
    if (!runtime) {
      runtime = new ClusterRuntime(config, this.#registry);
      this.#clusters.set(config.name, runtime);
    } else if (runtime.config !== config) runtime.reconfigure(config);
    return runtime;
  }
}
