import { describe, expect, it } from 'vitest';
import { SpotifyBadResponseError, SpotifyRateLimitedError, SpotifyUnavailableError } from '../errors.ts';
import { withRetry } from './retry.ts';

const policy = { retries: 2, baseMs: 1, maxMs: 4, maxRetryAfterSeconds: 0 };

function failing(errors: Error[]) {
  let calls = 0;
  const operation = async () => {
    calls += 1;
    const error = errors.shift();
    if (error) throw error;
    return 'done';
  };
  return { operation, calls: () => calls };
}

describe('withRetry', () => {
  it('retries retryable failures up to the budget, with growing jittered delays', async () => {
    const delays: number[] = [];
    const { operation, calls } = failing([
      new SpotifyUnavailableError('x'),
      new SpotifyUnavailableError('x'),
    ]);
    const result = await withRetry(operation, {
      ...policy,
      random: () => 1,
      onRetry: (e) => delays.push(e.delayMs),
    });
    expect(result).toBe('done');
    expect(calls()).toBe(3);
    expect(delays).toEqual([1, 2]);
  });

  it('gives up after the budget and rethrows the last failure', async () => {
    const { operation, calls } = failing([1, 2, 3].map(() => new SpotifyUnavailableError('x')));
    await expect(withRetry(operation, policy)).rejects.toThrow(SpotifyUnavailableError);
    expect(calls()).toBe(3);
  });

  it('does not retry answers another attempt would not change', async () => {
    const { operation, calls } = failing([new SpotifyBadResponseError('x')]);
    await expect(withRetry(operation, policy)).rejects.toThrow(SpotifyBadResponseError);
    expect(calls()).toBe(1);
  });

  it('fails at once when a 429 asks for a longer wait than allowed', async () => {
    const { operation, calls } = failing([new SpotifyRateLimitedError(30)]);
    await expect(withRetry(operation, { ...policy, maxRetryAfterSeconds: 5 })).rejects.toMatchObject({
      retryAfterSeconds: 30,
    });
    expect(calls()).toBe(1);
  });
});
