// `npm test`: every project (unit, integration, end-to-end) in one vitest run, closing with the totals.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const webIndex = new URL('../services/front/dist/web/browser/index.html', import.meta.url);
if (!existsSync(webIndex)) {
  console.log('Building the Angular app first (services/front/dist is missing)...');
  const build = spawnSync('npm', ['run', 'build', '--workspace', 'services/front'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=./test/support/totals-reporter.ts',
  ...process.argv.slice(2),
];
const result = spawnSync('npx', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
