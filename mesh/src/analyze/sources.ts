import { ManifestError } from '../errors.ts';
import { parseYaml, type YamlDocument } from '../manifests/load.ts';
import { readResource, resourceKey, type StoredResource } from '../manifests/resources.ts';
import { analyze, refusal } from './analyze.ts';
import type { AnalysisMessage } from './messages.ts';

/**
 * `mesh analyze -f`: files analyzed offline, without a runtime. A resource given again by a later
 * file replaces the earlier one, as applying the files in order would (`-f deploy/istio -f
 * deploy/steps/1-v1` analyzes step 1's VirtualServices, not both versions of them). A kind the
 * runtime does not implement is reported (MESH0001), never skipped in silence: a rendered cluster
 * profile says which of its objects `mesh apply` would refuse.
 */
export function analyzeSources(sources: readonly { file: string; text: string }[]): AnalysisMessage[] {
  const resources = new Map<string, StoredResource>();
  const found: AnalysisMessage[] = [];
  for (const source of sources) {
    let documents: YamlDocument[];
    try {
      documents = parseYaml(source.file, source.text);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      found.push(refusal(error, { kind: 'Unknown', namespace: '', name: '?', file: source.file }));
      continue;
    }
    for (const doc of documents) {
      try {
        const resource = readResource(doc, 0);
        const key = resourceKey(resource);
        resources.delete(key);
        resources.set(key, resource);
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        for (const problem of error.problems)
          found.push(refusal(problem, originOfDocument(doc, problem.field)));
      }
    }
  }
  return [...found, ...analyze([...resources.values()])];
}

/** A document that is not a resource the runtime reads: named as far as its metadata allows. */
function originOfDocument(doc: YamlDocument, field: string | undefined) {
  const value = (doc.value ?? {}) as Record<string, unknown>;
  const metadata = (value.metadata ?? {}) as Record<string, unknown>;
  const { file, line, lines } = doc.position;
  return {
    kind: typeof value.kind === 'string' ? value.kind : 'Unknown',
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
    name: typeof metadata.name === 'string' ? metadata.name : '?',
    file,
    line: (field !== undefined ? lines[field] : undefined) ?? line,
  };
}
