import { describe, expect, it } from 'vitest';
import { highest, latencyLines, linePath, niceMax, rateLines } from './chart-geometry';

describe('the side panel’s chart', () => {
  it('rounds the axis up to 1, 2 or 5 × 10ⁿ', () => {
    expect([0, 0.3, 1, 1.2, 3, 7, 12, 450].map(niceMax)).toEqual([1, 0.5, 1, 2, 5, 10, 20, 500]);
  });

  it('draws values left to right with the top of the axis at y = 0, breaking at missing steps', () => {
    expect(linePath([0, 5, 10], 100, 50, 10)).toBe('M0,50L50,25L100,0');
    expect(linePath([2, undefined, 4, 6], 90, 10, 10)).toBe('M0,8h2M60,6L90,4');
    expect(linePath([undefined, undefined], 100, 50, 10)).toBe('');
    // Above the axis stays on the chart.
    expect(linePath([20, 20], 10, 10, 10)).toBe('M0,0L10,0');
  });

  it('sums the rates by class of response code, showing only the classes the window has', () => {
    const points = [
      { time: 1, total: 3, rates: { '200': 2, '201': 0.5, '503': 0.5 }, p50: 3, p95: 9 },
      { time: 2, total: 1, rates: { '200': 1 } },
    ];
    expect(rateLines(points)).toEqual([
      { name: '2xx', className: 'line-2xx', values: [2.5, 1] },
      { name: '5xx', className: 'line-5xx', values: [0.5, 0] },
    ]);
    const latency = latencyLines(points);
    expect(latency.map((line) => line.values)).toEqual([
      [3, undefined],
      [9, undefined],
      [undefined, undefined],
    ]);
    expect(highest(latency)).toBe(9);
  });
});
