// Benchmark of what the mesh console costs: the runtime's CPU with the console open and polling,
// the memory of the telemetry it keeps, and how fast its graph redraws. Prints figures, not a test.
// Run: npm run bench:console -- --help
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { consoleApp, type TrafficSource } from '../../mesh/console/src/app.ts';
import type { SeriesIncrease, TrafficWindow } from '../../mesh/console/src/telemetry/scraped.ts';
import { ScrapedTelemetry } from '../../mesh/console/src/telemetry/scraped.ts';
import { launchChromium } from '../../test/support/browser.ts';
import { parseCommandLine } from './command-line.ts';
import { cpuSeconds, forkIngress, type IngressChild, residentMiB, stopChild } from './processes.ts';

const HELP = `Usage: npm run bench:console -- [options]

Measures, against the mesh ingress of bench:mesh's case (d) (90/10 between two subsets, a mirror
to a third, telemetry on) in a process of its own:
  1. CPU: the ingress's CPU seconds per 1000 requests at <rate> req/s, without the console and
     with it (its own process scraping the stats every 5 s, a headless Chromium showing its graph
     page refreshed every 5 s), in <pairs> alternating pairs of <seconds> each. Goal: < 2% more.
  2. Memory: the console's telemetry kept over <memory-minutes> (one scrape per 5 s, the clock
     advanced 5 s per scrape, each scrape a real one of the ingress under load): heap growth
     after a full GC. Goal: < 50 MB for 15 minutes at 1000 req/s.
  3. Redraw: the graph page given a graph of 51 nodes and 100 edges whose figures change on every
     refresh, then one whose nodes change too (laid out again): the canvas's time from its input
     to the painted frame, over <redraws> refreshes each. Goal: < 100 ms for the refresh.

Options:
  --rate <n>            req/s (default 1000)
  --seconds <s>         seconds of each CPU run (default 20)
  --pairs <n>           CPU runs without and with the console (default 3)
  --memory-minutes <m>  telemetry window for the memory figure (default 15)
  --redraws <n>         graph refreshes timed (default 10)
  --only <list>         cpu,memory,redraw (default all three)
  --help                this text`;

const { values } = parseCommandLine('bench:console', {
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    pairs: { type: 'string', default: '3' },
    'memory-minutes': { type: 'string', default: '15' },
    redraws: { type: 'string', default: '10' },
    only: { type: 'string', default: 'cpu,memory,redraw' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const positive = (name: 'rate' | 'seconds' | 'pairs' | 'memory-minutes' | 'redraws') => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number (got ${values[name]})`);
  return n;
};
const settings = {
  rate: positive('rate'),
  seconds: positive('seconds'),
  pairs: Math.round(positive('pairs')),
  memoryMinutes: positive('memory-minutes'),
  redraws: Math.round(positive('redraws')),
  only: new Set(String(values.only).split(',')),
};
for (const part of settings.only)
  if (!['cpu', 'memory', 'redraw'].includes(part)) fail(`--only: unknown part ${part} (cpu, memory, redraw)`);

const payload = JSON.stringify({ id: 1, title: 'Benchmark track', artist: 'bench', seconds: 180 });
const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Run in the page (with `relayout`: wait for a new layout): resolves, once the graph was drawn, with the canvas's own
 * draw time (`data-draw-ms`: from its input to the frame after, see graph-canvas.ts) and the time
 * from the graph answer's arrival (which includes the tables' rendering).
 */
const timeNextDraw = `(relayout) => new Promise((resolve) => {
  const element = document.querySelector('mc-graph-canvas .graph');
  let laidOut = !relayout;
  const observer = new MutationObserver((changes) => {
    if (changes.some((change) => change.attributeName === 'data-layouts')) laidOut = true;
    if (!laidOut || !changes.some((change) => change.attributeName === 'data-draw-ms')) return;
    observer.disconnect();
    const answers = performance.getEntriesByType('resource')
      .filter((entry) => entry.name.includes('/api/namespaces/graph'));
    resolve({
      draw: Number(element.getAttribute('data-draw-ms')),
      total: performance.now() - answers.at(-1).responseEnd,
    });
  });
  observer.observe(element, { attributes: true, attributeFilter: ['data-layouts', 'data-draw-ms'] });
})`;
const stops: (() => Promise<void>)[] = [];

try {
  const upstreams = await Promise.all([1, 2, 3].map(() => startUpstream()));
  stops.push(async () => {
    for (const server of upstreams) server.close();
  });
  const origins = upstreams.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const ingress = (await forkIngress(['weighted', ...origins])) as Ingress;
  stops.push(ingress.stop);
  progress(`mesh ingress (pid ${ingress.pid}) at ${ingress.url}, stats at ${ingress.statsUrl}`);
  await atRate(ingress.url, settings.rate, 3);

  if (settings.only.has('cpu')) await cpu(ingress);
  if (settings.only.has('memory')) await memory(ingress);
  if (settings.only.has('redraw')) await redraw();
} catch (error) {
  console.error(`bench:console: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
}

/** bench:mesh's case (d) ingress, with telemetry (so it has stats). */
type Ingress = IngressChild & { readonly statsUrl: string };

async function cpu(ingress: Ingress): Promise<void> {
  const rows: { without: number; with: number; console: number }[] = [];
  for (let pair = 1; pair <= settings.pairs; pair++) {
    progress(
      `CPU pair ${pair}/${settings.pairs}: ${settings.rate} req/s for ${settings.seconds} s without the console`,
    );
    const without = await perThousand(ingress);
    const open = await openConsole(ingress.statsUrl);
    try {
      progress(`CPU pair ${pair}/${settings.pairs}: the same with the console open and polling`);
      const consoleBefore = await cpuSeconds([open.pid]);
      const withConsole = await perThousand(ingress);
      const consoleCpu = (await cpuSeconds([open.pid])).total - consoleBefore.total;
      rows.push({ without, with: withConsole, console: (consoleCpu / settings.seconds) * 100 });
    } finally {
      await open.close();
    }
  }
  console.log('\nCPU of the mesh ingress, CPU seconds per 1000 requests:');
  console.log('| pair | without console | with console | change | console process (% of a core) |');
  console.log('|------|-----------------|--------------|--------|-------------------------------|');
  rows.forEach((row, i) => {
    console.log(
      `| ${i + 1} | ${row.without.toFixed(4)} | ${row.with.toFixed(4)} | ${signed(percentChange(row.with, row.without))} | ${row.console.toFixed(1)} % |`,
    );
  });
  const without = median(rows.map((row) => row.without));
  const withConsole = median(rows.map((row) => row.with));
  const change = percentChange(withConsole, without);
  target(change < 2, 'the console adds under 2% CPU to the runtime', `${signed(change)} (medians)`);
  // The same question without the noise of a browser on the same cores: what serving the
  // console's scrapes costs the ingress, against its CPU at the rate.
  const scrapes = 200;
  const before = await cpuSeconds([ingress.pid]);
  for (let i = 0; i < scrapes; i++) await (await fetch(ingress.statsUrl)).text();
  const perScrape = ((await cpuSeconds([ingress.pid])).total - before.total) / scrapes;
  const share = (perScrape / 5 / ((without * settings.rate) / 1000)) * 100;
  console.log(
    `(serving one scrape of its stats costs the ingress ${(perScrape * 1000).toFixed(1)} ms of CPU: at one per 5 s, ${share.toFixed(2)} % of its CPU at ${settings.rate} req/s)`,
  );
}

async function perThousand(ingress: Ingress): Promise<number> {
  const before = await cpuSeconds([ingress.pid]);
  const sent = await atRate(ingress.url, settings.rate, settings.seconds);
  const after = await cpuSeconds([ingress.pid]);
  return ((after.total - before.total) / sent) * 1000;
}

/** The console in its own process as `npm start` runs it, and a browser on its graph page. */
async function openConsole(statsUrl: string): Promise<{ pid: number; close(): Promise<void> }> {
  const server = new URL('../../mesh/console/src/server.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [server, '--stats-url', statsUrl, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const found = /Mesh console at (http:\/\/\S+)\/console\//.exec(text);
      if (found) resolve(found[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`the console exited with ${code}`)));
  });
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`${url}/console/?refresh=5s`);
  await page.locator('mc-graph-canvas').waitFor({ timeout: 30_000 });
  return {
    pid: child.pid as number,
    close: async () => {
      await browser.close();
      await stopChild(child);
    },
  };
}

async function memory(ingress: Ingress): Promise<void> {
  if (!gc) fail('run with node --expose-gc (npm run bench:console does)');
  const scrapes = Math.round((settings.memoryMinutes * 60) / 5);
  let now = Date.now();
  let telemetry: ScrapedTelemetry | undefined = new ScrapedTelemetry({
    url: ingress.statsUrl,
    keepSeconds: settings.memoryMinutes * 60,
    now: () => now,
  });
  // The heap and the typed arrays' backing stores, which V8 counts apart (arrayBuffers).
  const used = () => {
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  progress(
    `memory: ${scrapes} scrapes (${settings.memoryMinutes} min at one per 5 s) under ${settings.rate} req/s`,
  );
  const load = atRate(ingress.url, settings.rate, Math.max(10, scrapes / 20));
  for (let i = 0; i < scrapes; i++) {
    await telemetry.scrape();
    now += 5_000;
    // Spread over the load, so counters grow between scrapes as they would.
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  await load;
  const series = telemetry.window(settings.memoryMinutes * 60).series.length;
  // What the telemetry alone retains: the memory with it, then without it.
  const usedWith = used();
  telemetry = undefined;
  const mb = (usedWith - used()) / 1e6;
  console.log(
    `\nTelemetry kept: ${scrapes} scrapes of ${series} HTTP series over ${settings.memoryMinutes} min: ${mb.toFixed(2)} MB of memory`,
  );
  // A larger mesh: the ingress's own series copied to about 1,000 label sets, the same scrapes.
  const text = await (await fetch(ingress.statsUrl)).text();
  const lines = text
    .split('\n')
    .filter((line) => /^istio_request(s_total|_duration_milliseconds_bucket)\{/.test(line));
  const large = Array.from({ length: Math.ceil(1_000 / Math.max(1, series)) }, (_, k) =>
    lines.map((line) => line.replace('source_workload="', `source_workload="w${k}-`)).join('\n'),
  ).join('\n');
  let at = Date.now();
  let big: ScrapedTelemetry | undefined = new ScrapedTelemetry({
    url: ingress.statsUrl,
    keepSeconds: settings.memoryMinutes * 60,
  });
  const usedBefore = used();
  for (let i = 0; i < scrapes; i++, at += 5_000) big.add(large, at);
  const bigSeries = big.seriesCount;
  const usedBig = used() - usedBefore;
  big = undefined;
  console.log(
    `(${bigSeries.toLocaleString('en')} series, the ingress's copied, ${scrapes} scrapes: ${(usedBig / 1e6).toFixed(1)} MB, ${(usedBig / Math.max(1, bigSeries * scrapes)).toFixed(0)} bytes per series per scrape; the ingress process itself: ${(await residentMiB(ingress.pid)).toFixed(1)} MiB resident)`,
  );
  target(mb < 50, `telemetry for ${settings.memoryMinutes} minutes stays under 50 MB`, `${mb.toFixed(1)} MB`);
}

async function redraw(): Promise<void> {
  // Each answer has other figures; with `relayout`, other nodes too (another prefix).
  let answers = 0;
  let relayout = false;
  const source: TrafficSource = {
    window: () => {
      answers++;
      return syntheticWindow(relayout && answers % 2 === 0 ? 'x' : 'w', answers);
    },
    steps: () => [],
    maxWindowSeconds: 900,
  };
  const hosts = new Set<string>();
  const server = createServer(consoleApp({ source, hosts, pages: { settings: { namespace: 'bench' } } }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  hosts.add(host);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://${host}/console/?graphType=workload&refresh=off`);
    const graph = page.locator('mc-graph-canvas .graph');
    await graph.waitFor({ timeout: 30_000 });
    const label = (await graph.getAttribute('aria-label')) ?? '';
    progress(`redraw: ${label}`);
    const graphSize = label.replace(/^Traffic graph: |, listed.*$/g, '');
    const timed = async (again: boolean) => {
      relayout = again;
      const draws: number[] = [];
      const totals: number[] = [];
      for (let i = 0; i < settings.redraws; i++) {
        const timing = page.evaluate<{ draw: number; total: number }>(`(${timeNextDraw})(${again})`);
        await page.getByRole('button', { name: 'Refresh now' }).click();
        const { draw, total } = await timing;
        draws.push(draw);
        totals.push(total);
      }
      return { draw: median(draws), slowest: Math.max(...draws), total: median(totals) };
    };
    const refresh = await timed(false);
    const newGraph = await timed(true);
    console.log(`\nGraph redraw, ${graphSize}, median of ${settings.redraws} refreshes (slowest):`);
    console.log(
      `  new figures and colours, same nodes: ${refresh.draw.toFixed(0)} ms (${refresh.slowest.toFixed(0)} ms); with the tables, from the answer: ${refresh.total.toFixed(0)} ms`,
    );
    console.log(
      `  other nodes, laid out again by dagre: ${newGraph.draw.toFixed(0)} ms (${newGraph.slowest.toFixed(0)} ms); with the tables: ${newGraph.total.toFixed(0)} ms`,
    );
    target(refresh.draw < 100, 'the graph redraws in under 100 ms', `${refresh.draw.toFixed(0)} ms (median)`);
  } finally {
    await browser.close();
    server.close();
  }
}

/**
 * 26 workloads of a namespace `bench`, each but the first called by one to three others: with
 * service nodes injected, 51 nodes and 100 edges. `prefix` names them, so another prefix is
 * another graph; `answer` changes the rates and which edges fail.
 */
function syntheticWindow(prefix: string, answer: number): TrafficWindow {
  const workloads = 26;
  const pairs: [number, number][] = [];
  for (let gap = 1; pairs.length < 75; gap++)
    for (let i = 0; i + gap < workloads && pairs.length < 75; i++) pairs.push([i, i + gap]);
  const bounds = [1, 5, 10, 25, 50, 100, 250, 500, 1000];
  const series: SeriesIncrease[] = pairs.map(([from, to], i) => ({
    labels: {
      reporter: 'source',
      source_workload: `${prefix}${from}`,
      source_workload_namespace: 'bench',
      source_canonical_service: `${prefix}${from}`,
      source_canonical_revision: 'v1',
      destination_workload: `${prefix}${to}`,
      destination_workload_namespace: 'bench',
      destination_canonical_service: `${prefix}${to}`,
      destination_canonical_revision: 'v1',
      destination_service: `${prefix}${to}.bench.svc.cluster.local`,
      destination_service_name: `${prefix}${to}`,
      destination_service_namespace: 'bench',
      response_code: (i + answer) % 10 === 0 ? '503' : '200',
      response_flags: '-',
    },
    requests: 60 + i + (answer % 7) * 10,
    durations: [0, 10, 20, 20, 5, 3, 1, 1, 0, 0],
  }));
  return { seconds: 60, at: Date.now(), bounds, series, tcp: [] };
}

/** Sends `rate` requests per second for `seconds`, open loop; the number answered. */
async function atRate(url: string, rate: number, seconds: number): Promise<number> {
  const pool = new Pool(new URL(url).origin, { connections: 16, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = Math.round(rate * seconds);
  const intervalNs = 1e9 / rate;
  let answered = 0;
  try {
    await new Promise<void>((resolve) => {
      let sent = 0;
      let done = 0;
      const start = process.hrtime.bigint();
      const finish = () => {
        if (++done === total) resolve();
      };
      const tick = () => {
        const elapsed = Number(process.hrtime.bigint() - start);
        while (sent < total && sent * intervalNs <= elapsed) {
          sent++;
          pool
            .request({ path: '/', method: 'GET' })
            .then(async ({ body }) => {
              await body.text();
              answered++;
            })
            .catch(() => {})
            .finally(finish);
        }
        if (sent < total) setTimeout(tick, 1);
      };
      tick();
    });
  } finally {
    await pool.destroy();
  }
  return answered;
}

async function startUpstream(): Promise<Server> {
  const body = Buffer.from(payload);
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function percentChange(value: number, reference: number): number {
  return ((value - reference) / reference) * 100;
}

function signed(percent: number): string {
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(1)} %`;
}

function target(ok: boolean, what: string, figure: string): void {
  console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}: ${figure}`);
}

function progress(message: string): void {
  process.stderr.write(`bench:console: ${message}\n`);
}

function fail(message: string): never {
  console.error(`bench:console: ${message}`);
  process.exit(2);
}
