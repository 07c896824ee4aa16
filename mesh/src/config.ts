import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.ts';
import { isLogLevel, type Logger, type LogLevel, silentLogger } from './log.ts';
import type { Profile } from './workloads/profile.ts';
import { defaultTiming, type ReplicaTiming } from './workloads/replica.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Music's profile: what `npm start` runs, and `startRuntime()` when given no profile. */
export const defaultProfileFile = join(repoRoot, 'deploy/local/profile.yaml');

export interface RuntimeOptions {
  /** Ingress port; 0 picks a free one. Default MUSIC_PORT, else 8080. */
  readonly port?: number | undefined;
  /** Interface the ingress listens on. Default 127.0.0.1. */
  readonly host?: string | undefined;
  /** Default MUSIC_DATA_DIR, else the profile's `dataDir`, else `<repo>/.data`. */
  readonly dataDir?: string | undefined;
  /** An existing PostgreSQL; default DATABASE_URL, else the runtime starts its own. */
  readonly databaseUrl?: string | undefined;
  /** Port of the runtime's own PostgreSQL; default 5433 when free, else any free port. */
  readonly databasePort?: number | undefined;
  /**
   * The app to run: a local profile's path, or one already loaded (`loadProfile`). Default
   * Music's, `<repo>/deploy/local/profile.yaml`.
   */
  readonly profile?: string | Profile | undefined;
  readonly log?: Logger | undefined;
  /** LOG_LEVEL handed to the services. Default LOG_LEVEL, else info. */
  readonly logLevel?: LogLevel | undefined;
  /** How long start-up waits for every Service to get a ready endpoint. Default 60 s. */
  readonly readyTimeoutMs?: number | undefined;
  /** Aborting it during start-up stops what was started and rejects. */
  readonly signal?: AbortSignal | undefined;
  readonly timing?: ReplicaTiming | undefined;
  /** Admin API port (what `npm run mesh` talks to); 0 picks a free one. Default MUSIC_ADMIN_PORT, else 15000 (a free port when taken). */
  readonly adminPort?: number | undefined;
  /** Istio metrics (Envoy's :15090/stats/prometheus); 0 picks a free one. Default MUSIC_STATS_PORT, else 15090 (a free port when taken). */
  readonly statsPort?: number | undefined;
  /** How long a rolling update waits for each new replica. Default 60 s. */
  readonly rolloutTimeoutMs?: number | undefined;
  /**
   * Each Deployment gets an outbound listener (its replicas' HTTP_PROXY), so cluster URLs such as
   * `http://back:8080` go through the mesh as written. Off: they are replaced by the ingress URL.
   * Default MUSIC_MESH_OUTBOUND (`true`/`false`), else true.
   */
  readonly meshOutbound?: boolean | undefined;
}

export interface RuntimeConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly databasePort: number | undefined;
  readonly profile: Profile;
  readonly log: Logger;
  readonly logLevel: LogLevel;
  readonly readyTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly timing: ReplicaTiming;
  readonly inheritedEnv: Readonly<Record<string, string>>;
  readonly adminPort: number;
  /** Set explicitly (option or MUSIC_ADMIN_PORT): start-up fails rather than pick another port. */
  readonly adminPortStrict: boolean;
  readonly statsPort: number;
  /** Set explicitly (option or MUSIC_STATS_PORT): start-up fails rather than pick another port. */
  readonly statsPortStrict: boolean;
  readonly rolloutTimeoutMs: number;
  readonly meshOutbound: boolean;
}

/** Envoy's admin port, for the same role. */
export const defaultAdminPort = 15000;
/** Envoy's Prometheus port, where Istio's standard metrics are scraped. */
export const defaultStatsPort = 15090;

/** Where the CLI looks for admin.json when not told: the runtime's default data directory. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return absolute(env.MUSIC_DATA_DIR ?? join(repoRoot, '.data'));
}

/** What replicas inherit from the runtime's environment; the rest comes from the manifests. */
const inheritedNames = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
];

/**
 * Options win over the environment, the environment over the profile, the profile over defaults;
 * read once, frozen.
 */
export function resolveRuntimeConfig(
  options: RuntimeOptions,
  profile: Profile,
  env: NodeJS.ProcessEnv = process.env,
): RuntimeConfig {
  const logLevel = options.logLevel ?? env.LOG_LEVEL ?? 'info';
  if (!isLogLevel(logLevel))
    throw new UsageError(`LOG_LEVEL must be one of debug, info, warn, error (got ${logLevel})`);
  const adminPort = options.adminPort ?? parsePort(env.MUSIC_ADMIN_PORT, 'MUSIC_ADMIN_PORT');
  const statsPort = options.statsPort ?? parsePort(env.MUSIC_STATS_PORT, 'MUSIC_STATS_PORT');
  const inheritedEnv: Record<string, string> = {};
  for (const name of inheritedNames) {
    const value = env[name];
    if (value !== undefined) inheritedEnv[name] = value;
  }
  return Object.freeze({
    port: options.port ?? parsePort(env.MUSIC_PORT, 'MUSIC_PORT') ?? 8080,
    host: options.host ?? '127.0.0.1',
    dataDir: absolute(options.dataDir ?? env.MUSIC_DATA_DIR ?? profile.dataDir ?? join(repoRoot, '.data')),
    databaseUrl: options.databaseUrl ?? (env.DATABASE_URL || undefined),
    databasePort: options.databasePort,
    profile,
    log: options.log ?? silentLogger,
    logLevel,
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    signal: options.signal,
    timing: options.timing ?? defaultTiming,
    inheritedEnv: Object.freeze(inheritedEnv),
    adminPort: adminPort ?? defaultAdminPort,
    adminPortStrict: adminPort !== undefined && adminPort !== 0,
    statsPort: statsPort ?? defaultStatsPort,
    statsPortStrict: statsPort !== undefined && statsPort !== 0,
    rolloutTimeoutMs: options.rolloutTimeoutMs ?? 60_000,
    meshOutbound:
      options.meshOutbound ?? parseBoolean(env.MUSIC_MESH_OUTBOUND, 'MUSIC_MESH_OUTBOUND') ?? true,
  });
}

export function parsePort(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`${name} must be a port number from 0 to 65535 (got ${value})`);
  }
  return port;
}

function parseBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new UsageError(`${name} must be true or false (got ${value})`);
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}
