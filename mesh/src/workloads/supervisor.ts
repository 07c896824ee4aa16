import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseStatus } from '../database/embedded.ts';
import type { Endpoint, EndpointRegistry } from '../endpoints/registry.ts';
import { TopologyError, WorkloadError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Container, Deployment, Topology } from '../manifests/model.ts';
import { type ImageTable, imageName } from './images.ts';
import { hasLocalSecret, type LocalValues, replicaEnv } from './local-env.ts';
import { Prober } from './probe.ts';
import type { ProcessWatch } from './reaper.ts';
import { defaultTiming, Replica, type ReplicaStatus, type ReplicaTiming } from './replica.ts';

/** A Deployment the runtime runs as Node processes. */
export interface NodeWorkload {
  readonly deployment: Deployment;
  readonly container: Container;
  readonly entry: string;
}

export type ResolvedWorkload =
  | { readonly kind: 'node'; readonly workload: NodeWorkload }
  | { readonly kind: 'database'; readonly deployment: Deployment };

export interface WorkloadPlan {
  readonly workloads: readonly NodeWorkload[];
  /** Deployments whose image is the database; the runtime's own PostgreSQL stands in for them. */
  readonly databases: readonly Deployment[];
}

/**
 * Checks that a Deployment can run here: one container, a local program for its image, and a
 * local value for every Secret it reads.
 */
export async function resolveWorkload(
  deployment: Deployment,
  images: ImageTable,
  repoRoot: string,
): Promise<ResolvedWorkload> {
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
  if (image.kind === 'database') return { kind: 'database', deployment };
  for (const variable of container.env) {
    if ('secretKeyRef' in variable && !hasLocalSecret(variable.secretKeyRef)) {
      throw new TopologyError(
        `Deployment ${deployment.name}: env ${variable.name} comes from Secret ${variable.secretKeyRef.name}, which has no local value (see mesh/src/workloads/local-env.ts)`,
      );
    }
  }
  const entry = join(repoRoot, image.entry);
  await access(entry).catch(() => {
    throw new WorkloadError(`Deployment ${deployment.name}: ${image.entry} does not exist`);
  });
  return { kind: 'node', workload: { deployment, container, entry } };
}

/** Checks every Deployment before anything starts. */
export async function planWorkloads(
  topology: Topology,
  images: ImageTable,
  repoRoot: string,
): Promise<WorkloadPlan> {
  const workloads: NodeWorkload[] = [];
  const databases: Deployment[] = [];
  for (const deployment of topology.deployments) {
    const resolved = await resolveWorkload(deployment, images, repoRoot);
    if (resolved.kind === 'database') databases.push(deployment);
    else workloads.push(resolved.workload);
  }
  return { workloads, databases };
}

/**
 * One outbound listener per workload: what `http://back:8080` inside a replica goes through.
 * The runtime adapts the data plane's listener to this (see control/outbound.ts).
 */
export interface OutboundListeners {
  /** Opens the Deployment's listener; its replicas get the returned URL as HTTP_PROXY. */
  open(deployment: Deployment): Promise<{ readonly url: string }>;
  close(deployment: Deployment): Promise<void>;
}

/** The runtime's PostgreSQL as the pod of a database Deployment shows it. */
export interface DatabaseHealth {
  status(): DatabaseStatus;
  /** Called whenever readiness changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export interface SupervisorOptions {
  readonly images: ImageTable;
  readonly repoRoot: string;
  readonly endpoints: EndpointRegistry;
  readonly values: LocalValues;
  /** Where the runtime's PostgreSQL listens (`tcp://127.0.0.1:<port>`), for database Deployments. */
  readonly databaseOrigin: string;
  readonly database: DatabaseHealth;
  /** Environment every replica inherits (PATH, HOME...). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly log: Logger;
  readonly timing?: ReplicaTiming | undefined;
  readonly outbound?: OutboundListeners | undefined;
  /** Told of every replica process, to kill them should the runtime die. */
  readonly watch?: ProcessWatch | undefined;
  /** How long a rolling update waits for each new replica to get ready. Default 60 s. */
  readonly rolloutTimeoutMs?: number | undefined;
}

export interface PodStatus extends ReplicaStatus {
  readonly deployment: string;
}

export interface DeploymentStatus {
  readonly namespace: string;
  readonly name: string;
  readonly desired: number;
  readonly ready: number;
  readonly upToDate: number;
  /** The outbound listener's URL, when the workload has one. */
  readonly outbound: string | undefined;
}

const keyOf = (deployment: Deployment) => `${deployment.namespace}/${deployment.name}`;

/**
 * Runs each Deployment's replicas and keeps them in line with its latest spec: more replicas
 * start, extra ones stop (out of the endpoints first, then SIGTERM), a changed pod template rolls
 * one replica at a time (start a new one, wait until ready, stop an old one).
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #timing: ReplicaTiming;
  readonly #prober = new Prober();
  readonly #runners = new Map<string, DeploymentRunner>();
  #stopped = false;
  readonly #onProcessExit = () => {
    for (const runner of this.#runners.values()) runner.kill();
  };

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#timing = options.timing ?? defaultTiming;
    // Replicas live in their own process groups; if the runtime dies abruptly they die with it.
    process.once('exit', this.#onProcessExit);
  }

  async check(deployment: Deployment): Promise<void> {
    await resolveWorkload(deployment, this.#options.images, this.#options.repoRoot);
  }

  /** Starts, updates and stops runners; returns once every change is under way, not when ready. */
  async sync(deployments: readonly Deployment[]): Promise<void> {
    if (this.#stopped) return;
    const desired = new Map(deployments.map((deployment) => [keyOf(deployment), deployment]));
    for (const [key, runner] of this.#runners) {
      if (desired.has(key)) continue;
      this.#runners.delete(key);
      runner.remove();
    }
    for (const [key, deployment] of desired) {
      const resolved = await resolveWorkload(deployment, this.#options.images, this.#options.repoRoot);
      let runner = this.#runners.get(key);
      if (!runner) {
        runner = new DeploymentRunner(this.#options, this.#prober, this.#timing);
        this.#runners.set(key, runner);
      }
      runner.update(resolved);
    }
  }

  /** Resolves once every runner has finished what it was asked (replicas spawned, rollouts done). */
  async settled(): Promise<void> {
    await Promise.all([...this.#runners.values()].map((runner) => runner.settled()));
  }

  pods(): PodStatus[] {
    return [...this.#runners.values()].flatMap((runner) => runner.pods());
  }

  deployments(): DeploymentStatus[] {
    return [...this.#runners.values()].flatMap((runner) => runner.status() ?? []);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const runners = [...this.#runners.values()];
    // The runners stay listed until their replicas are gone: if the runtime dies mid-stop, the
    // exit hook still kills them.
    await Promise.all(runners.map((runner) => runner.remove()));
    this.#runners.clear();
    process.off('exit', this.#onProcessExit);
    await this.#prober.close();
  }
}

/** One Deployment's replicas; every change runs after the previous one, on its own queue. */
class DeploymentRunner {
  readonly #options: SupervisorOptions;
  readonly #prober: Prober;
  readonly #timing: ReplicaTiming;
  #resolved: ResolvedWorkload | undefined;
  #template = '';
  /** Replicas of the current template. */
  #current: Replica[] = [];
  /** Replicas of earlier templates, until a rollout replaces them. */
  #old: Replica[] = [];
  #ordinal = 0;
  #outbound: string | undefined;
  #databaseEndpoint: Endpoint | undefined;
  #unwatchDatabase: (() => void) | undefined;
  #removed = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: SupervisorOptions, prober: Prober, timing: ReplicaTiming) {
    this.#options = options;
    this.#prober = prober;
    this.#timing = timing;
  }

  update(resolved: ResolvedWorkload): void {
    this.#enqueue(() => this.#apply(resolved));
  }

  remove(): Promise<void> {
    this.#removed = true;
    // Stop at once (waiters of a rollout resolve), then let the queue drain.
    const replicas = [...this.#current, ...this.#old];
    const stopping = Promise.all(replicas.map((replica) => replica.stop()));
    this.#enqueue(async () => {
      await stopping;
      this.#current = [];
      this.#old = [];
      this.#unwatchDatabase?.();
      if (this.#databaseEndpoint) this.#options.endpoints.remove(this.#databaseEndpoint.name);
      const deployment = this.#deployment();
      if (this.#outbound !== undefined && deployment) await this.#options.outbound?.close(deployment);
    });
    return this.#queue;
  }

  settled(): Promise<void> {
    return this.#queue;
  }

  kill(): void {
    for (const replica of [...this.#current, ...this.#old]) replica.kill();
  }

  pods(): PodStatus[] {
    const deployment = this.#deployment();
    if (!deployment) return [];
    if (this.#resolved?.kind === 'database') {
      return [
        {
          deployment: deployment.name,
          name: `${deployment.name}-0`,
          namespace: deployment.namespace,
          ...this.#options.database.status(),
          address: this.#options.databaseOrigin,
        },
      ];
    }
    return [...this.#old, ...this.#current].map((replica) => ({
      deployment: deployment.name,
      ...replica.status(),
    }));
  }

  status(): DeploymentStatus | undefined {
    const deployment = this.#deployment();
    if (!deployment) return undefined;
    const database = this.#resolved?.kind === 'database';
    const all = [...this.#old, ...this.#current];
    return {
      namespace: deployment.namespace,
      name: deployment.name,
      desired: database ? 1 : deployment.replicas,
      ready: database
        ? Number(this.#options.database.status().ready)
        : all.filter((replica) => replica.ready).length,
      upToDate: database ? 1 : this.#current.length,
      outbound: this.#outbound,
    };
  }

  #deployment(): Deployment | undefined {
    const resolved = this.#resolved;
    if (!resolved) return undefined;
    return resolved.kind === 'node' ? resolved.workload.deployment : resolved.deployment;
  }

  #enqueue(run: () => Promise<void>): void {
    this.#queue = this.#queue.then(run).catch((error: Error) => this.#options.log.error(error.message));
  }

  async #apply(resolved: ResolvedWorkload): Promise<void> {
    if (this.#removed) return;
    this.#resolved = resolved;
    if (resolved.kind === 'database') {
      const deployment = resolved.deployment;
      const endpoint: Endpoint = {
        name: `${deployment.name}-0`,
        namespace: deployment.namespace,
        origin: this.#options.databaseOrigin,
        labels: deployment.podLabels,
      };
      if (this.#databaseEndpoint && this.#databaseEndpoint.name !== endpoint.name) {
        this.#options.endpoints.remove(this.#databaseEndpoint.name);
      }
      this.#databaseEndpoint = endpoint;
      // The endpoint follows the database's readiness, as a replica's does.
      const follow = () => {
        const current = this.#databaseEndpoint;
        if (!current || this.#removed) return;
        if (this.#options.database.status().ready) this.#options.endpoints.add(current);
        else this.#options.endpoints.remove(current.name);
      };
      this.#unwatchDatabase ??= this.#options.database.onChange(follow);
      follow();
      return;
    }
    const { workload } = resolved;
    const { deployment } = workload;
    if (this.#outbound === undefined && this.#options.outbound) {
      this.#outbound = (await this.#options.outbound.open(deployment)).url;
    }
    const template = JSON.stringify([deployment.podLabels, workload.container, workload.entry]);
    if (template !== this.#template) {
      if (this.#template !== '') this.#options.log.info(`deployment ${deployment.name}: rolling update`);
      this.#template = template;
      this.#old.push(...this.#current);
      this.#current = [];
    }
    await this.#scale(workload);
  }

  /** Up to `replicas` replicas of the current template, old ones stopped as new ones get ready. */
  async #scale(workload: NodeWorkload): Promise<void> {
    const want = workload.deployment.replicas;
    const rolloutTimeout = this.#options.rolloutTimeoutMs ?? 60_000;
    while (!this.#removed && this.#old.length > 0 && this.#current.length < want) {
      const replica = this.#startReplica(workload);
      const ready = await replica.whenReady(rolloutTimeout);
      if (!ready) {
        if (!this.#removed) {
          this.#options.log.warn(
            `deployment ${workload.deployment.name}: ${replica.spec.name} not ready after ${rolloutTimeout / 1000} s; the rollout waits, old replicas keep serving`,
          );
        }
        return;
      }
      await (this.#old.shift() as Replica).stop();
    }
    if (this.#removed) return;
    // Old replicas left over when the new spec wants fewer.
    const extraOld = this.#old.splice(0);
    const extra = this.#current.splice(want);
    while (this.#current.length < want) this.#startReplica(workload);
    if (extra.length > 0) {
      this.#options.log.info(`deployment ${workload.deployment.name}: scaled down to ${want}`);
    }
    await Promise.all([...extraOld, ...extra].map((replica) => replica.stop()));
  }

  #startReplica(workload: NodeWorkload): Replica {
    const { deployment, container, entry } = workload;
    const outbound = this.#outbound;
    const replica = new Replica(
      {
        name: `${deployment.name}-${this.#ordinal++}`,
        namespace: deployment.namespace,
        labels: deployment.podLabels,
        entry,
        cwd: this.#options.cwd,
        env: (port) =>
          replicaEnv(container, this.#options.values, this.#options.inheritedEnv, port, outbound),
        readinessProbe: container.readinessProbe,
        livenessProbe: container.livenessProbe,
      },
      this.#options.log,
      this.#prober,
      {
        ready: (endpoint) => {
          this.#options.log.info(`${endpoint.name} ready`);
          this.#options.endpoints.add(endpoint);
        },
        unready: (name) => this.#options.endpoints.remove(name),
        spawned: (pid) => this.#options.watch?.watchGroup(pid),
        exited: (pid) => this.#options.watch?.forgetGroup(pid),
      },
      this.#timing,
    );
    this.#current.push(replica);
    replica
      .start()
      .catch((error: Error) => this.#options.log.error(`${replica.spec.name}: ${error.message}`));
    return replica;
  }
}
