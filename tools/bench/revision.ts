// Another commit of this repository, checked out beside the working tree so that a benchmark can
// run its code and this tree's alternately, minutes apart: on a shared machine that is the only
// comparison of two versions whose ratio means anything.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Revision {
  /** The commit's abbreviated hash, for labels. */
  readonly short: string;
  /** The checked-out tree's root. */
  readonly root: string;
  /** Whether its package-lock.json is this tree's: if not, its code runs on this tree's dependencies. */
  readonly sameDependencies: boolean;
  /** Removes the checkout (and git's record of it). Idempotent. */
  remove(): Promise<void>;
}

/**
 * Checks `revision` (anything `git rev-parse` takes: a hash, `HEAD~1`, a branch) out as a detached
 * worktree in `dir`, sharing this tree's node_modules (installing them again would take longer
 * than the benchmark). Errors are one line: git's own first line of complaint.
 */
export async function checkOutRevision(revision: string, dir: string): Promise<Revision> {
  const here = new URL('.', import.meta.url).pathname;
  const git = (...args: string[]) =>
    run('git', ['-C', here, ...args]).then(
      ({ stdout }) => stdout.trim(),
      (error: Error & { stderr?: string }) => {
        throw new Error(error.stderr?.trim().split('\n')[0] || error.message.split('\n')[0]);
      },
    );
  const root = await git('rev-parse', '--show-toplevel');
  // --end-of-options: a revision that starts with a dash is a name, not an option of git's.
  const sha = await git('rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`).catch(
    () => {
      throw new Error(`"${revision}" is not a commit of this repository`);
    },
  );
  const sameDependencies = await git('diff', '--quiet', sha, '--', ':/package-lock.json').then(
    () => true,
    () => false,
  );
  await git('worktree', 'add', '--detach', '--force', dir, sha);
  let removed: Promise<void> | undefined;
  const remove = () => {
    removed ??= git('worktree', 'remove', '--force', dir).then(() => undefined);
    return removed;
  };
  if (existsSync(join(root, 'node_modules')))
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  if (!existsSync(join(dir, 'tools/bench/mesh-proxy.ts'))) {
    await remove();
    throw new Error(`${sha.slice(0, 7)} has no tools/bench/mesh-proxy.ts to run`);
  }
  return { short: sha.slice(0, 7), root: dir, sameDependencies, remove };
}
