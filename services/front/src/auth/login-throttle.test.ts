import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.ts';

function throttle(options: { maxEntries?: number } = {}) {
  let now = 1_000_000;
  const clock = { advance: (ms: number) => (now += ms) };
  return {
    clock,
    throttle: new LoginThrottle({ maxFailures: 3, lockMs: 60_000, now: () => now, ...options }),
  };
}

describe('LoginThrottle', () => {
  it('locks a key after the allowed failures, for the lock time, then lets it try again', () => {
    const { throttle: t, clock } = throttle();
    t.recordFailure('alice');
    t.recordFailure('alice');
    expect(t.retryAfterSeconds('alice')).toBe(0);
    t.recordFailure('alice');
    expect(t.retryAfterSeconds('alice')).toBe(60);
    clock.advance(59_001);
    expect(t.retryAfterSeconds('alice')).toBe(1);
    clock.advance(1_000);
    expect(t.retryAfterSeconds('alice')).toBe(0);
    t.recordFailure('alice');
    expect(t.retryAfterSeconds('alice')).toBe(0);
  });

  it('forgets failures older than the window', () => {
    const { throttle: t, clock } = throttle();
    t.recordFailure('alice');
    t.recordFailure('alice');
    clock.advance(60_000);
    t.recordFailure('alice');
    expect(t.retryAfterSeconds('alice')).toBe(0);
  });

  it('keeps keys apart and clears a key on success', () => {
    const { throttle: t } = throttle();
    for (let i = 0; i < 3; i++) t.recordFailure('alice\n10.0.0.1');
    expect(t.retryAfterSeconds('alice\n10.0.0.2')).toBe(0);
    t.recordFailure('bob');
    t.recordFailure('bob');
    t.recordSuccess('bob');
    t.recordFailure('bob');
    t.recordFailure('bob');
    expect(t.retryAfterSeconds('bob')).toBe(0);
  });

  it('stays within its size bound, dropping expired entries first, then the oldest', () => {
    const { throttle: t, clock } = throttle({ maxEntries: 3 });
    t.recordFailure('old');
    clock.advance(60_000);
    for (let i = 0; i < 3; i++) t.recordFailure('locked');
    t.recordFailure('b');
    t.recordFailure('c');
    expect(t.size).toBe(3);
    expect(t.retryAfterSeconds('locked')).toBe(60);
    t.recordFailure('d');
    expect(t.size).toBe(3);
  });
});
