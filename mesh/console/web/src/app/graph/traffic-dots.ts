import type { ViewEdge } from './graph-view';

/** How an edge's traffic moves, as Kiali animates it: dots as dense as the rate, as slow as the latency. */
export interface Flow {
  /** Dots sent per second: grows with the request rate, logarithmically, within bounds. */
  readonly dotsPerSecond: number;
  /** Seconds a dot takes along the edge: longer for slower requests. */
  readonly travelSeconds: number;
  /** Share of the dots drawn as errors (red), 0..1. */
  readonly errorShare: number;
}

export interface Dot {
  /** Position along the edge, 0 at the source, 1 at the target. */
  readonly at: number;
  readonly error: boolean;
}

/** The flow of an edge with traffic; none for an idle one. */
export function flowOf(
  edge: Pick<ViewEdge, 'rate' | 'protocol' | 'errorPercent' | 'p95Ms'>,
): Flow | undefined {
  if (!(edge.rate > 0)) return undefined;
  // TCP rates are bytes per second: a kilobyte per second counts as a request per second.
  const rate = edge.protocol === 'tcp' ? edge.rate / 1024 : edge.rate;
  return {
    dotsPerSecond: clamp(1.5 * Math.log2(1 + rate), 0.5, 10),
    travelSeconds: clamp(1 + (edge.p95Ms ?? 0) / 250, 1, 5),
    errorShare: clamp((edge.errorPercent ?? 0) / 100, 0, 1),
  };
}

interface EdgeDots {
  flow: Flow;
  dots: { at: number; error: boolean }[];
  /** Fractions of a dot owed since the last one was sent, and of an error dot. */
  sendCarry: number;
  errorCarry: number;
}

/**
 * The dots on every edge, advanced by the time a frame took (the caller's clock, so a test can
 * step it). Edges keep their dots across refreshes; an edge gone or idle loses them.
 */
export class TrafficDots {
  private readonly edges = new Map<string, EdgeDots>();

  setFlows(flows: ReadonlyMap<string, Flow>): void {
    for (const id of this.edges.keys()) if (!flows.has(id)) this.edges.delete(id);
    for (const [id, flow] of flows) {
      const current = this.edges.get(id);
      if (current) current.flow = flow;
      // The first dot leaves at once, so a new edge shows traffic without waiting a period.
      else this.edges.set(id, { flow, dots: [], sendCarry: 1, errorCarry: 0 });
    }
  }

  advance(seconds: number): void {
    const step = Math.min(Math.max(seconds, 0), 0.25);
    for (const edge of this.edges.values()) {
      for (const dot of edge.dots) dot.at += step / edge.flow.travelSeconds;
      edge.dots = edge.dots.filter((dot) => dot.at < 1);
      edge.sendCarry += step * edge.flow.dotsPerSecond;
      while (edge.sendCarry >= 1) {
        edge.sendCarry -= 1;
        edge.errorCarry += edge.flow.errorShare;
        const error = edge.errorCarry >= 1 - 1e-9;
        if (error) edge.errorCarry -= 1;
        edge.dots.push({ at: 0, error });
      }
    }
  }

  dots(id: string): readonly Dot[] {
    return this.edges.get(id)?.dots ?? [];
  }

  ids(): IterableIterator<string> {
    return this.edges.keys();
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
