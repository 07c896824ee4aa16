import { createHash } from 'node:crypto';
import { FieldReader } from './fields.ts';
import { acceptedApiVersions, apiVersionAccepted, type KindInfo, kindOf, kinds } from './kinds.ts';
import { YamlDocument } from './load.ts';
import type { SourcePosition } from './model.ts';

/** One applied object as the control plane keeps it: the manifest as written, and where it came from. */
export interface StoredResource {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  /** File (and document) it was last applied from. */
  readonly file: string;
  /** Where in that file, when it came from YAML text. */
  readonly position?: SourcePosition | undefined;
  readonly manifest: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds of its first apply. */
  readonly createdAt: number;
}

export interface ResourceRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export function resourceKey(ref: ResourceRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** Checks kind, apiVersion and metadata.name of one document; the spec is checked when the topology is built. */
export function readResource(doc: FieldReader, createdAt: number): StoredResource {
  const manifest = doc.record();
  const apiVersion = doc.string('apiVersion');
  const kind = doc.string('kind');
  const info = kindOf(kind);
  if (!info) {
    throw doc.notImplemented(
      `kind ${kind} is not supported by the local runtime (supported: ${kinds.map((k) => k.kind).join(', ')})`,
      'kind',
    );
  }
  if (!apiVersionAccepted(info, apiVersion)) {
    // Another group's kind of the same name (the Gateway API's Gateway) is one the runtime lacks.
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const message = `${kind} needs apiVersion ${acceptedApiVersions(info)} (got ${apiVersion})`;
    throw group === info.group ? doc.error(message, 'apiVersion') : doc.notImplemented(message, 'apiVersion');
  }
  const metadata = doc.child('metadata');
  const name = metadata.string('name');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    throw metadata.error('must be a lower-case RFC 1123 name', 'metadata.name');
  }
  const namespace = info.namespaced ? (metadata.optionalString('namespace') ?? 'default') : '';
  return Object.freeze({
    kind,
    apiVersion,
    namespace,
    name,
    file: doc.file,
    position: doc instanceof YamlDocument ? doc.position : undefined,
    manifest: deepFreeze(structuredClone(manifest)),
    createdAt,
  });
}

/** Back to a FieldReader, so the manifest parsers can read a stored resource again. */
export function readerOf(resource: StoredResource): FieldReader {
  return new FieldReader(resource.file, '', resource.manifest);
}

export function infoOf(resource: StoredResource): KindInfo {
  return kindOf(resource.kind) as KindInfo;
}

/** Same content, whatever the key order: `unchanged` for kubectl. */
export function sameManifest(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** A short fingerprint of a manifest's content, whatever the key order. */
export function manifestDigest(manifest: unknown): string {
  return createHash('sha256').update(canonical(manifest)).digest('base64url');
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : item,
  );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
