import { ManifestError, NotImplementedError } from '../errors.ts';

/**
 * Reads typed fields out of one parsed YAML document, so that a wrong or missing field
 * becomes a ManifestError naming the file and the field's path (`spec.ports[0].port`).
 */
export class FieldReader {
  readonly file: string;
  readonly path: string;
  readonly value: unknown;

  constructor(file: string, path: string, value: unknown) {
    this.file = file;
    this.path = path;
    this.value = value;
  }

  /** The error to throw for this field (or a named sub-field). */
  error(message: string, field = this.path): ManifestError {
    return new ManifestError(this.file, field || undefined, message);
  }

  /** The error to throw for a field or value the runtime does not implement (Istio accepts it). */
  notImplemented(message: string, field = this.path): NotImplementedError {
    return new NotImplementedError(this.file, field || undefined, message);
  }

  has(key: string): boolean {
    return isRecord(this.value) && this.value[key] !== undefined && this.value[key] !== null;
  }

  child(key: string): FieldReader {
    const record = this.record();
    return new FieldReader(this.file, this.path ? `${this.path}.${key}` : key, record[key]);
  }

  record(): Record<string, unknown> {
    const value = this.value;
    if (!isRecord(value)) throw this.error(value === undefined ? 'is required' : 'must be a mapping');
    return value;
  }

  string(key: string): string {
    const field = this.child(key);
    const value = field.value;
    if (typeof value !== 'string' || value === '') throw field.error('must be a non-empty string');
    return value;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  /** An RFC 3339 time such as Kubernetes writes (`2024-05-01T10:00:00Z`), in epoch milliseconds. */
  optionalTimestamp(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const field = this.child(key);
    const value = field.value;
    const time = typeof value === 'string' && rfc3339.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(time)) throw field.error('must be an RFC 3339 time such as 2024-05-01T10:00:00Z');
    return time;
  }

  /** Most integers of Kubernetes and Istio are int32; `max` is 2^32−1 for the uint32 ones. */
  integer(key: string, min = 0, max = int32Max): number {
    const field = this.child(key);
    const value = field.value;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw field.error(`must be an integer >= ${min}`);
    }
    if (value > max) throw field.error(`must be an integer <= ${max} (got ${value})`);
    return value;
  }

  optionalInteger(key: string, fallback: number, min = 0, max = int32Max): number {
    return this.has(key) ? this.integer(key, min, max) : fallback;
  }

  /** A TCP port, with Istio's wording (`agent.ValidatePort`). */
  port(key: string): number {
    const field = this.child(key);
    const value = field.value;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw field.error('must be a port number');
    if (!isPort(value)) throw field.error(`port number ${value} must be in the range 1..65535`);
    return value;
  }

  list(key: string): FieldReader[] {
    const field = this.child(key);
    const value = field.value;
    if (!Array.isArray(value)) throw field.error(value === undefined ? 'is required' : 'must be a list');
    return value.map((item: unknown, index) => new FieldReader(this.file, `${field.path}[${index}]`, item));
  }

  optionalList(key: string): FieldReader[] {
    return this.has(key) ? this.list(key) : [];
  }

  stringList(key: string): string[] {
    return this.list(key).map((item) => {
      const value = item.value;
      if (typeof value !== 'string' || value === '') throw item.error('must be a non-empty string');
      return value;
    });
  }

  /** A `map[string]string` such as labels or a selector. */
  labels(key: string): Record<string, string> {
    if (!this.has(key)) return {};
    const field = this.child(key);
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(field.record())) {
      if (typeof value !== 'string') throw field.error('must be a string', `${field.path}.${name}`);
      labels[name] = value;
    }
    return Object.freeze(labels);
  }

  /** Fails on keys the runtime does not implement yet, rather than silently ignoring them. */
  only(keys: readonly string[], why: string): void {
    for (const key of Object.keys(this.record())) {
      if (!keys.includes(key)) throw this.notImplemented(why, this.path ? `${this.path}.${key}` : key);
    }
  }
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export const int32Max = 2 ** 31 - 1;
export const uint32Max = 2 ** 32 - 1;

export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65_535;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
