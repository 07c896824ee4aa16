import { Pool } from 'undici';
import type { Service } from '../manifests/model.ts';
import { serviceFqdn } from '../routing/hosts.ts';

/** A ready pod, as the ingress sees it: where to send requests and the labels subsets will select on. */
export interface Endpoint {
  /** The replica's name (`back-v1-0`). */
  readonly name: string;
  readonly namespace: string;
  readonly origin: string;
  readonly labels: Readonly<Record<string, string>>;
}

interface ServiceEntry {
  readonly namespace: string;
  readonly selector: Readonly<Record<string, string>>;
  endpoints: readonly Endpoint[];
  cursor: number;
}

const poolOptions: Pool.Options = {
  connections: 64,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 120_000,
  headersTimeout: 0,
  bodyTimeout: 0,
};

/** Which endpoints of each Service are ready, with one keep-alive connection pool per endpoint. */
export class EndpointRegistry {
  readonly #services = new Map<string, ServiceEntry>();
  readonly #pools = new Map<string, Pool>();
  readonly #listeners = new Set<() => void>();

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

  /** Adds a ready endpoint to every Service whose selector matches its labels. */
  add(endpoint: Endpoint): void {
    for (const entry of this.#services.values()) {
      if (!selects(entry, endpoint) || entry.endpoints.some((e) => e.name === endpoint.name)) continue;
      entry.endpoints = Object.freeze([...entry.endpoints, endpoint]);
    }
    this.#changed();
  }

  remove(name: string): void {
    let origin: string | undefined;
    for (const entry of this.#services.values()) {
      const gone = entry.endpoints.find((endpoint) => endpoint.name === name);
      if (!gone) continue;
      origin = gone.origin;
      entry.endpoints = Object.freeze(entry.endpoints.filter((endpoint) => endpoint !== gone));
    }
    if (origin !== undefined) {
      // In-flight requests finish; the next pick no longer sees the endpoint.
      this.#pools
        .get(origin)
        ?.close()
        .catch(() => {});
      this.#pools.delete(origin);
    }
    this.#changed();
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

  pool(endpoint: Endpoint): Pool {
    let pool = this.#pools.get(endpoint.origin);
    if (!pool) {
      pool = new Pool(endpoint.origin, poolOptions);
      this.#pools.set(endpoint.origin, pool);
    }
    return pool;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }

  #changed(): void {
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
