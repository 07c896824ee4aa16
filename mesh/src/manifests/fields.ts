import { ManifestError, NotImplementedError, UnknownFieldError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';

/** What `only` says of a field Kubernetes or Istio has and the local runtime does not implement. */
export const notImplementedYet = 'is not supported by the local runtime yet';

/**
 * The problems found so far in the documents being decoded, shared by every reader of their
 * fields. A problem inside one already reported (`spec` missing, then `spec.servers`) is not
 * reported again: it is the same mistake.
 */
export class Problems {
  readonly #found: ManifestError[] = [];

  add(error: ManifestError): void {
    for (const problem of error.problems) {
      if (!this.#found.some((found) => found.file === problem.file && covers(found.field, problem.field)))
        this.#found.push(problem);
    }
  }

  get found(): readonly ManifestError[] {
    return this.#found;
  }
}

function covers(reported: string | undefined, field: string | undefined): boolean {
  if (reported === undefined || field === undefined) return reported === field;
  return field === reported || field.startsWith(`${reported}.`) || field.startsWith(`${reported}[`);
}

/**
 * Decodes each document with `parse`, reporting every problem of every document at once, as
 * kubectl's strict decoding and the API server's validation do: a misspelt field, a wrong value
 * and a missing one in one answer, each by its path. Returns the results when there is none.
 */
export function decodeAll<D extends FieldReader, T>(documents: readonly D[], parse: (doc: D) => T): T[] {
  const problems = new Problems();
  const results: T[] = [];
  for (const doc of documents) {
    const reader = doc.collecting(problems) as D;
    try {
      results.push(parse(reader));
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      problems.add(error);
    }
  }
  if (problems.found.length > 0) throw ManifestError.of(problems.found);
  return results;
}

/**
 * Reads typed fields out of one parsed YAML document, so that a wrong or missing field
 * becomes a ManifestError naming the file and the field's path (`spec.ports[0].port`).
 *
 * A reader made by `decodeAll` collects: a wrong field is reported and decoding goes on with a
 * neutral value, so that one answer names every problem. Any other reader throws the first.
 */
export class FieldReader {
  readonly file: string;
  readonly path: string;
  readonly value: unknown;
  readonly #problems: Problems | undefined;

  constructor(file: string, path: string, value: unknown, problems?: Problems) {
    this.file = file;
    this.path = path;
    this.value = value;
    this.#problems = problems;
  }

  /** The same document, reporting its problems to `problems` instead of throwing them. */
  collecting(problems: Problems): FieldReader {
    return new FieldReader(this.file, this.path, this.value, problems);
  }

  /** The error to throw for this field (or a named sub-field). */
  error(message: string, field = this.path): ManifestError {
    return new ManifestError(this.file, field || undefined, message);
  }

  /** The error to throw for a field or value the runtime does not implement (Istio accepts it). */
  notImplemented(message: string, field = this.path): NotImplementedError {
    return new NotImplementedError(this.file, field || undefined, message);
  }

  /** A problem that need not stop decoding: collected by `decodeAll`, else thrown. */
  report(error: ManifestError): void {
    if (!this.#problems) throw error;
    this.#problems.add(error);
  }

  /** `parse()`, or, when it fails while collecting, `fallback` with the problem reported. */
  recover<T>(parse: () => T, fallback: T): T {
    if (!this.#problems) return parse();
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      this.#problems.add(error);
      return fallback;
    }
  }

  has(key: string): boolean {
    return isRecord(this.value) && this.value[key] !== undefined && this.value[key] !== null;
  }

  child(key: string): FieldReader {
    const record = this.record();
    return new FieldReader(this.file, this.path ? `${this.path}.${key}` : key, record[key], this.#problems);
  }

  /** The field `key` parsed by `parse`, when it is there; its problems do not stop its siblings'. */
  optional<T>(key: string, parse: (field: FieldReader) => T): T | undefined {
    return this.has(key) ? this.recover(() => parse(this.child(key)), undefined) : undefined;
  }

  record(): Record<string, unknown> {
    const value = this.value;
    if (!isRecord(value))
      return this.#fail(this.error(value === undefined ? 'is required' : 'must be a mapping'), {});
    return value;
  }

  string(key: string): string {
    const field = this.child(key);
    const value = field.value;
    if (typeof value !== 'string' || value === '')
      return this.#fail(field.error('must be a non-empty string'), '');
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
    if (Number.isNaN(time))
      return this.#fail(field.error('must be an RFC 3339 time such as 2024-05-01T10:00:00Z'), undefined);
    return time;
  }

  /** Most integers of Kubernetes and Istio are int32; `max` is 2^32−1 for the uint32 ones. */
  integer(key: string, min = 0, max = int32Max): number {
    const field = this.child(key);
    const value = field.value;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      return this.#fail(field.error(`must be an integer >= ${min}`), min);
    }
    if (value > max) return this.#fail(field.error(`must be an integer <= ${max} (got ${value})`), max);
    return value;
  }

  optionalInteger(key: string, fallback: number, min = 0, max = int32Max): number {
    return this.has(key) ? this.integer(key, min, max) : fallback;
  }

  /** A TCP port, with Istio's wording (`agent.ValidatePort`). */
  port(key: string): number {
    const field = this.child(key);
    const value = field.value;
    if (typeof value !== 'number' || !Number.isInteger(value))
      return this.#fail(field.error('must be a port number'), 0);
    if (!isPort(value))
      return this.#fail(field.error(`port number ${value} must be in the range 1..65535`), 0);
    return value;
  }

  list(key: string): FieldReader[] {
    const field = this.child(key);
    const value = field.value;
    if (!Array.isArray(value))
      return this.#fail(field.error(value === undefined ? 'is required' : 'must be a list'), []);
    return value.map(
      (item: unknown, index) => new FieldReader(this.file, `${field.path}[${index}]`, item, this.#problems),
    );
  }

  optionalList(key: string): FieldReader[] {
    return this.has(key) ? this.list(key) : [];
  }

  /**
   * Each item of the list `key` parsed by `parse`; an item with problems is left out of the
   * result (while collecting) so that the next items are still checked.
   */
  items<T>(key: string, parse: (item: FieldReader) => T, required = false): T[] {
    const parsed: T[] = [];
    for (const item of required ? this.list(key) : this.optionalList(key)) {
      const value = this.recover<T | typeof failed>(() => parse(item), failed);
      if (value !== failed) parsed.push(value);
    }
    return parsed;
  }

  stringList(key: string): string[] {
    return this.list(key).flatMap((item) => {
      const value = item.value;
      if (typeof value !== 'string' || value === '')
        return this.#fail(item.error('must be a non-empty string'), []);
      return [value];
    });
  }

  /** A `map[string]string` such as labels or a selector. */
  labels(key: string): Record<string, string> {
    if (!this.has(key)) return {};
    const field = this.child(key);
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(field.record())) {
      if (typeof value !== 'string')
        this.#fail(field.error('must be a string', `${field.path}.${name}`), undefined);
      else labels[name] = value;
    }
    return Object.freeze(labels);
  }

  /**
   * Checks the keys of this mapping: `accepted` ones are read (or knowingly ignored); `refused`
   * ones exist in Kubernetes or Istio but the runtime does not implement them, and are refused by
   * name (`why`), never ignored; any other key is an unknown field, as kubectl's strict decoding
   * reports it, with the nearest known name. An absent mapping has no keys to check.
   */
  only(accepted: readonly string[], refused: readonly string[] = [], why = notImplementedYet): void {
    const value = this.value;
    if (value === undefined || value === null) return;
    if (!isRecord(value)) return void this.record();
    for (const key of Object.keys(value)) {
      if (accepted.includes(key)) continue;
      const path = this.path ? `${this.path}.${key}` : key;
      this.report(
        refused.includes(key)
          ? this.notImplemented(why, path)
          : new UnknownFieldError(this.file, path, hint(key, [...accepted, ...refused])),
      );
    }
  }

  #fail<T>(error: ManifestError, fallback: T): T {
    this.report(error);
    return fallback;
  }
}

const failed = Symbol('failed');

/** The nearest known name, else the known names when they are few enough to read. */
function hint(key: string, known: readonly string[]): string {
  return didYouMean(key, known) || (known.length <= 12 ? ` (known: ${known.join(', ')})` : '');
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
