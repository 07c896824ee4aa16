import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const program = fileURLToPath(new URL('./reaper-process.ts', import.meta.url));

/** What the supervisor and the database tell the reaper as processes come and go. */
export interface ProcessWatch {
  /** A replica's process group (its leader's pid), killed if the runtime dies. */
  watchGroup(pid: number): void;
  forgetGroup(pid: number): void;
  /** A PostgreSQL data directory whose server is ended if the runtime dies. */
  watchDatabase(directory: string): void;
  forgetDatabase(directory: string): void;
}

/**
 * The runtime's side of reaper-process.ts: one reaper per runtime, holding a pipe to it. It
 * never keeps the runtime alive, and a reaper gone early only costs that last resort.
 */
export class Reaper implements ProcessWatch {
  readonly #child: ChildProcess;
  readonly #exited: Promise<unknown>;

  constructor() {
    this.#child = spawn(process.execPath, [program], {
      // Its own session: a terminal's Ctrl-C or hang-up does not reach it.
      detached: true,
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    this.#exited = once(this.#child, 'exit').catch(() => undefined);
    this.#child.once('error', () => {});
    this.#child.stdin?.on('error', () => {});
    this.#child.unref();
    (this.#child.stdin as Socket | null)?.unref();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  watchGroup(pid: number): void {
    this.#send(`group ${pid}`);
  }

  forgetGroup(pid: number): void {
    this.#send(`ungroup ${pid}`);
  }

  watchDatabase(directory: string): void {
    this.#send(`database ${directory}`);
  }

  forgetDatabase(directory: string): void {
    this.#send(`undatabase ${directory}`);
  }

  /** Ends the reaper once the runtime has stopped everything; what is still watched is killed. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    // Held again until it is gone: a stopped runtime has nothing else keeping it alive, and would
    // exit before its reaper does.
    this.#child.ref();
    this.#child.stdin?.end();
    await this.#exited;
  }

  #send(line: string): void {
    const stdin = this.#child.stdin;
    if (stdin && !stdin.destroyed) stdin.write(`${line}\n`);
  }
}
