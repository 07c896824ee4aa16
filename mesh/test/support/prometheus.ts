import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refusedOrigin } from './mesh-harness.ts';
import { poll } from './processes.ts';

/** Whether Debian's `prometheus` is on PATH (.ci/run installs it). */
export const hasPrometheus = (() => {
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface Prometheus {
  readonly url: string;
  close(): Promise<void>;
}

/** A real Prometheus scraping `targets` (`host:port`) at `metricsPath` every second, on a free port. */
export async function startPrometheus(targets: readonly string[], metricsPath: string): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'music-mesh-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: mesh',
      `    metrics_path: ${metricsPath}`,
      `    static_configs: [{ targets: [${targets.map((target) => `"${target}"`).join(', ')}] }]`,
      '',
    ].join('\n'),
  );
  const url = await refusedOrigin();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${url.slice('http://'.length)}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await poll(
      'Prometheus ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
        const res = await fetch(`${url}/-/ready`).catch(() => undefined);
        return res?.ok === true;
      },
      (ready) => ready,
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { url, close };
}
