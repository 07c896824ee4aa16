import { describe, expect, it } from 'vitest';
import { SpotifyCircuitOpenError, SpotifyUnavailableError } from '../errors.ts';
import { CircuitBreaker } from './circuit-breaker.ts';

const fail = () => Promise.reject(new SpotifyUnavailableError('it answered 500'));
const ok = () => Promise.resolve('ok');

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive upstream failures, and a success resets the count', async () => {
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 1000 });
    await expect(breaker.call(fail)).rejects.toThrow(SpotifyUnavailableError);
    await breaker.call(ok);
    await expect(breaker.call(fail)).rejects.toThrow(SpotifyUnavailableError);
    expect(breaker.state).toBe('closed');
    await expect(breaker.call(fail)).rejects.toThrow(SpotifyUnavailableError);
    expect(breaker.state).toBe('open');
    await expect(breaker.call(ok)).rejects.toThrow(SpotifyCircuitOpenError);
  });

  it('lets one trial through after the cool-down and reopens if it fails', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 1000, now: () => now });
    await expect(breaker.call(fail)).rejects.toThrow();
    now = 1000;
    let release = () => {};
    const trial = breaker.call(() => new Promise<void>((resolve) => (release = resolve)).then(fail));
    expect(breaker.state).toBe('half-open');
    await expect(breaker.call(ok)).rejects.toThrow(SpotifyCircuitOpenError);
    release();
    await expect(trial).rejects.toThrow(SpotifyUnavailableError);
    expect(breaker.state).toBe('open');
  });

  it('counts answers that show Spotify is up (404, 400) as successes', async () => {
    const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 1000 });
    await expect(breaker.call(() => Promise.reject(new Error('not found')))).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });
});
