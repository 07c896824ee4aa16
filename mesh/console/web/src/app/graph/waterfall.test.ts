import { describe, expect, it } from 'vitest';
import type { Hop } from './panel-api';
import { formatTraceMs, waterfallBars } from './waterfall';

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

  it('writes hop times to a tenth of a millisecond below 10 ms, whole above, seconds from 1 s', () => {
    expect([3.100534000001062, 0.183349609375, 12.52, 1_520].map(formatTraceMs)).toEqual([
      '3.1 ms',
      '0.2 ms',
      '13 ms',
      '1.52 s',
    ]);
  });
});
