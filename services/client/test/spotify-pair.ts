import type { IncomingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { buildApp as buildSandbox } from '@music/spotify-sandbox/app';
import { loadConfig as loadSandboxConfig } from '@music/spotify-sandbox/config';
import { Faults } from '@music/spotify-sandbox/faults';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { loggerOptions } from '../src/logging.ts';

export const CLIENT_ID = 'music-sandbox';
export const CLIENT_SECRET = 'music-sandbox-secret';

/** What the sandbox saw: calls per endpoint, 401s it answered, and the headers of each API call. */
export interface SandboxTraffic {
  token: number;
  api: number;
  unauthorized: number;
  apiHeaders: IncomingHttpHeaders[];
}

export interface Pair {
  url: string;
  sandboxUrl: string;
  /** Moves the sandbox's clock, to expire its tokens without waiting. */
  clock: { offsetMs: number };
  faults: Faults;
  traffic: SandboxTraffic;
  logs: string[];
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
}

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path
  body: any;
  elapsedMs: number;
}

const running: FastifyInstance[] = [];

/** Closes every server `startPair` and `startClient` started. */
export async function closeAll(): Promise<void> {
  await Promise.all(running.splice(0).map((app) => app.close()));
}

/** A real sandbox and a real client in front of it, both on port 0. */
export async function startPair(
  options: { sandbox?: Record<string, string>; client?: Record<string, string> } = {},
): Promise<Pair> {
  const clock = { offsetMs: 0 };
  const faults = new Faults({ failureRate: 0, extraLatencyMs: 0 });
  const sandbox = await buildSandbox(loadSandboxConfig(options.sandbox ?? {}), {
    now: () => Date.now() + clock.offsetMs,
    faults,
  });
  running.push(sandbox);
  const sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const traffic: SandboxTraffic = { token: 0, api: 0, unauthorized: 0, apiHeaders: [] };
  sandbox.server.on('request', (request, response) => {
    const api = request.url?.startsWith('/v1/') ?? false;
    if (request.url === '/api/token') traffic.token += 1;
    if (api) {
      traffic.api += 1;
      traffic.apiHeaders.push(request.headers);
    }
    response.on('finish', () => {
      if (api && response.statusCode === 401) traffic.unauthorized += 1;
    });
  });
  const client = await startClient(sandboxUrl, options.client ?? {});
  return { ...client, sandboxUrl, clock, faults, traffic };
}

/** A client against any server that speaks (or fails to speak) Spotify. */
export async function startClient(
  spotifyUrl: string,
  env: Record<string, string>,
): Promise<Pick<Pair, 'url' | 'logs' | 'get'>> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({
    SPOTIFY_API_URL: `${spotifyUrl}/v1`,
    SPOTIFY_ACCOUNTS_URL: `${spotifyUrl}/api/token`,
    SPOTIFY_CLIENT_ID: CLIENT_ID,
    SPOTIFY_CLIENT_SECRET: CLIENT_SECRET,
    SPOTIFY_RETRY_BASE_MS: '10',
    SPOTIFY_RETRY_MAX_MS: '50',
    ...env,
  });
  const app = await buildApp(config, { logger: loggerOptions('trace', stream) });
  running.push(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const get = async (path: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const started = performance.now();
    const response = await fetch(`${url}${path}`, { headers });
    const body = await response.json();
    return {
      status: response.status,
      headers: response.headers,
      body,
      elapsedMs: performance.now() - started,
    };
  };
  return { url, logs, get };
}
