import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { EndpointRegistry } from '../endpoints/registry.ts';
import { TopologyError, WorkloadError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Container, Deployment, Topology } from '../manifests/model.ts';
import { type ImageTable, imageName } from './images.ts';
import { type LocalValues, overriddenNames, replicaEnv } from './local-env.ts';
import { Prober } from './probe.ts';
import { defaultTiming, Replica, type ReplicaTiming } from './replica.ts';

/** A Deployment the runtime runs as Node processes. */
export interface NodeWorkload {
  readonly deployment: Deployment;
  readonly container: Container;
  readonly entry: string;
}

export interface WorkloadPlan {
  readonly workloads: readonly NodeWorkload[];
  /** Deployments whose image is the database; the runtime's own PostgreSQL stands in for them. */
  readonly databases: readonly Deployment[];
}

/**
 * Checks, before anything starts, that every Deployment has a local program and every Secret
 * a container reads has a local value.
 */
export async function planWorkloads(
  topology: Topology,
  images: ImageTable,
  repoRoot: string,
): Promise<WorkloadPlan> {
  const workloads: NodeWorkload[] = [];
  const databases: Deployment[] = [];
  for (const deployment of topology.deployments) {
    if (deployment.containers.length > 1) {
      throw new TopologyError(`Deployment ${deployment.name}: only one container per pod runs locally`);
    }
    const container = deployment.containers[0] as Container;
    const image = images[imageName(container.image)];
    if (!image) {
      throw new TopologyError(
        `Deployment ${deployment.name}: no local program for image ${container.image} (see mesh/src/workloads/images.ts)`,
      );
    }
    if (image.kind === 'database') {
      databases.push(deployment);
      continue;
    }
    for (const variable of container.env) {
      if ('secretKeyRef' in variable && !overriddenNames.has(variable.name)) {
        throw new TopologyError(
          `Deployment ${deployment.name}: env ${variable.name} comes from Secret ${variable.secretKeyRef.name}, which has no local value (see mesh/src/workloads/local-env.ts)`,
        );
      }
    }
    const entry = join(repoRoot, image.entry);
    await access(entry).catch(() => {
      throw new WorkloadError(`Deployment ${deployment.name}: ${image.entry} does not exist`);
    });
    workloads.push({ deployment, container, entry });
  }
  return { workloads, databases };
}

export interface SupervisorOptions {
  readonly plan: WorkloadPlan;
  readonly endpoints: EndpointRegistry;
  readonly values: LocalValues;
  /** Environment every replica inherits (PATH, HOME...). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly log: Logger;
  readonly timing?: ReplicaTiming;
}

/** Runs `replicas` processes per Deployment and keeps the endpoint registry in step with their readiness. */
export class Supervisor {
  readonly #replicas: Replica[];
  readonly #prober = new Prober();
  readonly #onProcessExit = () => {
    for (const replica of this.#replicas) replica.kill();
  };

  constructor(options: SupervisorOptions) {
    const { endpoints, log, values, inheritedEnv } = options;
    const events = {
      ready: (endpoint: Parameters<EndpointRegistry['add']>[0]) => {
        log.info(`${endpoint.name} ready`);
        endpoints.add(endpoint);
      },
      unready: (name: string) => endpoints.remove(name),
    };
    this.#replicas = options.plan.workloads.flatMap(({ deployment, container, entry }) =>
      Array.from(
        { length: deployment.replicas },
        (_, index) =>
          new Replica(
            {
              name: `${deployment.name}-${index}`,
              namespace: deployment.namespace,
              labels: deployment.podLabels,
              entry,
              cwd: options.cwd,
              env: (port) => replicaEnv(container, values, inheritedEnv, port),
              readinessProbe: container.readinessProbe,
              livenessProbe: container.livenessProbe,
            },
            log,
            this.#prober,
            events,
            options.timing ?? defaultTiming,
          ),
      ),
    );
  }

  async start(): Promise<void> {
    // Replicas live in their own process groups; if the runtime dies abruptly they die with it.
    process.once('exit', this.#onProcessExit);
    await Promise.all(this.#replicas.map((replica) => replica.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#replicas.map((replica) => replica.stop()));
    process.off('exit', this.#onProcessExit);
    await this.#prober.close();
  }
}
