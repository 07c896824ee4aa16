import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { eventNow, withEventTime } from './event-clock.ts';

/** Spins until the monotonic clock has moved past `t`. */
function after(t: number): void {
  while (performance.now() <= t) {}
}

describe('event clock', () => {
  it('gives every reading inside one socket read the time the read began', () => {
    const readings: number[] = [];
    const before = performance.now();
    withEventTime(() => {
      readings.push(eventNow());
      after(readings[0] as number);
      readings.push(eventNow());
    }, undefined);
    expect(readings[1]).toBe(readings[0]);
    expect(readings[0]).toBeGreaterThanOrEqual(before);
  });

  it('reads the clock afresh outside a read, after a nested read and after a read that threw', () => {
    let outer = 0;
    let inner = 0;
    let afterInner = 0;
    withEventTime(() => {
      outer = eventNow();
      after(outer);
      withEventTime(() => {
        inner = eventNow();
      }, undefined);
      afterInner = eventNow();
    }, undefined);
    expect(inner).toBeGreaterThan(outer);
    expect(afterInner).toBe(outer);
    expect(() =>
      withEventTime(() => {
        throw new Error('broken read');
      }, undefined),
    ).toThrow('broken read');
    const first = eventNow();
    after(first);
    expect(eventNow()).toBeGreaterThan(first);
  });
});
