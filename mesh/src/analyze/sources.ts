import { ManifestError } from '../errors.ts';
import { kindOf } from '../manifests/kinds.ts';
import { parseYaml } from '../manifests/load.ts';
import { readResource, resourceKey, type StoredResource } from '../manifests/resources.ts';
import { analyze } from './analyze.ts';
import { type AnalysisMessage, message, messageTypes } from './messages.ts';

/**
 * `mesh analyze -f`: files analyzed offline, without a runtime. Kinds the runtime does not know
 * are skipped, as istioctl skips what it has no analyzer for. A resource given again by a later
 * file replaces the earlier one, as applying the files in order would (`-f deploy/istio -f
 * deploy/steps/1-v1` analyzes step 1's VirtualServices, not both versions of them).
 */
export function analyzeSources(sources: readonly { file: string; text: string }[]): AnalysisMessage[] {
  const resources = new Map<string, StoredResource>();
  const found: AnalysisMessage[] = [];
  for (const source of sources) {
    let documents: ReturnType<typeof parseYaml>;
    try {
      documents = parseYaml(source.file, source.text);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      found.push(schemaError(source.file, error));
      continue;
    }
    for (const doc of documents) {
      const value = doc.value as Record<string, unknown>;
      if (typeof value?.kind === 'string' && !kindOf(value.kind)) continue;
      try {
        const resource = readResource(doc, 0);
        const key = resourceKey(resource);
        resources.delete(key);
        resources.set(key, resource);
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        found.push(schemaError(doc.file, error, value));
      }
    }
  }
  return [...found, ...analyze([...resources.values()])];
}

function schemaError(file: string, error: ManifestError, value?: Record<string, unknown>): AnalysisMessage {
  const metadata = (value?.metadata ?? {}) as Record<string, unknown>;
  return message(
    messageTypes.SchemaValidationError,
    {
      kind: typeof value?.kind === 'string' ? value.kind : 'Unknown',
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
      name: typeof metadata.name === 'string' ? metadata.name : '?',
      file,
    },
    `Schema validation error: ${error.message}`,
    undefined,
    error.field,
  );
}
