import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError, StateNotSavedError, TopologyError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { FieldReader } from '../manifests/fields.ts';
import type { SourcePosition } from '../manifests/model.ts';
import { manifestDigest, readResource, resourceKey, type StoredResource } from '../manifests/resources.ts';
import type { ChangeResult, Compiled, ControlPlane } from './plane.ts';
import { writePrivateFile } from './private-file.ts';

/** `<data-dir>/applied.json`: every object applied, as a cluster's API server keeps them. */
export const appliedFile = 'applied.json';

const format = 'music-mesh/applied/v1';

interface Saved {
  readonly resources: StoredResource[];
  /** What deploy/ said of each of its objects at the last start (a digest by resourceKey). */
  readonly deployed: ReadonlyMap<string, string>;
}

/**
 * The control plane's store on disk, written whole (0600, temporary file renamed over it) after
 * every apply or delete, read once at start.
 */
export class AppliedState {
  readonly file: string;
  readonly #log: Logger;
  readonly #now: () => number;
  #deployed: ReadonlyMap<string, string> = new Map();

  constructor(dataDir: string, log: Logger, now: () => number = Date.now) {
    this.file = join(dataDir, appliedFile);
    this.#log = log;
    this.#now = now;
  }

  async save(resources: readonly StoredResource[]): Promise<void> {
    const deployed = Object.fromEntries(this.#deployed);
    const text = `${JSON.stringify({ format, deployed, resources }, null, 1)}\n`;
    await writePrivateFile(this.file, text).catch((error: NodeJS.ErrnoException) => {
      throw new StateNotSavedError(this.file, error.code ?? error.message);
    });
  }

  /** Recorded with every save from now on: what this start applied from deploy/. */
  recordDeployed(resources: readonly StoredResource[]): void {
    this.#deployed = new Map(resources.map((r) => [resourceKey(r), manifestDigest(r.manifest)]));
  }

  /**
   * What the last run saved; nothing when there is no file. A file that cannot be read back is
   * set aside (never lost) with one warning, and the runtime starts from deploy/ alone.
   */
  async load(): Promise<Saved> {
    const none: Saved = { resources: [], deployed: new Map() };
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return none;
      await this.setAside(String((error as NodeJS.ErrnoException).code ?? error));
      return none;
    }
    try {
      return parseSaved(text);
    } catch (error) {
      await this.setAside(error instanceof Error ? error.message : String(error));
      return none;
    }
  }

  /** What the last run saved, read without moving anything aside (nothing when unreadable). */
  async peek(): Promise<readonly StoredResource[]> {
    try {
      return parseSaved(await readFile(this.file, 'utf8')).resources;
    } catch {
      return [];
    }
  }

  /** `npm start -- --reset`: what was applied before is forgotten. */
  async discard(): Promise<void> {
    await rm(this.file, { force: true });
  }

  async setAside(reason: string): Promise<void> {
    const aside = `${this.file}.bad-${this.#now()}`;
    const kept = await rename(this.file, aside).then(
      () => `it is kept as ${aside}`,
      () => 'it could not be moved aside',
    );
    this.#log.warn(
      `the saved state ${this.file} cannot be used (${reason}); starting from deploy/ alone (${kept})`,
    );
  }
}

function parseSaved(text: string): Saved {
  const saved = JSON.parse(text) as { format?: unknown; resources?: unknown; deployed?: unknown };
  if (saved?.format !== format || !Array.isArray(saved.resources)) throw new Error(`not a ${format} file`);
  const resources = saved.resources.map((item: unknown, index) => {
    const { file, createdAt, manifest, position } = (item ?? {}) as Record<string, unknown>;
    if (typeof file !== 'string' || typeof createdAt !== 'number') {
      throw new Error(`resources[${index}] needs file and createdAt`);
    }
    const resource = readResource(new FieldReader(file, '', manifest), createdAt);
    return Object.freeze({ ...resource, position: positionOf(position) });
  });
  const deployed = Object.entries((saved.deployed ?? {}) as Record<string, unknown>).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return { resources, deployed: new Map(deployed) };
}

/** A saved position, when it still has its shape; else analyze names the file without a line. */
function positionOf(value: unknown): SourcePosition | undefined {
  const { file, line, lines } = (value ?? {}) as Record<string, unknown>;
  if (typeof file !== 'string' || typeof line !== 'number' || !lines || typeof lines !== 'object') {
    return undefined;
  }
  return Object.freeze({ file, line, lines: Object.freeze({ ...(lines as Record<string, number>) }) });
}

/**
 * Start-up as on a cluster that kept its objects, where deploy/ is applied again: the saved
 * objects first, then each object of deploy/ that is missing (deleted by the user: it comes back)
 * or whose manifest in deploy/ changed since the last start. An object of deploy/ that the user
 * changed since (a rollout step) keeps the user's version while its deploy/ file stays as it was.
 * With `reset`, deploy/ alone.
 */
export async function restoreApplied<Table extends Compiled>(
  plane: ControlPlane<Table>,
  state: AppliedState,
  documents: readonly FieldReader[],
  options: { readonly reset: boolean; readonly log: Logger },
): Promise<ChangeResult[]> {
  const fromDeploy = documents.map((doc) => ({ doc, resource: readResource(doc, 0) }));
  state.recordDeployed(fromDeploy.map(({ resource }) => resource));
  if (options.reset) {
    await state.discard();
    options.log.info(`--reset: what was applied before is forgotten (${state.file})`);
    return plane.apply(documents);
  }
  const saved = await state.load();
  if (saved.resources.length === 0) return plane.apply(documents);
  const present = new Set(saved.resources.map(resourceKey));
  const over = fromDeploy.filter(({ resource }) => {
    const key = resourceKey(resource);
    return !present.has(key) || saved.deployed.get(key) !== manifestDigest(resource.manifest);
  });
  try {
    const results = await plane.restore(
      saved.resources,
      over.map(({ doc }) => doc),
    );
    options.log.info(
      `restored ${saved.resources.length} applied objects from ${state.file}; deploy/ applied over them where it changed (${over.length} objects). npm start -- --reset starts from deploy/ alone`,
    );
    return results;
  } catch (error) {
    // Only objects this runtime no longer accepts make the file unusable; a failure to start
    // something (a database another runtime holds...) says nothing about the file, which stays.
    if (!(error instanceof ManifestError || error instanceof TopologyError)) throw error;
    await state.setAside(error.message);
    return plane.apply(documents);
  }
}
