import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { consoleApp, type TrafficSource } from './app.ts';
import { AdminAuth, type AuthOptions } from './auth.ts';
import { runtimeControl } from './config-source.ts';
import type { PageSettings } from './static.ts';
import { PrometheusTelemetry } from './telemetry/prometheus.ts';
import { ScrapedTelemetry } from './telemetry/scraped.ts';
import { runtimeFeed } from './traces.ts';

export interface ConsoleOptions {
  /** The runtime's Istio metrics, e.g. `http://127.0.0.1:15090/stats/prometheus`. */
  readonly statsUrl: string;
  /** A cluster's Prometheus (PROMETHEUS_URL): when set, the graph comes from it, not from `statsUrl`. */
  readonly prometheusUrl?: string | undefined;
  /** The runtime's data directory: its admin API gives the Istio objects behind the nodes' flags. */
  readonly runtimeDataDir?: string | undefined;
  /** The app's login and keys: a wizard's apply needs a token of `role` from it. */
  readonly auth?: AuthOptions | undefined;
  /** Where a configuration that cannot be read is reported (once per kind of failure). */
  readonly warn?: ((line: string) => void) | undefined;
  /** Kiali's port is 20001; 0 picks a free one. */
  readonly port: number;
  /**
   * Where to listen (default 127.0.0.1): on loopback reading needs no login, as Istio's Kiali
   * addon; any other address needs `auth`, and then every API call needs the admin role's token.
   */
  readonly host?: string | undefined;
  /** How often the stats are scraped (Prometheus' default in Istio's addon is 15 s; locally 5 s). */
  readonly scrapeIntervalMs?: number;
  /** The largest window the graph answers (and how much traffic is kept). */
  readonly keepSeconds?: number;
  /** What the pages are told: the ingress to send requests to, the namespace to show. */
  readonly pages?: PageSettings | undefined;
}

export interface Console {
  readonly url: string;
  /** The local source (scraping `statsUrl`), unless the console reads a Prometheus. */
  readonly telemetry: ScrapedTelemetry | undefined;
  close(): Promise<void>;
}

const loopback = new Set(['127.0.0.1', 'localhost', '::1']);

/** Starts the console's API, scraping the runtime's stats in the background from now on. */
export async function startConsole(options: ConsoleOptions): Promise<Console> {
  const keepSeconds = options.keepSeconds ?? 900;
  const telemetry = options.prometheusUrl
    ? undefined
    : new ScrapedTelemetry({ url: options.statsUrl, keepSeconds });
  const source: TrafficSource = telemetry
    ? {
        window: (seconds) => telemetry.window(seconds),
        steps: (seconds, step) => telemetry.steps(seconds, step),
        maxWindowSeconds: keepSeconds,
      }
    : new PrometheusTelemetry({ url: options.prometheusUrl as string, maxWindowSeconds: keepSeconds });
  const host = options.host ?? '127.0.0.1';
  const exposed = !loopback.has(host);
  if (exposed && !options.auth)
    throw new Error(
      `the console listens beyond localhost (${host}) only with the app's login to check tokens (the profile's console section)`,
    );
  const hosts = new Set<string>();
  let lastWarning = '';
  const onConfigError = (error: unknown) => {
    const line = `mesh console: no Istio configuration for the graph's flags (${(error as Error).message})`;
    if (line !== lastWarning) options.warn?.(line);
    lastWarning = line;
  };
  const control = options.runtimeDataDir ? runtimeControl(options.runtimeDataDir) : undefined;
  const feed = telemetry ? runtimeFeed(options.statsUrl) : undefined;
  const auth = options.auth ? new AdminAuth(options.auth) : undefined;
  const server = createServer(
    consoleApp({
      source,
      hosts,
      exposed,
      config: control,
      control,
      auth,
      feed,
      onConfigError,
      pages: { settings: options.pages },
    }),
  );
  // A malformed request ends its own connection only.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  for (const name of ['127.0.0.1', 'localhost']) hosts.add(`${name}:${port}`);
  await telemetry?.scrape();
  const timer = setInterval(() => void telemetry?.scrape(), options.scrapeIntervalMs ?? 5_000);
  timer.unref();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    telemetry,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const usage = `Usage: node mesh/console/src/server.ts [options]

Serves the mesh console, its pages at /console/ and its API (Kiali's graph API at
/api/namespaces/graph), from a runtime's Istio metrics, scraped every few seconds and kept in
memory over the largest window.

  --stats-url <url>       the runtime's metrics (default http://127.0.0.1:15090/stats/prometheus)
  --prometheus-url <url>  read a cluster's Prometheus instead (default PROMETHEUS_URL, unset)
  --data-dir <dir>        a local runtime's data directory: its Istio objects flag the graph's
                          nodes (hasVS, hasTrafficShifting...; default MUSIC_DATA_DIR, unset)
  --port <n>              where to listen (default 20001, Kiali's; 0 = any)
  --host <address>        default 127.0.0.1; beyond loopback every API call needs the admin
                          token, checked with --login-url, --jwks-url and --admin-role
  --login-url <url>       the app's login (front: <ingress>/api/authenticate)
  --jwks-url <url>        the app's public keys (front: <ingress>/.well-known/jwks.json)
  --admin-role <role>     the role that may change configuration (default ROLE_ADMIN)
  -h, --help              show this help`;

async function main(): Promise<void> {
  let values: {
    'stats-url'?: string;
    'prometheus-url'?: string;
    'data-dir'?: string;
    host?: string;
    'login-url'?: string;
    'jwks-url'?: string;
    'admin-role'?: string;
    port?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        'stats-url': { type: 'string' },
        'prometheus-url': { type: 'string' },
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        'login-url': { type: 'string' },
        'jwks-url': { type: 'string' },
        'admin-role': { type: 'string' },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message.split('\n')[0]}\n`);
    process.exit(2);
  }
  if (values.help) return void process.stdout.write(`${usage}\n`);
  const port = Number(values.port ?? 20001);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port must be a port number (got ${values.port})\n`);
    process.exit(2);
  }
  const console = await startConsole({
    statsUrl: values['stats-url'] ?? 'http://127.0.0.1:15090/stats/prometheus',
    prometheusUrl: values['prometheus-url'] ?? (process.env.PROMETHEUS_URL || undefined),
    runtimeDataDir: values['data-dir'] ?? (process.env.MUSIC_DATA_DIR || undefined),
    host: values.host,
    auth:
      values['login-url'] && values['jwks-url']
        ? {
            loginUrl: values['login-url'],
            jwksUrl: values['jwks-url'],
            role: values['admin-role'] ?? 'ROLE_ADMIN',
          }
        : undefined,
    warn: (line) => process.stderr.write(`${line}\n`),
    port,
  });
  process.stdout.write(`Mesh console at ${console.url}/console/ (its API: ${console.url}/api/)\n`);
}

if (import.meta.main) {
  main().catch((error: NodeJS.ErrnoException) => {
    process.stderr.write(
      `${error.code === 'EADDRINUSE' ? 'the port is already in use; pick another with --port' : error.message}\n`,
    );
    process.exit(1);
  });
}
