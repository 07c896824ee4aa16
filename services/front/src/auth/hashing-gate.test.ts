import { RateLimitedError } from '@music/service-kit';
import { describe, expect, it } from 'vitest';
import { HashingGate } from './hashing-gate.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('the password hashing gate', () => {
  it('runs no more hashes at once than its concurrency', async () => {
    const gate = new HashingGate({ concurrency: 2, maxQueue: 10 });
    let running = 0;
    let peak = 0;
    const work = () =>
      gate.run(0, async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      });
    await Promise.all(Array.from({ length: 8 }, work));
    expect(peak).toBe(2);
  });

  it('serves a clean attempt before suspect ones and refuses the most suspect when full', async () => {
    const gate = new HashingGate({ concurrency: 1, maxQueue: 2 });
    const order: string[] = [];
    const blocker = deferred();
    const first = gate.run(0, () => blocker.promise);
    const suspectA = gate.run(5, async () => void order.push('suspectA'));
    const suspectB = gate.run(6, async () => void order.push('suspectB'));
    const clean = gate.run(0, async () => void order.push('clean'));
    await expect(suspectB).rejects.toBeInstanceOf(RateLimitedError);
    expect(gate.queued).toBe(2);
    blocker.resolve();
    await Promise.all([first, suspectA, clean]);
    expect(order).toEqual(['clean', 'suspectA']);
  });
});
