import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../', import.meta.url));
const run = promisify(execFile);

/** Every script of package.json that runs a program of ours, and the one Skaffold runs before a render. */
async function entryPoints(): Promise<[string, string][]> {
  const { scripts } = JSON.parse(await readFile(`${repo}package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  };
  const programs = Object.entries(scripts)
    .map(([name, command]) => [name, /^node (?:--\S+ )*(\S+\.ts)$/.exec(command)?.[1]] as const)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[0] !== 'test');
  return [...programs, ['deploy/secrets/generate.ts', 'deploy/secrets/generate.ts']];
}

async function exec(file: string, arg: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [file, arg], { cwd: repo, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('command lines', async () => {
  const programs = await entryPoints();

  it('covers the scripts a user runs', () => {
    expect(programs.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'start',
        'mesh',
        'bench',
        'bench:mesh',
        'load',
        'chaos',
        'deploy/secrets/generate.ts',
      ]),
    );
  });

  it.each(programs)('%s answers --help with its usage', async (_name, file) => {
    const { code, stdout } = await exec(file, '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: /);
  });

  it.each(programs)(
    '%s refuses a mistyped option in one line that names it, with a non-zero exit',
    async (_name, file) => {
      const { code, stdout, stderr } = await exec(file, '--colour');
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toEqual([expect.stringContaining('--colour')]);
    },
  );
});
