import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, normalize, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ManifestError } from '../errors.ts';
import { decodeAll, FieldReader } from '../manifests/fields.ts';
import { maxYamlAliases } from '../manifests/load.ts';
import { references } from './expansion.ts';

/**
 * A local profile: what a cluster has and one machine lacks, for one app. The manifests stay as a
 * cluster gets them; the profile says which folders to apply, which local program plays each
 * image, the local values of Secrets kept outside the manifests, and which variables name a part
 * of the cluster the runtime plays itself. Field by field in mesh/README.md ("Run your own app").
 */
export interface Profile {
  /** Absolute path of the profile file. */
  readonly file: string;
  /** The app's name, as `npm start` prints it ("Music is up at ..."). */
  readonly name: string;
  /** A line printed after the address, such as how to log in. */
  readonly welcome: string | undefined;
  /** Absolute folders whose YAML files are applied at start, in this order. */
  readonly manifests: readonly string[];
  /** Where `runtime.endpoints(service)` looks when not told. */
  readonly namespace: string;
  /** Absolute; the data directory when neither the options nor MUSIC_DATA_DIR name one. */
  readonly dataDir: string | undefined;
  readonly database: ProfileDatabase | undefined;
  /** Image name (without tag, or with one to pin it) → the program that plays it. */
  readonly programs: Readonly<Record<string, Program>>;
  /** `secrets[secret][key]`: a Secret key's local value, read while no such Secret is applied. */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, SecretValue>>>>;
  /** Manifest variables whose cluster value names something the runtime plays: their local value. */
  readonly replace: Readonly<Record<string, string>>;
  /** Further replacements when replicas have no outbound listener (cluster hosts unreachable). */
  readonly replaceWithoutOutbound: Readonly<Record<string, string>>;
  /** Variables every replica gets on top of its manifest's (development conveniences). */
  readonly env: Readonly<Record<string, string>>;
  /** Files whose absence `npm start` warns about (such as a web app not built yet). */
  readonly warnIfMissing: readonly { readonly path: string; readonly message: string }[];
  /** Who may change configuration from the mesh console: the app's login and keys, and the role. */
  readonly console: ProfileConsole | undefined;
}

export interface ProfileConsole {
  /** Path of the app's login at the ingress, answering `{ id_token }` to `{ username, password }`. */
  readonly loginPath: string;
  /** Path of the app's public keys (a JWKS) at the ingress. */
  readonly jwksPath: string;
  /** The role, in the token's space-separated `auth` claim, that may apply the console's wizards. */
  readonly adminRole: string;
}

export interface ProfileDatabase {
  /** The database the embedded PostgreSQL creates, in `$(mesh.databaseUrl)`. */
  readonly name: string;
  /** Images the embedded PostgreSQL stands in for: their Deployments show as its pod. */
  readonly images: readonly string[];
}

export interface Program {
  /** `programs["music/front"]`, for messages. */
  readonly field: string;
  /** The image's entry point; `node` is the runtime's own Node. `$(VAR)` expanded at start. */
  readonly command: readonly string[];
  /** The image's default arguments, replaced by a container's `args` as Kubernetes does. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Absolute. */
  readonly workingDir: string;
}

/** A Secret key's local value: text (with `$(mesh.…)`), a key generated once, or left unset. */
export type SecretValue =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'generated'; readonly generate: Generator; readonly file: string }
  | { readonly kind: 'unset' };

export type Generator = 'ec-p256-private-key';
const generators: readonly Generator[] = ['ec-p256-private-key'];

/** What only the running runtime knows, as profile strings name it: `$(mesh.ingressUrl)`. */
export const runtimeValueNames = [
  'mesh.ingressUrl',
  'mesh.statsUrl',
  'mesh.databaseUrl',
  'mesh.logLevel',
] as const;
export type RuntimeValueName = (typeof runtimeValueNames)[number];

const topLevel = [
  'kind',
  'name',
  'welcome',
  'manifests',
  'namespace',
  'dataDir',
  'workingDir',
  'database',
  'programs',
  'secrets',
  'replace',
  'replaceWithoutOutbound',
  'env',
  'warnIfMissing',
  'console',
];

/** Reads and checks a profile; every error names the file and the field's path. */
export async function loadProfile(path: string): Promise<Profile> {
  const file = resolve(path);
  const shown = displayPath(file);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ManifestError(shown, undefined, `cannot read the profile (${error.code ?? error.message})`);
  });
  return parseProfile(file, text);
}

export function parseProfile(file: string, text: string): Profile {
  const shown = displayPath(file);
  const document = parseDocument(text);
  const error = document.errors[0];
  if (error) throw new ManifestError(shown, undefined, `invalid YAML: ${error.message.split('\n')[0]}`);
  const root = new FieldReader(shown, '', document.toJS({ maxAliasCount: maxYamlAliases }));
  return decodeAll([root], (doc) => readProfile(file, doc))[0] as Profile;
}

/** The profile's fields; every problem of the file is reported at once (decodeAll). */
function readProfile(file: string, root: FieldReader): Profile {
  root.record();
  if (root.child('kind').value !== 'LocalProfile') {
    throw root.error('must be LocalProfile (a local profile, not a Kubernetes object)', 'kind');
  }
  root.only(topLevel);
  const base = dirname(file);
  const at = (reader: FieldReader, key: string) => resolve(base, reader.string(key));
  const workingDir = root.has('workingDir') ? at(root, 'workingDir') : base;
  const database = root.has('database') ? parseDatabase(root.child('database')) : undefined;

  const profile: Profile = {
    file,
    name: root.string('name'),
    welcome: root.optionalString('welcome'),
    manifests: Object.freeze(root.stringList('manifests').map((folder) => resolve(base, folder))),
    namespace: root.string('namespace'),
    dataDir: root.has('dataDir') ? at(root, 'dataDir') : undefined,
    database,
    programs: parsePrograms(root, base, workingDir),
    secrets: parseSecrets(root),
    replace: root.labels('replace'),
    replaceWithoutOutbound: root.labels('replaceWithoutOutbound'),
    env: root.labels('env'),
    warnIfMissing: Object.freeze(
      root.optionalList('warnIfMissing').map((entry) => {
        entry.only(['path', 'message']);
        return Object.freeze({ path: at(entry, 'path'), message: entry.string('message') });
      }),
    ),
    console: root.optional('console', parseConsole),
  };
  checkReferences(root, profile);
  return Object.freeze(profile);
}

function parseConsole(field: FieldReader): ProfileConsole {
  field.only(['loginPath', 'jwksPath', 'adminRole']);
  const path = (key: string) => {
    const value = field.string(key);
    if (!value.startsWith('/')) throw field.error('must be a path starting with /', `${field.path}.${key}`);
    return value;
  };
  return Object.freeze({
    loginPath: path('loginPath'),
    jwksPath: path('jwksPath'),
    adminRole: field.string('adminRole'),
  });
}

function parseDatabase(database: FieldReader): ProfileDatabase {
  database.only(['name', 'images']);
  return Object.freeze({
    name: database.string('name'),
    images: Object.freeze(database.has('images') ? database.stringList('images') : []),
  });
}

function parsePrograms(root: FieldReader, base: string, workingDir: string): Record<string, Program> {
  const programs: Record<string, Program> = {};
  if (!root.has('programs')) return programs;
  const table = root.child('programs');
  for (const image of Object.keys(table.record())) {
    const entry = table.child(image);
    const field = `programs["${image}"]`;
    entry.only(['command', 'args', 'env', 'workingDir']);
    const command = entry.stringList('command');
    if (command.length === 0) throw entry.error('needs at least the program to run', `${entry.path}.command`);
    programs[image] = Object.freeze({
      field,
      command: Object.freeze(command),
      args: Object.freeze(entry.has('args') ? strings(entry.list('args')) : []),
      env: entry.labels('env'),
      workingDir: entry.has('workingDir') ? resolve(base, entry.string('workingDir')) : workingDir,
    });
  }
  return Object.freeze(programs);
}

/** Arguments may be empty strings, as in a container's args. */
function strings(items: readonly FieldReader[]): string[] {
  return items.map((item) => {
    if (typeof item.value !== 'string') throw item.error('must be a string (quote numbers)');
    return item.value;
  });
}

function parseSecrets(root: FieldReader): Record<string, Record<string, SecretValue>> {
  const secrets: Record<string, Record<string, SecretValue>> = {};
  if (!root.has('secrets')) return secrets;
  const table = root.child('secrets');
  for (const name of Object.keys(table.record())) {
    const secret = table.child(name);
    const keys: Record<string, SecretValue> = {};
    for (const [key, value] of Object.entries(secret.record())) {
      keys[key] = parseSecretValue(secret.child(key), value);
    }
    secrets[name] = Object.freeze(keys);
  }
  return Object.freeze(secrets);
}

function parseSecretValue(field: FieldReader, value: unknown): SecretValue {
  if (value === null || value === undefined) return { kind: 'unset' };
  if (typeof value === 'string') return { kind: 'text', text: value };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw field.error('must be a string, null (left unset) or { generate, file } (quote numbers)');
  }
  field.only(['generate', 'file']);
  const generate = field.string('generate');
  if (!generators.includes(generate as Generator)) {
    throw field.error(`must be one of ${generators.join(', ')}`, `${field.path}.generate`);
  }
  const file = field.string('file');
  if (isAbsolute(file) || normalize(file).startsWith('..')) {
    throw field.error('must be a path inside the data directory', `${field.path}.file`);
  }
  return Object.freeze({ kind: 'generated', generate: generate as Generator, file: normalize(file) });
}

/** A misspelt `$(mesh.…)` would reach a replica as written: refuse it here instead. */
function checkReferences(root: FieldReader, profile: Profile): void {
  const strings: [field: string, text: string][] = [];
  const add = (field: string, texts: Readonly<Record<string, string>> | readonly string[]) => {
    for (const [key, text] of Object.entries(texts)) {
      strings.push([Array.isArray(texts) ? `${field}[${key}]` : `${field}.${key}`, text]);
    }
  };
  add('replace', profile.replace);
  add('replaceWithoutOutbound', profile.replaceWithoutOutbound);
  add('env', profile.env);
  for (const [image, program] of Object.entries(profile.programs)) {
    add(`programs.${image}.command`, program.command);
    add(`programs.${image}.args`, program.args);
    add(`programs.${image}.env`, program.env);
  }
  for (const [secret, keys] of Object.entries(profile.secrets)) {
    for (const [key, value] of Object.entries(keys)) {
      if (value.kind === 'text') strings.push([`secrets.${secret}.${key}`, value.text]);
    }
  }
  for (const [field, text] of strings) {
    for (const name of references(text)) {
      if (!name.startsWith('mesh.')) continue;
      if (!runtimeValueNames.includes(name as RuntimeValueName)) {
        throw root.error(`$(${name}) is not a runtime value (known: ${runtimeValueNames.join(', ')})`, field);
      }
      if (name === 'mesh.databaseUrl' && !profile.database) {
        throw root.error('$(mesh.databaseUrl) needs a database section in the profile', field);
      }
    }
  }
}

/** Relative to the working directory when inside it, as a user would type it. */
export function displayPath(file: string): string {
  const path = relative(process.cwd(), file);
  return path.startsWith('..') || isAbsolute(path) ? file : path;
}
