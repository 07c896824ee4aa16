/**
 * A strict reader for the subset of Dockerfile syntax the images use, and `.dockerignore` matching
 * as Docker does it. Anything outside the subset is an error, so a Dockerfile cannot drift into
 * steps that the image test would silently skip.
 */

export type Instruction =
  | { kind: 'WORKDIR'; line: number; path: string }
  | { kind: 'ENV'; line: number; vars: Record<string, string> }
  | { kind: 'COPY'; line: number; from?: string; sources: string[]; destination: string }
  | { kind: 'RUN'; line: number; cacheTargets: string[]; argv: string[] }
  | { kind: 'USER'; line: number; user: string }
  | { kind: 'EXPOSE'; line: number; ports: string[] }
  | { kind: 'STOPSIGNAL'; line: number; signal: string }
  | { kind: 'ENTRYPOINT' | 'CMD'; line: number; argv: string[] };

export interface Stage {
  name: string;
  /** An image reference, or the name of an earlier stage. */
  base: string;
  line: number;
  instructions: Instruction[];
}

export class DockerfileError extends Error {
  constructor(line: number, message: string) {
    super(`Dockerfile line ${line}: ${message}`);
    this.name = 'DockerfileError';
  }
}

/** Logical lines: comments and blank lines dropped, `\` continuations joined. */
function logicalLines(text: string): { line: number; text: string }[] {
  const result: { line: number; text: string }[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending
      ? { line: pending.line, text: `${pending.text} ${part}`.trim() }
      : { line: index + 1, text: part };
    if (!continued) {
      result.push(pending);
      pending = undefined;
    }
  });
  if (pending) throw new DockerfileError(pending.line, 'ends inside a continued line');
  return result;
}

/** Shell-form words; quoting and shell operators are outside the subset. */
function words(line: number, text: string): string[] {
  if (/["'`$;&|<>(){}*?]/.test(text))
    throw new DockerfileError(line, `unsupported shell syntax in "${text}"`);
  return text.split(/\s+/).filter((word) => word !== '');
}

/** Leading `--name=value` flags, each of which must be allowed. */
function flags(
  line: number,
  args: string[],
  allowed: string[],
): { flags: [string, string][]; rest: string[] } {
  const found: [string, string][] = [];
  let index = 0;
  for (; index < args.length; index++) {
    const match = /^--([a-z-]+)=(.+)$/.exec(args[index] ?? '');
    if (!args[index]?.startsWith('--')) break;
    if (!match?.[1] || match[2] === undefined || !allowed.includes(match[1])) {
      throw new DockerfileError(line, `unsupported flag ${args[index]}`);
    }
    found.push([match[1], match[2]]);
  }
  return { flags: found, rest: args.slice(index) };
}

function execForm(line: number, text: string): string[] {
  let argv: unknown;
  try {
    argv = JSON.parse(text);
  } catch {
    throw new DockerfileError(line, `expected the exec form ["..."], got ${text}`);
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === 'string')) {
    throw new DockerfileError(line, `expected a non-empty JSON array of strings, got ${text}`);
  }
  return argv;
}

function instruction(line: number, keyword: string, text: string): Instruction {
  switch (keyword) {
    case 'WORKDIR': {
      if (!/^\/\S*$/.test(text)) throw new DockerfileError(line, 'WORKDIR must be one absolute path');
      return { kind: 'WORKDIR', line, path: text };
    }
    case 'ENV': {
      const vars: Record<string, string> = {};
      for (const pair of words(line, text)) {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(pair);
        if (!match?.[1] || match[2] === undefined)
          throw new DockerfileError(line, `ENV expects NAME=value, got ${pair}`);
        vars[match[1]] = match[2];
      }
      return { kind: 'ENV', line, vars };
    }
    case 'COPY': {
      const parsed = flags(line, words(line, text), ['from']);
      if (parsed.rest.length < 2) throw new DockerfileError(line, 'COPY needs a source and a destination');
      const destination = parsed.rest.at(-1) ?? '';
      const sources = parsed.rest.slice(0, -1);
      if (sources.length > 1 && !destination.endsWith('/')) {
        throw new DockerfileError(line, 'COPY with several sources needs a destination ending in /');
      }
      const from = parsed.flags.find(([name]) => name === 'from')?.[1];
      return { kind: 'COPY', line, ...(from === undefined ? {} : { from }), sources, destination };
    }
    case 'RUN': {
      const parsed = flags(line, words(line, text), ['mount']);
      const cacheTargets = parsed.flags.map(([, value]) => {
        const match = /^type=cache,target=(\/\S+)$/.exec(value);
        if (!match?.[1]) throw new DockerfileError(line, `only cache mounts are supported, got ${value}`);
        return match[1];
      });
      return { kind: 'RUN', line, cacheTargets, argv: parsed.rest };
    }
    case 'USER':
      return { kind: 'USER', line, user: text };
    case 'EXPOSE':
      return { kind: 'EXPOSE', line, ports: words(line, text) };
    case 'STOPSIGNAL':
      return { kind: 'STOPSIGNAL', line, signal: text };
    case 'ENTRYPOINT':
    case 'CMD':
      return { kind: keyword, line, argv: execForm(line, text) };
    default:
      throw new DockerfileError(line, `unsupported instruction ${keyword}`);
  }
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const { line, text: logical } of logicalLines(text)) {
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(logical);
    if (!match?.[1] || match[2] === undefined) throw new DockerfileError(line, `cannot read "${logical}"`);
    const keyword = match[1].toUpperCase();
    const rest = match[2].trim();
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+([a-z][a-z0-9_.-]*))?$/i.exec(rest);
      if (!from?.[1] || from[1].startsWith('--')) throw new DockerfileError(line, `unsupported FROM ${rest}`);
      stages.push({ name: from[2] ?? String(stages.length), base: from[1], line, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new DockerfileError(line, `${keyword} before FROM`);
    stage.instructions.push(instruction(line, keyword, rest));
  }
  if (stages.length === 0) throw new DockerfileError(1, 'no FROM');
  return stages;
}

interface IgnorePattern {
  exclude: boolean;
  regex: RegExp;
}

/** Docker's pattern syntax: `*` and `?` stay within one path element, `**` spans any number. */
function patternRegex(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] ?? '';
    if (char === '*' && pattern[index + 1] === '*') {
      index++;
      if (pattern[index + 1] === '/') {
        index++;
        source += '(.*/)?';
      } else {
        source += '.*';
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export function parseDockerignore(text: string): IgnorePattern[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclude = !line.startsWith('!');
      const path = (exclude ? line : line.slice(1).trim()).replace(/^\/+|\/+$/g, '');
      return { exclude, regex: patternRegex(path) };
    });
}

/**
 * Whether Docker leaves `path` (relative to the context, `/`-separated) out of the context: the last
 * pattern that matches the path or one of its parent folders decides (moby's MatchesOrParentMatches).
 */
export function isIgnored(path: string, patterns: IgnorePattern[]): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    if (candidates.some((candidate) => pattern.regex.test(candidate))) ignored = pattern.exclude;
  }
  return ignored;
}
