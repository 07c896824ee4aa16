// `npm run load -- --rps N --duration S [...]`: the option table, the parser, and a few lines that
// call runLoad. Known errors print one line; usage errors exit 2.
import { formatOptions, type OptionTable, parseOptions, positiveNumber, UsageError } from '@music/mesh';
import { type Account, formatProgress, formatReport, LoadError, type LoadProgress, runLoad } from './load.ts';
import { defaultWeights, operations, parseWeights } from './scenario.ts';

/** The command's options, in the order --help lists them. */
const options = {
  rps: { type: 'string', description: 'requests per second offered, open loop (required)' },
  duration: { type: 'string', description: 'seconds of load (required)' },
  url: { type: 'string', description: 'the ingress (default http://localhost:8080)' },
  users: {
    type: 'string',
    description: 'simulated users, logging in with the accounts in turn (default 10)',
  },
  login: {
    type: 'string',
    multiple: true,
    description: 'an account as user:password, repeatable (default admin:admin and user:user)',
  },
  seed: { type: 'string', description: 'seed for the choice of operations and data (default 1)' },
  weights: {
    type: 'string',
    description: `operation weights, e.g. browse=5,rate=0 (default ${operations.map((op) => `${op}=${defaultWeights[op]}`).join(',')})`,
  },
  'max-in-flight': { type: 'string', description: 'concurrency cap; later arrivals queue (default 256)' },
  timeout: { type: 'string', description: 'seconds a request may take (default 30)' },
  json: { type: 'boolean', description: 'print the final report as JSON' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionTable;

function usage(): string {
  return [
    'Usage: npm run load -- --rps <n> --duration <s> [options]',
    '',
    'Simulated users log in, then browse, search, open, create, rate (v2+) and save (v3) tracks through',
    'the ingress at a fixed rate, whatever the answers take. Shows a live line (requests, rate, split per',
    'back version from X-Served-By, errors, p50/p99), then totals per operation and per version. Ctrl-C',
    'ends early and still prints the report.',
    '',
    ...formatOptions(options),
  ].join('\n');
}

function parseAccount(value: string): Account {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1)
    throw new UsageError('--login must be user:password (see --help)');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

async function main(): Promise<number> {
  const args = parseOptions(options);
  if (args.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const url = args.url ?? 'http://localhost:8080';
  if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`--url must be an http(s) URL (got ${url})`);
  let weights = defaultWeights;
  try {
    if (args.weights !== undefined) weights = parseWeights(args.weights);
  } catch (error) {
    throw new UsageError(`--weights: ${(error as Error).message}`);
  }
  const seed = args.seed === undefined ? 1 : Number(args.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer (got ${args.seed})`);
  const loadOptions = {
    url,
    rps: positiveNumber(args.rps, '--rps'),
    durationS: positiveNumber(args.duration, '--duration'),
    users: positiveNumber(args.users, '--users', { default: 10, integer: true }),
    accounts: (args.login ?? []).map(parseAccount),
    seed,
    weights,
    maxInFlight: positiveNumber(args['max-in-flight'], '--max-in-flight', { default: 256, integer: true }),
    timeoutMs: positiveNumber(args.timeout, '--timeout', { default: 30 }) * 1000,
  };

  const aborter = new AbortController();
  process.on('SIGINT', () => {
    if (aborter.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping (Ctrl-C again to quit without the report)\n');
    aborter.abort();
  });
  const live = liveLine(process.stderr);
  const report = await runLoad({ ...loadOptions, signal: aborter.signal }, live.show);
  live.end();
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.total.count === 0 ? 1 : 0;
}

/** On a terminal, one line rewritten every second; otherwise a line every 5 s. */
function liveLine(stream: NodeJS.WriteStream): { show: (progress: LoadProgress) => void; end: () => void } {
  let shown = false;
  let lastPrinted = 0;
  return {
    show: (progress) => {
      const line = formatProgress(progress);
      if (stream.isTTY) {
        stream.write(`\r${line.slice(0, (stream.columns || 200) - 1)}\u001b[K`);
        shown = true;
      } else if (progress.elapsedS - lastPrinted >= 4.5) {
        stream.write(`${line}\n`);
        lastPrinted = progress.elapsedS;
      }
    },
    end: () => {
      if (shown) stream.write('\n');
    },
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`load: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof LoadError) console.error(`load: ${error.message}`);
    else console.error(error);
    process.exit(1);
  },
);
