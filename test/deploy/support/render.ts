import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { writeSecretFiles } from '../../../deploy/secrets/secret-files.ts';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** One rendered object, as kubectl would send it. */
export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

export type KubectlCheck = { readonly found: true } | { readonly found: false; readonly reason: string };

/** `kubectl` on PATH (its built-in kustomize renders offline). */
export function findKubectl(): KubectlCheck {
  const result = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (result.error) return { found: false, reason: `kubectl is not on PATH (${result.error.message})` };
  if (result.status !== 0)
    return { found: false, reason: `kubectl version --client failed: ${result.stderr}` };
  return { found: true };
}

/**
 * A copy of the repository's deploy/ with the Secrets' files written by deploy/secrets'
 * generator, as a user's checkout has them before `skaffold run`: the repository never holds them.
 */
export async function deployCopy(): Promise<{ root: string; close(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'music-deploy-'));
  await cp(join(repo, 'deploy'), join(root, 'deploy'), {
    recursive: true,
    // Files a developer generated locally are not the test's: it writes its own.
    filter: (source) => !/\/deploy\/secrets\/(?:[^/]+\.env|[^/]+\.pem|jwks\.json)$/.test(source),
  });
  await writeSecretFiles(join(root, 'deploy/secrets'));
  return { root, close: () => rm(root, { recursive: true, force: true }) };
}

/** `kubectl kustomize <dir>`: the YAML text, or the error kustomize gave. */
export function kustomize(dir: string): string {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return result.stdout;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors[0]?.message);
    const value: unknown = doc.toJS();
    return value && typeof value === 'object' ? [value as Manifest] : [];
  });
}

/** `Deployment music/back-v1`. */
export function objectName(manifest: Manifest): string {
  const { namespace, name } = manifest.metadata;
  return `${manifest.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}
