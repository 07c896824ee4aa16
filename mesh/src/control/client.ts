import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { AnalysisMessage } from '../analyze/messages.ts';
import { adminFile } from '../data-dir.ts';
import { AdminApiError, NoRuntimeError, UsageError } from '../errors.ts';
import { yamlFilesUnder } from '../manifests/load.ts';
import type { ResourceRef, StoredResource } from '../manifests/resources.ts';
import type { DeploymentStatus, PodStatus } from '../workloads/supervisor.ts';
import type { ExplainRequest } from './admin.ts';
import type { ChangeResult } from './plane.ts';

/** A YAML file as the CLI read it: the admin API parses and checks it. */
export interface ManifestSource {
  readonly file: string;
  readonly text: string;
}

export interface ResourceItem extends StoredResource {
  readonly status?:
    | (DeploymentStatus & { endpoints?: undefined })
    | { readonly endpoints: readonly string[] }
    | undefined;
}

/** `-f` arguments: files, directories (their YAML files, recursively) or `-` for stdin. */
export async function readManifestSources(
  paths: readonly string[],
  stdin: () => Promise<string>,
  cwd = process.cwd(),
): Promise<ManifestSource[]> {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ file: '<stdin>', text: await stdin() });
      continue;
    }
    const absolute = resolve(cwd, path);
    const info = await stat(absolute).catch(() => {
      throw new UsageError(`the path "${path}" does not exist`);
    });
    const files = info.isDirectory() ? await yamlFilesUnder(absolute) : [absolute];
    for (const file of files) {
      const shown = relative(cwd, file);
      sources.push({
        file: shown && !shown.startsWith('..') ? shown : file,
        text: await readFile(file, 'utf8'),
      });
    }
  }
  return sources;
}

/**
 * The admin API's address and token, from `<dataDir>/admin.json` written by the runtime (mode 0600);
 * `admin` (`--admin`) overrides the address, the token still comes from the file.
 */
export async function connectToRuntime(dataDir: string, admin?: string): Promise<MeshClient> {
  const file = join(dataDir, adminFile);
  let found: { url?: unknown; token?: unknown; namespace?: unknown };
  try {
    found = JSON.parse(await readFile(file, 'utf8')) as typeof found;
  } catch {
    throw new NoRuntimeError(
      `no mesh runtime found: ${file} does not exist (npm start writes it in its data directory). If the runtime runs with --data-dir <dir>, pass the same --data-dir <dir> or set MUSIC_DATA_DIR=<dir>; its port alone (--admin, MUSIC_ADMIN_PORT) is not enough, the token is in that file`,
    );
  }
  const url = admin ? admin.replace(/\/$/, '') : found.url;
  if (typeof url !== 'string' || typeof found.token !== 'string') {
    throw new NoRuntimeError(`no mesh runtime found: ${file} has no url and token`);
  }
  // kubectl's default when the runtime names none (an admin.json from before profiles).
  const namespace = typeof found.namespace === 'string' ? found.namespace : 'default';
  return new MeshClient(url, found.token, admin ? undefined : file, namespace);
}

/** The programmatic API behind `npm run mesh -- ...`: one method per admin call. */
export class MeshClient {
  readonly url: string;
  readonly #token: string;
  /** Where the address came from, for the error when nothing answers there. */
  readonly #origin: string | undefined;
  /** The runtime profile's namespace: what `-n` defaults to. */
  readonly namespace: string;

  constructor(url: string, token: string, origin?: string, namespace = 'default') {
    this.url = url;
    this.#token = token;
    this.#origin = origin;
    this.namespace = namespace;
  }

  apply(documents: readonly ManifestSource[]): Promise<{ results: ChangeResult[] }> {
    return this.#call('POST', '/v1/apply', { documents });
  }

  delete(
    target: { documents: readonly ManifestSource[] } | { refs: readonly ResourceRef[] },
  ): Promise<{ results: ChangeResult[]; missing: ResourceRef[] }> {
    return this.#call('POST', '/v1/delete', target);
  }

  get(
    plural: string,
    query: { namespace?: string | undefined; name?: string | undefined } = {},
  ): Promise<{ kind: string; items: (ResourceItem | PodStatus)[] }> {
    const params = new URLSearchParams();
    if (query.namespace !== undefined) params.set('namespace', query.namespace);
    if (query.name !== undefined) params.set('name', query.name);
    const search = params.size > 0 ? `?${params}` : '';
    return this.#call('GET', `/v1/resources/${encodeURIComponent(plural)}${search}`);
  }

  analyze(): Promise<{ messages: AnalysisMessage[] }> {
    return this.#call('GET', '/v1/analyze');
  }

  explain(request: Omit<ExplainRequest, 'from'> & { from?: string }): Promise<{ explanation: unknown }> {
    return this.#call('POST', '/v1/explain', request);
  }

  status(): Promise<Record<string, unknown>> {
    return this.#call('GET', '/v1/status');
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch {
      throw new NoRuntimeError(
        `no mesh runtime answers at ${this.url}${this.#origin ? ` (named by ${this.#origin}; the runtime that wrote it has stopped)` : ''}: start it with npm start, or pass the --data-dir of the one running`,
      );
    }
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      throw new AdminApiError(
        String(answer.code ?? 'ADMIN_ERROR'),
        res.status,
        String(answer.detail ?? `${method} ${path}: HTTP ${res.status}`),
      );
    }
    return answer as T;
  }
}
