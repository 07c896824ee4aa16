import type { TrafficWindow } from '../telemetry/scraped.ts';
import { quantile } from './quantile.ts';

/** What a side panel charts: one node's or one edge's traffic, picked by workload and service. */
export interface SeriesFilter {
  readonly namespaces: readonly string[];
  readonly source?: string | undefined;
  readonly destination?: string | undefined;
  /** The Service the requests were addressed to (`destination_service_name`). */
  readonly service?: string | undefined;
}

/** One step of the chart: requests per second by response code, and the duration percentiles. */
export interface SeriesPoint {
  /** End of the step, epoch milliseconds. */
  readonly time: number;
  /** The seconds the step's rates were measured over (between the scrapes nearest its edges). */
  readonly seconds: number;
  readonly rates: Record<string, number>;
  readonly total: number;
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
}

/**
 * The filter's traffic per step. With a destination workload the destination's own records count
 * (what reached it, retries and mirror copies included); otherwise the callers' (what they sent,
 * failures before any destination included): the same readings the graph's edges are made of.
 */
export function seriesPoints(windows: readonly TrafficWindow[], filter: SeriesFilter): SeriesPoint[] {
  const reporter = filter.destination !== undefined ? 'destination' : 'source';
  return windows.map((window) => {
    const rates: Record<string, number> = {};
    const durations: number[] = [];
    let total = 0;
    for (const { labels, requests, durations: counts } of window.series) {
      if (labels.reporter !== reporter) continue;
      if (filter.source !== undefined && labels.source_workload !== filter.source) continue;
      if (filter.destination !== undefined && labels.destination_workload !== filter.destination) continue;
      if (filter.service !== undefined && labels.destination_service_name !== filter.service) continue;
      const namespaces = [
        labels.source_workload_namespace,
        labels.destination_workload_namespace,
        labels.destination_service_namespace,
      ];
      if (!namespaces.some((namespace) => namespace !== undefined && filter.namespaces.includes(namespace)))
        continue;
      const rate = window.seconds > 0 ? requests / window.seconds : 0;
      const code = labels.response_code ?? '0';
      rates[code] = (rates[code] ?? 0) + rate;
      total += rate;
      counts.forEach((count, i) => {
        durations[i] = (durations[i] ?? 0) + count;
      });
    }
    return {
      time: window.at,
      seconds: window.seconds,
      rates,
      total,
      p50: quantile(0.5, window.bounds, durations),
      p95: quantile(0.95, window.bounds, durations),
      p99: quantile(0.99, window.bounds, durations),
    };
  });
}
