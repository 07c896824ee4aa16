import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { ManifestError } from '../errors.ts';
import { decodeAll, FieldReader, type Problems } from './fields.ts';
import { checkIstioApiVersion, parseDestinationRule, parseGateway, parseVirtualService } from './istio.ts';
import { parseConfigMap, parseDeployment, parseService } from './kubernetes.ts';
import { objectMetaFields } from './kubernetes-fields.ts';
import type {
  ConfigMap,
  Deployment,
  DestinationRule,
  Gateway,
  OtherResource,
  Secret,
  Service,
  Source,
  SourcePosition,
  Topology,
  VirtualService,
} from './model.ts';
import { parseSecret } from './secrets.ts';

/** The folders a cluster gets applied from, in the order a reader applies them. */
export const manifestFolders = ['kubernetes', 'istio'] as const;

/** Reads every YAML document under `<deployDir>/kubernetes` and `<deployDir>/istio`. */
export async function loadTopology(deployDir: string): Promise<Topology> {
  return buildTopology(await loadDocuments(deployDir));
}

/** The documents of `loadTopology`, unchecked, named by their path relative to the deploy directory. */
export async function loadDocuments(deployDir: string): Promise<FieldReader[]> {
  return loadFolders(
    manifestFolders.map((folder) => join(deployDir, folder)),
    deployDir,
  );
}

/**
 * Every YAML document of these folders (a local profile's `manifests`), folder by folder, each
 * folder's files sorted; named by their path relative to `base`.
 */
export async function loadFolders(folders: readonly string[], base: string): Promise<FieldReader[]> {
  const documents: FieldReader[] = [];
  for (const folder of folders) {
    for (const file of await yamlFilesUnder(folder)) {
      documents.push(...parseYaml(relative(base, file), await readFile(file, 'utf8')));
    }
  }
  return documents;
}

/** Every YAML file of a directory (recursively), sorted; kustomization files left out. */
export async function yamlFilesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    },
  );
  return entries
    .filter(
      (entry) => entry.isFile() && /\.ya?ml$/.test(entry.name) && !/^kustomization\.ya?ml$/.test(entry.name),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Aliases expanded per document at most; a "billion laughs" document needs far more. */
export const maxYamlAliases = 100;

/** One document of a YAML file, and where it and each of its fields were written. */
export class YamlDocument extends FieldReader {
  readonly position: SourcePosition;

  constructor(name: string, value: unknown, position: SourcePosition, problems?: Problems) {
    super(name, '', value, problems);
    this.position = position;
  }

  override collecting(problems: Problems): YamlDocument {
    return new YamlDocument(this.file, this.value, this.position, problems);
  }
}

/** One YamlDocument per non-empty document of a multi-document YAML file. */
export function parseYaml(file: string, text: string): YamlDocument[] {
  const lineCounter = new LineCounter();
  return parseAllDocuments(text, { lineCounter }).flatMap((doc, index) => {
    const error = doc.errors[0];
    if (error) throw new ManifestError(file, undefined, `invalid YAML: ${error.message.split('\n')[0]}`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: maxYamlAliases });
    } catch (cause) {
      // The yaml package throws a ReferenceError when the aliases would expand past the limit.
      const reason =
        cause instanceof ReferenceError
          ? `too many aliases (at most ${maxYamlAliases} expansions per document)`
          : String((cause as Error).message ?? cause).split('\n')[0];
      throw new ManifestError(
        index === 0 ? file : `${file} (document ${index + 1})`,
        undefined,
        `invalid YAML: ${reason}`,
      );
    }
    if (value === null || value === undefined) return [];
    const lines: Record<string, number> = {};
    const lineOf = (node: Node) => lineCounter.linePos(node.range?.[0] ?? 0).line;
    if (isNode(doc.contents)) fieldLines(doc.contents, '', lineOf, lines);
    const position = { file, line: isNode(doc.contents) ? lineOf(doc.contents) : 1, lines };
    return [new YamlDocument(index === 0 ? file : `${file} (document ${index + 1})`, value, position)];
  });
}

/** `spec.http[0].route` → its line, for every key and list item (aliases not followed), as istioctl's field map. */
function fieldLines(node: Node, path: string, lineOf: (node: Node) => number, lines: Record<string, number>) {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = path ? `${path}.${String(pair.key.value)}` : String(pair.key.value);
      lines[key] = lineOf(pair.key);
      if (isNode(pair.value)) fieldLines(pair.value, key, lineOf, lines);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      if (!isNode(item)) return;
      lines[`${path}[${index}]`] = lineOf(item);
      fieldLines(item, `${path}[${index}]`, lineOf, lines);
    });
  }
}

const istioKinds = new Set(['Gateway', 'VirtualService', 'DestinationRule']);

/** The runtime's model of these documents; a ManifestError names every problem of every document. */
export function buildTopology(documents: readonly FieldReader[]): Topology {
  const deployments: Deployment[] = [];
  const services: Service[] = [];
  const gateways: Gateway[] = [];
  const virtualServices: VirtualService[] = [];
  const destinationRules: DestinationRule[] = [];
  const secrets: Secret[] = [];
  const configMaps: ConfigMap[] = [];
  const others: OtherResource[] = [];
  const seen = new Set<string>();
  decodeAll(documents, (doc) => {
    doc.record();
    const apiVersion = doc.string('apiVersion');
    const kind = doc.string('kind');
    const metadata = doc.child('metadata');
    metadata.only(objectMetaFields);
    const source: Source = {
      file: doc.file,
      name: metadata.string('name'),
      namespace: metadata.optionalString('namespace') ?? 'default',
      createdAt: metadata.optionalTimestamp('creationTimestamp'),
    };
    const key = `${kind}/${source.namespace}/${source.name}`;
    if (seen.has(key))
      throw doc.error(`${kind} ${source.namespace}/${source.name} is defined twice`, 'metadata.name');
    seen.add(key);
    if (kind === 'Deployment' || kind === 'StatefulSet') deployments.push(parseDeployment(doc, source, kind));
    else if (kind === 'Service') services.push(parseService(doc, source));
    else if (kind === 'Secret' && apiVersion === 'v1') secrets.push(parseSecret(doc, source));
    else if (kind === 'ConfigMap' && apiVersion === 'v1') configMaps.push(parseConfigMap(doc, source));
    else if (apiVersion.startsWith('networking.istio.io/') && istioKinds.has(kind)) {
      checkIstioApiVersion(doc, apiVersion);
      doc.only(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
      if (kind === 'Gateway') gateways.push(parseGateway(doc, source));
      else if (kind === 'VirtualService') virtualServices.push(parseVirtualService(doc, source));
      else destinationRules.push(parseDestinationRule(doc, source));
    } else others.push(Object.freeze({ ...source, kind, apiVersion }));
  });
  return Object.freeze({
    deployments: Object.freeze(deployments),
    services: Object.freeze(services),
    gateways: Object.freeze(gateways),
    virtualServices: Object.freeze(virtualServices),
    destinationRules: Object.freeze(destinationRules),
    secrets: Object.freeze(secrets),
    configMaps: Object.freeze(configMaps),
    others: Object.freeze(others),
  });
}
