import type { IncomingHttpHeaders } from 'node:http';
import type { HttpMatchRequest, StringMatch, ValueMatch } from '../manifests/model.ts';
import { compileWholeRegex } from './regex.ts';

/** What matching needs of a request, computed once per request by the listener. */
export interface RequestFacts {
  /** The `:authority` as received (Host header, or the absolute-form target's), port included. */
  readonly authority: string;
  /** Lower-cased host of the authority, without port. */
  readonly host: string;
  /** The port the request was sent to: the authority's, else the listener's. */
  readonly port: number;
  /** The request target in origin form, query string included (Envoy's `:path`). */
  readonly path: string;
  /** `path` without its query string. */
  readonly pathname: string;
  readonly method: string;
  readonly scheme: string;
  /** Node's parsed request headers (lower-case names). */
  readonly headers: IncomingHttpHeaders;
}

export type RequestPredicate = (request: RequestFacts) => boolean;

/** One condition of a match block, kept apart so that `explain` can name the first that fails. */
export interface Condition {
  /** `uri prefix /back`, `header x-user exact jason`... */
  readonly description: string;
  readonly test: RequestPredicate;
}

export interface CompiledMatch {
  readonly name: string | undefined;
  readonly conditions: readonly Condition[];
  readonly test: RequestPredicate;
}

const always: RequestPredicate = () => true;

/** An HTTPRoute's `match` list: any entry may match, every condition inside an entry must hold. */
export function compileMatches(matches: readonly HttpMatchRequest[]): {
  readonly blocks: readonly CompiledMatch[];
  readonly test: RequestPredicate;
} {
  if (matches.length === 0) return { blocks: [], test: always };
  const blocks = matches.map(compileMatch);
  if (blocks.length === 1) return { blocks, test: (blocks[0] as CompiledMatch).test };
  const tests = blocks.map((block) => block.test);
  return {
    blocks,
    test: (request) => {
      for (let i = 0; i < tests.length; i++) if ((tests[i] as RequestPredicate)(request)) return true;
      return false;
    },
  };
}

function compileMatch(match: HttpMatchRequest): CompiledMatch {
  const conditions: Condition[] = [];
  if (match.uri) conditions.push(compileUri(match.uri, match.ignoreUriCase));
  if (match.method) conditions.push(pseudoHeader('method', match.method, (r) => r.method));
  if (match.authority) conditions.push(pseudoHeader('authority', match.authority, (r) => r.authority));
  if (match.scheme) conditions.push(pseudoHeader('scheme', match.scheme, (r) => r.scheme));
  if (match.port !== undefined) {
    const port = match.port;
    conditions.push({ description: `port ${port}`, test: (r) => r.port === port });
  }
  for (const [name, value] of match.headers) conditions.push(headerCondition(name, value, false));
  for (const [name, value] of match.withoutHeaders) conditions.push(headerCondition(name, value, true));
  for (const [name, value] of match.queryParams) conditions.push(queryCondition(name, value));
  const tests = conditions.map((condition) => condition.test);
  let test: RequestPredicate;
  if (tests.length === 0) test = always;
  else if (tests.length === 1) test = tests[0] as RequestPredicate;
  else if (tests.length === 2) {
    const [a, b] = tests as [RequestPredicate, RequestPredicate];
    test = (r) => a(r) && b(r);
  } else {
    test = (r) => {
      for (let i = 0; i < tests.length; i++) if (!(tests[i] as RequestPredicate)(r)) return false;
      return true;
    };
  }
  return Object.freeze({ name: match.name, conditions: Object.freeze(conditions), test });
}

/** A string test compiled once: exact, prefix or an RE2 pattern over the whole value. */
export function compileStringMatch(match: StringMatch, ignoreCase = false): (value: string) => boolean {
  if ('regex' in match) {
    const re = compileWholeRegex(match.regex, ignoreCase);
    return (value) => re.matches(value);
  }
  if (ignoreCase) {
    if ('exact' in match) {
      const exact = match.exact.toLowerCase();
      return (value) => value.toLowerCase() === exact;
    }
    const prefix = match.prefix.toLowerCase();
    return (value) => value.toLowerCase().startsWith(prefix);
  }
  if ('exact' in match) {
    const exact = match.exact;
    return (value) => value === exact;
  }
  const prefix = match.prefix;
  return (value) => value.startsWith(prefix);
}

export function describeStringMatch(match: StringMatch): string {
  if ('exact' in match) return `exact ${match.exact}`;
  if ('prefix' in match) return `prefix ${match.prefix}`;
  return `regex ${match.regex}`;
}

function describeValueMatch(match: ValueMatch): string {
  return 'present' in match ? 'present' : describeStringMatch(match);
}

/**
 * As Envoy: a prefix is a plain string prefix of `:path` (query string included); exact and regex
 * match the path without its query string, the regex over the whole of it.
 */
function compileUri(uri: StringMatch, ignoreUriCase: boolean): Condition {
  // Envoy's case_sensitive applies to path and prefix matching, never to a safe_regex.
  const ignoreCase = ignoreUriCase && !('regex' in uri);
  const test = compileStringMatch(uri, ignoreCase);
  const description = `uri ${describeStringMatch(uri)}${ignoreCase ? ' (ignoring case)' : ''}`;
  if ('prefix' in uri) return { description, test: (r) => test(r.path) };
  return { description, test: (r) => test(r.pathname) };
}

function pseudoHeader(name: string, match: StringMatch, read: (r: RequestFacts) => string): Condition {
  const test = compileStringMatch(match);
  return { description: `${name} ${describeStringMatch(match)}`, test: (r) => test(read(r)) };
}

/** Envoy joins repeated headers with `,` before matching. */
function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

/**
 * `withoutHeaders` inverts the match and, unless it is a presence test, treats a missing header
 * as empty (route.go TranslateRouteMatch: TreatMissingHeaderAsEmpty).
 */
function headerCondition(name: string, match: ValueMatch, inverted: boolean): Condition {
  const description = `${inverted ? 'without header' : 'header'} ${name} ${describeValueMatch(match)}`;
  if ('present' in match) {
    return inverted
      ? { description, test: (r) => r.headers[name] === undefined }
      : { description, test: (r) => r.headers[name] !== undefined };
  }
  const test = compileStringMatch(match);
  if (inverted) return { description, test: (r) => !test(headerValue(r.headers, name) ?? '') };
  return {
    description,
    test: (r) => {
      const value = headerValue(r.headers, name);
      return value !== undefined && test(value);
    },
  };
}

/** Envoy matches the first occurrence of the parameter, its value not URL-decoded. */
function queryCondition(name: string, match: ValueMatch): Condition {
  const description = `query ${name} ${describeValueMatch(match)}`;
  if ('present' in match) return { description, test: (r) => queryValue(r.path, name) !== undefined };
  const test = compileStringMatch(match);
  return {
    description,
    test: (r) => {
      const value = queryValue(r.path, name);
      return value !== undefined && test(value);
    },
  };
}

export function queryValue(path: string, name: string): string | undefined {
  const start = path.indexOf('?');
  if (start === -1) return undefined;
  let end = path.indexOf('#', start);
  if (end === -1) end = path.length;
  let i = start + 1;
  while (i < end) {
    let amp = path.indexOf('&', i);
    if (amp === -1 || amp > end) amp = end;
    const eq = path.indexOf('=', i);
    const keyEnd = eq !== -1 && eq < amp ? eq : amp;
    if (keyEnd - i === name.length && path.startsWith(name, i)) {
      return keyEnd === amp ? '' : path.slice(keyEnd + 1, amp);
    }
    i = amp + 1;
  }
  return undefined;
}
