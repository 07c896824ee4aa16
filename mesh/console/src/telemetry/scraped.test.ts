import { describe, expect, it } from 'vitest';
import { quantile } from '../graph/quantile.ts';
import { ScrapedTelemetry } from './scraped.ts';

const labels = 'reporter="destination",source_workload="front-v1",destination_workload="back-v1"';
const scrape = (requests: number, buckets: [string, number][]) =>
  [
    '# TYPE istio_requests_total counter',
    `istio_requests_total{${labels}} ${requests}`,
    ...buckets.map(
      ([le, count]) => `istio_request_duration_milliseconds_bucket{${labels},le="${le}"} ${count}`,
    ),
    '',
  ].join('\n');

describe('ScrapedTelemetry: increases over a window, as PromQL reads counters', () => {
  it('measures from the newest scrape at least the window before the latest one', () => {
    const telemetry = new ScrapedTelemetry({ url: 'http://unused', keepSeconds: 900 });
    telemetry.add(
      scrape(100, [
        ['10', 50],
        ['100', 90],
        ['+Inf', 100],
      ]),
      0,
    );
    telemetry.add(
      scrape(160, [
        ['10', 80],
        ['100', 150],
        ['+Inf', 160],
      ]),
      30_000,
    );
    telemetry.add(
      scrape(220, [
        ['10', 110],
        ['100', 200],
        ['+Inf', 220],
      ]),
      60_000,
    );
    const minute = telemetry.window(60);
    expect(minute.seconds).toBe(60);
    expect(minute.series[0]?.requests).toBe(120);
    expect(minute.series[0]?.durations).toEqual([60, 50, 10]);
    expect(telemetry.window(30).series[0]?.requests).toBe(60);
    // Less history than asked for: the increase since the first scrape, over the time it covers.
    expect(telemetry.window(600).seconds).toBe(60);
  });

  it('reads a counter that went down as reset (a restarted runtime): its new value is the increase', () => {
    const telemetry = new ScrapedTelemetry({ url: 'http://unused' });
    telemetry.add(scrape(500, [['+Inf', 500]]), 0);
    telemetry.add(scrape(7, [['+Inf', 7]]), 10_000);
    expect(telemetry.window(10).series[0]?.requests).toBe(7);
    expect(telemetry.window(10).series[0]?.durations).toEqual([7]);
  });

  it('keeps only the scrapes its largest window needs, and at most maxSeries label sets', () => {
    const telemetry = new ScrapedTelemetry({ url: 'http://unused', keepSeconds: 60, maxSeries: 1 });
    for (let i = 0; i <= 100; i++) telemetry.add(scrape(i * 10, [['+Inf', i * 10]]), i * 5_000);
    // 60 s of scrapes every 5 s: the oldest is the base of a whole 60 s window.
    expect(telemetry.window(900).seconds).toBe(60);
    const other = `istio_requests_total{reporter="source",source_workload="x"} 5\n`;
    telemetry.add(other + scrape(1010, [['+Inf', 1010]]), 101 * 5_000);
    expect(telemetry.window(5).series.map((s) => s.labels.source_workload)).toEqual(['front-v1']);
  });

  it('answers nothing before two scrapes, and survives a stats endpoint that is not there', async () => {
    const telemetry = new ScrapedTelemetry({ url: 'http://127.0.0.1:1/stats/prometheus' });
    expect(await telemetry.scrape()).toBe(false);
    expect(telemetry.window(60).series).toEqual([]);
  });
});

describe('quantile, as PromQL histogram_quantile', () => {
  it('interpolates within the bucket holding the rank, from 0 for the first bucket', () => {
    expect(quantile(0.5, [10, 100], [50, 50, 0])).toBe(10);
    expect(quantile(0.95, [10, 100], [50, 50, 0])).toBe(91);
    expect(quantile(0.5, [10, 100], [100, 0, 0])).toBe(5);
  });

  it('answers the highest finite bound for a rank in +Inf, and nothing without observations', () => {
    expect(quantile(0.99, [10, 100], [1, 0, 99])).toBe(100);
    expect(quantile(0.5, [10, 100], [0, 0, 0])).toBeUndefined();
  });
});
