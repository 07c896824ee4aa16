import { formatAccessLog, redactQuery } from './access-log.ts';
import type { RequestRecord } from './record.ts';

/** One finished request as `/stats/requests` lists it: what a trace and an access log need. */
export interface RecentRequest {
  /** Increases by one per record: ask for `since` the last one seen to get only newer ones. */
  readonly seq: number;
  readonly reporter: RequestRecord['reporter'];
  readonly startTime: number;
  readonly durationMs: number;
  readonly method: string;
  /** As received, credential-like query values redacted (as in the access log). */
  readonly path: string;
  readonly authority: string;
  readonly status: number;
  readonly responseFlags: string;
  readonly requestId: string | undefined;
  readonly routeName: string | undefined;
  readonly upstreamCluster: string | undefined;
  readonly source: RequestRecord['source'];
  readonly destination: RequestRecord['destination'];
  readonly mirror: boolean;
  /** The line Istio's default access log prints for it. */
  readonly accessLog: string;
}

/**
 * The last `capacity` request records, kept by reference (the data path builds them anyway) and
 * turned into `RecentRequest`s only when asked, so that keeping them costs memory, not time on
 * the request path. What the mesh console's traces and access-log panels read.
 */
export class RecentRequests {
  readonly capacity: number;
  readonly #records: (RequestRecord | undefined)[];
  #next = 0;

  constructor(capacity = 2_000) {
    this.capacity = capacity;
    this.#records = new Array(capacity);
  }

  add(record: RequestRecord): void {
    this.#records[this.#next % this.capacity] = record;
    this.#next++;
  }

  /** The records after `since` (a `seq`), oldest first, at most `limit` of the newest of them. */
  since(since: number, limit: number): { next: number; requests: RecentRequest[] } {
    const first = Math.max(since + 1, this.#next - this.capacity, this.#next - limit, 0);
    const requests: RecentRequest[] = [];
    for (let seq = first; seq < this.#next; seq++) {
      const record = this.#records[seq % this.capacity] as RequestRecord;
      requests.push({
        seq,
        reporter: record.reporter,
        startTime: record.startTime,
        durationMs: record.durationMs,
        method: record.method,
        path: redactQuery(record.path),
        authority: record.authority,
        status: record.status,
        responseFlags: record.responseFlags || '-',
        requestId: record.requestId,
        routeName: record.routeName,
        upstreamCluster: record.upstreamCluster,
        source: record.source,
        destination: record.destination,
        mirror: record.mirror,
        accessLog: formatAccessLog(record),
      });
    }
    return { next: this.#next - 1, requests };
  }
}
