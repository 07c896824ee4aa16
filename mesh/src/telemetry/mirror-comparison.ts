import { channel } from 'node:diagnostics_channel';
import type { WorkloadIdentity } from './record.ts';

/** How one side of a mirrored request ended: the primary's answer or its shadow copy's. */
export interface MirrorOutcome {
  readonly status: number;
  readonly responseFlags: string;
  readonly durationMs: number;
  readonly bytes: number;
  /** SHA-1 of the response body, base64url; undefined when the body did not arrive whole. */
  readonly bodyHash: string | undefined;
  /** The workload that answered, `unknown` when none did. */
  readonly workload: string;
  readonly cluster: string;
}

/** One mirrored request, both sides finished: what the data path publishes on `mirrorChannel`. */
export interface MirrorComparisonRecord {
  readonly requestId: string | undefined;
  readonly startTime: number;
  readonly method: string;
  readonly path: string;
  readonly routeName: string | undefined;
  readonly source: WorkloadIdentity;
  readonly primary: MirrorOutcome;
  readonly shadow: MirrorOutcome;
}

/** The data path publishes each finished comparison here, only when someone subscribes. */
export const mirrorChannel = channel('music-mesh:mirror');

interface RouteComparison {
  readonly route: string;
  readonly namespace: string;
  readonly primaryCluster: string;
  readonly shadowCluster: string;
  total: number;
  statusDiffers: number;
  bodyDiffers: number;
  /** Pairs whose bodies could not be compared: one side broke off, timed out or found no endpoint. */
  incomplete: number;
  primaryMs: number;
  shadowMs: number;
  /** The last differing requests, newest last. */
  readonly examples: MirrorComparisonRecord[];
}

/** What `/stats/mirrors` answers per route and shadow: how often the shadow answers otherwise. */
export interface RouteComparisonSummary {
  readonly route: string;
  readonly namespace: string;
  readonly primaryCluster: string;
  readonly shadowCluster: string;
  readonly total: number;
  readonly statusDiffers: number;
  readonly bodyDiffers: number;
  readonly incomplete: number;
  /** Mean durations, milliseconds. */
  readonly primaryMeanMs: number;
  readonly shadowMeanMs: number;
  readonly examples: readonly MirrorComparisonRecord[];
}

const maxRoutes = 500;
const examplesPerRoute = 10;

/**
 * Mirror comparison, which no mesh console has: for every mirrored request, whether the shadow
 * answered with the primary's status and the same body (by hash), and how long each took,
 * summed per route and shadow cluster, with the last differing requests as examples. Bounded:
 * at most 500 routes, 10 examples each.
 */
export class MirrorComparisons {
  readonly #routes = new Map<string, RouteComparison>();

  add(record: MirrorComparisonRecord): void {
    const route = record.routeName ?? '-';
    const key = `${route}\u001f${record.primary.cluster}\u001f${record.shadow.cluster}`;
    let entry = this.#routes.get(key);
    if (!entry) {
      if (this.#routes.size >= maxRoutes) return;
      entry = {
        route,
        namespace: namespaceOfCluster(record.shadow.cluster) ?? record.source.namespace,
        primaryCluster: record.primary.cluster,
        shadowCluster: record.shadow.cluster,
        total: 0,
        statusDiffers: 0,
        bodyDiffers: 0,
        incomplete: 0,
        primaryMs: 0,
        shadowMs: 0,
        examples: [],
      };
      this.#routes.set(key, entry);
    }
    entry.total++;
    entry.primaryMs += record.primary.durationMs;
    entry.shadowMs += record.shadow.durationMs;
    const statusDiffers = record.primary.status !== record.shadow.status;
    // A body that did not arrive whole has no hash: that pair cannot tell whether the bodies differ.
    const comparable = record.primary.bodyHash !== undefined && record.shadow.bodyHash !== undefined;
    const bodyDiffers = comparable && record.primary.bodyHash !== record.shadow.bodyHash;
    if (statusDiffers) entry.statusDiffers++;
    if (bodyDiffers) entry.bodyDiffers++;
    if (!comparable) entry.incomplete++;
    if (statusDiffers || bodyDiffers || !comparable) {
      entry.examples.push(record);
      if (entry.examples.length > examplesPerRoute) entry.examples.shift();
    }
  }

  summary(): RouteComparisonSummary[] {
    return [...this.#routes.values()].map((entry) => ({
      route: entry.route,
      namespace: entry.namespace,
      primaryCluster: entry.primaryCluster,
      shadowCluster: entry.shadowCluster,
      total: entry.total,
      statusDiffers: entry.statusDiffers,
      bodyDiffers: entry.bodyDiffers,
      incomplete: entry.incomplete,
      primaryMeanMs: entry.primaryMs / entry.total,
      shadowMeanMs: entry.shadowMs / entry.total,
      examples: [...entry.examples],
    }));
  }
}

/** `outbound|8080|v3|back.music.svc.cluster.local` → `music`. */
function namespaceOfCluster(cluster: string): string | undefined {
  const host = cluster.split('|')[3];
  return host?.split('.')[1];
}
