import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Profile, Program } from './profile.ts';

/** `music/back:0.1.0` → `music/back`; `registry:5000/x@sha256:…` → `registry:5000/x`. */
export function imageName(image: string): string {
  const digest = image.indexOf('@');
  const withoutDigest = digest === -1 ? image : image.slice(0, digest);
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** What plays an image locally: a program, the embedded PostgreSQL, or nothing the profile names. */
export type ImagePlayer =
  | { readonly kind: 'program'; readonly program: Program }
  | { readonly kind: 'database' };

/** An entry naming the image with its tag wins over one naming it without. */
export function playerOf(profile: Profile, image: string): ImagePlayer | undefined {
  const name = imageName(image);
  const databases = profile.database?.images ?? [];
  for (const candidate of [image, name]) {
    const program = Object.hasOwn(profile.programs, candidate) ? profile.programs[candidate] : undefined;
    if (program) return { kind: 'program', program };
    if (databases.includes(candidate)) return { kind: 'database' };
  }
  return undefined;
}

/** `node` is the runtime's own Node: the version the services need, not whichever comes first on PATH. */
export function launchFile(command: string): string {
  return command === 'node' ? process.execPath : command;
}

/**
 * The file a command runs (see `launchFile`): a path is taken from the working directory, a bare
 * name is looked up on PATH as a shell would. Undefined when there is nothing executable there.
 */
export async function executableOf(
  command: string,
  workingDir: string,
  path: string | undefined,
): Promise<string | undefined> {
  if (command === 'node') return launchFile(command);
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(workingDir, command)]
    : (path ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}
