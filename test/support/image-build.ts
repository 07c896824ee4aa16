import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, cp, lstat, mkdir, readdir, readFile, readlink, symlink } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import {
  DockerfileError,
  type Instruction,
  isIgnored,
  parseDockerfile,
  parseDockerignore,
} from './dockerfile.ts';

/**
 * Plays a Dockerfile's stages without Docker: each stage's filesystem is a folder (`/app` becomes
 * `<stage folder>/app`), COPY copies from the build context (as `.dockerignore` filters it) or from an
 * earlier stage's folder with symlinks kept, RUN runs the npm commands it names there. Base images
 * bring nothing: the host's Node and npm stand in for the image's. The last stage is the image.
 */

export interface BuiltImage {
  /** The image's filesystem root on the host. */
  root: string;
  /** The image's WORKDIR on the host. */
  workdir: string;
  /** The image's WORKDIR inside the image. */
  workdirInImage: string;
  env: Record<string, string>;
  user: string | undefined;
  exposed: string[];
  stopSignal: string | undefined;
  /** ENTRYPOINT followed by CMD, as the container runtime joins them. */
  argv: string[];
  /** Base image references (not earlier stages), in order. */
  bases: string[];
  /** The final stage's instructions, for assertions about them. */
  instructions: Instruction[];
}

export interface BuildOptions {
  dockerfile: string;
  context: string;
  /** An empty folder that holds one sub-folder per stage. */
  into: string;
  /** Shared npm cache (what `RUN --mount=type=cache,target=/root/.npm` gives a real build). */
  npmCache: string;
  log?: (line: string) => void;
}

/** Passed from the test's environment to npm: what reaching the registry may need. */
const PASSED_ENV =
  /^(HOME|TMPDIR|SSL_CERT_FILE|SSL_CERT_DIR|NODE_EXTRA_CA_CERTS|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)$/;

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  exposed: string[];
  stopSignal: string | undefined;
  entrypoint: string[];
  cmd: string[];
}

function hostPath(state: StageState, path: string): string {
  return join(state.root, posix.resolve(state.workdir, path));
}

/** Files under `path` in the context that `.dockerignore` lets through, relative to the context. */
async function contextFiles(context: string, path: string, ignore: ReturnType<typeof parseDockerignore>) {
  const files: string[] = [];
  const walk = async (relativePath: string): Promise<void> => {
    const stats = await lstat(join(context, relativePath));
    if (stats.isDirectory()) {
      for (const entry of await readdir(join(context, relativePath))) await walk(`${relativePath}/${entry}`);
    } else if (!isIgnored(relativePath, ignore)) {
      files.push(relativePath);
    }
  };
  await walk(path);
  return files;
}

async function copyEntry(source: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const stats = await lstat(source);
  if (stats.isSymbolicLink()) await symlink(await readlink(source), target);
  else await copyFile(source, target);
}

async function copyInstruction(
  step: Extract<Instruction, { kind: 'COPY' }>,
  state: StageState,
  options: BuildOptions,
  stages: Map<string, StageState>,
  ignore: ReturnType<typeof parseDockerignore>,
): Promise<void> {
  const destination = hostPath(state, step.destination);
  const intoFolder = step.destination.endsWith('/');
  for (const source of step.sources) {
    if (step.from !== undefined) {
      const from = stages.get(step.from);
      if (!from) throw new DockerfileError(step.line, `COPY --from=${step.from}: no such earlier stage`);
      const path = join(from.root, posix.resolve('/', source));
      if (!existsSync(path))
        throw new DockerfileError(step.line, `COPY --from=${step.from} ${source}: not found`);
      const isFolder = (await lstat(path)).isDirectory();
      const target = isFolder || !intoFolder ? destination : join(destination, posix.basename(source));
      await mkdir(dirname(target), { recursive: true });
      await cp(path, target, { recursive: true, verbatimSymlinks: true });
      continue;
    }
    const normalized = posix.normalize(source).replace(/\/+$/, '');
    if (normalized.startsWith('..') || posix.isAbsolute(normalized)) {
      throw new DockerfileError(step.line, `COPY ${source}: outside the build context`);
    }
    if (!existsSync(join(options.context, normalized))) {
      throw new DockerfileError(step.line, `COPY ${source}: not in the build context`);
    }
    const files = await contextFiles(options.context, normalized, ignore);
    if (files.length === 0) throw new DockerfileError(step.line, `COPY ${source}: excluded by .dockerignore`);
    const isFolder = (await lstat(join(options.context, normalized))).isDirectory();
    for (const file of files) {
      const target = isFolder
        ? join(destination, relative(normalized, file))
        : intoFolder
          ? join(destination, posix.basename(file))
          : destination;
      await copyEntry(join(options.context, file), target);
    }
  }
}

/** Only `npm ci …` and `npm run build …`: the steps whose effect the test can reproduce. */
async function runInstruction(
  step: Extract<Instruction, { kind: 'RUN' }>,
  state: StageState,
  options: BuildOptions,
): Promise<void> {
  const [command, subcommand, ...rest] = step.argv;
  const allowed = command === 'npm' && (subcommand === 'ci' || (subcommand === 'run' && rest[0] === 'build'));
  if (!allowed) throw new DockerfileError(step.line, `unsupported RUN ${step.argv.join(' ')}`);
  for (const target of step.cacheTargets) {
    if (target !== '/root/.npm') throw new DockerfileError(step.line, `unsupported cache mount ${target}`);
  }
  const passed = Object.fromEntries(Object.entries(process.env).filter(([name]) => PASSED_ENV.test(name)));
  const env = {
    ...passed,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    npm_config_cache: options.npmCache,
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    ...state.env,
  };
  const cwd = hostPath(state, '.');
  options.log?.(`RUN ${step.argv.join(' ')} (in ${cwd})`);
  const child = spawn('npm', step.argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0)
    throw new DockerfileError(step.line, `RUN ${step.argv.join(' ')} exited ${code}:\n${output}`);
}

export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const stages = parseDockerfile(await readFile(options.dockerfile, 'utf8'));
  const ignoreFile = join(options.context, '.dockerignore');
  const ignore = parseDockerignore(existsSync(ignoreFile) ? await readFile(ignoreFile, 'utf8') : '');
  const played = new Map<string, StageState>();
  const bases: string[] = [];
  let last: StageState | undefined;
  for (const [index, stage] of stages.entries()) {
    const root = join(options.into, `${index}-${stage.name}`);
    const parent = played.get(stage.base);
    const state: StageState = parent
      ? { ...parent, root, env: { ...parent.env }, exposed: [...parent.exposed] }
      : {
          root,
          workdir: '/',
          env: {},
          user: undefined,
          exposed: [],
          stopSignal: undefined,
          entrypoint: [],
          cmd: [],
        };
    if (parent) await cp(parent.root, root, { recursive: true, verbatimSymlinks: true });
    else {
      bases.push(stage.base);
      await mkdir(root, { recursive: true });
    }
    for (const step of stage.instructions) {
      switch (step.kind) {
        case 'WORKDIR':
          state.workdir = posix.resolve(state.workdir, step.path);
          await mkdir(hostPath(state, '.'), { recursive: true });
          break;
        case 'ENV':
          Object.assign(state.env, step.vars);
          break;
        case 'COPY':
          await copyInstruction(step, state, options, played, ignore);
          break;
        case 'RUN':
          await runInstruction(step, state, options);
          break;
        case 'USER':
          state.user = step.user;
          break;
        case 'EXPOSE':
          state.exposed.push(...step.ports);
          break;
        case 'STOPSIGNAL':
          state.stopSignal = step.signal;
          break;
        case 'ENTRYPOINT':
          // As in Docker, setting ENTRYPOINT drops a CMD inherited from the base.
          state.entrypoint = step.argv;
          state.cmd = [];
          break;
        case 'CMD':
          state.cmd = step.argv;
          break;
      }
    }
    played.set(stage.name, state);
    last = state;
  }
  const final = stages.at(-1);
  if (!last || !final) throw new DockerfileError(1, 'no stages');
  return {
    root: last.root,
    workdir: hostPath(last, '.'),
    workdirInImage: last.workdir,
    env: last.env,
    user: last.user,
    exposed: last.exposed,
    stopSignal: last.stopSignal,
    argv: [...last.entrypoint, ...last.cmd],
    bases,
    instructions: final.instructions,
  };
}
