import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.ts';
import { histogramQuantile, requestCounters, requestFigures } from './request-figures.ts';

/** service-kit's metrics for one route: `ok` 200s and `failed` 500s, all observed in the given buckets. */
function scrape(at: number, series: { status: string; count: number; buckets: Record<string, number> }[]) {
  const lines = series.flatMap(({ status, count, buckets }) => {
    const labels = `method="GET",route="/api/x",status="${status}",app="back",version="v1"`;
    return [
      `http_server_requests_total{${labels}} ${count}`,
      ...Object.entries(buckets).map(
        ([le, n]) => `http_server_request_duration_seconds_bucket{le="${le}",${labels}} ${n}`,
      ),
      `http_server_request_duration_seconds_count{${labels}} ${count}`,
    ];
  });
  return requestCounters(parsePrometheusText(lines.join('\n')), at);
}

describe('requestFigures', () => {
  const before = scrape(0, [
    { status: '200', count: 100, buckets: { '0.01': 60, '0.1': 100, '+Inf': 100 } },
    { status: '500', count: 10, buckets: { '0.01': 0, '0.1': 10, '+Inf': 10 } },
  ]);

  it('computes the rate, error share and latency quantiles over the interval between two scrapes', () => {
    // 5 s later: 16 more 200s (8 under 10 ms, 8 under 100 ms) and 4 more 500s (under 100 ms).
    const after = scrape(5_000, [
      { status: '200', count: 116, buckets: { '0.01': 68, '0.1': 116, '+Inf': 116 } },
      { status: '500', count: 14, buckets: { '0.01': 0, '0.1': 14, '+Inf': 14 } },
    ]);
    const figures = requestFigures(before, after);
    expect(figures.requestsTotal).toBe(130);
    expect(figures.requestRate).toBe(4); // 20 requests in 5 s
    expect(figures.errorRate).toBe(0.2); // 4 of 20
    // 20 observations: 8 in (0, 10 ms], 12 in (10, 100 ms]. Rank 10 is 2/12 into the second bucket.
    expect(figures.latencyP50Ms).toBeCloseTo(10 + 90 * (2 / 12), 3);
    // Rank 19.8 is 11.8/12 into the second bucket.
    expect(figures.latencyP99Ms).toBeCloseTo(10 + 90 * (11.8 / 12), 3);
  });

  it('has no rate or latency without traffic in the interval', () => {
    const same = { ...before, at: 5_000 };
    expect(requestFigures(before, same)).toEqual({
      requestsTotal: 110,
      requestRate: 0,
      errorRate: 0,
      latencyP50Ms: null,
      latencyP99Ms: null,
    });
  });

  it('has no rate without a previous scrape', () => {
    expect(requestFigures(undefined, before)).toMatchObject({
      requestsTotal: 110,
      requestRate: 0,
      latencyP50Ms: null,
    });
  });

  it('counts a series that first appears in the interval from zero', () => {
    const after = scrape(1_000, [
      { status: '200', count: 100, buckets: { '0.01': 60, '0.1': 100, '+Inf': 100 } },
      { status: '500', count: 10, buckets: { '0.01': 0, '0.1': 10, '+Inf': 10 } },
      { status: '404', count: 2, buckets: { '0.01': 2, '0.1': 2, '+Inf': 2 } },
    ]);
    expect(requestFigures(before, after)).toMatchObject({ requestRate: 2, errorRate: 0, latencyP50Ms: 5 });
  });

  it('treats a counter that went down as a restart counting from zero', () => {
    const restarted = scrape(2_000, [
      { status: '200', count: 6, buckets: { '0.01': 6, '0.1': 6, '+Inf': 6 } },
    ]);
    expect(requestFigures(before, restarted)).toMatchObject({
      requestsTotal: 6,
      requestRate: 3,
      errorRate: 0,
    });
  });

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
