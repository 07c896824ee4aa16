// Benchmark: GET /back/api/tracks through the ingress and straight to a back replica, same load.
// Prints req/s and latency percentiles side by side. Run: npm run bench -- [--duration 10] [--connections 16]
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '@music/mesh';
import autocannon from 'autocannon';
import { parseCommandLine } from './command-line.ts';

const HELP = `Usage: npm run bench -- [options]

Starts the app on the local runtime (temporary data directory), seeds 50 tracks, then loads
GET /back/api/tracks?size=20 through the ingress and directly against back, one after the other.

Options:
  --duration <s>      seconds per measurement (default 10)
  --connections <n>   concurrent connections (default 16)
  --help              this text`;

const { values } = parseCommandLine('bench', {
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const duration = Number(values.duration);
const connections = Number(values.connections);
if (!(duration > 0) || !(connections > 0)) {
  console.error('bench: --duration and --connections must be positive numbers');
  process.exit(2);
}

const dataDir = await mkdtemp(join(tmpdir(), 'music-bench-'));
await chmod(dataDir, 0o755);
console.log('starting the app on the local runtime...');
const runtime = await startRuntime({ port: 0, dataDir });
try {
  const token = await login(runtime.url);
  for (let i = 0; i < 50; i++) {
    await fetch(`${runtime.url}/back/api/tracks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `Track ${i}`, artist: `Artist ${i % 7}`, durationMs: 180_000 + i }),
    });
  }
  const [back] = runtime.endpoints('back');
  if (!back) throw new Error('no ready back endpoint');
  const path = '/back/api/tracks?size=20&sort=title,asc';
  const results = [];
  for (const [name, base] of [
    ['direct to back', back],
    ['through the ingress', runtime.url],
  ] as const) {
    console.log(`measuring ${name} for ${duration} s...`);
    results.push({ name, ...(await measure(`${base}${path}`, token)) });
  }
  console.log(`\nGET ${path}, ${connections} connections, ${duration} s each\n`);
  console.log('| path | req/s | p50 ms | p90 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.errors} |`);
  }
  const [direct, ingress] = results;
  if (direct && ingress) console.log(`\ningress/direct throughput: ${(ingress.rps / direct.rps).toFixed(2)}`);
} finally {
  await runtime.stop();
  await rm(dataDir, { recursive: true, force: true });
}

async function login(url: string): Promise<string> {
  const response = await fetch(`${url}/api/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin' }),
  });
  return ((await response.json()) as { id_token: string }).id_token;
}

async function measure(url: string, token: string) {
  const result = await autocannon({
    url,
    connections,
    duration,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}
