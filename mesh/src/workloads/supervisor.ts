import { stat } from 'node:fs/promises';
import type { DatabaseStatus } from '../database/embedded.ts';
import type { Endpoint, EndpointRegistry } from '../endpoints/registry.ts';
import { TopologyError, WorkloadError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Container, Deployment, Topology } from '../manifests/model.ts';
import {
  checkEnv,
  commandLine,
  type EnvContext,
  type EnvSources,
  needsDatabase,
  type RuntimeValues,
  replicaEnv,
} from './local-env.ts';
import { Prober } from './probe.ts';
import { displayPath, type Profile, type Program } from './profile.ts';
import { executableOf, launchFile, playerOf } from './programs.ts';
import type { ProcessWatch } from './reaper.ts';
import { defaultTiming, type Launch, Replica, type ReplicaStatus, type ReplicaTiming } from './replica.ts';

/** A Deployment the runtime runs as local processes, one per replica. */
export interface LocalWorkload {
  readonly deployment: Deployment;
  readonly container: Container;
  readonly program: Program;
  /** Its environment or command names `$(mesh.databaseUrl)`. */
  readonly needsDatabase: boolean;
}

export type ResolvedWorkload =
  | { readonly kind: 'program'; readonly workload: LocalWorkload }
  | { readonly kind: 'database'; readonly deployment: Deployment };

export interface WorkloadPlan {
  readonly workloads: readonly LocalWorkload[];
  /** Deployments whose image is the database; the runtime's own PostgreSQL stands in for them. */
  readonly databases: readonly Deployment[];
  /** Whether any of them needs the runtime's PostgreSQL. */
  readonly needsDatabase: boolean;
}

/** What a Deployment is checked against: the profile, and what else is applied with it. */
export interface WorkloadContext extends EnvContext {
  /** Where bare command names are looked up: the PATH replicas inherit. */
  readonly path: string | undefined;
}

/**
 * Checks that a Deployment can run here: one container, a program in the profile for its image
 * (or the database), an applied Secret or a local value for every Secret key and an applied
 * ConfigMap for every reference it makes (unless optional), an existing working directory and an
 * executable command.
 */
export async function resolveWorkload(
  deployment: Deployment,
  context: WorkloadContext,
): Promise<ResolvedWorkload> {
  const { profile } = context;
  const where = `Deployment ${deployment.name}`;
  if (deployment.containers.length > 1) {
    throw new TopologyError(`${where}: only one container per pod runs locally`);
  }
  const container = deployment.containers[0] as Container;
  const player = playerOf(profile, container.image);
  if (!player) {
    throw new TopologyError(
      `${where}: no local program for image ${container.image} (add it to programs in ${displayPath(profile.file)})`,
    );
  }
  if (player.kind === 'database') return { kind: 'database', deployment };
  const { program } = player;
  checkEnv(deployment, container, context);
  const isDirectory = await stat(program.workingDir).then(
    (found) => found.isDirectory(),
    () => false,
  );
  if (!isDirectory) {
    throw new WorkloadError(
      `${where}: the working directory ${displayPath(program.workingDir)} does not exist`,
    );
  }
  const command = (container.command ?? program.command)[0];
  if (command !== undefined && !command.includes('$')) {
    const executable = await executableOf(command, program.workingDir, context.path);
    if (!executable) {
      const from = container.command ? 'its command' : `${program.field}.command`;
      throw new WorkloadError(
        `${where}: ${command} is not an executable ${command.includes('/') ? 'file' : 'on PATH'} (${from}, ${displayPath(profile.file)})`,
      );
    }
  }
  return {
    kind: 'program',
    workload: {
      deployment,
      container,
      program,
      needsDatabase: needsDatabase(deployment, container, program, context),
    },
  };
}

/** Checks every Deployment before anything starts. */
export async function planWorkloads(
  topology: Topology,
  context: Omit<WorkloadContext, 'configMaps' | 'secrets'>,
): Promise<WorkloadPlan> {
  const workloads: LocalWorkload[] = [];
  const databases: Deployment[] = [];
  for (const deployment of topology.deployments) {
    const resolved = await resolveWorkload(deployment, {
      ...context,
      configMaps: topology.configMaps,
      secrets: topology.secrets,
    });
    if (resolved.kind === 'database') databases.push(deployment);
    else workloads.push(resolved.workload);
  }
  return {
    workloads,
    databases,
    needsDatabase: databases.length > 0 || workloads.some((workload) => workload.needsDatabase),
  };
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

export interface LocalDatabase extends DatabaseHealth {
  readonly url: string;
  /** Where it listens, as `mesh get pods` shows it: `tcp://127.0.0.1:<port>`. */
  readonly origin: string;
}

/** The runtime's PostgreSQL, started the first time a workload needs it (then the same one). */
export interface DatabaseProvider {
  ensure(): Promise<LocalDatabase>;
}

export interface SupervisorOptions {
  readonly profile: Profile;
  readonly endpoints: EndpointRegistry;
  readonly values: RuntimeValues;
  readonly database: DatabaseProvider;
  /** Environment every replica inherits (PATH, HOME...). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
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
  #applied: AppliedEnv = { configMaps: [], secrets: [] };
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

  /** Refuses a Deployment that cannot run here; starts the database when it is the first to need it. */
  async check(deployment: Deployment, topology: Topology): Promise<void> {
    await this.#resolve(deployment, topology);
  }

  /** Starts, updates and stops runners; returns once every change is under way, not when ready. */
  async sync(topology: Topology): Promise<void> {
    if (this.#stopped) return;
    this.#applied = { configMaps: topology.configMaps, secrets: topology.secrets };
    const desired = new Map(topology.deployments.map((deployment) => [keyOf(deployment), deployment]));
    for (const [key, runner] of this.#runners) {
      if (desired.has(key)) continue;
      this.#runners.delete(key);
      runner.remove();
    }
    for (const [key, deployment] of desired) {
      let runner = this.#runners.get(key);
      const resolved = await this.#resolve(deployment, topology).catch((error: Error) => {
        // Changed Deployments were checked before the apply; this one was not changed, but a
        // ConfigMap or Secret it reads went away. As on a cluster, its running replicas go on and
        // a replica that starts waits for it (CreateContainerConfigError).
        if (!runner || !(error instanceof TopologyError)) throw error;
        this.#options.log.warn(`${error.message}; its running replicas keep their environment`);
        return undefined;
      });
      if (!resolved) continue;
      if (!runner) {
        runner = new DeploymentRunner(this.#options, this.#prober, this.#timing, () => this.#applied);
        this.#runners.set(key, runner);
      }
      runner.update(resolved);
    }
  }

  async #resolve(deployment: Deployment, topology: Topology): Promise<RunnableWorkload> {
    const resolved = await resolveWorkload(deployment, {
      profile: this.#options.profile,
      configMaps: topology.configMaps,
      secrets: topology.secrets,
      path: this.#options.inheritedEnv.PATH,
    });
    const wanted = resolved.kind === 'database' || resolved.workload.needsDatabase;
    return { resolved, database: wanted ? await this.#options.database.ensure() : undefined };
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

/** The ConfigMaps and Secrets applied now: what a replica starting now reads. */
type AppliedEnv = Pick<EnvContext, 'configMaps' | 'secrets'>;

/** A checked workload and, when it needs one, the database it gets. */
interface RunnableWorkload {
  readonly resolved: ResolvedWorkload;
  readonly database: LocalDatabase | undefined;
}

/** One Deployment's replicas; every change runs after the previous one, on its own queue. */
class DeploymentRunner {
  readonly #options: SupervisorOptions;
  readonly #prober: Prober;
  readonly #timing: ReplicaTiming;
  readonly #applied: () => AppliedEnv;
  #runnable: RunnableWorkload | undefined;
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

  constructor(options: SupervisorOptions, prober: Prober, timing: ReplicaTiming, applied: () => AppliedEnv) {
    this.#options = options;
    this.#prober = prober;
    this.#timing = timing;
    this.#applied = applied;
  }

  update(runnable: RunnableWorkload): void {
    this.#enqueue(() => this.#apply(runnable));
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
    const database = this.#playedDatabase();
    if (database) {
      return [
        {
          deployment: deployment.name,
          name: `${deployment.name}-0`,
          namespace: deployment.namespace,
          ...database.status(),
          address: database.origin,
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
    const database = this.#playedDatabase();
    const all = [...this.#old, ...this.#current];
    return {
      namespace: deployment.namespace,
      name: deployment.name,
      desired: database ? 1 : deployment.replicas,
      ready: database ? Number(database.status().ready) : all.filter((replica) => replica.ready).length,
      upToDate: database ? 1 : this.#current.length,
      outbound: this.#outbound,
    };
  }

  /** The runtime's PostgreSQL, when this Deployment is the database it stands in for. */
  #playedDatabase(): LocalDatabase | undefined {
    return this.#runnable?.resolved.kind === 'database' ? this.#runnable.database : undefined;
  }

  #deployment(): Deployment | undefined {
    const resolved = this.#runnable?.resolved;
    if (!resolved) return undefined;
    return resolved.kind === 'program' ? resolved.workload.deployment : resolved.deployment;
  }

  #enqueue(run: () => Promise<void>): void {
    this.#queue = this.#queue.then(run).catch((error: Error) => this.#options.log.error(error.message));
  }

  async #apply(runnable: RunnableWorkload): Promise<void> {
    if (this.#removed) return;
    this.#runnable = runnable;
    const { resolved, database } = runnable;
    if (resolved.kind === 'database') {
      const played = database as LocalDatabase;
      const deployment = resolved.deployment;
      const endpoint: Endpoint = {
        name: `${deployment.name}-0`,
        namespace: deployment.namespace,
        origin: played.origin,
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
        if (played.status().ready) this.#options.endpoints.add(current);
        else this.#options.endpoints.remove(current.name);
      };
      this.#unwatchDatabase ??= played.onChange(follow);
      follow();
      return;
    }
    const { workload } = resolved;
    const { deployment } = workload;
    if (this.#outbound === undefined && this.#options.outbound) {
      this.#outbound = (await this.#options.outbound.open(deployment)).url;
    }
    // ConfigMaps and Secrets are not part of the template: a changed one reaches replicas as they
    // (re)start.
    const template = JSON.stringify([
      deployment.podLabels,
      deployment.podAnnotations,
      workload.container,
      workload.program,
    ]);
    if (template !== this.#template) {
      if (this.#template !== '') this.#options.log.info(`deployment ${deployment.name}: rolling update`);
      this.#template = template;
      this.#old.push(...this.#current);
      this.#current = [];
    }
    await this.#scale(workload, database);
  }

  /** Up to `replicas` replicas of the current template, old ones stopped as new ones get ready. */
  async #scale(workload: LocalWorkload, database: LocalDatabase | undefined): Promise<void> {
    const want = workload.deployment.replicas;
    const rolloutTimeout = this.#options.rolloutTimeoutMs ?? 60_000;
    while (!this.#removed && this.#old.length > 0 && this.#current.length < want) {
      const replica = this.#startReplica(workload, database);
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
    while (this.#current.length < want) this.#startReplica(workload, database);
    if (extra.length > 0) {
      this.#options.log.info(`deployment ${workload.deployment.name}: scaled down to ${want}`);
    }
    await Promise.all([...extraOld, ...extra].map((replica) => replica.stop()));
  }

  #startReplica(workload: LocalWorkload, database: LocalDatabase | undefined): Replica {
    const { deployment, container, program } = workload;
    const outbound = this.#outbound;
    const pod = {
      name: `${deployment.name}-${this.#ordinal++}`,
      namespace: deployment.namespace,
      labels: deployment.podLabels,
    };
    const launch = (port: number): Launch => {
      // Read at every start, restarts included, as the kubelet reads env when it creates a container.
      const sources: EnvSources = {
        profile: this.#options.profile,
        program,
        values: this.#options.values,
        databaseUrl: database?.url,
        ...this.#applied(),
        inherited: this.#options.inheritedEnv,
      };
      checkEnv(deployment, container, sources);
      const env = replicaEnv(container, pod, sources, port, outbound);
      const [command, ...args] = commandLine(container, sources, env);
      return { file: launchFile(command as string), args, env };
    };
    const replica = new Replica(
      {
        ...pod,
        cwd: program.workingDir,
        launch,
        readinessProbe: container.readinessProbe,
        livenessProbe: container.livenessProbe,
        containerPort: container.ports[0]?.containerPort,
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
