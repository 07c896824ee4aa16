// `npm run load -- --rps N --duration S [...]`: the option table, the parser, and a few lines that
// call runLoad. Known errors print one line; usage errors exit 2.
import { parseArgs } from 'node:util';
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
} as const;

export class UsageError extends Error {
  readonly code = 'USAGE';
}

function usage(): string {
  const lines = Object.entries(options).map(([name, option]) => {
    const flag = `${'short' in option ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(28)}${option.description}`;
  });
  return [
    'Usage: npm run load -- --rps <n> --duration <s> [options]',
    '',
    'Simulated users log in, then browse, search, open, create, rate (v2+) and save (v3) tracks through',
    'the ingress at a fixed rate, whatever the answers take. Shows a live line (requests, rate, split per',
    'back version from X-Served-By, errors, p50/p99), then totals per operation and per version. Ctrl-C',
    'ends early and still prints the report.',
    '',
    ...lines,
  ].join('\n');
}

function positive(value: string | undefined, name: string, fallback?: number, integer = false): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required (see --help)`);
    return fallback;
  }
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number)))
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got ${value})`);
  return number;
}

function parseAccount(value: string): Account {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1)
    throw new UsageError('--login must be user:password (see --help)');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];
  try {
    args = parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see --help)`);
  }
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
    rps: positive(args.rps, 'rps'),
    durationS: positive(args.duration, 'duration'),
    users: positive(args.users, 'users', 10, true),
    accounts: (args.login ?? []).map(parseAccount),
    seed,
    weights,
    maxInFlight: positive(args['max-in-flight'], 'max-in-flight', 256, true),
    timeoutMs: positive(args.timeout, 'timeout', 30) * 1000,
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
