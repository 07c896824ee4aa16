import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type AnalysisMessage, formatMessage, hasErrors } from '../analyze/messages.ts';
import { analyzeSources } from '../analyze/sources.ts';
import { defaultDataDir } from '../config.ts';
import { connectToRuntime, type MeshClient, readManifestSources } from '../control/client.ts';
import { AdminApiError, UsageError } from '../errors.ts';
import { kindArguments, kindFromArgument } from '../manifests/kinds.ts';
import { didYouMean, nearest } from '../suggest.ts';
import { explanationText, resourceOutput, resourceTable } from './format.ts';

/** Where a command reads and writes; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  stdin(): Promise<string>;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown after the flag in --help: `-f <file>`. */
  readonly value?: string;
  readonly description: string;
}

type Values = Record<string, string | boolean | string[] | undefined>;

interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly details?: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

const connection = {
  admin: {
    type: 'string',
    value: '<url>',
    description: 'admin API URL (default: read from <data-dir>/admin.json, which also holds its token)',
  },
  'data-dir': {
    type: 'string',
    value: '<dir>',
    description: 'the runtime data directory (default MUSIC_DATA_DIR or <repo>/.data)',
  },
} as const satisfies Record<string, OptionSpec>;

const help = { type: 'boolean', short: 'h', description: 'show this help' } as const satisfies OptionSpec;

const files = {
  type: 'string',
  short: 'f',
  multiple: true,
  value: '<file|dir|->',
  description: 'YAML file, directory (recursively) or - for stdin; repeatable',
} as const satisfies OptionSpec;

const namespace = {
  type: 'string',
  short: 'n',
  value: '<namespace>',
  description: "namespace (default: the runtime profile's namespace)",
} as const satisfies OptionSpec;

async function client(values: Values, io: Io): Promise<MeshClient> {
  const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir(io.env);
  return connectToRuntime(dataDir, values.admin as string | undefined);
}

/** kubectl's words for a kind it does not know, and the nearest one it does. */
function unknownKind(argument: string, command: string): UsageError {
  const near = nearest(argument, kindArguments());
  const kind = near === undefined ? undefined : kindFromArgument(near);
  const plural = kind === 'pods' ? 'pods' : kind?.plural;
  return new UsageError(
    `the server doesn't have a resource type "${argument}"${plural ? `; did you mean "${plural}"?` : ''} (see mesh ${command} --help)`,
  );
}

function requireFiles(values: Values, command: string): string[] {
  const paths = (values.file as string[] | undefined) ?? [];
  if (paths.length === 0)
    throw new UsageError(`${command} needs -f <file|dir|-> (see mesh ${command} --help)`);
  return paths;
}

const apply: Command = {
  name: 'apply',
  summary: 'apply Kubernetes and Istio YAML to the running runtime',
  usage: 'mesh apply -f <file|dir|-> [-f ...]',
  details: [
    'Every document is checked first (kind, apiVersion, fields); one invalid document refuses the',
    'whole apply and the running configuration stays. Routing changes take effect at once, without',
    'a restart; Deployments start, scale or roll their replicas.',
    '',
    'Example: cat <<EOF | npm run mesh -- apply -f -',
  ],
  options: { file: files, ...connection, help },
  async run(values, _positionals, io) {
    const sources = await readManifestSources(requireFiles(values, 'apply'), io.stdin, io.cwd);
    const { results } = await (await client(values, io)).apply(sources);
    for (const result of results) io.out(`${result.display} ${result.action}`);
    return 0;
  },
};

const get: Command = {
  name: 'get',
  summary: 'list resources or replicas, like kubectl get',
  usage: 'mesh get <kind> [name] [-o yaml|json] [-n namespace | -A]',
  details: [
    'Kinds: deployments (deploy), services (svc), pods, gateways (gw), virtualservices (vs),',
    'destinationrules (dr), namespaces (ns), serviceaccounts (sa).',
  ],
  options: {
    output: { type: 'string', short: 'o', value: '<format>', description: 'yaml or json instead of a table' },
    namespace,
    'all-namespaces': { type: 'boolean', short: 'A', description: 'every namespace' },
    ...connection,
    help,
  },
  async run(values, positionals, io) {
    const [kindArgument, name, ...rest] = positionals;
    if (!kindArgument) throw new UsageError('get needs a kind, e.g. mesh get pods (see mesh get --help)');
    if (rest.length > 0) throw new UsageError(`get takes one name (got ${[name, ...rest].join(' ')})`);
    const kind = kindFromArgument(kindArgument);
    if (!kind) throw unknownKind(kindArgument, 'get');
    const output = values.output as string | undefined;
    if (output !== undefined && output !== 'yaml' && output !== 'json') {
      throw new UsageError(`-o must be yaml or json (got ${output})`);
    }
    const allNamespaces = values['all-namespaces'] === true;
    const mesh = await client(values, io);
    const ns = allNamespaces ? undefined : ((values.namespace as string | undefined) ?? mesh.namespace);
    const answer = await mesh.get(kind === 'pods' ? 'pods' : kind.plural, {
      namespace: ns,
      name,
    });
    if (output) io.out(resourceOutput(output, answer.items, name !== undefined));
    else if (answer.items.length === 0) io.err(`No resources found${ns ? ` in ${ns} namespace` : ''}.`);
    else io.out(resourceTable(answer.kind, answer.items, { allNamespaces }));
    return 0;
  },
};

const del: Command = {
  name: 'delete',
  summary: 'delete the resources of YAML files, or one resource by kind and name',
  usage: 'mesh delete -f <file|dir|->   |   mesh delete <kind> <name> [-n namespace]',
  details: ['Deleting a Deployment stops its replicas (out of the endpoints first, then SIGTERM).'],
  options: { file: { ...files, short: 'f' }, namespace, ...connection, help },
  async run(values, positionals, io) {
    let answer: Awaited<ReturnType<MeshClient['delete']>>;
    if (positionals.length > 0) {
      const [kindArgument, name] = positionals;
      const kind = kindArgument ? kindFromArgument(kindArgument) : undefined;
      if (kindArgument && !kind) throw unknownKind(kindArgument, 'delete');
      if (!kind || kind === 'pods' || !name || positionals.length !== 2) {
        throw new UsageError('delete takes -f <file> or <kind> <name> (see mesh delete --help)');
      }
      const mesh = await client(values, io);
      answer = await mesh.delete({
        refs: [
          { kind: kind.kind, namespace: (values.namespace as string | undefined) ?? mesh.namespace, name },
        ],
      });
    } else {
      const documents = await readManifestSources(requireFiles(values, 'delete'), io.stdin, io.cwd);
      answer = await (await client(values, io)).delete({ documents });
    }
    for (const result of answer.results) io.out(`${result.display} deleted`);
    for (const ref of answer.missing) {
      const kind = kindFromArgument(ref.kind);
      const type = kind && kind !== 'pods' ? `${kind.plural}${kind.group ? `.${kind.group}` : ''}` : ref.kind;
      io.err(`Error from server (NotFound): ${type} "${ref.name}" not found`);
    }
    return answer.missing.length > 0 ? 1 : 0;
  },
};

/** istioctl's exit code when analyzers report an error. */
export const analyzerFoundIssues = 79;

const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'find configuration mistakes, with istioctl analyze codes (IST0101...)',
  usage: 'mesh analyze [-f <file|dir|->]',
  details: [
    "Without -f: the running runtime's resources. With -f: the files, offline (no runtime needed).",
    `Exits ${analyzerFoundIssues} (as istioctl) when it finds an Error; Warnings and Info do not fail.`,
  ],
  options: { file: files, ...connection, help },
  async run(values, _positionals, io) {
    const paths = (values.file as string[] | undefined) ?? [];
    let messages: AnalysisMessage[];
    let what: string;
    if (paths.length > 0) {
      messages = analyzeSources(await readManifestSources(paths, io.stdin, io.cwd));
      what = paths.join(', ');
    } else {
      messages = (await (await client(values, io)).analyze()).messages;
      what = 'the running mesh';
    }
    if (messages.length === 0) {
      io.err(`\u2714 No validation issues found when analyzing ${what}.`);
      return 0;
    }
    for (const message of messages) io.out(formatMessage(message));
    if (!hasErrors(messages)) return 0;
    io.err(`Error: Analyzers found issues when analyzing ${what}.`);
    return analyzerFoundIssues;
  },
};

const explain: Command = {
  name: 'explain',
  summary: 'show how the mesh would route a request, and why',
  usage: 'mesh explain <url> [-X method] [-H "name: value"]...',
  details: ['Example: mesh explain http://localhost:8080/back/api/tracks -H "x-canary: true"'],
  options: {
    request: { type: 'string', short: 'X', value: '<method>', description: 'HTTP method (default GET)' },
    from: {
      type: 'string',
      value: '<deployment>',
      description: 'sent from this Deployment (mesh traffic); default: through the ingress gateway',
    },
    header: {
      type: 'string',
      short: 'H',
      multiple: true,
      value: '<header>',
      description: '"name: value"; repeatable',
    },
    ...connection,
    help,
  },
  async run(values, positionals, io) {
    const [url, ...rest] = positionals;
    if (!url || rest.length > 0) throw new UsageError('explain needs one URL (see mesh explain --help)');
    // `localhost:8080/back` parses as a URL of scheme `localhost:`: say what is missing instead.
    if (!/^https?:\/\//i.test(url)) {
      throw new UsageError(
        `explain needs a URL with its scheme, http:// or https:// (got ${url}; e.g. http://${url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')})`,
      );
    }
    if (!URL.canParse(url)) throw new UsageError(`not a URL: ${url}`);
    const headers: Record<string, string> = {};
    for (const header of (values.header as string[] | undefined) ?? []) {
      const colon = header.indexOf(':');
      if (colon <= 0) throw new UsageError(`-H takes "name: value" (got ${header})`);
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    }
    const method = ((values.request as string | undefined) ?? 'GET').toUpperCase();
    const { explanation } = await (await client(values, io)).explain({
      url,
      method,
      headers,
      ...(values.from ? { from: values.from as string } : {}),
    });
    io.out(explanationText(explanation));
    return 0;
  },
};

export const commands: readonly Command[] = [apply, get, del, analyzeCommand, explain];

export function mainUsage(): string {
  return [
    'Usage: npm run mesh -- <command> [options]   (node mesh/src/cli/mesh.ts)',
    '',
    'Talks to the local mesh runtime started by `npm start`, as kubectl and istioctl talk to a cluster.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(10)}${command.summary}`),
    '',
    "Run `npm run mesh -- <command> --help` for a command's options.",
  ].join('\n');
}

export function commandUsage(command: Command): string {
  const lines = Object.entries(command.options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.value ? ` ${option.value}` : ''}`;
    return `  ${flag.padEnd(30)}${option.description}`;
  });
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    ...(command.details ? ['', ...command.details] : []),
    '',
    'Options:',
    ...lines,
  ].join('\n');
}

/** Parses argv and runs one command; known errors become one line on stderr and a non-zero code. */
export async function runMesh(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainUsage());
    return name === undefined ? 1 : 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    const near = didYouMean(
      name,
      commands.map((c) => c.name),
    );
    throw new UsageError(`unknown command "${name}"${near} (see mesh --help)`);
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: command.options as ParseArgsConfig['options'],
      strict: true,
      allowPositionals: true,
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see mesh ${name} --help)`);
  }
  if (parsed.values.help) {
    io.out(commandUsage(command));
    return 0;
  }
  try {
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    if (error instanceof AdminApiError && error.code === 'MANIFEST_INVALID') {
      throw new UsageError(`${error.message} (nothing was applied)`);
    }
    throw error;
  }
}
