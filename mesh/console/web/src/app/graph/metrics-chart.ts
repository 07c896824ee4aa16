import { DatePipe } from '@angular/common';
import { Component, computed, input } from '@angular/core';
import { type ChartLine, highest, latencyLines, linePath, niceMax, rateLines } from './chart-geometry';
import { formatMs, formatRate } from './graph-view';
import type { MetricsPoint } from './panel-api';

const width = 320;
const height = 72;

/**
 * Requests per second by response code and the p50/p95/p99 latency of one node or edge, drawn as
 * two small inline SVG charts; the latest step's figures in words and every step in a table
 * (behind a disclosure) say the same for screen readers.
 */
@Component({
  selector: 'mc-metrics-chart',
  imports: [DatePipe],
  templateUrl: './metrics-chart.html',
  styleUrl: './metrics-chart.scss',
})
export class MetricsChart {
  readonly points = input.required<readonly MetricsPoint[]>();
  /** What the figures count: "requests back v2 received". */
  readonly note = input('');

  protected readonly width = width;
  protected readonly height = height;
  protected readonly rates = computed(() => rateLines(this.points()));
  protected readonly rateMax = computed(() => niceMax(highest(this.rates())));
  protected readonly latency = computed(() => latencyLines(this.points()));
  protected readonly latencyMax = computed(() => niceMax(highest(this.latency())));
  /** The newest step that had requests. */
  protected readonly latest = computed(() => [...this.points()].reverse().find((point) => point.total > 0));

  protected path(line: ChartLine, max: number): string {
    return linePath(line.values, width, height, max);
  }

  protected rps(value: number | undefined): string {
    return value === undefined ? '—' : formatRate(value, 'http');
  }

  protected ms(value: number | undefined): string {
    return value === undefined ? '—' : formatMs(value);
  }
}
