import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  connectToRuntime,
  type Logger,
  type MeshClient,
  type Runtime,
  repoRoot,
  silentLogger,
  startRuntime,
  yamlFilesUnder,
} from '@music/mesh';
import { consoleAddress, startConsoleBeside } from '../../../mesh/console/src/beside-runtime.ts';
import type { Console } from '../../../mesh/console/src/server.ts';
import { defaultProfileFile } from '../../../mesh/src/config.ts';
import { loadProfile } from '../../../mesh/src/workloads/profile.ts';
import { type LoadProgress, type LoadReport, runLoad } from '../../load/src/load.ts';
import {
  type Counts,
  checkSplit,
  defaultSigmas,
  formatSplit,
  type SplitCheck,
  total,
} from '../../load/src/split.ts';
import { answered, delta, type GatewayToBack, mirrored, scrape } from './metrics.ts';
import { steps as allSteps, type Step } from './steps.ts';

export interface DemoOptions {
  /** Ingress port; default 8080, or any free port when 8080 is taken. */
  readonly port?: number | undefined;
  readonly rps: number;
  readonly stepSeconds: number;
  /** Step numbers to walk, in order. Default all. */
  readonly steps?: readonly number[] | undefined;
  /** Default `<repo>/deploy/steps`. */
  readonly stepsDir?: string | undefined;
  readonly users?: number | undefined;
  /** A step fails when more than this share of its requests get a 5xx or no answer. Default 0.01. */
  readonly maxErrorRate?: number | undefined;
  /** How long a step waits for its Deployments to be ready. Default 120 s. */
  readonly readyTimeoutMs?: number | undefined;
  readonly sigmas?: number | undefined;
  /** The runtime's log, replicas' output included. Default silent. */
  readonly log?: Logger | undefined;
  /** The mesh console's port (0 = any free one), to watch the graph move through the steps; none when undefined. */
  readonly consolePort?: number | undefined;
  /** Stops the walk; the runtime is stopped and the completed steps are returned. */
  readonly signal?: AbortSignal | undefined;
}

/** Where the demo talks: lines, the load generator's live line, and the pause between steps. */
export interface DemoIo {
  out(line: string): void;
  progress(progress: LoadProgress): void;
  endProgress(): void;
  /** Resolves when the user is ready (Enter), at once with --yes. */
  pause(prompt: string): Promise<void>;
}

export interface StepResult {
  readonly step: Step;
  /** Answers per version, from X-Served-By. */
  readonly servedBy: Counts;
  /** Answers per version, from istio_requests_total (reporter="source", the gateway). */
  readonly istio: Counts;
  /** Copies per version seen by the destination sidecars beyond the answers. */
  readonly mirrored: Counts;
  readonly servedByCheck: SplitCheck;
  readonly istioCheck: SplitCheck;
  /** Mirrored copies at the mirror version / answers; undefined without a mirror. */
  readonly mirrorRatio: number | undefined;
  readonly mirrorOk: boolean;
  readonly errorRate: number;
  readonly clientErrorRate: number;
  readonly errorOk: boolean;
  /** Why the step failed, one short phrase each; empty when it passed. */
  readonly reasons: readonly string[];
  readonly ok: boolean;
  readonly report: LoadReport;
}

export interface DemoResult {
  readonly url: string;
  readonly results: readonly StepResult[];
  readonly interrupted: boolean;
  readonly ok: boolean;
}

export class DemoError extends Error {
  readonly code = 'DEMO_FAILED';
}

/** Share of answers whose copy must reach the mirror (Envoy skips copies beyond 128 in flight). */
const minMirrorRatio = 0.95;

/**
 * Starts Music on the local runtime (temporary data directory), then walks the steps: apply the
 * step's YAML, wait for its Deployments, offer load, compare the measured split with the weights.
 */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const stepsDir = options.stepsDir ?? join(repoRoot, 'deploy/steps');
  const chosen = options.steps ?? allSteps.map((step) => step.number);
  for (const n of chosen)
    if (!allSteps.some((step) => step.number === n)) throw new DemoError(`there is no step ${n}`);
  // Each step builds on the ones before it: earlier steps left out are applied, not measured.
  const walk = allSteps.filter((step) => step.number <= Math.max(...chosen));
  const files = new Map<number, string[]>();
  for (const step of walk) {
    const folder = join(stepsDir, step.folder);
    const found = await yamlFilesUnder(folder);
    if (found.length === 0) throw new DemoError(`no YAML in ${relative(process.cwd(), folder) || folder}`);
    files.set(step.number, found);
  }
  const signal = options.signal;
  const sigmas = options.sigmas ?? defaultSigmas;
  const maxErrorRate = options.maxErrorRate ?? 0.01;

  const dataDir = await mkdtemp(join(tmpdir(), 'music-demo-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to enter the directory.
  await chmod(dataDir, 0o755);
  let runtime: Runtime | undefined;
  let meshConsole: Console | undefined;
  const results: StepResult[] = [];
  try {
    const port = options.port ?? ((await isPortFree(8080)) ? 8080 : 0);
    io.out(`Starting Music on the local runtime (data in ${dataDir})...`);
    try {
      runtime = await startRuntime({
        port,
        dataDir,
        log: options.log ?? silentLogger,
        logLevel: 'warn',
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) return { url: '', results, interrupted: true, ok: false };
      throw error;
    }
    const url = runtime.url.replace('127.0.0.1', 'localhost');
    io.out('');
    io.out(`Music is up at ${url} — log in as admin/admin (or user/user)`);
    io.out(`Admin API ${runtime.adminUrl} (npm run mesh -- get pods --data-dir ${dataDir})`);
    io.out(`Istio metrics ${runtime.statsUrl}`);
    if (options.consolePort !== undefined) {
      meshConsole = await startConsoleBeside(
        runtime,
        await loadProfile(defaultProfileFile),
        options.consolePort,
        (line) => io.out(line),
      );
      if (meshConsole) io.out(`Mesh console ${consoleAddress(meshConsole)}: its graph follows every step`);
    }
    io.out(
      `Each step: apply its YAML, wait for its Deployments, ${options.rps} req/s for ${options.stepSeconds} s, compare.`,
    );

    for (const step of walk) {
      if (signal?.aborted) break;
      const stepFiles = files.get(step.number) ?? [];
      const measure = chosen.includes(step.number);
      io.out('');
      io.out(
        `━━ Step ${step.number}: ${step.title} (${relative(repoRoot, join(stepsDir, step.folder))})` +
          `${measure ? '' : ', applied as a base for the next steps'} ━━`,
      );
      if (measure) {
        for (const line of step.explanation) io.out(`  ${line}`);
        io.out(`  Expected answers: ${describeExpected(step)}`);
        await io.pause(`Press Enter to apply step ${step.number}...`);
        if (signal?.aborted) break;
      }

      const deployments: string[] = [];
      for (const file of stepFiles) {
        const changes = await runtime.apply(relative(repoRoot, file), await readFile(file, 'utf8'));
        for (const change of changes) {
          io.out(`  ${change.display} ${change.action}`);
          if (change.kind === 'Deployment') deployments.push(`${change.namespace}/${change.name}`);
        }
      }
      await waitForDeployments(
        await connectToRuntime(dataDir),
        deployments,
        options.readyTimeoutMs ?? 120_000,
        io,
        signal,
      );
      if (signal?.aborted) break;
      if (!measure) continue;

      let before: GatewayToBack | undefined;
      const statsUrl = runtime.statsUrl;
      const report = await runLoad(
        {
          url: runtime.url,
          rps: options.rps,
          durationS: options.stepSeconds,
          users: options.users,
          seed: step.number,
          signal,
          onReady: async () => {
            // With a mirror, the copy of the load's first request lands before the step is measured.
            before = await settledScrape(statsUrl, step.mirror !== undefined);
          },
        },
        io.progress,
      );
      io.endProgress();
      if (signal?.aborted) break;
      const measured = delta(
        before as GatewayToBack,
        await settledScrape(statsUrl, step.mirror !== undefined),
      );
      results.push(judge(step, report, measured, sigmas, maxErrorRate));
      printStep(io, results.at(-1) as StepResult);
    }
    io.out('');
    printSummary(io, results);
    const interrupted = signal?.aborted ?? false;
    return {
      url,
      results,
      interrupted,
      ok: !interrupted && results.length === chosen.length && results.every((r) => r.ok),
    };
  } finally {
    await meshConsole?.close();
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function judge(
  step: Step,
  report: LoadReport,
  measured: GatewayToBack,
  sigmas: number,
  maxErrorRate: number,
): StepResult {
  const istio = answered(measured);
  const copies = mirrored(measured);
  const servedByCheck = checkSplit(step.expected, report.split, sigmas);
  const istioCheck = checkSplit(step.expected, istio, sigmas);
  const answers = total(istio);
  const mirrorRatio =
    step.mirror === undefined ? undefined : answers === 0 ? 0 : (copies[step.mirror] ?? 0) / answers;
  const copiesAtMirror = step.mirror === undefined ? 0 : (copies[step.mirror] ?? 0);
  // A copy may trail its answer across the end of a step, or one from before may land late: ±2.
  const mirrorOk =
    mirrorRatio === undefined ||
    (copiesAtMirror >= minMirrorRatio * answers - 2 && copiesAtMirror <= answers + 2);
  const unexpectedCopies = Object.keys(copies).some((version) => version !== step.mirror);
  const errorOk = report.total.errorRate <= maxErrorRate;
  const reasons = [
    ...(servedByCheck.ok ? [] : ['split by X-Served-By']),
    ...(istioCheck.ok ? [] : ['split by istio_requests_total']),
    ...(mirrorOk ? [] : [`mirror to ${step.mirror}`]),
    ...(unexpectedCopies ? ['copies where no mirror was asked'] : []),
    ...(errorOk ? [] : [`errors over ${(maxErrorRate * 100).toFixed(0)}%`]),
  ];
  return {
    step,
    servedBy: report.split,
    istio,
    mirrored: copies,
    servedByCheck,
    istioCheck,
    mirrorRatio,
    mirrorOk: mirrorOk && !unexpectedCopies,
    errorRate: report.total.errorRate,
    clientErrorRate: report.total.clientErrorRate,
    errorOk,
    reasons,
    ok: reasons.length === 0,
    report,
  };
}

function describeExpected(step: Step): string {
  const split = Object.entries(step.expected)
    .map(([version, share]) => `${version} ${(share * 100).toFixed(0)}%`)
    .join(' ');
  return step.mirror ? `${split}, every request mirrored to ${step.mirror}` : split;
}

function printStep(io: DemoIo, result: StepResult): void {
  const { report } = result;
  const mark = (ok: boolean) => (ok ? 'ok' : 'OUTSIDE TOLERANCE');
  io.out(
    `  ${report.total.count} requests, ${report.achievedRps.toFixed(1)} req/s; ` +
      `errors ${(result.errorRate * 100).toFixed(2)}% (${result.errorOk ? 'ok' : 'too many'}), ` +
      `4xx ${(result.clientErrorRate * 100).toFixed(2)}%; p50 ${report.total.p50Ms} ms, p99 ${report.total.p99Ms} ms`,
  );
  io.out(`  split by X-Served-By:         ${formatSplit(result.servedBy)}  ${mark(result.servedByCheck.ok)}`);
  io.out(`  split by istio_requests_total: ${formatSplit(result.istio)}  ${mark(result.istioCheck.ok)}`);
  for (const row of result.servedByCheck.rows) {
    io.out(
      `    ${row.version}: expected ${(row.expected * 100).toFixed(1)}% ± ${(row.tolerance * 100).toFixed(1)}%, ` +
        `measured ${(row.measured * 100).toFixed(1)}% (${row.count} of ${result.servedByCheck.n})`,
    );
  }
  if (result.step.mirror !== undefined || Object.keys(result.mirrored).length > 0) {
    const copies = Object.entries(result.mirrored)
      .map(([version, n]) => `${n} at ${version}`)
      .join(', ');
    io.out(
      `  mirrored copies (destination reporter − source): ${copies || 'none'}` +
        `${result.mirrorRatio === undefined ? '' : `, ${(result.mirrorRatio * 100).toFixed(1)}% of answers`}  ${result.mirrorOk ? 'ok' : 'UNEXPECTED'}`,
    );
  }
  if (report.total.errors > 0) {
    const share = (groups: LoadReport['versions']) =>
      Object.entries(groups)
        .filter(([, tally]) => tally.errors > 0)
        .map(([name, tally]) => `${name} ${tally.errors}/${tally.count}`)
        .join(', ');
    io.out(
      `  errors (5xx or no answer) by version: ${share(report.versions)}; by operation: ${share(report.operations)}`,
    );
  }
  io.out(`  → step ${result.step.number} ${result.ok ? 'passed' : `FAILED: ${result.reasons.join(', ')}`}`);
}

function printSummary(io: DemoIo, results: readonly StepResult[]): void {
  if (results.length === 0) return;
  const rows = [
    ['step', 'expected', 'X-Served-By', 'istio_requests_total', 'mirrored', 'errors', 'verdict'],
    ...results.map((r) => [
      `${r.step.number} ${r.step.title}`,
      describeExpected(r.step).replace(/, every request mirrored to (\w+)/, ' +mirror $1'),
      formatSplit(r.servedBy),
      formatSplit(r.istio),
      r.mirrorRatio === undefined ? '-' : `${(r.mirrorRatio * 100).toFixed(1)}% → ${r.step.mirror}`,
      `${(r.errorRate * 100).toFixed(2)}%`,
      r.ok ? 'ok' : `FAILED (${r.reasons.join(', ')})`,
    ]),
  ];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  io.out('Summary');
  for (const row of rows)
    io.out(`  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
}

/** The metrics after a step; with a mirror, once the fire-and-forget copies stop arriving (≤ 5 s). */
async function settledScrape(statsUrl: string, mirror: boolean): Promise<GatewayToBack> {
  let last = await scrape(statsUrl);
  if (!mirror) return last;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    await sleep(250);
    const next = await scrape(statsUrl);
    if (total(next.destination) === total(last.destination)) return next;
    last = next;
  }
  return last;
}

interface DeploymentItem {
  readonly name: string;
  readonly namespace: string;
  readonly status?: { readonly desired: number; readonly ready: number; readonly upToDate: number };
}

/** Polls the admin API until every Deployment (and at least those just applied) is ready and up to date. */
async function waitForDeployments(
  admin: MeshClient,
  applied: readonly string[],
  timeoutMs: number,
  io: DemoIo,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let waitingFor = '';
  while (!signal?.aborted) {
    const { items } = (await admin.get('deployments')) as { items: DeploymentItem[] };
    const known = new Set(items.map((item) => `${item.namespace}/${item.name}`));
    const pending = [
      ...applied.filter((name) => !known.has(name)),
      ...items
        .filter(
          (item) =>
            !item.status ||
            item.status.ready < item.status.desired ||
            item.status.upToDate < item.status.desired,
        )
        .map((item) => `${item.namespace}/${item.name}`),
    ];
    if (pending.length === 0) {
      if (waitingFor) io.out('  ready');
      return;
    }
    const names = pending.map((name) => name.split('/')[1]).join(', ');
    if (names !== waitingFor) io.out(`  waiting for ${names} to be ready...`);
    waitingFor = names;
    if (Date.now() > deadline) throw new DemoError(`${names} not ready after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
