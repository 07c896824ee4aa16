import { ManifestError } from '../errors.ts';

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

  fail(message: string, field = this.path): never {
    throw new ManifestError(this.file, field || undefined, message);
  }

  has(key: string): boolean {
    return isRecord(this.value) && this.value[key] !== undefined && this.value[key] !== null;
  }

  child(key: string): FieldReader {
    const record = this.record();
    return new FieldReader(this.file, this.path ? `${this.path}.${key}` : key, record[key]);
  }

  record(): Record<string, unknown> {
    if (!isRecord(this.value)) this.fail(this.value === undefined ? 'is required' : 'must be a mapping');
    return this.value;
  }

  string(key: string): string {
    const field = this.child(key);
    if (typeof field.value !== 'string' || field.value === '') field.fail('must be a non-empty string');
    return field.value;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  integer(key: string, min = 0): number {
    const field = this.child(key);
    if (typeof field.value !== 'number' || !Number.isInteger(field.value) || field.value < min) {
      field.fail(`must be an integer >= ${min}`);
    }
    return field.value;
  }

  optionalInteger(key: string, fallback: number, min = 0): number {
    return this.has(key) ? this.integer(key, min) : fallback;
  }

  list(key: string): FieldReader[] {
    const field = this.child(key);
    if (!Array.isArray(field.value)) field.fail(field.value === undefined ? 'is required' : 'must be a list');
    return field.value.map((item, index) => new FieldReader(this.file, `${field.path}[${index}]`, item));
  }

  optionalList(key: string): FieldReader[] {
    return this.has(key) ? this.list(key) : [];
  }

  stringList(key: string): string[] {
    return this.list(key).map((item) => {
      if (typeof item.value !== 'string' || item.value === '') item.fail('must be a non-empty string');
      return item.value;
    });
  }

  /** A `map[string]string` such as labels or a selector. */
  labels(key: string): Record<string, string> {
    if (!this.has(key)) return {};
    const field = this.child(key);
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(field.record())) {
      if (typeof value !== 'string') field.fail('must be a string', `${field.path}.${name}`);
      labels[name] = value;
    }
    return Object.freeze(labels);
  }

  /** Fails on keys the runtime does not implement yet, rather than silently ignoring them. */
  only(keys: readonly string[], why: string): void {
    for (const key of Object.keys(this.record())) {
      if (!keys.includes(key)) this.fail(why, this.path ? `${this.path}.${key}` : key);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
