import { RE2JS } from 're2js';

/**
 * Envoy compiles `safe_regex` with Google RE2; JavaScript's RegExp accepts more (backreferences,
 * lookaround) and means other things in places, so patterns are checked with re2js at apply time.
 * Returns RE2's complaint, or undefined when the pattern compiles.
 */
export function checkRe2(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
