import type { HttpMatchRequest, StringMatch } from '../manifests/model.ts';

/** What matching needs of a request, computed once per request by the ingress. */
export interface RequestFacts {
  readonly authority: string;
  /** The request target as received, query string included (Envoy's `:path`). */
  readonly path: string;
  /** `path` without its query string. */
  readonly pathname: string;
  readonly method: string;
}

export type RequestPredicate = (request: RequestFacts) => boolean;

const always: RequestPredicate = () => true;

/**
 * An HTTPRoute's `match` list: any entry may match, every condition inside an entry must hold.
 * New conditions (headers, method, queryParams...) are further entries of `conditionsOf`.
 */
export function compileMatches(matches: readonly HttpMatchRequest[]): RequestPredicate {
  if (matches.length === 0) return always;
  const alternatives = matches.map(compileMatch);
  if (alternatives.length === 1) return alternatives[0] as RequestPredicate;
  return (request) => alternatives.some((predicate) => predicate(request));
}

function compileMatch(match: HttpMatchRequest): RequestPredicate {
  const conditions = conditionsOf(match);
  if (conditions.length === 0) return always;
  if (conditions.length === 1) return conditions[0] as RequestPredicate;
  return (request) => conditions.every((condition) => condition(request));
}

function conditionsOf(match: HttpMatchRequest): RequestPredicate[] {
  const conditions: RequestPredicate[] = [];
  if (match.uri) conditions.push(compileUri(match.uri));
  return conditions;
}

/** As Envoy: a prefix is a plain string prefix of `:path`; an exact match ignores the query string. */
function compileUri(uri: StringMatch): RequestPredicate {
  if ('exact' in uri) {
    const exact = uri.exact;
    return (request) => request.pathname === exact;
  }
  const prefix = uri.prefix;
  return (request) => request.path.startsWith(prefix);
}
