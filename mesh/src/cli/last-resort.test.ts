import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const module = fileURLToPath(new URL('./last-resort.ts', import.meta.url));

it('logs an error that escaped every handler and keeps the process running', async () => {
  // A real process: the point is what happens to it, which an in-process test cannot show.
  const script = `
    import { keepServingOnUncaughtErrors } from ${JSON.stringify(module)};
    keepServingOnUncaughtErrors({ debug() {}, info() {}, warn() {}, error: (m) => console.log(m) });
    setTimeout(() => { throw new Error('boom from a listener'); }, 0);
    setTimeout(() => Promise.reject(new Error('lost promise')), 0);
    setTimeout(() => { console.log('still serving'); process.exit(0); }, 50);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(output).toContain(
    'uncaught exception (contained; the runtime keeps serving): Error: boom from a listener',
  );
  expect(output).toContain('unhandled rejection (contained; the runtime keeps serving): Error: lost promise');
  expect(output).toContain('still serving');
  expect(code).toBe(0);
});
