// npm run bench:mesh-instructions -- --help
// The ingress child of bench:mesh run under valgrind's callgrind: user-space instructions per
// request, a figure that the machine's neighbours do not move (CPU time on a shared VM does).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { parseCommandLine } from './command-line.ts';

const usage = `Usage: npm run bench:mesh-instructions -- [options]

Runs the ingress of bench:mesh (tools/bench/mesh-proxy.ts) under valgrind --tool=callgrind and
counts the instructions it executes in user space, all threads, per request: first <warm-up>
requests uncounted at <warm-up-rate> req/s, then <requests> counted at <rate> req/s, over 16
keep-alive connections, against a Node upstream answering a 180-byte JSON. bench:mesh's
fixed-rate run follows tens of thousands of requests at saturation, when the JIT has settled;
after only 4 000 requests a sixth of the count was still the optimizing compiler at work. The
ingress scavenges its young generation about once every 1 200 requests, some 4 million
instructions each: 1 000 counted requests hold one or none (the count moves by 4 k), 5 000
average them.
Kernel work is not counted (bench:mesh showed it is the same per request for (c) and (e)).
Prints one line per case: the count, and the count without what V8's optimizing compilers
executed (when one is still at work in the counted phase, it adds several thousand per request
to a tree that did not change: compare the second figure).

Options:
  --only <list>      cases, of c (mesh ingress, plain route) and e (bare-socket floor); default c,e
  --warm-up <n>      requests before counting starts (default 20000)
  --warm-up-rate <n> req/s of the warm-up (default 400)
  --requests <n>     requests counted (default 5000)
  --rate <n>         req/s counted (default 400; valgrind runs the ingress about 50 times slower)
  --keep <dir>       keep the callgrind files there, made if missing (callgrind_annotate reads them)
  --help             this text

Needs valgrind (apt-get install -y valgrind).`;

const { values } = parseCommandLine('bench:mesh-instructions', {
  options: {
    only: { type: 'string', default: 'c,e' },
    'warm-up': { type: 'string', default: '20000' },
    'warm-up-rate': { type: 'string', default: '400' },
    requests: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '400' },
    keep: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

function count(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`bench:mesh-instructions: --${name} must be a positive integer, got '${text}'\n`);
    process.exit(2);
  }
  return value;
}
const warmUp = count('warm-up', values['warm-up']);
const requests = count('requests', values.requests);
const warmUpRate = count('warm-up-rate', values['warm-up-rate']);
const rate = count('rate', values.rate);
const scenarios = { c: 'plain', e: 'bare' } as const;
const cases = values.only.split(',').map((item) => item.trim());
for (const item of cases) {
  if (!(item in scenarios)) {
    process.stderr.write(`bench:mesh-instructions: --only takes c and e, got '${item}'\n`);
    process.exit(2);
  }
}
if (values.keep !== undefined) {
  try {
    mkdirSync(values.keep, { recursive: true });
  } catch (error) {
    process.stderr.write(`bench:mesh-instructions: --keep ${values.keep}: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  process.stderr.write('bench:mesh-instructions: valgrind is not installed (apt-get install -y valgrind)\n');
  process.exit(1);
}

const body = JSON.stringify({ id: 1, title: 'x'.repeat(150) });
const upstream = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
// Idle connections must not close and reopen inside the counted window.
upstream.keepAliveTimeout = 600_000;
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'mesh-instructions-'));

/** Sends `n` requests at `perSecond`, open loop, and waits for every answer. */
async function load(pool: Pool, n: number, perSecond: number, label: string): Promise<void> {
  const gap = 1000 / perSecond;
  const t0 = performance.now();
  const answers: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = t0 + i * gap - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (i % perSecond === 0) process.stderr.write(i === 0 ? `bench:mesh-instructions: ${label} ` : '.');
    answers.push(
      pool.request({ path: '/', method: 'GET' }).then(async (response) => {
        await response.body.text();
        if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
      }),
    );
  }
  await Promise.all(answers);
  process.stderr.write('\n');
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', resolve));
}

for (const item of cases) {
  const scenario = scenarios[item as keyof typeof scenarios];
  const out = join(dir, `callgrind.${item}`);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--smc-check=all-non-file',
      `--callgrind-out-file=${out}`,
      process.execPath,
      join(import.meta.dirname, 'mesh-proxy.ts'),
      scenario,
      origin,
      origin,
      origin,
    ],
    { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const ready = await new Promise<{ url: string }>((resolve, reject) => {
    child.on('message', (message: { ready?: boolean; url: string }) => {
      if (message.ready) resolve(message);
    });
    child.once('exit', (code) => reject(new Error(`the ingress exited (${code}): ${stderr.slice(-2000)}`)));
  });
  const pool = new Pool(ready.url, {
    connections: 16,
    keepAliveTimeout: 600_000,
    keepAliveMaxTimeout: 600_000,
  });
  await load(pool, warmUp, warmUpRate, `(${item}) warm-up`);
  execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' });
  await load(pool, requests, rate, `(${item}) counted`);
  execFileSync('callgrind_control', ['--instr=off', String(child.pid)], { stdio: 'ignore' });
  await pool.close();
  const exit = exited(child);
  child.send('stop');
  await exit;
  const summary = execFileSync('callgrind_annotate', ['--threshold=100', out], {
    maxBuffer: 1 << 28,
  }).toString();
  const total = Number(/([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/.exec(summary)?.[1]?.replaceAll(',', ''));
  const compiling = compilerInstructions(summary);
  process.stdout.write(
    `(${item}) ${scenario === 'bare' ? 'bare-socket floor' : 'mesh ingress'}: ${Math.round(total / requests)} instructions per request in user space, ` +
      `${Math.round((total - compiling) / requests)} without V8's compilers (${Math.round(compiling / requests)}) ` +
      `(${requests} requests at ${rate} req/s after ${warmUp} at ${warmUpRate} req/s)\n`,
  );
}
/**
 * What V8's optimizing compilers (Maglev, Turbofan and its Turboshaft back end) executed: when one
 * of them is still at work in the counted phase it moves the count by several thousand per request,
 * in a tree that did not change, so the figure without them is the one to compare.
 */
function compilerInstructions(summary: string): number {
  let sum = 0;
  for (const match of summary.matchAll(/^\s*([\d,]+) \([^)]*\)\s+\S*?:(.*)$/gm)) {
    if (/v8::internal::(compiler|maglev)::|turboshaft/.test(match[2] as string))
      sum += Number((match[1] as string).replaceAll(',', ''));
  }
  return sum;
}

upstream.close();
if (values.keep === undefined) rmSync(dir, { recursive: true, force: true });
else process.stdout.write(`callgrind files in ${dir}\n`);
