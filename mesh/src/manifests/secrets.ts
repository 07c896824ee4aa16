import { inspect } from 'node:util';
import type { FieldReader } from './fields.ts';
import type { Secret, SecretValues, Source } from './model.ts';

/** `Opaque` holds Istio's generic `cert`/`key` form; the other Kubernetes types are refused by name. */
export const secretTypes: readonly string[] = Object.freeze(['Opaque', 'kubernetes.io/tls']);

// Kubernetes decodes `data` with Go's StdEncoding: padded, and line breaks skipped (kustomize
// writes long values as wrapped block scalars).
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const secretKey = /^[-._a-zA-Z0-9]+$/;

/**
 * A Secret as the API server stores it: `data` (base64) with `stringData` written over it. The
 * values stay inside `SecretValues`, which shows only its keys to JSON, `inspect` and templates,
 * so that no log line or error can carry them.
 */
export function parseSecret(doc: FieldReader, source: Source): Secret {
  doc.only(['apiVersion', 'kind', 'metadata', 'type', 'data', 'stringData', 'immutable']);
  const type = doc.optionalString('type') ?? 'Opaque';
  if (!secretTypes.includes(type)) {
    throw doc.error(
      `type ${type} is not supported by the local runtime (supported: ${secretTypes.join(', ')})`,
      'type',
    );
  }
  const values = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(doc.labels('data'))) {
    checkKey(doc, 'data', key);
    const encoded = value.replace(/[\r\n]/g, '');
    if (!base64.test(encoded)) throw doc.error('must be base64 (padded)', `data.${key}`);
    values.set(key, Buffer.from(encoded, 'base64'));
  }
  for (const [key, value] of Object.entries(doc.labels('stringData'))) {
    checkKey(doc, 'stringData', key);
    values.set(key, Buffer.from(value, 'utf8'));
  }
  // The API server's own check for this type (core validation ValidateSecret).
  if (type === 'kubernetes.io/tls') {
    for (const key of ['tls.crt', 'tls.key'])
      if (!values.has(key)) throw doc.error(`a kubernetes.io/tls Secret needs the key ${key}`, 'data');
  }
  return Object.freeze({ kind: 'Secret', ...source, type, data: new RedactedValues(values) });
}

function checkKey(doc: FieldReader, field: string, key: string): void {
  if (!secretKey.test(key) || key === '.' || key === '..' || key.length > 253)
    throw doc.error('keys must consist of letters, digits, `-`, `_` or `.`', `${field}.${key}`);
}

class RedactedValues implements SecretValues {
  readonly #values: ReadonlyMap<string, Buffer>;

  constructor(values: ReadonlyMap<string, Buffer>) {
    this.#values = values;
    Object.freeze(this);
  }

  keys(): readonly string[] {
    return [...this.#values.keys()];
  }

  get(key: string): Buffer | undefined {
    return this.#values.get(key);
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.keys().map((key) => [key, '[redacted]']));
  }

  toString(): string {
    return `[Secret values: ${this.keys().join(', ')}]`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
