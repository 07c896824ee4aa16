// Benchmark of the mesh ingress against the same upstream, the way Istio publishes its proxy figures:
// throughput at saturation, latency percentiles at a fixed rate, proxy CPU per 1000 requests.
// Prints figures, not a test. Run: npm run bench:mesh -- --help
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Pool } from 'undici';
import { parseCommandLine } from './command-line.ts';
import type { Allocations } from './mesh-proxy.ts';
import { cpuSeconds, forkIngress, type IngressChild, residentMiB, stopChild } from './processes.ts';
import { checkOutRevision, type Revision } from './revision.ts';

const HELP = `Usage: npm run bench:mesh -- [options]

Runs, against one upstream answering a 180-byte JSON (nginx when installed, else Node):
  (a) the client straight to the upstream
  (b) nginx as reverse proxy (1 worker, keepalive to the upstream), when nginx is installed
  (c) the mesh ingress: Gateway + VirtualService -> Service, one endpoint
  (d) the mesh ingress with a 90/10 weighted route between two subsets and a mirror to a third
  (f) nginx doing what (d) does (split_clients 90/10 and mirror), when nginx is installed: what a
      weighted route and a mirror cost a C proxy on the same machine
  (e) only when asked (--only ...,e): the floor of any proxy in one Node process: bytes forwarded
      between bare sockets, one upstream connection per client, no HTTP beyond finding the
      end of each message
For each: throughput at saturation (wrk -t1 -c<connections> -d<duration>), latency p50/p90/p99 at a
fixed rate over <latency-connections> connections (open loop, undici Pool, hrtime), and the CPU
seconds per 1000 requests of the proxy processes (from /proc/<pid>/stat, whole process tree).
For the mesh ingress, first its resident memory (VmRSS) idle and after <rss-seconds> at <rate>.

Options:
  --duration <s>            seconds of each wrk run (default 10)
  --connections <n>         wrk connections (default 32)
  --rate <n>                fixed rate in req/s for the latency runs (default 1000)
  --latency-duration <s>    seconds of each fixed-rate run, after 1 s of warm-up (default 10)
  --latency-connections <n> connections of the fixed-rate runs (default 16)
  --rss-seconds <s>         seconds at <rate> before the mesh ingress's resident memory is read
                            again (default 60; 0 skips both readings)
  --only <list>             run only these cases, e.g. a,c (default a,b,c,d,f)
  --rounds <n>              measure the cases n times, alternating, and print each figure's median
                            and, per round, (c) against (e) (default 1): on a shared machine one run
                            of a case can be a tenth off, so compare medians
  --upstream nginx|node     the upstream (default nginx when installed)
  --against <commit>        also measure (c) and (d) as another commit's code runs them (a hash,
                            HEAD~1, a branch; checked out in a temporary git worktree), each
                            next to this tree's in every round, which of the two goes first
                            alternating, and print this tree's figures against that commit's:
                            the A/B a change to the data path is judged by (with --rounds 3 or more)
  --no-telemetry            run the ingress without the telemetry subscriber
  --no-access-log           telemetry without the access log: what formatting its two lines per
                            request costs (the runtime prints them, as deploy/istio-install asks)
  --no-mirror-comparison    telemetry without comparing mirrored answers with the primary's
                            (what that comparison costs (d): run with and without)
  --alloc                   after (c) and (d) are measured (in the first round), count what the
                            ingress allocates per request at <rate> for <latency-duration> (V8's
                            sampling heap profiler, collected objects included) and its biggest
                            allocators: unlike CPU time, this figure does not move with the load
  --profile                 run the ingress with --cpu-prof and print its top 15 self-time functions
  --profile-dir <dir>       with --profile: also keep the .cpuprofile files there (open in Chrome DevTools)
  --node-flags <flags>      node and V8 options for the ingress processes of (c), (d) and (e),
                            space-separated, e.g. --node-flags='--trace-gc --trace-deopt' (what they
                            print goes to the terminal among the progress lines)
  --help                    this text

Needs wrk (apt-get install -y wrk); nginx (apt-get install -y nginx-light) for (b) and the fast upstream.`;

const { values } = parseCommandLine('bench:mesh', {
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '1000' },
    'latency-duration': { type: 'string', default: '10' },
    'latency-connections': { type: 'string', default: '16' },
    'rss-seconds': { type: 'string', default: '60' },
    only: { type: 'string', default: 'a,b,c,d,f' },
    rounds: { type: 'string', default: '1' },
    against: { type: 'string' },
    upstream: { type: 'string' },
    'no-telemetry': { type: 'boolean', default: false },
    'no-mirror-comparison': { type: 'boolean', default: false },
    'no-access-log': { type: 'boolean', default: false },
    alloc: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const settings = {
  duration: positive('duration'),
  connections: positive('connections'),
  rate: positive('rate'),
  latencyDuration: positive('latency-duration'),
  latencyConnections: positive('latency-connections'),
  rssSeconds: Number(values['rss-seconds']),
  rounds: Number(values.rounds),
};
if (!(settings.rssSeconds >= 0)) fail('--rss-seconds must be 0 or more');
if (!Number.isInteger(settings.rounds) || settings.rounds < 1)
  fail('--rounds must be a whole number, 1 or more');
const nodeFlags = values['node-flags'].split(' ').filter((flag) => flag !== '');
for (const flag of nodeFlags)
  if (!flag.startsWith('--')) fail(`--node-flags takes options that start with --, not "${flag}"`);
const nginxPath = findExecutable('nginx', ['/usr/sbin']);
const wrkPath = findExecutable('wrk');
if (!wrkPath) fail('wrk is not installed (apt-get install -y wrk)');
const upstreamKind = values.upstream ?? (nginxPath ? 'nginx' : 'node');
if (upstreamKind !== 'nginx' && upstreamKind !== 'node') fail('--upstream must be nginx or node');
if (upstreamKind === 'nginx' && !nginxPath) fail('nginx is not installed (apt-get install -y nginx-light)');
const only = new Set(values.only.split(',').map((s) => s.trim()));
for (const name of only) {
  if (!/^[a-f]$/.test(name)) fail(`--only takes case letters a to f separated by commas, not "${name}"`);
}
if (values.against !== undefined && !only.has('c') && !only.has('d'))
  fail('--against compares the mesh ingress cases: --only must include c or d');
/** 180 bytes exactly, like the upstream of the proxy measurements in mesh/README.md § Performance. */
const payload = (() => {
  const json = JSON.stringify({
    id: 42,
    title: 'Blue in Green',
    artist: 'Miles Davis',
    album: 'Kind of Blue',
    pad: '',
  });
  return json.replace('"pad":""', `"pad":"${'x'.repeat(180 - json.length)}"`);
})();
if (Buffer.byteLength(payload) !== 180) fail(`payload is ${Buffer.byteLength(payload)} bytes, not 180`);

interface CaseResult {
  readonly name: string;
  readonly label: string;
  rps?: number;
  wrkP50?: number;
  wrkP99?: number;
  wrkErrors?: string;
  satCpuPer1000?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  fixedErrors?: number;
  fixedCpuPer1000?: number;
  /** Share of the fixed-rate CPU time spent in the kernel (stime), 0–1. */
  fixedSystemShare?: number;
  achievedRate?: number;
  /** Resident memory of the proxy in MiB: just started, and after the soak at the fixed rate. */
  rssIdle?: number;
  rssLoaded?: number;
  /** --alloc: what the ingress allocated over `requests` requests at the fixed rate. */
  allocations?: Allocations & { readonly requests: number };
  note?: string;
}

const work = await mkdtemp(join(tmpdir(), 'music-bench-mesh-'));
const cleanups: (() => Promise<void>)[] = [];
/** --against: the other commit; its cases are named with a prime, (c') beside (c). */
let against: Revision | undefined;
if (values.against !== undefined) {
  progress(`checking out ${values.against} to measure beside this tree`);
  against = await checkOutRevision(values.against, join(work, 'against')).catch(async (error: Error) => {
    await rm(work, { recursive: true, force: true });
    fail(`--against: ${error.message}`);
  });
  cleanups.push(against.remove);
  progress(`(c') and (d'): the mesh ingress at ${against.short}`);
  if (!against.sameDependencies)
    progress(
      `warning: ${against.short}'s package-lock.json differs from this tree's; its code runs on this tree's node_modules`,
    );
}
let interrupted = false;
// SIGTERM too (kill, pkill, a CI timeout): without cleanup, the nginx processes and the worktree
// would outlive the run.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    interrupted = true;
    progress(`${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: cleaning up`);
    void cleanup().then(() => process.exit(code));
  });
}

try {
  progress(
    `machine: ${(await readFile('/proc/cpuinfo', 'utf8')).match(/^processor/gm)?.length ?? '?'} CPUs, Node ${process.version}, upstream ${upstreamKind}`,
  );
  const upstream = await startUpstream(upstreamKind);
  cleanups.push(upstream.stop);

  const rounds: CaseResult[][] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    if (settings.rounds > 1) progress(`round ${round} of ${settings.rounds}`);
    rounds.push(await measureCases(upstream, round));
  }
  const results = settings.rounds === 1 ? (rounds[0] as CaseResult[]) : medians(rounds);
  printTable(results.sort((x, y) => x.name.localeCompare(y.name)));
  if (settings.rounds > 1) printRounds(rounds);
  if (against) printAgainst(rounds, against.short);
} catch (error) {
  if (!interrupted) console.error(`bench:mesh: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

/**
 * Every case asked for, once; the first round also reads resident memory and profiles. With
 * --against, (c') follows (c) and (d') follows (d) in odd rounds and goes first in even ones, so
 * that a machine getting busier during the run favours neither.
 */
async function measureCases(upstream: Upstream, round: number): Promise<CaseResult[]> {
  const first = round === 1;
  const [v1] = upstream.origins as [string, string, string];
  const results: CaseResult[] = [];
  if (only.has('a')) results.push(await measure('a', 'direct to the upstream', v1, upstream.pids));
  for (const [name, weighted, label] of [
    ['b', false, 'nginx proxy, 1 worker'],
    ['f', true, 'nginx, 90/10 + mirror'],
  ] as const) {
    if (!only.has(name)) continue;
    if (!nginxPath) {
      results.push({ name, label, note: 'skipped: nginx not installed' });
      continue;
    }
    const proxy = await startNginxProxy(upstream.origins, weighted);
    cleanups.push(proxy.stop);
    results.push(await measure(name, label, proxy.url, proxy.pids));
    await proxy.stop();
  }
  const meshCases: [string, 'plain' | 'weighted' | 'bare', string, string | undefined][] = [];
  for (const [name, scenario, label] of [
    ['c', 'plain', 'mesh ingress'],
    ['d', 'weighted', 'mesh ingress, 90/10 + mirror'],
    ['e', 'bare', 'bare-socket Node floor'],
  ] as const) {
    if (!only.has(name)) continue;
    const pair: typeof meshCases = [[name, scenario, label, undefined]];
    if (against && scenario !== 'bare')
      pair.push([`${name}'`, scenario, `${label} at ${against.short}`, against.root]);
    meshCases.push(...(round % 2 === 0 ? pair.reverse() : pair));
  }
  for (const [name, scenario, label, tree] of meshCases) {
    const proxy = await startMeshProxy(scenario, upstream.origins, name, first && values.profile, tree).catch(
      (error: Error) => {
        results.push({ name, label, note: `not measured: ${error.message}` });
        return undefined;
      },
    );
    if (!proxy) continue;
    cleanups.push(proxy.stop);
    const memory =
      scenario === 'bare' || !first ? {} : await residentMemory(name, label, proxy.url, proxy.pid);
    const result: CaseResult = { ...(await measure(name, label, proxy.url, () => [proxy.pid])), ...memory };
    if (scenario !== 'bare' && first && values.alloc)
      result.allocations = await allocated(name, label, proxy);
    if (scenario !== 'bare') result.note = await trafficSplit(proxy.statsUrl);
    results.push(result);
    await proxy.stop();
    if (proxy.profileDir) {
      await printProfile(name, proxy.profileDir);
      if (values['profile-dir']) await keepProfile(name, proxy.profileDir, values['profile-dir']);
    }
  }
  return results;
}

async function cleanup(): Promise<void> {
  for (const stop of cleanups.splice(0).reverse()) await stop().catch(() => {});
  await rm(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// One case: saturation with wrk, then the fixed-rate latency run, CPU read around each.

async function measure(name: string, label: string, url: string, pids: () => number[]): Promise<CaseResult> {
  const result: CaseResult = { name, label };
  await checkAnswers(url);

  progress(`(${name}) ${label}: wrk -t1 -c${settings.connections} -d${settings.duration}s ...`);
  const cpuBefore = await cpuSeconds(pids());
  const wrk = await runWrk(url);
  const cpuSat = (await cpuSeconds(pids())).total - cpuBefore.total;
  result.rps = wrk.rps;
  result.wrkP50 = wrk.p50;
  result.wrkP99 = wrk.p99;
  if (wrk.errors) result.wrkErrors = wrk.errors;
  result.satCpuPer1000 = wrk.requests > 0 ? (cpuSat / wrk.requests) * 1000 : Number.NaN;

  progress(
    `(${name}) ${label}: ${settings.rate} req/s over ${settings.latencyConnections} connections for ${settings.latencyDuration}s (+1 s warm-up) ...`,
  );
  const fixed = await fixedRate(
    url,
    settings.rate,
    settings.latencyConnections,
    settings.latencyDuration,
    pids,
  );
  Object.assign(result, fixed);
  progress(
    `(${name}) ${fmt(result.rps, 0)} req/s; p50 ${fmt(result.p50, 3)} p90 ${fmt(result.p90, 3)} p99 ${fmt(result.p99, 3)} ms`,
  );
  return result;
}

async function checkAnswers(url: string): Promise<void> {
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || body.length !== 180) {
    throw new Error(`${url} answered ${response.status} with ${body.length} bytes: ${body.slice(0, 200)}`);
  }
}

interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: string | undefined;
}

async function runWrk(url: string): Promise<WrkResult> {
  const args = ['-t1', `-c${settings.connections}`, `-d${settings.duration}s`, '--latency', `${url}/`];
  const child = spawn(wrkPath as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  const ticker = ticking(settings.duration);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(ticker);
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const errors = [/Socket errors:[^\n]+/.exec(out)?.[0], /Non-2xx or 3xx responses:[^\n]+/.exec(out)?.[0]]
    .filter(Boolean)
    .join('; ');
  return {
    rps,
    requests,
    p50: wrkDuration(/50%\s+([\d.]+\w+)/.exec(out)?.[1]),
    p99: wrkDuration(/99%\s+([\d.]+\w+)/.exec(out)?.[1]),
    errors: errors || undefined,
  };
}

/** wrk prints `812.00us`, `1.23ms`, `2.00s`; returns milliseconds. */
function wrkDuration(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return match[2] === 'us' ? n / 1000 : match[2] === 'ms' ? n : match[2] === 's' ? n * 1000 : n * 60_000;
}

/**
 * Open-loop load at a fixed rate: requests leave on schedule whether or not earlier ones came back
 * (a slow proxy queues them in the Pool, and the wait counts). Latency is from handing the request
 * to the Pool to the last byte of the body, in nanoseconds.
 */
async function fixedRate(
  url: string,
  rate: number,
  connections: number,
  seconds: number,
  pids: () => number[],
): Promise<Partial<CaseResult>> {
  const pool = new Pool(new URL(url).origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const intervalNs = 1e9 / rate;
  const run = async (total: number, keep: boolean) => {
    const latencies = new Float64Array(total);
    let sent = 0;
    let done = 0;
    let errors = 0;
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      const finishOne = () => {
        done++;
        if (done === total) resolve();
      };
      const fire = (index: number) => {
        const t0 = process.hrtime.bigint();
        pool
          .request({ path: '/', method: 'GET' })
          .then(async ({ statusCode, body }) => {
            await body.text();
            if (statusCode !== 200) errors++;
            if (keep) latencies[index] = Number(process.hrtime.bigint() - t0) / 1e6;
          })
          .catch(() => {
            errors++;
            latencies[index] = Number.NaN;
          })
          .finally(finishOne);
      };
      const tick = () => {
        const elapsed = Number(process.hrtime.bigint() - start);
        while (sent < total && sent * intervalNs <= elapsed) fire(sent++);
        if (sent < total) setTimeout(tick, 1);
      };
      tick();
    });
    const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { latencies, errors, wallSeconds };
  };
  try {
    await run(rate, false);
    const total = Math.round(rate * seconds);
    const ticker = ticking(seconds);
    const cpuBefore = await cpuSeconds(pids());
    const { latencies, errors, wallSeconds } = await run(total, true);
    const cpuAfter = await cpuSeconds(pids());
    const cpu = cpuAfter.total - cpuBefore.total;
    clearInterval(ticker);
    const sorted = latencies.filter((v) => !Number.isNaN(v)).sort();
    return {
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      fixedErrors: errors,
      fixedCpuPer1000: (cpu / total) * 1000,
      fixedSystemShare: cpu > 0 ? (cpuAfter.system - cpuBefore.system) / cpu : Number.NaN,
      achievedRate: total / wallSeconds,
    };
  } finally {
    await pool.destroy();
  }
}

/** VmRSS of the proxy just started, then after `--rss-seconds` at the fixed rate (0 skips). */
async function residentMemory(
  name: string,
  label: string,
  url: string,
  pid: number,
): Promise<Pick<CaseResult, 'rssIdle' | 'rssLoaded'>> {
  if (settings.rssSeconds === 0) return {};
  const rssIdle = await residentMiB(pid);
  progress(
    `(${name}) ${label}: ${rssIdle.toFixed(1)} MiB resident idle; ${settings.rate} req/s for ${settings.rssSeconds}s ...`,
  );
  await fixedRate(url, settings.rate, settings.latencyConnections, settings.rssSeconds, () => [pid]);
  return { rssIdle, rssLoaded: await residentMiB(pid) };
}

/** --alloc: the ingress's allocations over a fixed-rate run (its 1 s warm-up included in the count). */
async function allocated(
  name: string,
  label: string,
  proxy: IngressChild,
): Promise<Allocations & { requests: number }> {
  progress(`(${name}) ${label}: allocations at ${settings.rate} req/s for ${settings.latencyDuration}s ...`);
  await proxy.ask('alloc-start');
  await fixedRate(proxy.url, settings.rate, settings.latencyConnections, settings.latencyDuration, () => [
    proxy.pid,
  ]);
  const allocations = (await proxy.ask('alloc-stop')) as Allocations;
  return { ...allocations, requests: settings.rate + Math.round(settings.rate * settings.latencyDuration) };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

// ---------------------------------------------------------------------------------------------
// The upstream, the nginx proxy, the mesh proxy child.

interface Upstream {
  /** Three origins (v1, v2, v3 endpoints of the weighted case), same answer. */
  readonly origins: readonly string[];
  readonly pids: () => number[];
  stop(): Promise<void>;
}

async function startUpstream(kind: 'nginx' | 'node'): Promise<Upstream> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const origins = ports.map((port) => `http://127.0.0.1:${port}`);
  progress(`upstream: ${kind} on ports ${ports.join(', ')}`);
  if (kind === 'nginx') {
    const server = ports.map((port) => `listen 127.0.0.1:${port};`).join(' ');
    const config = nginxConfig(
      'upstream',
      `server { ${server}
        location / { default_type application/json; return 200 '${payload}'; } }`,
    );
    const child = await startNginx('upstream', config);
    await Promise.all(origins.map(waitForHttp));
    return { origins, pids: () => [child.pid as number], stop: () => stopChild(child) };
  }
  const script = `
    import { createServer } from 'node:http';
    const body = Buffer.from(${JSON.stringify(payload)});
    for (const port of ${JSON.stringify(ports)}) {
      const server = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
      });
      server.keepAliveTimeout = 60_000;
      server.listen(port, '127.0.0.1');
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  await Promise.all(origins.map(waitForHttp));
  return { origins, pids: () => [child.pid as number], stop: () => stopChild(child) };
}

/**
 * nginx as reverse proxy. Weighted: (d)'s routing in nginx's terms, split_clients 90/10 between
 * v1 and v2 and a mirror subrequest to v3 carrying the `-shadow` host.
 */
async function startNginxProxy(
  origins: readonly string[],
  weighted: boolean,
): Promise<{ url: string; pids: () => number[]; stop(): Promise<void> }> {
  const port = await freePort();
  const upstreams = origins
    .map(
      (origin, i) =>
        `upstream v${i + 1} { server ${new URL(origin).host}; keepalive 64; keepalive_requests 1000000; }`,
    )
    .join('\n');
  const proxied = 'proxy_http_version 1.1; proxy_set_header Connection "";';
  const server = weighted
    ? `split_clients "\${request_id}" $backend { 90% v1; * v2; }
       server { listen 127.0.0.1:${port};
         location / { mirror /_mirror; proxy_pass http://$backend; ${proxied} }
         location = /_mirror { internal; proxy_pass http://v3$request_uri; ${proxied}
           proxy_set_header Host $host-shadow; } }`
    : `server { listen 127.0.0.1:${port}; location / { proxy_pass http://v1; ${proxied} } }`;
  const name = weighted ? 'proxy-weighted' : 'proxy';
  const child = await startNginx(name, nginxConfig(name, `${upstreams}\n${server}`));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url);
  let stopped: Promise<void> | undefined;
  return {
    url,
    pids: () => [child.pid as number],
    stop: () => {
      stopped ??= stopChild(child);
      return stopped;
    },
  };
}

function nginxConfig(name: string, http: string): string {
  const dir = join(work, name);
  return `worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${http}
}
`;
}

async function startNginx(name: string, config: string): Promise<ChildProcess> {
  const dir = join(work, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  await writeFile(file, config);
  return spawn(nginxPath as string, ['-p', dir, '-c', file, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

interface MeshProxy extends IngressChild {
  readonly profileDir: string | undefined;
}

async function startMeshProxy(
  scenario: 'plain' | 'weighted' | 'bare',
  origins: readonly string[],
  name: string,
  profile: boolean,
  /** Another tree to run the ingress from (--against), else this one. */
  tree: string | undefined,
): Promise<MeshProxy> {
  const profileDir = profile ? join(work, `profile-${name}`) : undefined;
  const execArgv = [...nodeFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const args = [
    scenario,
    ...origins,
    ...(values['no-telemetry'] ? ['--no-telemetry'] : []),
    ...(values['no-mirror-comparison'] ? ['--no-mirror-comparison'] : []),
    ...(values['no-access-log'] ? ['--no-access-log'] : []),
  ];
  const ingress = await forkIngress(
    args,
    execArgv,
    tree === undefined ? undefined : join(tree, 'tools/bench/mesh-proxy.ts'),
  );
  progress(`(${name}) mesh ingress (${scenario}) ready at ${ingress.url}${profileDir ? ', profiling' : ''}`);
  return { ...ingress, profileDir };
}

/** Where the ingress sent the requests, per destination_version, from its own istio_requests_total. */
async function trafficSplit(statsUrl: string | undefined): Promise<string> {
  if (!statsUrl) return 'telemetry off';
  const text = await (await fetch(statsUrl)).text();
  const byVersion = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('istio_requests_total{') || !line.includes('reporter="destination"')) continue;
    const version = /destination_version="([^"]*)"/.exec(line)?.[1] ?? '?';
    byVersion.set(version, (byVersion.get(version) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  const total = [...byVersion.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return 'no telemetry records: the data path does not publish on music-mesh:request yet';
  return [...byVersion.entries()]
    .sort()
    .map(([version, n]) => `${version} ${n}`)
    .join(', ');
}

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : fail('no free port');
}

// ---------------------------------------------------------------------------------------------
// --profile: top self-time functions of a .cpuprofile.

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Copies the case's .cpuprofile to `<target>/mesh-<case>.cpuprofile`. */
async function keepProfile(name: string, dir: string, target: string): Promise<void> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return;
  await mkdir(target, { recursive: true });
  const file = join(target, `mesh-${name}.cpuprofile`);
  await copyFile(join(dir, files[0] as string), file);
  progress(`(${name}) profile kept in ${file}`);
}

async function printProfile(name: string, dir: string): Promise<void> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) {
    console.log(`(${name}) no .cpuprofile written`);
    return;
  }
  const profile = JSON.parse(await readFile(join(dir, files[0] as string), 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = frameOf.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    totalUs += delta;
    if (!frame) return;
    const where = frame.url
      ? `${frame.url.replace(/^.*\/(node_modules|work\/main)\//, '')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'}${where ? `  ${where}` : ''}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
  });
  const idle = [...selfUs.entries()]
    .filter(([key]) => key.startsWith('(idle)'))
    .reduce((a, [, v]) => a + v, 0);
  const busy = totalUs - idle;
  console.log(
    `\n(${name}) top 15 self time, % of busy time (${(busy / 1e6).toFixed(2)} s busy of ${(totalUs / 1e6).toFixed(2)} s):`,
  );
  const top = [...selfUs.entries()]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15);
  for (const [key, us] of top) {
    console.log(
      `  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

function printTable(rows: readonly CaseResult[]): void {
  const byName = new Map(rows.map((row) => [row.name, row]));
  const nginx = byName.get('b');
  const direct = byName.get('a');
  console.log(
    `\nmesh proxy benchmark: wrk -t1 -c${settings.connections} -d${settings.duration}s; ` +
      `latency at ${settings.rate} req/s over ${settings.latencyConnections} connections for ${settings.latencyDuration}s; ` +
      `upstream ${upstreamKind}; CPU = proxy process tree (upstream for (a))\n`,
  );
  const header = [
    'case',
    'req/s',
    'x nginx',
    'wrk p50',
    'wrk p99',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    '+p90 vs (a)',
    'CPU-s/1k @rate',
    'CPU-s/1k @sat',
    'errors',
  ];
  const table = rows.map((row) => [
    `(${row.name}) ${row.label}`,
    fmt(row.rps, 0),
    nginx?.rps && row.rps ? `${(row.rps / nginx.rps).toFixed(2)}x` : '-',
    fmt(row.wrkP50, 2),
    fmt(row.wrkP99, 2),
    fmt(row.p50, 3),
    fmt(row.p90, 3),
    fmt(row.p99, 3),
    direct?.p90 !== undefined && row.p90 !== undefined && row !== direct ? fmt(row.p90 - direct.p90, 3) : '-',
    fmt(row.fixedCpuPer1000, 3),
    fmt(row.satCpuPer1000, 3),
    [row.wrkErrors, row.fixedErrors ? `${row.fixedErrors} failed at fixed rate` : undefined]
      .filter(Boolean)
      .join('; ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table) console.log(line(row));
  for (const row of rows) {
    if (row.fixedSystemShare !== undefined && !Number.isNaN(row.fixedSystemShare)) {
      console.log(
        `(${row.name}) CPU at the fixed rate: ${(row.fixedSystemShare * 100).toFixed(0)}% kernel, ${((1 - row.fixedSystemShare) * 100).toFixed(0)}% user`,
      );
    }
  }
  for (const row of rows) {
    if (row.rssIdle !== undefined && row.rssLoaded !== undefined) {
      console.log(
        `(${row.name}) resident memory: ${row.rssIdle.toFixed(1)} MiB idle, ${row.rssLoaded.toFixed(1)} MiB after ${settings.rssSeconds} s at ${settings.rate} req/s`,
      );
    }
  }
  for (const row of rows) if (row.note) console.log(`(${row.name}) ${row.note}`);
  for (const row of rows) {
    const allocations = row.allocations;
    if (!allocations) continue;
    const perRequest = (bytes: number) => (bytes / allocations.requests).toFixed(0).padStart(6);
    console.log(
      `(${row.name}) allocated ${perRequest(allocations.bytes).trim()} bytes per request over ${allocations.requests} requests; the biggest allocators, bytes per request:`,
    );
    for (const [site, bytes] of allocations.sites) console.log(`  ${perRequest(bytes)}  ${site}`);
  }
  for (const row of rows) {
    if (row.achievedRate !== undefined && row.achievedRate < settings.rate * 0.97) {
      console.log(
        `(${row.name}) warning: the fixed-rate run achieved only ${row.achievedRate.toFixed(0)} req/s`,
      );
    }
  }

  const mesh = byName.get('c');
  const weighted = byName.get('d');
  const nginxWeighted = byName.get('f');
  const floor = byName.get('e');
  const targets: [string, boolean | undefined, string][] = [
    [
      '(c) throughput >= 0.6x (b)',
      mesh?.rps && nginx?.rps ? mesh.rps >= 0.6 * nginx.rps : undefined,
      mesh?.rps && nginx?.rps ? `${(mesh.rps / nginx.rps).toFixed(2)}x` : 'n/a',
    ],
    [
      '(c) added p90 at the fixed rate <= 0.5 ms over (a)',
      mesh?.p90 !== undefined && direct?.p90 !== undefined ? mesh.p90 - direct.p90 <= 0.5 : undefined,
      mesh?.p90 !== undefined && direct?.p90 !== undefined ? `+${fmt(mesh.p90 - direct.p90, 3)} ms` : 'n/a',
    ],
    [
      '(c) <= 0.1 CPU-s per 1000 requests',
      mesh?.fixedCpuPer1000 !== undefined ? mesh.fixedCpuPer1000 <= 0.1 : undefined,
      mesh?.fixedCpuPer1000 !== undefined
        ? `${fmt(mesh.fixedCpuPer1000, 3)} at ${settings.rate} req/s`
        : 'n/a',
    ],
    [
      '(d) throughput within 10% of (c)',
      weighted?.rps && mesh?.rps ? weighted.rps >= 0.9 * mesh.rps : undefined,
      weighted?.rps && mesh?.rps
        ? `${change(weighted.rps, mesh.rps)}${nginxWeighted?.rps && nginx?.rps ? ` (nginx, (f) vs (b): ${change(nginxWeighted.rps, nginx.rps)})` : ''}`
        : 'n/a',
    ],
    [
      '(c) throughput >= 0.75x the bare-socket floor (e)',
      mesh?.rps && floor?.rps ? mesh.rps >= 0.75 * floor.rps : undefined,
      mesh?.rps && floor?.rps ? `${(mesh.rps / floor.rps).toFixed(2)}x` : 'n/a',
    ],
    [
      `(c) CPU per request at ${settings.rate} req/s <= 1.3x (e)'s`,
      mesh?.fixedCpuPer1000 && floor?.fixedCpuPer1000
        ? mesh.fixedCpuPer1000 <= 1.3 * floor.fixedCpuPer1000
        : undefined,
      mesh?.fixedCpuPer1000 && floor?.fixedCpuPer1000
        ? `${(mesh.fixedCpuPer1000 / floor.fixedCpuPer1000).toFixed(2)}x`
        : 'n/a',
    ],
    [
      '(d) trails (c) by less than (f) trails (b)',
      weighted?.rps && mesh?.rps && nginxWeighted?.rps && nginx?.rps
        ? weighted.rps / mesh.rps > nginxWeighted.rps / nginx.rps
        : undefined,
      weighted?.rps && mesh?.rps && nginxWeighted?.rps && nginx?.rps
        ? `${change(weighted.rps, mesh.rps)} against ${change(nginxWeighted.rps, nginx.rps)}`
        : 'n/a',
    ],
  ];
  console.log('\ntargets:');
  for (const [what, ok, figure] of targets) {
    console.log(`  ${ok === undefined ? 'n/a ' : ok ? 'PASS' : 'FAIL'}  ${what}: ${figure}`);
  }
  if (floor?.rps && mesh?.rps) {
    console.log(
      `\n(c) against the bare-socket floor (e): ${(mesh.rps / floor.rps).toFixed(2)}x its throughput, ` +
        `CPU-s/1k ${fmt(mesh.fixedCpuPer1000, 3)} vs ${fmt(floor.fixedCpuPer1000, 3)} at ${settings.rate} req/s, ` +
        `${fmt(mesh.satCpuPer1000, 3)} vs ${fmt(floor.satCpuPer1000, 3)} at saturation`,
    );
  }
}

/**
 * Each case's figures over the rounds: the median of every number, the errors of any round, the
 * first round's memory and note.
 */
function medians(rounds: readonly CaseResult[][]): CaseResult[] {
  const first = rounds[0] as CaseResult[];
  return first.map((row) => {
    const runs = rounds.map((results) => results.find((result) => result.name === row.name) ?? row);
    const merged: CaseResult = { ...row };
    const numbers = merged as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(row)) {
      if (typeof value !== 'number' || key === 'rssIdle' || key === 'rssLoaded') continue;
      numbers[key] = median(runs.map((run) => (run as unknown as Record<string, number>)[key] as number));
    }
    const wrkErrors = runs.map((run) => run.wrkErrors).filter(Boolean);
    if (wrkErrors.length > 0) merged.wrkErrors = wrkErrors.join('; ');
    merged.fixedErrors = runs.reduce((sum, run) => sum + (run.fixedErrors ?? 0), 0);
    return merged;
  });
}

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Per round, the cases' CPU at the fixed rate, and (c) against (e) measured minutes apart rather
 * than hours: throughput, CPU per request, and its user-space part alone (the kernel's part is
 * where a shared machine's noise shows).
 */
function printRounds(rounds: readonly CaseResult[][]): void {
  console.log(`
per round (${rounds.length}): CPU-s/1k at ${settings.rate} req/s`);
  const ratios = { rps: [] as number[], cpu: [] as number[], user: [] as number[] };
  rounds.forEach((results, i) => {
    const byName = new Map(results.map((row) => [row.name, row]));
    const cells = results.map((row) => `(${row.name}) ${fmt(row.fixedCpuPer1000, 3)}`);
    const mesh = byName.get('c');
    const floor = byName.get('e');
    if (mesh?.rps && floor?.rps && mesh.fixedCpuPer1000 && floor.fixedCpuPer1000) {
      ratios.rps.push(mesh.rps / floor.rps);
      ratios.cpu.push(mesh.fixedCpuPer1000 / floor.fixedCpuPer1000);
      ratios.user.push(userCpu(mesh) / userCpu(floor));
      cells.push(
        `(c)/(e): throughput ${fmt(mesh.rps / floor.rps, 2)}x, CPU ${fmt(mesh.fixedCpuPer1000 / floor.fixedCpuPer1000, 2)}x, user CPU ${fmt(userCpu(mesh) / userCpu(floor), 2)}x`,
      );
    }
    console.log(`  ${i + 1}: ${cells.join('  ')}`);
  });
  if (ratios.cpu.length > 0) {
    const range = (values: number[]) =>
      `${fmt(median(values), 2)}x (${fmt(Math.min(...values), 2)}–${fmt(Math.max(...values), 2)})`;
    console.log(
      `  median (c)/(e): throughput ${range(ratios.rps)}, CPU per request at ${settings.rate} req/s ${range(ratios.cpu)}, user CPU ${range(ratios.user)}`,
    );
  }
}

/**
 * --against: per round and as the median over rounds, this tree's (c) and (d) against the other
 * commit's, measured next to each other: throughput, CPU per request at the fixed rate and its
 * user-space part. Below 1.00x for CPU and above it for throughput is this tree doing better.
 */
function printAgainst(rounds: readonly CaseResult[][], short: string): void {
  console.log(`\nthis tree against ${short}, measured side by side in each round:`);
  for (const name of ['c', 'd']) {
    const ratios = { rps: [] as number[], cpu: [] as number[], user: [] as number[] };
    for (const results of rounds) {
      const mine = results.find((row) => row.name === name);
      const theirs = results.find((row) => row.name === `${name}'`);
      if (!mine?.rps || !theirs?.rps || !mine.fixedCpuPer1000 || !theirs.fixedCpuPer1000) continue;
      ratios.rps.push(mine.rps / theirs.rps);
      ratios.cpu.push(mine.fixedCpuPer1000 / theirs.fixedCpuPer1000);
      ratios.user.push(userCpu(mine) / userCpu(theirs));
    }
    if (ratios.rps.length === 0) continue;
    const each = (values: number[]) => values.map((value) => fmt(value, 2)).join(', ');
    console.log(
      `  (${name}) / (${name}'): throughput ${fmt(median(ratios.rps), 2)}x (${each(ratios.rps)}), ` +
        `CPU per request at ${settings.rate} req/s ${fmt(median(ratios.cpu), 2)}x (${each(ratios.cpu)}), ` +
        `user CPU ${fmt(median(ratios.user), 2)}x (${each(ratios.user)})`,
    );
  }
}

function userCpu(row: CaseResult): number {
  return (row.fixedCpuPer1000 ?? Number.NaN) * (1 - (row.fixedSystemShare ?? Number.NaN));
}

/** `-41.7%`: how much `value` differs from `reference`. */
function change(value: number, reference: number): string {
  return `${((value / reference - 1) * 100).toFixed(1)}%`;
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

function progress(message: string): void {
  process.stderr.write(`bench:mesh: ${message}\n`);
}

/** A dot a second on stderr while a run lasts, so a 10 s wait does not look like a hang. */
function ticking(seconds: number): NodeJS.Timeout {
  let left = Math.ceil(seconds);
  return setInterval(() => {
    if (left-- > 0) process.stderr.write('.');
    if (left === 0) process.stderr.write('\n');
  }, 1000);
}

function positive(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!(n > 0)) fail(`--${name} must be a positive number`);
  return n;
}

function findExecutable(name: string, extra: readonly string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extra]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function fail(message: string): never {
  console.error(`bench:mesh: ${message}`);
  process.exit(2);
}
