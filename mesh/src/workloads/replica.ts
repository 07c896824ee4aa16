import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Endpoint } from '../endpoints/registry.ts';
import type { Logger } from '../log.ts';
import type { HttpGetProbe } from '../manifests/model.ts';
import { findFreePort } from '../net/ports.ts';
import type { Prober } from './probe.ts';

/** Everything needed to run one pod of a Deployment as a local process. */
export interface ReplicaSpec {
  /** `<deployment>-<index>`, the prefix of its output lines. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly cwd: string;
  /**
   * What to run, given the port the replica must listen on (its PORT). Throws when the
   * environment cannot be made now (a ConfigMap or Secret it reads is gone); its message names
   * what is missing, never a value.
   */
  readonly launch: (port: number) => Launch;
  readonly readinessProbe: HttpGetProbe | undefined;
  readonly livenessProbe: HttpGetProbe | undefined;
  /** The port the container declares, for the inbound side's cluster name. */
  readonly containerPort?: number | undefined;
}

export interface Launch {
  /** The executable: a path, or a name looked up on the PATH of `env`. */
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
}

export interface ReplicaStatus {
  readonly name: string;
  readonly namespace: string;
  readonly ready: boolean;
  readonly phase:
    | 'ContainerCreating'
    | 'CreateContainerConfigError'
    | 'Running'
    | 'CrashLoopBackOff'
    | 'Terminating';
  readonly restarts: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** `http://127.0.0.1:<port>`, empty until the first start. */
  readonly address: string;
  readonly pid: number | undefined;
}

export interface ReplicaEvents {
  ready(endpoint: Endpoint): void;
  unready(name: string): void;
  /** The process (leader of its own group) started and ended: the reaper follows it. */
  spawned(pid: number): void;
  exited(pid: number): void;
}

export interface ReplicaTiming {
  /** Readiness polling until the first success, before the probe's own period applies. */
  readonly startupPollMs: number;
  readonly stopGraceMs: number;
  readonly backoffMs: { readonly initial: number; readonly max: number };
  /** A replica that ran this long before dying restarts without accumulated backoff. */
  readonly stableMs: number;
}

export const defaultTiming: ReplicaTiming = {
  startupPollMs: 200,
  stopGraceMs: 10_000,
  backoffMs: { initial: 1_000, max: 30_000 },
  stableMs: 10_000,
};

/**
 * One replica's life: spawn, probe, join or leave its Services' endpoints, restart with
 * exponential backoff after a crash or a failed liveness probe, stop with SIGTERM then SIGKILL.
 */
export class Replica {
  readonly spec: ReplicaSpec;
  readonly #log: Logger;
  readonly #prober: Prober;
  readonly #events: ReplicaEvents;
  readonly #timing: ReplicaTiming;
  #child: ChildProcess | undefined;
  #origin = '';
  #ready = false;
  #stopping = false;
  #backoff: number;
  #timers = new Set<NodeJS.Timeout>();
  #exited: Promise<void> = Promise.resolve();
  #restarts = 0;
  #waitingRestart = false;
  #configError = false;
  readonly #createdAt = Date.now();
  readonly #readyWaiters = new Set<(ready: boolean) => void>();

  constructor(spec: ReplicaSpec, log: Logger, prober: Prober, events: ReplicaEvents, timing = defaultTiming) {
    this.spec = spec;
    this.#log = log;
    this.#prober = prober;
    this.#events = events;
    this.#timing = timing;
    this.#backoff = timing.backoffMs.initial;
  }

  /** What `mesh get pods` shows. */
  status(): ReplicaStatus {
    const alive =
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
    const phase = this.#stopping
      ? 'Terminating'
      : this.#configError
        ? 'CreateContainerConfigError'
        : this.#waitingRestart
          ? 'CrashLoopBackOff'
          : alive
            ? 'Running'
            : 'ContainerCreating';
    return {
      name: this.spec.name,
      namespace: this.spec.namespace,
      ready: this.#ready,
      phase,
      restarts: this.#restarts,
      createdAt: this.#createdAt,
      address: this.#origin,
      pid: alive ? this.#child?.pid : undefined,
    };
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves true once the replica is ready, false if it is stopped or `timeoutMs` passes first. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true);
    if (this.#stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.#readyWaiters.delete(done);
        resolve(ready);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#readyWaiters.add(done);
    });
  }

  async start(): Promise<void> {
    if (this.#stopping) return;
    this.#waitingRestart = false;
    const port = await findFreePort();
    if (this.#stopping) return;
    this.#origin = `http://127.0.0.1:${port}`;
    let launch: Launch;
    try {
      launch = this.spec.launch(port);
    } catch (error) {
      this.#retryLaunch((error as Error).message);
      return;
    }
    this.#configError = false;
    const child = spawn(launch.file, launch.args, {
      cwd: this.spec.cwd,
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches the runtime only, which then stops
      // replicas in order, and a group kill also takes whatever the replica spawned.
      detached: true,
    });
    this.#child = child;
    const pid = child.pid;
    if (pid !== undefined) this.#events.spawned(pid);
    const startedAt = Date.now();
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) => this.#log.output(this.spec.name, line));
    }
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (pid !== undefined) this.#events.exited(pid);
        resolve();
        this.#onExit(code, signal, Date.now() - startedAt);
      });
    });
    child.once('error', (error) => this.#log.error(`${this.spec.name}: ${error.message}`));
    this.#log.debug(`${this.spec.name} started (pid ${child.pid}, port ${port})`);
    this.#watchReadiness(child, port);
    this.#watchLiveness(child);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const waiter of this.#readyWaiters) waiter(false);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#setReady(false);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), this.#timing.stopGraceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Last resort when the runtime itself is going down abruptly. */
  kill(): void {
    if (this.#child && this.#child.exitCode === null) signalGroup(this.#child, 'SIGKILL');
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null, ranMs: number): void {
    this.#setReady(false);
    if (this.#stopping) return;
    if (ranMs >= this.#timing.stableMs) this.#backoff = this.#timing.backoffMs.initial;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    this.#restarts++;
    this.#waitingRestart = true;
    this.#log.warn(`${this.spec.name} exited (${how}); restarting in ${this.#backoff / 1000} s`);
    this.#later(this.#backoff, () => {
      this.start().catch((error: Error) => this.#log.error(`${this.spec.name}: ${error.message}`));
    });
    this.#backoff = Math.min(this.#backoff * 2, this.#timing.backoffMs.max);
  }

  /**
   * The kubelet's CreateContainerConfigError: no process is started, and the start is retried
   * with the same backoff as a crash until what the environment reads is applied again.
   */
  #retryLaunch(reason: string): void {
    this.#configError = true;
    this.#log.warn(`${this.spec.name} cannot start: ${reason}; retrying in ${this.#backoff / 1000} s`);
    this.#later(this.#backoff, () => {
      this.start().catch((error: Error) => this.#log.error(`${this.spec.name}: ${error.message}`));
    });
    this.#backoff = Math.min(this.#backoff * 2, this.#timing.backoffMs.max);
  }

  /**
   * Fast polling until the first success, then the probe's period; failureThreshold misses in a
   * row → unready. Without a probe Kubernetes counts a container ready once it runs; here it
   * waits until the port accepts a connection, so that no request meets a process still starting.
   */
  #watchReadiness(child: ChildProcess, port: number): void {
    const probe = this.spec.readinessProbe;
    if (!probe) {
      const connect = async () => {
        if (!this.#alive(child)) return;
        if (await this.#prober.accepts(port)) {
          if (this.#alive(child)) this.#setReady(true);
        } else this.#later(this.#timing.startupPollMs, connect);
      };
      this.#later(this.#timing.startupPollMs, connect);
      return;
    }
    let failures = 0;
    let everReady = false;
    const tick = async () => {
      if (!this.#alive(child)) return;
      const ok = await this.#prober.check(this.#origin, probe);
      if (!this.#alive(child)) return;
      failures = ok ? 0 : failures + 1;
      if (ok) {
        everReady = true;
        this.#setReady(true);
      } else if (failures >= probe.failureThreshold) this.#setReady(false);
      this.#later(everReady ? probe.periodSeconds * 1_000 : this.#timing.startupPollMs, tick);
    };
    this.#later(this.#timing.startupPollMs, tick);
  }

  /** failureThreshold failed liveness probes in a row → the replica is killed and restarts. */
  #watchLiveness(child: ChildProcess): void {
    const probe = this.spec.livenessProbe;
    if (!probe) return;
    let failures = 0;
    const tick = async () => {
      if (!this.#alive(child)) return;
      const ok = await this.#prober.check(this.#origin, probe);
      if (!this.#alive(child)) return;
      failures = ok ? 0 : failures + 1;
      if (failures >= probe.failureThreshold) {
        this.#log.warn(`${this.spec.name} failed its liveness probe ${failures} times; restarting it`);
        signalGroup(child, 'SIGKILL');
        return;
      }
      this.#later(probe.periodSeconds * 1_000, tick);
    };
    this.#later(Math.max(probe.initialDelaySeconds, probe.periodSeconds) * 1_000, tick);
  }

  #alive(child: ChildProcess): boolean {
    return !this.#stopping && this.#child === child && child.exitCode === null && child.signalCode === null;
  }

  #setReady(ready: boolean): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    if (ready) {
      for (const waiter of this.#readyWaiters) waiter(true);
      this.#events.ready({
        name: this.spec.name,
        namespace: this.spec.namespace,
        origin: this.#origin,
        labels: this.spec.labels,
        containerPort: this.spec.containerPort,
      });
    } else this.#events.unready(this.spec.name);
  }

  #later(ms: number, run: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void run();
    }, ms);
    this.#timers.add(timer);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
