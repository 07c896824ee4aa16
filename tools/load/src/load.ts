import { Agent, request } from 'undici';
import {
  browseQuery,
  Catalog,
  defaultWeights,
  newTrack,
  type Operation,
  pickOperation,
  searchTerm,
  seededRandom,
  type Weights,
} from './scenario.ts';
import { runOpenLoop } from './scheduler.ts';
import { type Counts, formatSplit } from './split.ts';
import { LoadStats, type TallySummary } from './stats.ts';

export interface Account {
  readonly username: string;
  readonly password: string;
}

export const localAccounts: readonly Account[] = [
  { username: 'admin', password: 'admin' },
  { username: 'user', password: 'user' },
];

export interface LoadOptions {
  /** The ingress, e.g. http://localhost:8080. */
  readonly url: string;
  /** Requests per second offered, whatever the answers take. */
  readonly rps: number;
  readonly durationS: number;
  /** Simulated users; each logs in once, with the accounts in turn. Default 10. */
  readonly users?: number | undefined;
  /** Who the users log in as. Default admin/admin and user/user, the local runtime's accounts. */
  readonly accounts?: readonly Account[] | undefined;
  /** Seeds the choice of operations and data. Default 1. */
  readonly seed?: number | undefined;
  readonly weights?: Weights | undefined;
  /** Requests in flight at most; later arrivals queue (latency counts the wait). Default 256. */
  readonly maxInFlight?: number | undefined;
  /** Per request, headers and body each. Default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Ends the run early; the report covers what was done. */
  readonly signal?: AbortSignal | undefined;
  /** Awaited after the logins, before the first scheduled request (e.g. to read metrics). */
  readonly onReady?: (() => Promise<void>) | undefined;
  /** How often onProgress is called. Default 1 s. */
  readonly progressIntervalMs?: number | undefined;
}

export interface LoadProgress {
  readonly elapsedS: number;
  readonly requests: number;
  /** Answers per second over the last interval. */
  readonly rate: number;
  /** Cumulative answers per version (X-Served-By). */
  readonly split: Counts;
  readonly errorRate: number;
  readonly clientErrorRate: number;
  /** Over the last interval. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly dropped: number;
}

export interface LoadReport {
  readonly url: string;
  readonly rps: number;
  readonly durationS: number;
  readonly users: number;
  readonly seed: number;
  readonly weights: Weights;
  readonly interrupted: boolean;
  readonly elapsedS: number;
  /** Arrivals due (the offered load); sent + dropped + unsent. */
  readonly offered: number;
  readonly sent: number;
  /** Found the concurrency cap and the queue behind it full. */
  readonly dropped: number;
  /** Still queued when the run ended. */
  readonly unsent: number;
  /** Sent, then cut off by the signal; not in the totals. */
  readonly aborted: number;
  readonly maxQueued: number;
  readonly achievedRps: number;
  readonly logins: { readonly count: number; readonly failed: number };
  readonly total: TallySummary;
  readonly operations: Readonly<Record<string, TallySummary>>;
  /** By X-Served-By version (`v1`, ...); `none` when no back replica answered. */
  readonly versions: Readonly<Record<string, TallySummary>>;
  /** Answers per version, X-Served-By. */
  readonly split: Counts;
  /** Per status code; `network` for no answer. */
  readonly statuses: Counts;
  /** First few messages of requests that got no answer. */
  readonly networkErrors: readonly string[];
}

export class LoadError extends Error {
  readonly code = 'LOAD_FAILED';
}

interface User {
  readonly username: string;
  readonly password: string;
  token: string | undefined;
}

interface Answer {
  readonly status: number;
  readonly servedBy: string | undefined;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: unknown;
}

/**
 * Logs the users in, then offers `rps` requests per second for `durationS` seconds, open loop:
 * each arrival picks a user and an operation by weight. Resolves with the report, also when
 * `signal` ends the run early.
 */
export async function runLoad(
  options: LoadOptions,
  onProgress?: (progress: LoadProgress) => void,
): Promise<LoadReport> {
  const base = options.url.replace(/\/+$/, '');
  const userCount = options.users ?? 10;
  const seed = options.seed ?? 1;
  const weights = options.weights ?? defaultWeights;
  const maxInFlight = options.maxInFlight ?? 256;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const random = seededRandom(seed);
  const dispatcher = new Agent({
    connections: maxInFlight,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: Math.min(timeoutMs, 10_000),
  });
  const stats = new LoadStats();
  const catalog = new Catalog();
  const networkErrors: string[] = [];
  const logins = { count: 0, failed: 0 };
  let aborted = 0;

  const call = async (
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    token: string | undefined,
    body?: unknown,
    wantJson = false,
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await request(`${base}${path}`, {
      dispatcher,
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const json =
      wantJson && response.statusCode < 300
        ? await response.body.json().catch(() => undefined)
        : await response.body.dump().then(() => undefined);
    const servedBy = response.headers['x-served-by'];
    return {
      status: response.statusCode,
      servedBy: Array.isArray(servedBy) ? servedBy[0] : servedBy,
      headers: response.headers,
      json,
    };
  };

  const login = async (user: User): Promise<void> => {
    logins.count++;
    const answer = await call('POST', '/api/authenticate', undefined, user, true).catch((error: Error) => {
      throw new LoadError(`cannot reach ${base}: ${error.message}`);
    });
    const token = (answer.json as { id_token?: unknown } | undefined)?.id_token;
    if (answer.status !== 200 || typeof token !== 'string') {
      logins.failed++;
      throw new LoadError(
        `login as ${user.username} at ${base}/api/authenticate failed: HTTP ${answer.status}`,
      );
    }
    user.token = token;
  };

  const accounts = options.accounts?.length ? options.accounts : localAccounts;
  const users: User[] = Array.from({ length: userCount }, (_, i) => {
    const account = accounts[i % accounts.length] as Account;
    return { username: account.username, password: account.password, token: undefined };
  });
  try {
    for (const user of users) await login(user);
    const first = await call('GET', '/back/api/tracks?size=100', users[0]?.token, undefined, true).catch(
      () => undefined,
    );
    if (first) {
      catalog.learn(first.json);
      catalog.totalTracks = Number(first.headers['x-total-count'] ?? 0) || 0;
    }
    await options.onReady?.();
  } catch (error) {
    await dispatcher.close();
    throw error;
  }

  const perform = async (operation: Operation, user: User): Promise<Answer & { operation: Operation }> => {
    const token = user.token;
    if (operation === 'rate') {
      const id = catalog.ratableTrack(random);
      if (id) {
        const stars = 1 + Math.floor(random() * 5);
        return { operation, ...(await call('PUT', `/back/api/tracks/${id}/rating`, token, { stars })) };
      }
      operation = 'browse';
    }
    if (operation === 'save') {
      const spotifyId = catalog.spotifyTrack(random);
      if (spotifyId) {
        const answer = await call('POST', '/back/api/library', token, { spotifyId });
        const location = answer.headers.location;
        if (answer.status < 300 && typeof location === 'string')
          catalog.add(location.slice(location.lastIndexOf('/') + 1));
        return { operation, ...answer };
      }
      operation = 'browse';
    }
    if (operation === 'open') {
      const id = catalog.anyTrack(random);
      if (id) return { operation, ...(await call('GET', `/back/api/tracks/${id}`, token)) };
      operation = 'browse';
    }
    if (operation === 'create') {
      const answer = await call('POST', '/back/api/tracks', token, newTrack(random));
      const location = answer.headers.location;
      const id = typeof location === 'string' ? location.slice(location.lastIndexOf('/') + 1) : undefined;
      if (answer.status === 201 && id) {
        catalog.add(id);
        catalog.totalTracks++;
      }
      return { operation, ...answer };
    }
    const query =
      operation === 'search'
        ? `q=${encodeURIComponent(searchTerm(random))}&size=20`
        : browseQuery(random, catalog.totalTracks);
    const answer = await call('GET', `/back/api/tracks?${query}`, token, undefined, true);
    catalog.learn(answer.json);
    if (operation === 'browse' && answer.status === 200)
      catalog.totalTracks = Number(answer.headers['x-total-count'] ?? catalog.totalTracks) || 0;
    return { operation, ...answer };
  };

  const loop = runOpenLoop(
    {
      rate: options.rps,
      durationMs: options.durationS * 1000,
      maxInFlight,
      signal: options.signal,
    },
    async (arrival) => {
      const user = users[arrival.index % users.length] as User;
      const operation = pickOperation(weights, random);
      try {
        let answer = await perform(operation, user);
        if (answer.status === 401) {
          await login(user).catch(() => undefined);
          answer = await perform(operation, user);
        }
        stats.record({
          operation: answer.operation,
          status: answer.status,
          servedBy: answer.servedBy,
          latencyMs: performance.now() - arrival.dueAt,
        });
      } catch (error) {
        if (options.signal?.aborted) {
          aborted++;
          return;
        }
        if (networkErrors.length < 5) networkErrors.push(`${operation}: ${(error as Error).message}`);
        stats.record({
          operation,
          status: undefined,
          servedBy: undefined,
          latencyMs: performance.now() - arrival.dueAt,
        });
      }
    },
  );

  const startedAt = performance.now();
  let lastTick = startedAt;
  const ticker = setInterval(() => {
    const now = performance.now();
    const window = stats.takeWindow();
    const all = stats.all;
    const state = loop.state();
    onProgress?.({
      elapsedS: (now - startedAt) / 1000,
      requests: all.count,
      rate: window.count / ((now - lastTick) / 1000),
      split: { ...stats.split },
      errorRate: all.count === 0 ? 0 : all.errors / all.count,
      clientErrorRate: all.count === 0 ? 0 : all.client / all.count,
      p50Ms: window.latency.percentile(50),
      p99Ms: window.latency.percentile(99),
      inFlight: state.inFlight,
      queued: state.queued,
      dropped: state.dropped,
    });
    lastTick = now;
  }, options.progressIntervalMs ?? 1000);

  try {
    const result = await loop.done;
    const summaries = (map: Map<string, { summary(): TallySummary }>) =>
      Object.fromEntries(
        [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, t]) => [k, t.summary()]),
      );
    return {
      url: base,
      rps: options.rps,
      durationS: options.durationS,
      users: userCount,
      seed,
      weights,
      interrupted: options.signal?.aborted ?? false,
      elapsedS: result.elapsedMs / 1000,
      offered: result.offered,
      sent: result.started,
      dropped: result.dropped,
      unsent: result.unsent,
      aborted,
      maxQueued: result.maxQueued,
      achievedRps: result.elapsedMs > 0 ? stats.all.count / (result.elapsedMs / 1000) : 0,
      logins,
      total: stats.all.summary(),
      operations: summaries(stats.byOperation),
      versions: summaries(stats.byVersion),
      split: { ...stats.split },
      statuses: { ...stats.statuses },
      networkErrors,
    };
  } finally {
    clearInterval(ticker);
    await dispatcher.close();
  }
}

/** `12.3 s  1234 req  101/s  v1 89.7% v2 10.3%  err 0.0%  4xx 1.2%  p50 3.1 ms  p99 25 ms`. */
export function formatProgress(progress: LoadProgress): string {
  const parts = [
    `${progress.elapsedS.toFixed(0).padStart(4)} s`,
    `${String(progress.requests).padStart(7)} req`,
    `${progress.rate.toFixed(0).padStart(5)}/s`,
    formatSplit(progress.split),
    `err ${(progress.errorRate * 100).toFixed(1)}%`,
    `4xx ${(progress.clientErrorRate * 100).toFixed(1)}%`,
    `p50 ${formatMs(progress.p50Ms)}`,
    `p99 ${formatMs(progress.p99Ms)}`,
  ];
  if (progress.queued > 0 || progress.dropped > 0)
    parts.push(`queued ${progress.queued}`, `dropped ${progress.dropped}`);
  return parts.join('  ');
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** The final report as a text table. */
export function formatReport(report: LoadReport): string {
  const header = ['', 'count', 'ok', '4xx', 'errors', 'err %', 'p50', 'p90', 'p99', 'max'];
  const row = (name: string, s: TallySummary) => [
    name,
    String(s.count),
    String(s.ok),
    String(s.clientErrors),
    String(s.errors),
    `${(s.errorRate * 100).toFixed(2)}%`,
    formatMs(s.p50Ms),
    formatMs(s.p90Ms),
    formatMs(s.p99Ms),
    formatMs(s.maxMs),
  ];
  const table = (title: string, rows: string[][]) => {
    const all = [[title, ...header.slice(1)], ...rows];
    const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
    return all.map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    );
  };
  const lines = [
    `Load on ${report.url}: ${report.rps} req/s offered for ${report.elapsedS.toFixed(1)} s` +
      `${report.interrupted ? ' (interrupted)' : ''}, ${report.users} users, seed ${report.seed}`,
    `offered ${report.offered}, sent ${report.sent}${report.aborted ? ` (${report.aborted} cut off)` : ''},` +
      ` dropped ${report.dropped}, unsent ${report.unsent}` +
      ` (max queued ${report.maxQueued}); answered ${report.achievedRps.toFixed(1)} req/s;` +
      ` logins ${report.logins.count} (${report.logins.failed} failed)`,
    `split (X-Served-By): ${formatSplit(report.split)}`,
    '',
    ...table('operation', [
      ...Object.entries(report.operations).map(([name, s]) => row(name, s)),
      row('total', report.total),
    ]),
    '',
    ...table(
      'version',
      Object.entries(report.versions).map(([name, s]) => row(name, s)),
    ),
    '',
    `statuses: ${Object.entries(report.statuses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${status} ×${n}`)
      .join(', ')}`,
  ];
  if (report.networkErrors.length > 0) lines.push(`no answer, e.g.: ${report.networkErrors.join('; ')}`);
  return lines.join('\n');
}
