import { setTimeout as sleep } from 'node:timers/promises';
import { SpotifyError, SpotifyRateLimitedError } from '../errors.ts';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  baseMs: number;
  maxMs: number;
  /** The longest `Retry-After` worth waiting for; longer ones fail at once with it. */
  maxRetryAfterSeconds: number;
  random?: () => number;
  onRetry?: (event: { attempt: number; delayMs: number; code: string }) => void;
}

/**
 * Runs `operation` again after retryable failures (5xx, network errors, timeouts), waiting an
 * exponential backoff with full jitter, and after a 429 for exactly its `Retry-After` when that is
 * short enough. Only idempotent calls (GETs, the token request) go through here.
 */
export async function withRetry<T>(operation: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const random = policy.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const delayMs = delayBefore(error, attempt, policy, random);
      if (delayMs === null) throw error;
      policy.onRetry?.({ attempt: attempt + 1, delayMs, code: (error as SpotifyError).code });
      await sleep(delayMs);
    }
  }
}

function delayBefore(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): number | null {
  if (!(error instanceof SpotifyError) || attempt >= policy.retries) return null;
  if (error instanceof SpotifyRateLimitedError) {
    return error.retryAfterSeconds <= policy.maxRetryAfterSeconds ? error.retryAfterSeconds * 1000 : null;
  }
  if (!error.retryable) return null;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}
