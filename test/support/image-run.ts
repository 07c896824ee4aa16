import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { BuiltImage } from './image-build.ts';

/** The Node binaries a Node base image may name; the test's own Node stands in for them. */
const NODE_BINARIES = new Set(['node', '/nodejs/bin/node', '/usr/local/bin/node']);

export interface RunningContainer {
  url: string;
  output: () => string;
  /** Sends `signal` (the image's STOPSIGNAL) and resolves with the exit code. */
  stop: (signal: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts the image's ENTRYPOINT + CMD from its WORKDIR with only the image's ENV and `env` (what a
 * Deployment sets), listening on 127.0.0.1 and a free port; resolves once the server says where.
 */
export async function runImage(image: BuiltImage, env: Record<string, string>): Promise<RunningContainer> {
  const [binary, ...args] = image.argv;
  if (!binary || !NODE_BINARIES.has(binary)) throw new Error(`the image does not run node: ${image.argv}`);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: image.workdir,
    env: { ...image.env, ...env, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Server listening" line in:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: async (signal) => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Every path under `root` (files, links and folders), relative to it, not descending into `skip`. */
export async function listTree(
  root: string,
  skip: (path: string) => boolean = () => false,
): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const rel = relative(root, path);
      if (skip(rel)) continue;
      found.push(rel);
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return found;
}

/** The packages directly in `node_modules` (scoped ones as `@scope/name`) whose links do not resolve. */
export async function danglingLinks(nodeModules: string): Promise<string[]> {
  const dangling: string[] = [];
  const names = await readdir(nodeModules);
  const packages = (
    await Promise.all(
      names.map(async (name) =>
        name.startsWith('@')
          ? (await readdir(join(nodeModules, name))).map((inner) => `${name}/${inner}`)
          : [name],
      ),
    )
  ).flat();
  for (const name of packages) {
    const path = join(nodeModules, name);
    if (!(await lstat(path)).isSymbolicLink()) continue;
    try {
      await realpath(path);
    } catch {
      dangling.push(name);
    }
  }
  return dangling;
}
