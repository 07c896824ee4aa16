import { describe, expect, it } from 'vitest';
import { flowOf, TrafficDots } from './traffic-dots';

const http = (rate: number, errorPercent = 0, p95Ms?: number) =>
  flowOf({ rate, protocol: 'http', errorPercent, p95Ms });

describe('traffic animation', () => {
  it('sends denser dots for more requests and slower ones for slower requests', () => {
    const slow = http(1, 0, 1000);
    const busy = http(100, 0, 5);
    expect(busy?.dotsPerSecond).toBeGreaterThan(slow?.dotsPerSecond ?? Infinity);
    expect(slow?.travelSeconds).toBeGreaterThan(busy?.travelSeconds ?? Infinity);
    expect(http(0)).toBeUndefined();
  });

  it('keeps density and speed within bounds whatever the figures', () => {
    expect(http(1e9, 0, 1e9)).toEqual({ dotsPerSecond: 10, travelSeconds: 5, errorShare: 0 });
    expect(http(0.001)?.dotsPerSecond).toBe(0.5);
  });

  it('draws the edge’s share of errors as error dots', () => {
    const dots = new TrafficDots();
    dots.setFlows(new Map([['e', { dotsPerSecond: 10, travelSeconds: 100, errorShare: 0.25 }]]));
    for (let i = 0; i < 40; i++) dots.advance(0.1);
    const all = dots.dots('e');
    expect(all.length).toBe(41);
    expect(all.filter((dot) => dot.error)).toHaveLength(10);
  });

  it('moves dots along the edge and drops them at its end', () => {
    const dots = new TrafficDots();
    dots.setFlows(new Map([['e', { dotsPerSecond: 0.5, travelSeconds: 1, errorShare: 0 }]]));
    dots.advance(0);
    expect(dots.dots('e').map((dot) => dot.at)).toEqual([0]);
    dots.advance(0.25);
    dots.advance(0.25);
    expect(dots.dots('e')[0]?.at).toBeCloseTo(0.5);
    dots.advance(0.25);
    dots.advance(0.25);
    expect(dots.dots('e')).toEqual([]);
  });

  it('keeps the dots of edges still there across refreshes and forgets the others', () => {
    const dots = new TrafficDots();
    const flow = { dotsPerSecond: 1, travelSeconds: 10, errorShare: 0 };
    dots.setFlows(
      new Map([
        ['a', flow],
        ['b', flow],
      ]),
    );
    dots.advance(0.1);
    dots.setFlows(new Map([['a', { ...flow, dotsPerSecond: 2 }]]));
    expect([...dots.ids()]).toEqual(['a']);
    expect(dots.dots('a')).toHaveLength(1);
    expect(dots.dots('b')).toEqual([]);
  });
});
