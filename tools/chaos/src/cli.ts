// `npm run chaos [-- options]`: starts Music on the local runtime under steady load and runs the
// probes one after another, printing for each what users would have noticed. A script that prints
// figures, not a test: exits 1 when a probe did not recover, lost data or missed its goal.
import { formatOptions, type OptionTable, parseOptions, positiveNumber, UsageError } from '@music/mesh';
import { ChaosError } from './errors.ts';
import { type Probe, type ProbeResult, runProbe } from './probe.ts';
import { databaseKill } from './probes/database-kill.ts';
import { loginFlood } from './probes/login-flood.ts';
import { malformedStorm } from './probes/malformed-storm.ts';
import { replicaKill } from './probes/replica-kill.ts';
import { routingChurn } from './probes/routing-churn.ts';
import { judgeWindow } from './recovery.ts';
import { formatDataLost, formatRecovery, formatSummary } from './report.ts';
import { startStack } from './stack.ts';
import { startTraffic, type Traffic } from './traffic.ts';

/** In the order they run; the malformed storm last, as it may end the runtime. */
const probes: readonly Probe[] = [replicaKill, databaseKill, routingChurn, loginFlood, malformedStorm];

const options = {
  rps: { type: 'string', description: 'steady load in requests per second (default 60)' },
  writes: {
    type: 'string',
    description: 'share of the load that creates tracks, over 0 and at most 1 (default 0.2)',
  },
  'recover-limit': {
    type: 'string',
    description: 'seconds a probe may take to recover before it counts as not recovered (default 60)',
  },
  only: {
    type: 'string',
    description: `probes to run, comma-separated (default all: ${probes.map((p) => p.name).join(',')})`,
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionTable;

function usage(): string {
  return [
    'Usage: npm run chaos -- [options]',
    '',
    'Starts Music on the local runtime (temporary data directory, free ports), offers steady load',
    'through the ingress (lists of /back/api/tracks and track creations as admin), and runs:',
    ...probes.map((p) => `  ${p.name.padEnd(16)} ${p.title}`),
    'For each: requests sent and failed (non-2xx or no answer within 5 s), time from the first',
    'failure to the first 3 s of successes, and acknowledged tracks missing afterwards.',
    '',
    ...formatOptions(options),
  ].join('\n');
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const steadyMs = 3000;
const requestTimeoutMs = 5000;

async function logIn(url: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${url}/api/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin' }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    }).catch(() => undefined);
    if (response?.status === 200) return ((await response.json()) as { id_token: string }).id_token;
    if (Date.now() > deadline)
      throw new ChaosError(`logging in as admin failed (${response?.status ?? 'no answer'})`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function main(): Promise<number> {
  const args = parseOptions(options);
  if (args.help) {
    out(usage());
    return 0;
  }
  const rps = positiveNumber(args.rps, '--rps', { default: 60 });
  const writeShare = positiveNumber(args.writes, '--writes', { default: 0.2 });
  if (writeShare > 1)
    throw new UsageError(`--writes must be a share over 0 and at most 1 (got ${args.writes})`);
  const recoverMs = positiveNumber(args['recover-limit'], '--recover-limit', { default: 60 }) * 1000;
  const names = args.only?.split(',').map((name) => name.trim()) ?? probes.map((p) => p.name);
  for (const name of names)
    if (!probes.some((p) => p.name === name)) throw new UsageError(`--only: there is no probe "${name}"`);
  const chosen = probes.filter((p) => names.includes(p.name));

  out('Starting Music on the local runtime...');
  const stack = await startStack(180_000);
  let traffic: Traffic | undefined;
  const stopAll = async () => {
    await traffic?.stop();
    await stack.stop();
  };
  process.once('SIGINT', () => {
    out('\nSIGINT: stopping the load and the runtime');
    void stopAll().then(() => process.exit(130));
  });
  const results: ProbeResult[] = [];
  try {
    out(`Music is up at ${stack.url} (data in ${stack.dataDir})`);
    const token = await logIn(stack.url);
    traffic = startTraffic({ url: stack.url, token, rps, writeShare, timeoutMs: requestTimeoutMs });
    const warmFrom = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const warm = judgeWindow(traffic.samples, warmFrom, performance.now(), steadyMs);
    out(
      `Steady load: ${rps} req/s, ${(writeShare * 100).toFixed(0)}% creations; first 5 s: ${warm.sent} sent, ${warm.failed} failed`,
    );
    for (const probe of chosen) {
      out('');
      out(`━━ ${probe.name}: ${probe.title} ━━`);
      if (!stack.alive()) {
        out(`  skipped: the runtime ${stack.exitReason()}`);
        continue;
      }
      const result = await runProbe(probe, { stack, token, traffic, out }, { recoverMs, steadyMs }).catch(
        (error: Error) => {
          out(`  could not run: ${error.message}`);
          return undefined;
        },
      );
      if (!result) continue;
      results.push(result);
      out(
        `  → ${result.sent} sent, ${result.failed} failed, recovered ${formatRecovery(result, recoverMs)}, ` +
          `data lost ${formatDataLost(result)}: ${result.ok ? 'ok' : 'FAILED'}`,
      );
    }
  } finally {
    out('');
    out('Stopping the load and the runtime...');
    await stopAll();
  }
  out('');
  out('Summary');
  for (const line of formatSummary(results, recoverMs)) out(line);
  return results.length === chosen.length && results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`chaos: ${error.message}`);
      process.exit(2);
    }
    console.error(error instanceof ChaosError ? `chaos: ${error.message}` : error);
    process.exit(1);
  },
);
