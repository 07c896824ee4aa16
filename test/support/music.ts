import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Runtime, startRuntime } from '@music/mesh';
import { type Console, type ConsoleOptions, startConsole } from '../../mesh/console/src/server.ts';

export interface RunningMusic {
  url: string;
  dataDir: string;
  runtime: Runtime;
  stop(): Promise<void>;
}

/**
 * The whole app as `npm start` runs it (ingress, front, back, database) from deploy/, on a free port
 * and a temporary data directory. With `databaseUrl`, that server is used and none is started.
 */
export async function startMusic(
  options: { dataDir?: string; databaseUrl?: string } = {},
): Promise<RunningMusic> {
  const dataDir = options.dataDir ?? (await temporaryDataDir());
  const runtime = await startRuntime({
    port: 0,
    adminPort: 0,
    statsPort: 0,
    dataDir,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    // MUSIC_TEST_LOG=1 shows the runtime's and the services' output while debugging a test.
    ...(process.env.MUSIC_TEST_LOG
      ? { log: createLogger((line) => process.stderr.write(`${line}\n`), 'debug') }
      : {}),
  });
  return { url: runtime.url, dataDir, runtime, stop: () => runtime.stop() };
}

export async function temporaryDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'music-data-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to enter the directory.
  await chmod(dir, 0o755);
  return dir;
}

export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Logs in through the ingress as the front app does; the bearer token. */
export async function login(url: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${url}/api/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`login as ${username} failed: ${response.status}`);
  const { id_token: token } = (await response.json()) as { id_token: string };
  return token;
}

/** Front's login and keys, as Music's profile gives them to the mesh console for its wizards. */
export function consoleAuth(url: string): NonNullable<ConsoleOptions['auth']> {
  return {
    loginUrl: `${url}/api/authenticate`,
    jwksUrl: `${url}/.well-known/jwks.json`,
    role: 'ROLE_ADMIN',
  };
}

/** The mesh console over a running Music as `npm start` runs it, on a free port; `options` override. */
export function startMusicConsole(
  music: RunningMusic,
  options: Partial<ConsoleOptions> = {},
): Promise<Console> {
  return startConsole({
    statsUrl: music.runtime.statsUrl,
    runtimeDataDir: music.dataDir,
    auth: consoleAuth(music.url),
    port: 0,
    pages: { ingressUrl: music.url, namespace: 'music' },
    ...options,
  });
}
