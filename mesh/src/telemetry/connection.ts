import { channel } from 'node:diagnostics_channel';
import type { DestinationIdentity, WorkloadIdentity } from './record.ts';

/**
 * One TCP connection through a TCP proxy (a Service's TCP port, or a CONNECT passed through), as
 * one proxy of the hop reports it: Istio's TCP metrics (`istio_tcp_*`) and Envoy's access log
 * line for a TCP listener. Like RequestRecords, the caller's side (`source`) and, once the
 * connection reached an endpoint of a Service, the endpoint's inbound side (`destination`) each
 * report their own.
 *
 * The same object is published twice: when the connection opens (`closed` false) and when it
 * closes (`closed` true). Its byte counts grow in place in between, so a scrape sees the bytes of
 * open connections as they flow. A connection that never opened (no endpoint, connect failure) is
 * published once, closed, with its flag.
 */
export interface ConnectionRecord {
  readonly reporter: 'source' | 'destination';
  /** Epoch milliseconds when the client's connection arrived. */
  readonly startTime: number;
  /** Arrival to close, milliseconds; 0 while open. */
  durationMs: number;
  /** Bytes from the client towards the endpoint (Envoy's %BYTES_RECEIVED%, istio_tcp_received_bytes_total). */
  receivedBytes: number;
  /** Bytes from the endpoint back to the client (%BYTES_SENT%, istio_tcp_sent_bytes_total). */
  sentBytes: number;
  /** `UF` (connect failure or timeout), `UH` (no ready endpoint), `-` otherwise. */
  responseFlags: string;
  closed: boolean;
  /** The authority the client asked for (`db:5432`). */
  readonly authority: string;
  readonly source: WorkloadIdentity;
  /** Undefined when the connection went out as addressed (PassthroughCluster) or found no endpoint. */
  readonly destination: DestinationIdentity | undefined;
  /** `outbound|5432||db.music.svc.cluster.local`, `PassthroughCluster`, or `inbound|5432||` at the destination. */
  readonly upstreamCluster: string;
  /** `ip:port` of the endpoint, once one was picked. */
  readonly upstreamHost: string | undefined;
  upstreamLocalAddress: string | undefined;
  readonly downstreamLocalAddress: string | undefined;
  downstreamRemoteAddress: string | undefined;
}

/** The data path publishes every TCP connection here, at open and at close. */
export const connectionChannel = channel('music-mesh:connection');
