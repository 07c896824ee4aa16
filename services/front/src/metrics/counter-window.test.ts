import { describe, expect, it } from 'vitest';
import { CounterWindow, type Reading } from './counter-window.ts';
import { parsePrometheusText } from './prometheus-text.ts';
import { requestCounters } from './request-figures.ts';

interface Series {
  status: string;
  count: number;
  buckets?: Record<string, number>;
}

/** service-kit's metrics for one route, scraped at `at` from process `instance`. */
function reading(at: number, series: Series[], instance = 'back-v1'): Reading {
  const lines = series.flatMap(({ status, count, buckets = { '+Inf': count } }) => {
    const labels = `method="GET",route="/api/x",status="${status}",app="back",version="v1"`;
    return [
      `http_server_requests_total{${labels}} ${count}`,
      ...Object.entries(buckets).map(
        ([le, n]) => `http_server_request_duration_seconds_bucket{le="${le}",${labels}} ${n}`,
      ),
    ];
  });
  return { instance, counters: requestCounters(parsePrometheusText(lines.join('\n')), at) };
}

function windowOf(windowMs: number, ...readings: Reading[]): CounterWindow {
  const window = new CounterWindow(windowMs);
  for (const r of readings) window.add(r);
  return window;
}

describe('CounterWindow', () => {
  const before = reading(0, [
    { status: '200', count: 100, buckets: { '0.01': 60, '0.1': 100, '+Inf': 100 } },
    { status: '500', count: 10, buckets: { '0.01': 0, '0.1': 10, '+Inf': 10 } },
  ]);

  it('computes the rate, 4xx and 5xx shares and latency quantiles from two readings', () => {
    // 5 s later: 16 more 200s (8 under 10 ms, 8 under 100 ms), 4 more 500s and 5 new 404s.
    const after = reading(5_000, [
      { status: '200', count: 116, buckets: { '0.01': 68, '0.1': 116, '+Inf': 116 } },
      { status: '500', count: 14, buckets: { '0.01': 0, '0.1': 14, '+Inf': 14 } },
      { status: '404', count: 5, buckets: { '0.01': 0, '0.1': 5, '+Inf': 5 } },
    ]);
    const figures = windowOf(60_000, before, after).figures();
    expect(figures).toMatchObject({
      requestsTotal: 135,
      windowSeconds: 5,
      requestRate: 5, // 25 requests in 5 s
      clientErrorRate: 0.2, // 5 of 25
      errorRate: 0.16, // 4 of 25
      resetAt: null,
    });
    // 25 observations: 8 in (0, 10 ms], 17 in (10, 100 ms]. Rank 12.5 is 4.5/17 into the second.
    expect(figures.latencyP50Ms).toBeCloseTo(10 + 90 * (4.5 / 17), 3);
  });

  it('has a total but no rate or latency from a single reading', () => {
    expect(windowOf(60_000, before).figures()).toMatchObject({
      requestsTotal: 110,
      windowSeconds: 0,
      requestRate: 0,
      latencyP50Ms: null,
    });
  });

  it('rates over the whole window, not over the last interval', () => {
    // 60 requests in the first 5 s, none in the next 55 s: 1 req/s over the minute.
    const readings = [reading(0, [{ status: '200', count: 0 }])];
    for (let at = 5_000; at <= 60_000; at += 5_000)
      readings.push(reading(at, [{ status: '200', count: 60 }]));
    expect(windowOf(60_000, ...readings).figures()).toMatchObject({ windowSeconds: 60, requestRate: 1 });
  });

  it('forgets readings older than the window', () => {
    // A burst long ago, then 2 req/s: only the last minute counts.
    const window = windowOf(
      60_000,
      reading(0, [{ status: '200', count: 0 }]),
      reading(5_000, [{ status: '200', count: 5_000 }]),
      reading(100_000, [{ status: '200', count: 5_000 }]),
      reading(160_000, [{ status: '200', count: 5_120 }]),
    );
    expect(window.figures()).toMatchObject({ windowSeconds: 60, requestRate: 2, requestsTotal: 5_120 });
  });

  it('sums the replicas behind a Service whose scrapes each reach one of them, and the total never falls', () => {
    // v1 serves 3 req/s from 1,000 requests, v2 1 req/s from 10; the scrapes alternate unevenly.
    const v1 = (at: number) => reading(at, [{ status: '200', count: 1_000 + (3 * at) / 1000 }], 'v1@1');
    const v2 = (at: number) => reading(at, [{ status: '200', count: 10 + at / 1000 }], 'v2@2');
    const window = new CounterWindow(60_000);
    const totals: number[] = [];
    for (const r of [
      v1(0),
      v2(5_000),
      v2(10_000),
      v1(15_000),
      v2(20_000),
      v1(25_000),
      v1(30_000),
      v2(35_000),
    ]) {
      window.add(r);
      totals.push(window.figures().requestsTotal);
    }
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    const figures = window.figures();
    expect(figures).toMatchObject({ instances: 2, resetAt: null, requestsTotal: 1_090 + 45 });
    // v1 grew 90 in 30 s, v2 30 in 30 s, over the 35 s the readings span.
    expect(figures.requestRate).toBeCloseTo(120 / 35, 2);
  });

  it('marks a restart when a counter goes down, and counts the new process from zero', () => {
    const window = windowOf(
      60_000,
      reading(0, [{ status: '200', count: 500 }]),
      reading(5_000, [{ status: '200', count: 510 }]),
      reading(10_000, [{ status: '200', count: 4 }]),
    );
    expect(window.figures()).toMatchObject({ requestsTotal: 4, resetAt: 10_000, requestRate: 1.4 });
  });

  it('marks a reset when a replica goes away and its counters leave the total', () => {
    const window = windowOf(
      60_000,
      reading(0, [{ status: '200', count: 100 }], 'a'),
      reading(5_000, [{ status: '200', count: 7 }], 'b'),
    );
    expect(window.figures()).toMatchObject({ requestsTotal: 107, resetAt: null });
    window.add(reading(65_000, [{ status: '200', count: 9 }], 'b'));
    expect(window.figures()).toMatchObject({ requestsTotal: 9, resetAt: 65_000, instances: 1 });
  });
});
