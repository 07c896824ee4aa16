import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repo } from './support/render.ts';

// The folders the local runtime reads (deploy/kubernetes, deploy/istio) and the ones `kubectl
// apply -f` / `npm run mesh -- apply -f` take (deploy/steps/*) hold Kubernetes objects only:
// their kustomize files are named `Kustomization`, which neither picks up.
const applied = ['deploy/kubernetes', 'deploy/istio'];

describe('deploy/ layout', () => {
  it('keeps kubectl apply -f working on the runtime and step folders', async () => {
    const steps = (await readdir(join(repo, 'deploy/steps'))).map((step) => `deploy/steps/${step}`);
    const findings: string[] = [];
    for (const folder of [...applied, ...steps]) {
      const entries = await readdir(join(repo, folder));
      if (!entries.includes('Kustomization')) findings.push(`${folder}: no Kustomization`);
      for (const entry of entries.filter((e) => /\.(ya?ml|json)$/.test(e))) {
        for (const doc of parseAllDocuments(await readFile(join(repo, folder, entry), 'utf8'))) {
          const apiVersion = String((doc.toJS() as { apiVersion?: unknown } | null)?.apiVersion ?? '');
          if (apiVersion.startsWith('kustomize.config.k8s.io/') || apiVersion === '') {
            findings.push(`${folder}/${entry}: not a Kubernetes object (${apiVersion || 'no apiVersion'})`);
          }
        }
      }
    }
    expect(findings).toEqual([]);
  });

  it('keeps the Istio install out of what the runtime and the overlays apply', async () => {
    const entries = await readdir(join(repo, 'deploy/istio-install'));
    expect(entries).toEqual(['istio-operator.yaml']);
  });
});
