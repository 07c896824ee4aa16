import type { Service } from '../manifests/model.ts';
import { serviceFqdn } from '../routing/hosts.ts';

/** A ready pod, as the ingress sees it: where to send requests and the labels subsets will select on. */
export interface Endpoint {
  /** The replica's name (`back-v1-0`). */
  readonly name: string;
  readonly namespace: string;
  readonly origin: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The Deployment (`back-v1`); derived from `name` without its replica index when absent. */
  readonly workload?: string | undefined;
  /**
   * The port the pod declares (`containerPort`), which Istio's inbound cluster is named after
   * (`inbound|8080||`); the replica listens on a local port of its own.
   */
  readonly containerPort?: number | undefined;
}

/** Per-cluster connection settings (DestinationRule connectionPool) the pool to an endpoint is built with. */
export interface PoolSettings {
  readonly connections: number;
  readonly maxRequestsPerConnection: number | undefined;
  readonly connectTimeoutMs: number;
}

interface ServiceEntry {
  readonly namespace: string;
  readonly selector: Readonly<Record<string, string>>;
  endpoints: readonly Endpoint[];
  cursor: number;
}

/**
 * Which endpoints of each Service are ready. It knows nothing of connections: the data path keeps
 * its pools per endpoint and drops them when `onChange` shows the endpoint gone.
 */
export class EndpointRegistry {
  readonly #services = new Map<string, ServiceEntry>();
  readonly #listeners = new Set<() => void>();
  readonly #closers = new Set<() => Promise<void>>();
  #version = 0;

  /** Changes whenever an endpoint comes or goes, so that callers can cache filtered lists. */
  get version(): number {
    return this.#version;
  }
  /** Ready endpoints no Service selects (yet): a Service applied later picks them up. */
  readonly #unselected = new Map<string, Endpoint>();

  constructor(services: readonly Service[]) {
    for (const service of services) {
      this.#services.set(serviceFqdn(service.name, service.namespace), {
        namespace: service.namespace,
        selector: service.selector,
        endpoints: [],
        cursor: 0,
      });
    }
  }

  /**
   * The Services in force after an apply: new ones get the ready endpoints their selector
   * matches, removed ones are forgotten, changed selectors re-select.
   */
  setServices(services: readonly Service[]): void {
    const ready = new Map<string, Endpoint>();
    for (const entry of this.#services.values()) for (const e of entry.endpoints) ready.set(e.name, e);
    for (const e of this.#unselected.values()) ready.set(e.name, e);
    const next = new Map<string, ServiceEntry>();
    for (const service of services) {
      const fqdn = serviceFqdn(service.name, service.namespace);
      const previous = this.#services.get(fqdn);
      const entry: ServiceEntry = {
        namespace: service.namespace,
        selector: service.selector,
        endpoints: [],
        cursor: previous?.cursor ?? 0,
      };
      entry.endpoints = Object.freeze([...ready.values()].filter((endpoint) => selects(entry, endpoint)));
      next.set(fqdn, entry);
    }
    this.#services.clear();
    for (const [fqdn, entry] of next) this.#services.set(fqdn, entry);
    this.#unselected.clear();
    for (const endpoint of ready.values()) {
      if (![...next.values()].some((entry) => entry.endpoints.includes(endpoint))) {
        this.#unselected.set(endpoint.name, endpoint);
      }
    }
    this.#changed();
  }

  /** Adds a ready endpoint to every Service whose selector matches its labels. */
  add(endpoint: Endpoint): void {
    let selected = false;
    for (const entry of this.#services.values()) if (selects(entry, endpoint)) selected = true;
    if (!selected) this.#unselected.set(endpoint.name, endpoint);
    for (const entry of this.#services.values()) {
      if (!selects(entry, endpoint) || entry.endpoints.some((e) => e.name === endpoint.name)) continue;
      entry.endpoints = Object.freeze([...entry.endpoints, endpoint]);
    }
    this.#changed();
  }

  remove(name: string): void {
    this.#unselected.delete(name);
    for (const entry of this.#services.values()) {
      const gone = entry.endpoints.find((endpoint) => endpoint.name === name);
      if (gone) entry.endpoints = Object.freeze(entry.endpoints.filter((endpoint) => endpoint !== gone));
    }
    this.#changed();
  }

  /** Is this endpoint (this very object) still ready, selected by a Service or not? */
  has(endpoint: Endpoint): boolean {
    if (this.#unselected.get(endpoint.name) === endpoint) return true;
    for (const entry of this.#services.values()) if (entry.endpoints.includes(endpoint)) return true;
    return false;
  }

  endpoints(service: string): readonly Endpoint[] {
    return this.#services.get(service)?.endpoints ?? [];
  }

  /** Round robin over the Service's ready endpoints. */
  pick(service: string): Endpoint | undefined {
    const entry = this.#services.get(service);
    if (!entry || entry.endpoints.length === 0) return undefined;
    entry.cursor = (entry.cursor + 1) % entry.endpoints.length;
    return entry.endpoints[entry.cursor];
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** `close` waits for `closer`: what was built on the registry (the data path's pools) ends with it. */
  onClose(closer: () => Promise<void>): void {
    this.#closers.add(closer);
  }

  async close(): Promise<void> {
    const closers = [...this.#closers];
    this.#closers.clear();
    await Promise.all(closers.map((closer) => closer().catch(() => {})));
  }

  #changed(): void {
    this.#version++;
    for (const listener of this.#listeners) listener();
  }
}

function selects(entry: ServiceEntry, endpoint: Endpoint): boolean {
  const keys = Object.keys(entry.selector);
  // As in Kubernetes, a Service without a selector gets no endpoints automatically.
  return (
    keys.length > 0 &&
    entry.namespace === endpoint.namespace &&
    keys.every((key) => endpoint.labels[key] === entry.selector[key])
  );
}
