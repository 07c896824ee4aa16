// `npm test`: every project (unit, integration, end-to-end) in one vitest run, closing with the totals.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// The Angular apps the tests open in a browser: front's, and the mesh console's.
const apps = [
  { workspace: 'services/front', index: '../services/front/dist/web/browser/index.html' },
  { workspace: 'mesh', index: '../mesh/console/dist/browser/index.html' },
];
for (const app of apps) {
  if (existsSync(new URL(app.index, import.meta.url))) continue;
  console.log(`Building the Angular app of ${app.workspace} first (its dist is missing)...`);
  const build = spawnSync('npm', ['run', 'build', '--workspace', app.workspace], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=./test/support/totals-reporter.ts',
  ...process.argv.slice(2),
];
const vitest = spawn('npx', args, { stdio: ['inherit', 'pipe', 'inherit'] });
let tail = '';
vitest.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
vitest.on('exit', (code, signal) => {
  // The totals line is the verdict too: a run that times out while closing can exit 0 after failures.
  const totals = /(\d+) passed, (\d+) failed/.exec(tail);
  const failed = totals ? Number(totals[2]) : Number.NaN;
  if (code !== 0 || signal || !(failed === 0)) {
    if (code === 0)
      console.error(totals ? `${failed} test(s) failed` : 'the test run ended without its totals line');
    process.exit(code || 1);
  }
});
