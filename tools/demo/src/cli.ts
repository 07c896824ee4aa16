// `npm run demo [-- --yes] [--rps N] [--step-seconds S]`: the option table, the parser, and a few
// lines that call runDemo. Known errors print one line; usage errors exit 2; a failed step exits 1.
import { createInterface } from 'node:readline';
import {
  createLogger,
  formatOptions,
  MeshError,
  type OptionTable,
  parseOptions,
  positiveNumber,
  UsageError,
} from '@music/mesh';
import { parsePort } from '../../../mesh/src/config.ts';
import { formatProgress, LoadError } from '../../load/src/load.ts';
import { DemoError, type DemoIo, runDemo } from './demo.ts';
import { parseStepList, steps } from './steps.ts';

/** The command's options, in the order --help lists them. */
const options = {
  yes: {
    type: 'boolean',
    short: 'y',
    description: 'do not pause between steps (also when stdin is no terminal)',
  },
  rps: { type: 'string', description: 'requests per second during each step (default 50)' },
  'step-seconds': { type: 'string', description: 'seconds of load per step (default 10)' },
  steps: {
    type: 'string',
    description: 'steps to measure, e.g. 1,2 or 3-5 (default all); earlier ones are applied unmeasured',
  },
  'steps-dir': { type: 'string', description: 'folder holding the step folders (default deploy/steps)' },
  port: { type: 'string', short: 'p', description: 'ingress port (default 8080, any free port when taken)' },
  users: { type: 'string', description: 'simulated users (default 10)' },
  'console-port': {
    type: 'string',
    description:
      "mesh console port (default MUSIC_CONSOLE_PORT or 20001, Kiali's; 0 = any; a port taken is a warning)",
  },
  verbose: { type: 'boolean', short: 'v', description: "show the runtime's log and the replicas' warnings" },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionTable;

function usage(): string {
  return [
    'Usage: npm run demo -- [options]',
    '',
    "Runs the tutorial's story on the local runtime: starts Music (temporary data directory), then for",
    'each step applies deploy/steps/<step>/*.yaml, waits for its Deployments, generates load, and',
    'compares the split per back version (X-Served-By and istio_requests_total) with the weights',
    "(the mesh console, http://localhost:20001/console/, shows each step's graph meanwhile):",
    ...steps.map((step) => `  ${step.number}. ${step.folder.padEnd(15)} ${step.title}`),
    'Exits 1 when a measured split is outside its binomial tolerance (4σ), a mirror misses copies or',
    'over 1% of requests fail, so `npm run demo -- --yes` is a check.',
    '',
    ...formatOptions(options),
  ].join('\n');
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const args = parseOptions(options);
  if (args.help) {
    out(usage());
    return 0;
  }
  let chosen: number[] | undefined;
  try {
    if (args.steps !== undefined)
      chosen = parseStepList(
        args.steps,
        steps.map((step) => step.number),
      );
  } catch (error) {
    throw new UsageError(`--steps: ${(error as Error).message}`);
  }
  let port: number | undefined;
  if (args.port !== undefined) {
    port = Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port must be a port number from 0 to 65535 (got ${args.port})`);
  }
  const consolePort =
    parsePort(args['console-port'], '--console-port') ??
    parsePort(process.env.MUSIC_CONSOLE_PORT, 'MUSIC_CONSOLE_PORT') ??
    20001;
  const demoOptions = {
    port,
    consolePort,
    rps: positiveNumber(args.rps, '--rps', { default: 50 }),
    stepSeconds: positiveNumber(args['step-seconds'], '--step-seconds', { default: 10 }),
    users: positiveNumber(args.users, '--users', { default: 10, integer: true }),
    steps: chosen,
    stepsDir: args['steps-dir'],
    log: args.verbose ? createLogger(out, 'warn') : undefined,
  };

  let yes = args.yes ?? false;
  if (!yes && !process.stdin.isTTY) {
    out('(stdin is not a terminal: not pausing between steps, as with --yes)');
    yes = true;
  }
  const aborter = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (aborter.signal.aborted) {
      out(`${signal} again: exiting now`);
      process.exit(130);
    }
    out(`\n${signal}: stopping the load and the runtime (Ctrl-C again to exit at once)`);
    aborter.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const result = await runDemo({ ...demoOptions, signal: aborter.signal }, terminalIo(yes, aborter.signal));
  if (result.interrupted) {
    out('stopped');
    return 130;
  }
  out(result.ok ? '\nEvery step matched its weights.' : '\nSome step did not match its weights (see above).');
  return result.ok ? 0 : 1;
}

function terminalIo(yes: boolean, signal: AbortSignal): DemoIo {
  const stream = process.stderr;
  let shown = false;
  let lastPrinted = 0;
  return {
    out,
    progress: (progress) => {
      const line = `  ${formatProgress(progress)}`;
      if (stream.isTTY) {
        stream.write(`\r${line.slice(0, (stream.columns || 200) - 1)}\u001b[K`);
        shown = true;
      } else if (progress.elapsedS - lastPrinted >= 4.5) {
        stream.write(`${line}\n`);
        lastPrinted = progress.elapsedS;
      }
    },
    endProgress: () => {
      if (shown) stream.write('\n');
      shown = false;
      lastPrinted = 0;
    },
    pause: (prompt) => {
      if (yes || signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const done = () => {
          signal.removeEventListener('abort', done);
          rl.close();
          resolve();
        };
        // readline takes Ctrl-C itself while it reads: pass it on as the signal would.
        rl.on('SIGINT', () => process.emit('SIGINT', 'SIGINT'));
        signal.addEventListener('abort', done, { once: true });
        rl.question(`${prompt} `, done);
      });
    },
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`demo: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof DemoError || error instanceof LoadError || error instanceof MeshError)
      console.error(`demo: ${error.message}`);
    else console.error(error);
    process.exit(1);
  },
);
