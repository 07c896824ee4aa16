import { analyze, schemaErrors } from '../analyze/analyze.ts';
import type { AnalysisMessage } from '../analyze/messages.ts';
import { ManifestError, MeshError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { FieldReader } from '../manifests/fields.ts';
import { displayName, type KindInfo, kindOf } from '../manifests/kinds.ts';
import { buildTopology } from '../manifests/load.ts';
import type { Deployment, Service, Topology } from '../manifests/model.ts';
import {
  type ResourceRef,
  readerOf,
  readResource,
  resourceKey,
  type StoredResource,
  sameManifest,
} from '../manifests/resources.ts';

/** What an apply compiles the Istio resources into; the data plane's RoutingTable. */
export interface Compiled {
  readonly warnings: readonly string[];
}

/** Runs the Deployments (the Supervisor). */
export interface WorkloadController {
  /** Throws a MeshError when a Deployment cannot run locally (unknown image, Secret without a local value). */
  check(deployment: Deployment, topology: Topology): Promise<void>;
  /** Brings the replicas in line: starts, scales, rolls and stops; does not wait for readiness. */
  sync(topology: Topology): Promise<void>;
}

/** The endpoint registry: which Services exist, so their endpoints are tracked. */
export interface ServiceDirectory {
  setServices(services: readonly Service[]): void;
}

export interface ControlPlaneOptions<Table extends Compiled> {
  /** Pure: the data plane's `compileRoutingTable`. */
  readonly compile: (topology: Topology) => Table;
  /** Swaps the table in force (`RoutingState.replace`). */
  readonly install: (table: Table) => void;
  readonly workloads?: WorkloadController | undefined;
  readonly services?: ServiceDirectory | undefined;
  readonly log: Logger;
  readonly now?: () => number;
  /**
   * Keeps every object, after each change that passed every check and before it takes effect
   * (`AppliedState.save`); a failure refuses the change.
   */
  readonly save?: ((resources: readonly StoredResource[]) => Promise<void>) | undefined;
}

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'deleted';

export interface ChangeResult {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** kubectl's `virtualservice.networking.istio.io/back-virtualservice`. */
  readonly display: string;
  readonly action: ApplyAction;
}

export class NotFoundError extends MeshError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`, { httpStatus: 404 });
  }
}

/**
 * The store of applied resources. Every change is checked whole before anything moves:
 * documents, then the topology they make with everything already applied, then the routing
 * table; only then are the table swapped, the Services updated and the workloads synced.
 */
export class ControlPlane<Table extends Compiled = Compiled> {
  readonly #options: ControlPlaneOptions<Table>;
  readonly #now: () => number;
  #resources = new Map<string, StoredResource>();
  #topology: Topology;
  #table: Table;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ControlPlaneOptions<Table>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#topology = buildTopology([]);
    this.#table = options.compile(this.#topology);
  }

  get topology(): Topology {
    return this.#topology;
  }

  get table(): Table {
    return this.#table;
  }

  /** Every resource, in the order applied. */
  resources(): StoredResource[] {
    return [...this.#resources.values()];
  }

  list(info: KindInfo, namespace?: string, name?: string): StoredResource[] {
    return this.resources().filter(
      (resource) =>
        resource.kind === info.kind &&
        (namespace === undefined || !info.namespaced || resource.namespace === namespace) &&
        (name === undefined || resource.name === name),
    );
  }

  analyze(): AnalysisMessage[] {
    return analyze(this.resources());
  }

  /** kubectl apply: all documents or none. */
  apply(documents: readonly FieldReader[]): Promise<ChangeResult[]> {
    return this.#serially(async () => {
      const { next, results, changed } = this.#merge(this.#resources, documents);
      await this.#commit(next, changed);
      return results;
    });
  }

  /**
   * Start-up: the objects saved by the last run, then `documents` applied over them, checked and
   * started as one change.
   */
  restore(saved: readonly StoredResource[], documents: readonly FieldReader[]): Promise<ChangeResult[]> {
    return this.#serially(async () => {
      const base = new Map(saved.map((resource) => [resourceKey(resource), resource]));
      const { next, results } = this.#merge(base, documents);
      await this.#commit(next, [...next.values()]);
      return results;
    });
  }

  #merge(base: ReadonlyMap<string, StoredResource>, documents: readonly FieldReader[]) {
    const now = this.#now();
    const incoming = new Map<string, StoredResource>();
    for (const doc of documents) {
      const resource = readResource(doc, now);
      const key = resourceKey(resource);
      if (incoming.has(key)) {
        throw new ManifestError(
          doc.file,
          'metadata.name',
          `${resource.kind} ${resource.namespace}/${resource.name} appears twice`,
        );
      }
      incoming.set(key, resource);
    }
    const next = new Map(base);
    const results: ChangeResult[] = [];
    const changed: StoredResource[] = [];
    for (const [key, resource] of incoming) {
      const current = base.get(key);
      const action: ApplyAction = !current
        ? 'created'
        : sameManifest(current.manifest, resource.manifest)
          ? 'unchanged'
          : 'configured';
      next.set(key, current ? { ...resource, createdAt: current.createdAt } : resource);
      results.push(result(resource, action));
      if (action !== 'unchanged') changed.push(resource);
    }
    return { next, results, changed };
  }

  /** kubectl delete: the ones found go; a Namespace takes its resources with it. */
  delete(refs: readonly ResourceRef[]): Promise<{ results: ChangeResult[]; missing: ResourceRef[] }> {
    return this.#serially(async () => {
      const next = new Map(this.#resources);
      const results: ChangeResult[] = [];
      const missing: ResourceRef[] = [];
      for (const ref of refs) {
        const key = resourceKey(ref);
        const resource = next.get(key);
        if (!resource) {
          missing.push(ref);
          continue;
        }
        next.delete(key);
        results.push(result(resource, 'deleted'));
        if (resource.kind === 'Namespace') {
          for (const [otherKey, other] of next) if (other.namespace === resource.name) next.delete(otherKey);
        }
      }
      if (results.length > 0) await this.#commit(next, []);
      return { results, missing };
    });
  }

  async #commit(next: Map<string, StoredResource>, changed: readonly StoredResource[]): Promise<void> {
    const resources = [...next.values()];
    const topology = buildTopology(resources.map(readerOf));
    const refused = schemaErrors(changed);
    if (refused.length > 0) {
      const first = refused[0] as AnalysisMessage;
      const resource = changed.find((r) => r.name === first.origin.name && r.kind === first.origin.kind);
      throw new ManifestError(
        resource?.file ?? first.origin.name,
        first.field,
        first.message.replace(/^Schema validation error: /, ''),
      );
    }
    const workloads = this.#options.workloads;
    if (workloads) {
      for (const deployment of topology.deployments) {
        if (
          changed.some(
            (r) =>
              r.kind === deployment.kind &&
              r.name === deployment.name &&
              r.namespace === deployment.namespace,
          )
        ) {
          await workloads.check(deployment, topology);
        }
      }
    }
    const table = this.#options.compile(topology);
    await this.#options.save?.(resources);
    for (const warning of table.warnings) this.#options.log.warn(warning);

    this.#resources = next;
    this.#topology = topology;
    this.#table = table;
    this.#options.install(table);
    this.#options.services?.setServices(topology.services);
    await workloads?.sync(topology);
  }

  #serially<T>(run: () => Promise<T>): Promise<T> {
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => {});
    return done;
  }
}

function result(resource: StoredResource, action: ApplyAction): ChangeResult {
  const info = kindOf(resource.kind) as KindInfo;
  return {
    kind: resource.kind,
    namespace: resource.namespace,
    name: resource.name,
    display: displayName(info, resource.name),
    action,
  };
}
