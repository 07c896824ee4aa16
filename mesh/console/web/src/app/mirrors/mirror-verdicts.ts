import type { MirrorExample, RouteComparison } from './mirrors-api';

/** One row of the comparison table: a mirrored route, its primary and shadow, how often they differ. */
export interface MirrorRow {
  readonly id: string;
  readonly virtualService: string;
  readonly route: string;
  readonly primary: string;
  readonly shadow: string;
  readonly primaryCluster: string;
  readonly shadowCluster: string;
  readonly total: number;
  readonly statusDiffers: number;
  readonly bodyDiffers: number;
  /** Pairs whose bodies could not be compared (one did not arrive whole). */
  readonly incomplete: number;
  readonly statusShare: string;
  readonly bodyShare: string;
  readonly primaryMs: string;
  readonly shadowMs: string;
  /** `+9.7 ms` when the shadow is slower. */
  readonly slower: string;
  readonly verdict: string;
  readonly same: boolean;
  readonly examples: readonly ExampleRow[];
}

export interface ExampleRow {
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly requestId: string;
  readonly primary: OutcomeCells;
  readonly shadow: OutcomeCells;
}

export interface OutcomeCells {
  readonly status: string;
  readonly ms: string;
  /** The hash's first 8 characters (enough to tell bodies apart), `—` without a whole body. */
  readonly hash: string;
  readonly fullHash: string;
}

/** `10` of `40` → `25%`; one decimal below 10% (`2.5%`), none for whole numbers. */
export function percentOf(part: number, total: number): string {
  if (total <= 0) return '—';
  const percent = (part / total) * 100;
  const rounded = percent < 10 ? Math.round(percent * 10) / 10 : Math.round(percent);
  return `${rounded}%`;
}

/** `outbound|8080|v3|back.music.svc.cluster.local` → `back v3` (the cluster itself when it is no such name). */
export function clusterLabel(cluster: string): string {
  const [direction, , subset, host] = cluster.split('|');
  if (direction !== 'outbound' || !host) return cluster;
  const service = host.split('.')[0] ?? host;
  return subset ? `${service} ${subset}` : service;
}

/** `back.music/canary` → VirtualService `music/back`, route `canary` (the runtime's route names). */
export function routeLabel(route: string, namespace: string): { virtualService: string; route: string } {
  const match = /^([^./]+)\.([^/]+)\/(.+)$/.exec(route);
  if (!match) return { virtualService: namespace, route };
  return { virtualService: `${match[2]}/${match[1]}`, route: match[3] as string };
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

/** `v2` and `v3` for two subsets of one service; the services' names otherwise. */
function sideNames(primaryCluster: string, shadowCluster: string): [string, string] {
  const primary = clusterLabel(primaryCluster).split(' ');
  const shadow = clusterLabel(shadowCluster).split(' ');
  if (primary.length === 2 && shadow.length === 2 && primary[0] === shadow[0])
    return [primary[1] as string, shadow[1] as string];
  return [primary.join(' '), shadow.join(' ')];
}

/**
 * In words: all alike, or how often the status and the body differ. A request counted in both is
 * not told apart from two requests, so "like" is said only when one of them never differs.
 */
export function verdict(summary: RouteComparison): string {
  const said = comparedVerdict(summary);
  const { incomplete } = summary;
  if (incomplete === 0) return said;
  return `${said}; ${incomplete} ${incomplete === 1 ? 'body' : 'bodies'} could not be compared (cut off, timed out or no endpoint)`;
}

function comparedVerdict(summary: RouteComparison): string {
  const [primary, shadow] = sideNames(summary.primaryCluster, summary.shadowCluster);
  const { total, statusDiffers: status, bodyDiffers: body } = summary;
  const requests = total === 1 ? 'request' : 'requests';
  if (status === 0 && body === 0)
    return `${shadow} answered like ${primary} for ${total === 1 ? 'the one request' : `all ${total} requests`}`;
  if (status === 0)
    return `${shadow} answered like ${primary} for ${total - body} of ${total} ${requests} (body differs in ${percentOf(body, total)})`;
  if (body === 0)
    return `${shadow} answered like ${primary} for ${total - status} of ${total} ${requests} (status differs in ${percentOf(status, total)})`;
  return `status differs in ${percentOf(status, total)} (${status} of ${total}), body in ${percentOf(body, total)} (${body} of ${total})`;
}

function outcome(o: MirrorExample['primary']): OutcomeCells {
  const flags = o.responseFlags && o.responseFlags !== '-' ? ` ${o.responseFlags}` : '';
  return {
    status: `${o.status}${flags}`,
    ms: ms(o.durationMs),
    hash: o.bodyHash ? o.bodyHash.slice(0, 8) : '—',
    fullHash: o.bodyHash ?? 'the body did not arrive whole',
  };
}

/** The table's rows, routes in name order, each route's examples newest first. */
export function mirrorRows(routes: readonly RouteComparison[]): MirrorRow[] {
  return [...routes]
    .sort((a, b) => `${a.route} ${a.shadowCluster}`.localeCompare(`${b.route} ${b.shadowCluster}`))
    .map((r) => {
      const label = routeLabel(r.route, r.namespace);
      const delta = r.shadowMeanMs - r.primaryMeanMs;
      return {
        id: `${r.route}|${r.primaryCluster}|${r.shadowCluster}`,
        virtualService: label.virtualService,
        route: label.route,
        primary: clusterLabel(r.primaryCluster),
        shadow: clusterLabel(r.shadowCluster),
        primaryCluster: r.primaryCluster,
        shadowCluster: r.shadowCluster,
        total: r.total,
        statusDiffers: r.statusDiffers,
        bodyDiffers: r.bodyDiffers,
        incomplete: r.incomplete,
        statusShare: percentOf(r.statusDiffers, r.total),
        bodyShare: percentOf(r.bodyDiffers, r.total),
        primaryMs: ms(r.primaryMeanMs),
        shadowMs: ms(r.shadowMeanMs),
        slower: Number.isFinite(delta) ? `${delta >= 0 ? '+' : '−'}${ms(Math.abs(delta))}` : '—',
        verdict: verdict(r),
        same: r.statusDiffers === 0 && r.bodyDiffers === 0 && r.incomplete === 0,
        examples: [...r.examples].reverse().map((e, i) => ({
          key: `${e.requestId ?? ''}|${e.startTime}|${i}`,
          method: e.method,
          path: e.path,
          requestId: e.requestId ?? '—',
          primary: outcome(e.primary),
          shadow: outcome(e.shadow),
        })),
      };
    });
}
