import { RE2JS } from 're2js';

/**
 * A compiled RE2 pattern that must match the WHOLE input, as Envoy's safe_regex does. Patterns come
 * from manifests, already checked by `checkRe2` (manifests/re2.ts).
 */
export interface WholeMatcher {
  readonly source: string;
  matches(input: string): boolean;
}

export function compileWholeRegex(pattern: string, ignoreCase = false): WholeMatcher {
  const re = RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  return Object.freeze({ source: pattern, matches: (input: string) => re.matches(input) });
}

/**
 * Envoy's regex rewrite: every match of `pattern` in the path is replaced by `substitution`,
 * where `\1`... name capture groups (RE2 syntax, as in Envoy's RegexMatchAndSubstitute).
 */
export function compileRegexRewrite(pattern: string, substitution: string): (path: string) => string {
  const re = RE2JS.compile(pattern);
  // re2js replacements use `$1`; Envoy's use `\1`.
  const replacement = substitution.replace(/\$/g, '\\$').replace(/\\(\d)/g, '$$$1');
  return (path) => re.matcher(path).replaceAll(replacement);
}
