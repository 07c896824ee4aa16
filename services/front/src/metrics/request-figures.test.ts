import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.ts';
import { histogramQuantile, requestCounters } from './request-figures.ts';

describe('requestCounters', () => {
  it('ignores other metrics and series without a bucket bound', () => {
    const counters = requestCounters(
      parsePrometheusText(
        'process_cpu_seconds_total 4\nhttp_server_request_duration_seconds_bucket{route="/"} 3',
      ),
      0,
    );
    expect(counters.requests.size).toBe(0);
    expect(counters.buckets.size).toBe(0);
  });
});

describe('histogramQuantile', () => {
  const inf = Number.POSITIVE_INFINITY;

  it('interpolates linearly inside the bucket that holds the rank, from 0 for the first bucket', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.2, count: 100 },
      { le: inf, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05);
    expect(histogramQuantile(0.75, buckets)).toBeCloseTo(0.15);
  });

  it('answers the highest finite bound when the rank falls in the +Inf bucket', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 0.1, count: 1 },
        { le: 1, count: 2 },
        { le: inf, count: 10 },
      ]),
    ).toBe(1);
  });

  it('skips empty buckets', () => {
    expect(
      histogramQuantile(0.5, [
        { le: 0.1, count: 0 },
        { le: 0.5, count: 0 },
        { le: 1, count: 4 },
        { le: inf, count: 4 },
      ]),
    ).toBeCloseTo(0.75);
  });

  it('is null without observations or without a +Inf bucket', () => {
    expect(histogramQuantile(0.5, [{ le: inf, count: 0 }])).toBeNull();
    expect(histogramQuantile(0.5, [{ le: 1, count: 3 }])).toBeNull();
    expect(histogramQuantile(0.5, [])).toBeNull();
  });
});
