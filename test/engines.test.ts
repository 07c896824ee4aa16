import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../', import.meta.url));
const engines = async (file: string) =>
  (JSON.parse(await readFile(`${repo}${file}`, 'utf8')) as { engines: { node: string } }).engines.node;

it("states in package.json engines the Node versions the Angular CLI and core accept, as npm ci's build needs them", async () => {
  const root = await engines('package.json');
  expect(root).toBe(await engines('node_modules/@angular/cli/package.json'));
  expect(root).toBe(await engines('node_modules/@angular/core/package.json'));
});
