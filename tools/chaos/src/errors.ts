/** A chaos run that could not go on (the stack did not start, a call timed out): one line. */
export class ChaosError extends Error {
  readonly code = 'CHAOS_FAILED';
}
