import { join, resolve } from 'node:path';
import { DatabaseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type DatabaseStatus, type RunningDatabase, startEmbeddedDatabase } from './embedded.ts';

/** Told of the database directory, to end PostgreSQL should the runtime die (the reaper). */
export interface DatabaseWatch {
  watchDatabase(directory: string): void;
  forgetDatabase(directory: string): void;
}

export interface OnDemandOptions {
  /** An existing PostgreSQL (DATABASE_URL): used as it is, never started nor supervised. */
  readonly outsideUrl: string | undefined;
  readonly dataDir: string;
  /** Port of the embedded PostgreSQL; default 5433 when free, else any free port. */
  readonly port: number | undefined;
  /** The database to create (the profile's `database.name`). */
  readonly name: string;
  readonly log: Logger;
  readonly watch: DatabaseWatch;
}

/** The database as the workloads see it: where to connect, and the health its pod shows. */
export interface Database {
  readonly url: string;
  /** `tcp://127.0.0.1:<port>`, as `mesh get pods` shows it. */
  readonly origin: string;
  /** Where PostgreSQL keeps its files; undefined with an outside DATABASE_URL. */
  readonly directory: string | undefined;
  status(): DatabaseStatus;
  onChange(listener: () => void): () => void;
}

/**
 * The runtime's PostgreSQL, started the first time a workload needs it and the same one after:
 * an app whose workloads never name the database gets none.
 */
export class DatabaseOnDemand {
  readonly #options: OnDemandOptions;
  #starting: Promise<Database> | undefined;
  #running: (Database & { stop(): Promise<void> }) | undefined;
  #stopped = false;

  constructor(options: OnDemandOptions) {
    this.#options = options;
  }

  /** Undefined until a workload needed it. */
  get url(): string | undefined {
    return this.#running?.url;
  }

  get directory(): string | undefined {
    return this.#running?.directory;
  }

  ensure(): Promise<Database> {
    if (this.#stopped) return Promise.reject(new DatabaseError('the runtime is stopping'));
    // A failed start is not kept: the next workload that needs the database tries again.
    this.#starting ??= this.#start().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#starting?.catch(() => {});
    await this.#running?.stop();
  }

  async #start(): Promise<Database> {
    const started = await this.#startServer();
    if (this.#stopped) {
      await started.stop();
      throw new DatabaseError('the runtime is stopping');
    }
    this.#running = started;
    return started;
  }

  #startServer(): Promise<Database & { stop(): Promise<void> }> {
    const { outsideUrl, log } = this.#options;
    if (outsideUrl !== undefined) return Promise.resolve(outside(outsideUrl, log));
    return this.#startEmbedded();
  }

  async #startEmbedded(): Promise<Database & { stop(): Promise<void> }> {
    const { dataDir, port, name, log, watch } = this.#options;
    // Watched before it starts: a runtime dying mid-start leaves no server behind either.
    const directory = join(resolve(dataDir), 'postgres');
    watch.watchDatabase(directory);
    const running: RunningDatabase = await startEmbeddedDatabase({
      dataDir,
      port,
      database: name,
      log,
    }).catch((error: unknown) => {
      // It may have refused a server another runtime runs: that one is not ours to kill.
      watch.forgetDatabase(directory);
      throw error;
    });
    log.info(`database: PostgreSQL ready on 127.0.0.1:${running.port}, data in ${running.directory}`);
    return {
      url: running.url,
      origin: `tcp://127.0.0.1:${running.port}`,
      directory: running.directory,
      status: () => running.status(),
      onChange: (listener) => running.onChange(listener),
      stop: async () => {
        await running.stop();
        watch.forgetDatabase(directory);
      },
    };
  }
}

/** Someone else's server: shown as running, never supervised. */
function outside(url: string, log: Logger): Database & { stop(): Promise<void> } {
  const parsed = new URL(url);
  const port = Number(parsed.port || 5432);
  log.info(`database: using DATABASE_URL (${parsed.hostname}:${port}${parsed.pathname})`);
  const status = {
    ready: true,
    phase: 'Running',
    restarts: 0,
    pid: undefined,
    createdAt: Date.now(),
  } as const;
  return {
    url,
    origin: `tcp://${parsed.hostname}:${port}`,
    directory: undefined,
    status: () => status,
    onChange: () => () => {},
    stop: async () => {},
  };
}
