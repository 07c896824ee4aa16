import { existsSync } from 'node:fs';
import { consoleAddress, startConsoleBeside } from '../../console/src/beside-runtime.ts';
import { defaultDataDir, defaultProfileFile, parsePort } from '../config.ts';
import { MeshError, UsageError } from '../errors.ts';
import { createLogger, isLogLevel } from '../log.ts';
import { type Runtime, startRuntime } from '../runtime.ts';
import { displayPath, loadProfile } from '../workloads/profile.ts';
import { batchLines } from './batched-lines.ts';
import { keepServingOnUncaughtErrors } from './last-resort.ts';
import { formatOptions, type OptionTable, parseOptions } from './options.ts';

/** The command's options, in the order --help lists them. */
const options = {
  profile: {
    type: 'string',
    description: `the app's local profile (default ${displayPath(defaultProfileFile)}, Music)`,
  },
  port: {
    type: 'string',
    short: 'p',
    description:
      'ingress port, Gateway port 80 (default MUSIC_PORT or 8080; 0 = any); port N on N + this - 80',
  },
  'admin-port': {
    type: 'string',
    description: 'admin API port for `npm run mesh` (default MUSIC_ADMIN_PORT or 15000; 0 = any)',
  },
  'stats-port': {
    type: 'string',
    description: 'Istio metrics port, /stats/prometheus (default MUSIC_STATS_PORT or 15090; 0 = any)',
  },
  'console-port': {
    type: 'string',
    description: "mesh console API port (default MUSIC_CONSOLE_PORT or 20001, Kiali's; 0 = any)",
  },
  'data-dir': {
    type: 'string',
    description: "where the database and keys live (default MUSIC_DATA_DIR or the profile's dataDir)",
  },
  'log-level': { type: 'string', description: 'debug, info, warn or error (default LOG_LEVEL or info)' },
  reset: {
    type: 'boolean',
    description: 'forget what was applied before (<data-dir>/applied.json); start from deploy/ alone',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionTable;

function usage(): string {
  return [
    'Usage: npm start -- [options]   (node mesh/src/cli/start.ts [options])',
    '',
    'Runs an app locally from the Kubernetes + Istio YAML a cluster gets (Music from deploy/ unless',
    "--profile names another app's profile): every replica, an ingress that routes like the Istio",
    'gateway, and PostgreSQL when a workload needs it. Ctrl-C stops everything.',
    '',
    'What `npm run mesh -- apply` changed survives a restart, as on a cluster: the objects are kept in',
    '<data-dir>/applied.json and deploy/ is applied over them at start where it changed since the',
    'last start (what you deleted of it comes back). --reset starts from deploy/ alone.',
    '',
    ...formatOptions(options, 28),
    '',
    'Environment: DATABASE_URL uses an existing PostgreSQL instead of starting one.',
  ].join('\n');
}

// Every line, the access log's included, goes out in one write per turn of the event loop.
const lines = batchLines((text) => process.stdout.write(text));
process.on('exit', () => lines.flush());
const out = (line: string) => lines.write(line);
// Output piped into a reader that goes away (`npm start | head`) must not crash the runtime
// mid-stop: lines are dropped, the shutdown goes on.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

async function main(): Promise<number> {
  const args = parseOptions(options);
  if (args.help) {
    out(usage());
    return 0;
  }
  const logLevel = args['log-level'] ?? process.env.LOG_LEVEL ?? 'info';
  if (!isLogLevel(logLevel))
    throw new UsageError(`--log-level must be debug, info, warn or error (got ${logLevel})`);
  const port = parsePort(args.port, '--port');
  const log = createLogger(out, logLevel);
  keepServingOnUncaughtErrors(log);
  const profile = await loadProfile(args.profile ?? defaultProfileFile);
  for (const { path, message } of profile.warnIfMissing) if (!existsSync(path)) log.warn(message);

  const aborter = new AbortController();
  let runtime: Runtime | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      out(`${signal} again: killing everything now`);
      // The supervisor's exit hook SIGKILLs every replica's process group.
      process.exit(130);
    }
    stopping = true;
    out(`${signal}: stopping (press Ctrl-C again to kill immediately)`);
    if (runtime) {
      void runtime.stop().then(() => {
        out('stopped');
        process.exit(0);
      });
    } else aborter.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal: stop as for Ctrl-C rather than die and leave replicas and PostgreSQL behind.
  process.on('SIGHUP', onSignal);

  try {
    runtime = await startRuntime({
      profile,
      port,
      adminPort: parsePort(args['admin-port'], '--admin-port'),
      statsPort: parsePort(args['stats-port'], '--stats-port'),
      dataDir: args['data-dir'],
      log,
      logLevel,
      signal: aborter.signal,
      reset: args.reset,
    });
  } catch (error) {
    if (!stopping) throw error;
    out('stopped');
    return 0;
  }
  const shown = runtime.url.replace('127.0.0.1', 'localhost');
  out('');
  out(`${profile.name} is up at ${shown}${profile.welcome ? ` — ${profile.welcome}` : ''}`);
  for (const listener of runtime.gatewayListeners())
    out(
      `Gateway port ${listener.gatewayPort} (${listener.protocol}): ${listener.url.replace('127.0.0.1', 'localhost')}`,
    );
  out(
    `Data directory: ${runtime.dataDir}${runtime.databaseDirectory ? ` (PostgreSQL in ${runtime.databaseDirectory})` : ''}`,
  );
  const dataDirFlag = runtime.dataDir === defaultDataDir() ? '' : ` --data-dir ${runtime.dataDir}`;
  out(`Admin API: ${runtime.adminUrl} — try \`npm run mesh -- get pods${dataDirFlag}\` (or --help)`);
  out(`Istio metrics: ${runtime.statsUrl}`);
  // It ends with the process: start.ts exits once the runtime has stopped.
  const console = await startConsoleBeside(
    runtime,
    profile,
    parsePort(args['console-port'], '--console-port') ??
      parsePort(process.env.MUSIC_CONSOLE_PORT, 'MUSIC_CONSOLE_PORT') ??
      20001,
    (line) => log.warn(line),
  );
  if (console) {
    const address = consoleAddress(console);
    out(`Mesh console: ${address} (Kiali's address: ${address.replace('/console/', '/kiali/console/')})`);
  }
  out('Press Ctrl-C to stop.');
  out('');
  // Keep running until a signal stops us.
  return new Promise<number>(() => {});
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof MeshError) console.error(`error: ${error.message}`);
    else console.error(error);
    process.exit(1);
  },
);
