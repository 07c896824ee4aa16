import { createHash, type Hash } from 'node:crypto';
import {
  type MirrorComparisonRecord,
  type MirrorOutcome,
  mirrorChannel,
} from '../telemetry/mirror-comparison.ts';
import type { RequestRecord } from '../telemetry/record.ts';

/** Flags of an answer that did not reach its end: its body cannot be compared. */
const broken = /\b(UC|DC|UT|URX)\b/;

/**
 * A mirrored request's primary side, for the comparison with its shadow copies: the body the
 * client got, hashed as it streams, and the outcome from the primary's record. Made only while
 * someone listens on `mirrorChannel`, so that routes without a mirror, and mirrors nobody
 * compares, pay nothing. Each copy is published once both sides have ended.
 */
export class PrimaryComparison {
  readonly #hash: Hash = createHash('sha1');
  #record: RequestRecord | undefined;
  #outcome: MirrorOutcome | undefined;
  readonly #waiting: ShadowSide[] = [];

  data(chunk: Buffer): void {
    this.#hash.update(chunk);
  }

  /** One copy sent: its side, to be told how the copy ends. */
  shadow(cluster: string): ShadowSide {
    return new ShadowSide(this, cluster);
  }

  /** The primary's record, when the exchange ends. */
  finish(record: RequestRecord): void {
    this.#record = record;
    this.#outcome = {
      status: record.status,
      responseFlags: record.responseFlags,
      durationMs: record.durationMs,
      bytes: record.responseBytes,
      bodyHash: broken.test(record.responseFlags) ? undefined : this.#hash.digest('base64url'),
      workload: record.destination?.workload ?? 'unknown',
      cluster: record.upstreamCluster ?? '-',
    };
    for (const side of this.#waiting.splice(0)) this.#publish(side.outcome as MirrorOutcome);
  }

  shadowEnded(side: ShadowSide): void {
    if (this.#outcome === undefined) this.#waiting.push(side);
    else this.#publish(side.outcome as MirrorOutcome);
  }

  #publish(shadow: MirrorOutcome): void {
    const record = this.#record as RequestRecord;
    const comparison: MirrorComparisonRecord = {
      requestId: record.requestId,
      startTime: record.startTime,
      method: record.method,
      path: record.path,
      routeName: record.routeName,
      source: record.source,
      primary: this.#outcome as MirrorOutcome,
      shadow,
    };
    if (mirrorChannel.hasSubscribers) mirrorChannel.publish(comparison);
  }
}

/** One shadow copy of a mirrored request: its answer's status and body hash, as it arrives. */
export class ShadowSide {
  readonly #primary: PrimaryComparison;
  readonly #cluster: string;
  readonly #started = performance.now();
  #hash: Hash | undefined = createHash('sha1');
  #status = 0;
  #bytes = 0;
  outcome: MirrorOutcome | undefined;

  constructor(primary: PrimaryComparison, cluster: string) {
    this.#primary = primary;
    this.#cluster = cluster;
  }

  start(status: number): void {
    this.#status = status;
  }

  data(chunk: Buffer): void {
    this.#bytes += chunk.length;
    this.#hash?.update(chunk);
  }

  /** The copy ended: `complete` when its whole answer arrived, else with the flag it ended on. */
  end(complete: boolean, workload: string, flags = '-'): void {
    if (this.outcome !== undefined) return;
    this.outcome = {
      status: this.#status,
      responseFlags: complete ? '-' : flags,
      durationMs: performance.now() - this.#started,
      bytes: this.#bytes,
      bodyHash: complete ? this.#hash?.digest('base64url') : undefined,
      workload,
      cluster: this.#cluster,
    };
    this.#hash = undefined;
    this.#primary.shadowEnded(this);
  }
}
