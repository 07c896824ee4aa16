import { describe, expect, it } from 'vitest';
import { bucketBounds, bucketIndex, Histogram } from './histogram.ts';

/** Exact percentile of sorted values, the nearest-rank definition the histogram follows. */
function exact(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

describe('Histogram', () => {
  it('keeps every bucket within 1/32 of its values, with contiguous bounds', () => {
    let previousHigh = -1;
    for (let index = 0; index < 800; index++) {
      const [low, high] = bucketBounds(index);
      expect(low).toBe(previousHigh + 1);
      expect((high - low) / Math.max(1, low)).toBeLessThanOrEqual(1 / 32);
      expect(bucketIndex(low)).toBe(index);
      expect(bucketIndex(high)).toBe(index);
      previousHigh = high;
    }
  });

  it('gives percentiles within bucket precision of the exact ones', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const histogram = new Histogram();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Log-uniform from 0.1 ms to 10 s, the spread of real latencies.
      const ms = 0.1 * 10 ** (5 * random());
      values.push(ms);
      histogram.record(ms);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 99, 99.9]) {
      const want = exact(values, p);
      expect(Math.abs(histogram.percentile(p) - want) / want).toBeLessThan(1 / 32);
    }
    expect(histogram.count).toBe(20_000);
    expect(histogram.max).toBeCloseTo(values.at(-1) as number, 2);
    expect(histogram.min).toBeCloseTo(values[0] as number, 2);
  });

  it('is exact below 64 µs and answers 0 when empty', () => {
    const histogram = new Histogram();
    expect(histogram.percentile(50)).toBe(0);
    for (const us of [10, 20, 30, 40]) histogram.record(us / 1000);
    expect(histogram.percentile(50)).toBe(0.02);
    expect(histogram.percentile(100)).toBe(0.04);
  });

  it('merges counts, extremes and the mean', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 100; i++) (i % 2 === 0 ? a : b).record(i);
    a.merge(b);
    expect(a.count).toBe(100);
    expect(a.mean).toBeCloseTo(50.5, 5);
    expect(a.min).toBe(1);
    expect(a.max).toBe(100);
    expect(Math.abs(a.percentile(50) - 50) / 50).toBeLessThan(1 / 32);
  });
});
