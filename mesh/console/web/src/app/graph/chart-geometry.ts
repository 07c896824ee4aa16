import type { MetricsPoint } from './panel-api';

/** One line of a chart: its values per step (undefined: no requests, a gap in the line). */
export interface ChartLine {
  readonly name: string;
  /** The style sheet's colour for it (`line-2xx`, `line-p95`...). */
  readonly className: string;
  readonly values: readonly (number | undefined)[];
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `max`: the top of the chart's axis. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/**
 * An SVG path through `values` over a `width` × `height` box (y grows down), `max` at the top;
 * a missing value breaks the line, a lone value is drawn as a short dash so it shows.
 */
export function linePath(
  values: readonly (number | undefined)[],
  width: number,
  height: number,
  max: number,
): string {
  const dx = values.length > 1 ? width / (values.length - 1) : 0;
  const y = (value: number) => round(height - (Math.min(value, max) / max) * height);
  let path = '';
  let drawing = false;
  values.forEach((value, i) => {
    if (value === undefined) {
      drawing = false;
      return;
    }
    const x = round(i * dx);
    const next = values[i + 1];
    const previous = values[i - 1];
    if (drawing) path += `L${x},${y(value)}`;
    else if (previous === undefined && next === undefined)
      path += `M${x},${y(value)}h${values.length > 1 ? 2 : width}`;
    else path += `M${x},${y(value)}`;
    drawing = true;
  });
  return path;
}

const codeClasses = [
  { name: '2xx', match: (code: string) => code.startsWith('2') },
  { name: '3xx', match: (code: string) => code.startsWith('3') },
  { name: '4xx', match: (code: string) => code.startsWith('4') },
  { name: '5xx', match: (code: string) => code.startsWith('5') },
  { name: 'no response', match: (code: string) => code === '0' },
] as const;

/** Requests per second by class of response code: the classes the window has, in code order. */
export function rateLines(points: readonly MetricsPoint[]): ChartLine[] {
  return codeClasses
    .map(({ name, match }) => ({
      name,
      className: `line-${name.replace(' ', '-')}`,
      values: points.map((point) =>
        Object.entries(point.rates)
          .filter(([code]) => match(code))
          .reduce((sum, [, rate]) => sum + rate, 0),
      ),
    }))
    .filter((line) => line.values.some((value) => value > 0));
}

/** p50, p95 and p99 of the request duration per step, milliseconds. */
export function latencyLines(points: readonly MetricsPoint[]): ChartLine[] {
  return (['p50', 'p95', 'p99'] as const).map((name) => ({
    name,
    className: `line-${name}`,
    values: points.map((point) => point[name]),
  }));
}

/** The largest value of the lines, for the axis. */
export function highest(lines: readonly ChartLine[]): number {
  return Math.max(0, ...lines.flatMap((line) => line.values.filter((v): v is number => v !== undefined)));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
