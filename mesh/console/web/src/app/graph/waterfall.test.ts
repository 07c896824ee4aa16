import { describe, expect, it } from 'vitest';
import type { Hop } from './panel-api';
import { waterfallBars } from './waterfall';

const hop = (startOffsetMs: number, durationMs: number): Hop => ({
  reporter: 'source',
  source: 'istio-ingressgateway',
  method: 'GET',
  path: '/',
  status: 200,
  responseFlags: '-',
  startOffsetMs,
  durationMs,
  mirror: false,
});

describe('a trace’s waterfall', () => {
  it('places each hop by its start and duration over the whole trace', () => {
    expect(waterfallBars({ durationMs: 20, hops: [hop(0, 20), hop(5, 10), hop(18, 0)] })).toEqual([
      { left: 0, width: 100 },
      { left: 25, width: 50 },
      // A hop of no measurable time is still a visible sliver.
      { left: 90, width: 1 },
    ]);
  });

  it('fills the line for a trace of no measurable time', () => {
    expect(waterfallBars({ durationMs: 0, hops: [hop(0, 0)] })).toEqual([{ left: 0, width: 100 }]);
  });
});
