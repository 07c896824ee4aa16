import type { Trace } from './panel-api';

/** A hop's bar on the trace's time line, in percent of its width. */
export interface Bar {
  readonly left: number;
  readonly width: number;
}

/** Narrowest bar drawn, percent: a hop of no measurable time still shows. */
const minWidth = 1;

/** One bar per hop, placed by its start offset and duration over the trace's whole duration. */
export function waterfallBars(trace: Pick<Trace, 'durationMs' | 'hops'>): Bar[] {
  const total = trace.durationMs;
  return trace.hops.map((hop) => {
    if (!(total > 0)) return { left: 0, width: 100 };
    const left = Math.min(Math.max((hop.startOffsetMs / total) * 100, 0), 100 - minWidth);
    const width = Math.min(Math.max((hop.durationMs / total) * 100, minWidth), 100 - left);
    return { left: round(left), width: round(width) };
  });
}

/** A hop's time as a trace shows it: tenths of a millisecond below 10 ms, whole ones above, then seconds. */
export function formatTraceMs(value: number): string {
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ms`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
