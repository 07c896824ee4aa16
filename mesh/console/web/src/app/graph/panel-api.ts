/** The answers the side panel reads (mesh/console/src/app.ts, traces.ts, graph/routing.ts). */
import type { RequestsOf, RoutingOf } from './panel-target';

export interface MetricsPoint {
  /** End of the step, epoch milliseconds. */
  readonly time: number;
  readonly rates: Readonly<Record<string, number>>;
  readonly total: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
}

export interface MetricsAnswer {
  readonly step: number;
  readonly points: readonly MetricsPoint[];
}

export interface LogLine {
  readonly seq: number;
  readonly reporter: 'source' | 'destination';
  readonly workload?: string;
  readonly line: string;
}

export interface Hop {
  readonly reporter: 'source' | 'destination';
  readonly source: string;
  readonly destination?: string;
  readonly service?: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly responseFlags: string;
  readonly route?: string;
  readonly cluster?: string;
  readonly startOffsetMs: number;
  readonly durationMs: number;
  readonly mirror: boolean;
}

export interface Trace {
  readonly requestId: string;
  readonly startTime: number;
  readonly durationMs: number;
  readonly status: number;
  readonly hops: readonly Hop[];
}

interface Origin {
  readonly name: string;
  readonly namespace: string;
  readonly file: string;
  readonly line?: number;
}

export interface RouteDestination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
  readonly weight?: number;
  readonly toService: boolean;
}

export interface ServiceRoute {
  readonly virtualService: Origin;
  readonly index: number;
  readonly name?: string;
  readonly gateways: readonly string[];
  readonly match: string;
  readonly destinations: readonly RouteDestination[];
  readonly mirror?: RouteDestination & { readonly percentage: number };
  readonly timeout?: string;
  readonly retries?: {
    readonly attempts: number;
    readonly perTryTimeout?: string;
    readonly retryOn?: string;
  };
  readonly fault?: string;
}

export interface RuleSubset {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly workloads: readonly string[];
}

export interface ServiceRule extends Origin {
  readonly host: string;
  readonly subsets: readonly RuleSubset[];
}

export interface ServiceRouting {
  readonly service: { readonly namespace: string; readonly name: string };
  readonly routes: readonly ServiceRoute[];
  readonly destinationRules: readonly ServiceRule[];
  readonly workloads: readonly string[];
}

export interface RoutingAnswer {
  readonly services: readonly ServiceRouting[];
}

/** One way requests reach the element: a route's weighted destination or its mirror. */
export interface RoutingLine {
  readonly virtualService: string;
  readonly namespace: string;
  readonly where: string;
  /** `http[0]`, `http[1] (back)`. */
  readonly route: string;
  readonly match: string;
  readonly gateways: string;
  /** `weight 10%`, `mirror 100%`. */
  readonly share: string;
  /** `subset v2`, `back:8080` (no subset: any of the Service's pods). */
  readonly to: string;
  /** `DestinationRule back: version=v2`, when a subset is named. */
  readonly rule: string | undefined;
  readonly ruleName: string | undefined;
  /** Timeout, retries and fault of the route, if any. */
  readonly policies: readonly string[];
}

/** The routing lines that send requests to `of` (a Service, or one of its workloads). */
export function routingLines(routing: ServiceRouting, of: RoutingOf): RoutingLine[] {
  const lines: RoutingLine[] = [];
  const subsetOf = (name: string) => {
    for (const rule of routing.destinationRules) {
      const subset = rule.subsets.find((s) => s.name === name);
      if (subset) return { rule, subset };
    }
    return undefined;
  };
  const reaches = (destination: RouteDestination): boolean => {
    if (!destination.toService) return false;
    if (of.workload === undefined || destination.subset === undefined) return true;
    const found = subsetOf(destination.subset);
    if (!found) return false;
    if (found.subset.workloads.length > 0) return found.subset.workloads.includes(of.workload);
    const labels = of.labels ?? {};
    return Object.entries(found.subset.labels).every(([key, value]) => labels[key] === value);
  };
  for (const route of routing.routes) {
    const base = {
      virtualService: route.virtualService.name,
      namespace: route.virtualService.namespace,
      where: `${route.virtualService.file}${route.virtualService.line ? `:${route.virtualService.line}` : ''}`,
      route: `http[${route.index}]${route.name ? ` (${route.name})` : ''}`,
      match: route.match,
      gateways: route.gateways.join(', '),
      policies: [
        route.timeout && `timeout ${route.timeout}`,
        route.retries &&
          `retries ${route.retries.attempts}${route.retries.perTryTimeout ? ` × ${route.retries.perTryTimeout}` : ''}${route.retries.retryOn ? ` on ${route.retries.retryOn}` : ''}`,
        route.fault && `fault: ${route.fault}`,
      ].filter((text): text is string => typeof text === 'string'),
    };
    const entries = [
      ...route.destinations.map((destination) => ({
        destination,
        share: destination.weight === undefined ? 'weight unset' : `weight ${destination.weight}%`,
      })),
      ...(route.mirror ? [{ destination: route.mirror, share: `mirror ${route.mirror.percentage}%` }] : []),
    ];
    for (const { destination, share } of entries) {
      if (!reaches(destination)) continue;
      const found = destination.subset ? subsetOf(destination.subset) : undefined;
      const labels = found
        ? Object.entries(found.subset.labels)
            .map(([key, value]) => `${key}=${value}`)
            .join(',')
        : '';
      lines.push({
        ...base,
        share,
        to: destination.subset
          ? `subset ${destination.subset}`
          : `${destination.host}${destination.port ? `:${destination.port}` : ''}`,
        rule: found
          ? `DestinationRule ${found.rule.name}: ${labels || 'all pods'}`
          : destination.subset
            ? 'no DestinationRule defines this subset (503 NC)'
            : undefined,
        ruleName: found?.rule.name,
      });
    }
  }
  return lines;
}

/** A Service's lines are its workloads' (a longer tail, cut to the last 20 here). */
export function linesOf(lines: readonly LogLine[], of: RequestsOf): LogLine[] {
  if ('workload' in of) return [...lines];
  return lines
    .filter((line) => line.workload !== undefined && of.workloads.includes(line.workload))
    .slice(-20);
}

/** A Service's traces are those with a hop addressed to it. */
export function tracesOf(traces: readonly Trace[], of: RequestsOf): Trace[] {
  if ('workload' in of) return [...traces];
  return traces.filter((trace) => trace.hops.some((hop) => hop.service === of.service)).slice(0, 10);
}
