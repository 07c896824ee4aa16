// Benchmark: legitimate sign-ins while a flood of failed ones runs. Prints counts, the share of
// legitimate sign-ins answered 200 within 2 s, and latency percentiles.
// Run: npm run bench:login -- [--duration 25] [--flood 30]
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '@music/mesh';
import { parseCommandLine } from './command-line.ts';

const HELP = `Usage: npm run bench:login -- [options]

Starts the app on the local runtime (temporary data directory). For --duration seconds it sends
--flood failed sign-ins per second for admin to a front replica, each from another address (the
last X-Forwarded-For entry, as the ingress would append it for a distributed attacker) and one in
ten from one fixed address, while the owner signs in as admin once a second from the address they
signed in from before the flood, and calls /api/account twice a second.

Options:
  --duration <s>   seconds of flood (default 25)
  --flood <n>      failed sign-ins per second (default 30)
  --help           this text`;

const { values } = parseCommandLine('bench:login', {
  options: {
    duration: { type: 'string', default: '25' },
    flood: { type: 'string', default: '30' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const duration = Number(values.duration);
const floodRate = Number(values.flood);
if (!(duration > 0) || !(floodRate > 0)) {
  console.error('bench:login: --duration and --flood must be positive numbers');
  process.exit(2);
}

interface Sample {
  status: number;
  ms: number;
}

const dataDir = await mkdtemp(join(tmpdir(), 'music-bench-login-'));
await chmod(dataDir, 0o755);
console.log('starting the app on the local runtime...');
const runtime = await startRuntime({ port: 0, dataDir });
try {
  const [front] = runtime.endpoints('front');
  if (!front) throw new Error('no ready front endpoint');
  const token = ((await (await signIn(front, 'admin', 'admin', '192.0.2.2')).json()) as { id_token: string })
    .id_token;

  const flood: Promise<Sample>[] = [];
  const logins: Promise<Sample>[] = [];
  const accounts: Promise<Sample>[] = [];
  let sent = 0;
  console.log(`flooding ${floodRate} failed sign-ins/s for ${duration} s...`);
  const started = performance.now();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed >= duration) {
        clearInterval(timer);
        done();
        return;
      }
      // Open loop: requests go out on schedule however slow the answers are.
      while (sent < elapsed * floodRate) {
        sent += 1;
        const address =
          sent % 10 === 0 ? '198.51.100.250' : `10.${(sent >> 16) & 255}.${(sent >> 8) & 255}.${sent & 255}`;
        flood.push(timed(() => signIn(front, 'admin', `guess-${sent}`, address)));
      }
      const second = Math.floor(elapsed);
      if (logins.length <= second) logins.push(timed(() => signIn(front, 'admin', 'admin', '192.0.2.2')));
      if (accounts.length <= second * 2 + (elapsed % 1 >= 0.5 ? 1 : 0)) {
        accounts.push(
          timed(() => fetch(`${front}/api/account`, { headers: { authorization: `Bearer ${token}` } })),
        );
      }
    }, 10);
  });
  const results = {
    flood: await Promise.all(flood),
    'legit sign-in': await Promise.all(logins),
    '/api/account': await Promise.all(accounts),
  };
  console.log(`\n${floodRate} failed sign-ins/s for ${duration} s, front replica direct\n`);
  console.log('| requests | sent | 200 | 401 | 429 | other | ok within 2 s | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, samples] of Object.entries(results)) {
    const count = (status: number) => samples.filter((s) => s.status === status).length;
    const ok = samples.filter((s) => s.status === 200 && s.ms <= 2000).length;
    const other = samples.length - count(200) - count(401) - count(429);
    const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
    const share = samples.length === 0 ? 0 : (100 * ok) / samples.length;
    console.log(
      `| ${name} | ${samples.length} | ${count(200)} | ${count(401)} | ${count(429)} | ${other} | ` +
        `${share.toFixed(1)}% | ${pct(ms, 50)} | ${pct(ms, 95)} | ${pct(ms, 99)} |`,
    );
  }
} finally {
  await runtime.stop();
  await rm(dataDir, { recursive: true, force: true });
}

function signIn(base: string, username: string, password: string, address: string): Promise<Response> {
  return fetch(`${base}/api/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ username, password }),
  });
}

async function timed(send: () => Promise<Response>): Promise<Sample> {
  const start = performance.now();
  try {
    const response = await send();
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - start };
  } catch {
    return { status: 0, ms: performance.now() - start };
  }
}

function pct(sorted: number[], p: number): string {
  if (sorted.length === 0) return '-';
  const at = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return (sorted[at] ?? 0).toFixed(0);
}
