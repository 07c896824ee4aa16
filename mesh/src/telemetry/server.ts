import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortInUseError } from '../errors.ts';
import { formatAccessLog, formatTcpAccessLog } from './access-log.ts';
import { type ConnectionRecord, connectionChannel } from './connection.ts';
import { IstioMetrics } from './metrics.ts';
import { type MirrorComparisonRecord, MirrorComparisons, mirrorChannel } from './mirror-comparison.ts';
import { RecentRequests } from './recent.ts';
import { type RequestRecord, requestChannel } from './record.ts';

export interface TelemetryOptions {
  /** Envoy's Prometheus port is 15090; 0 picks a free one. */
  readonly statsPort: number;
  readonly host: string;
  /** Receives one Istio-format access log line per finished request (mirrored copies included). */
  readonly accessLog?: ((line: string) => void) | undefined;
  /**
   * Compares mirrored answers with their primaries (`/stats/mirrors`); default true. Off, the
   * data path hashes no bodies: what bench:mesh's `--no-mirror-comparison` measures against.
   */
  readonly compareMirrors?: boolean | undefined;
}

export interface Telemetry {
  /** `http://<host>:<port>/stats/prometheus`, the real port when asked for port 0. */
  readonly url: string;
  readonly metrics: IstioMetrics;
  /** Stops listening and unsubscribes from the request channel. Idempotent. */
  close(): Promise<void>;
}

const statsPath = '/stats/prometheus';
/** The last requests, newest last, as JSON (`?since=<seq>&limit=<n>`): the console's traces and logs. */
const requestsPath = '/stats/requests';
/** Mirrored requests compared with their primaries, per route (mirror-comparison.ts). */
const mirrorsPath = '/stats/mirrors';

/**
 * Subscribes to the data path's `music-mesh:request` and `music-mesh:connection` channels: counts
 * every record into Istio's metrics, served like Envoy's at `/stats/prometheus`, and hands each
 * access log line (a TCP connection's at its close) to `accessLog`.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const metrics = new IstioMetrics();
  const recent = new RecentRequests();
  const accessLog = options.accessLog;
  const onRecord = (message: unknown): void => {
    const record = message as RequestRecord;
    metrics.record(record);
    recent.add(record);
    if (accessLog) accessLog(formatAccessLog(record));
  };
  const comparisons = new MirrorComparisons();
  const onMirror = (message: unknown): void => comparisons.add(message as MirrorComparisonRecord);
  const onConnection = (message: unknown): void => {
    const record = message as ConnectionRecord;
    metrics.recordConnection(record);
    if (accessLog && record.closed) accessLog(formatTcpAccessLog(record));
  };

  const server = createServer((req, res) => {
    const [path, search = ''] = (req.url ?? '/').split('?');
    if (path === mirrorsPath && req.method === 'GET') {
      const body = JSON.stringify({ routes: comparisons.summary() });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (path === requestsPath && req.method === 'GET') {
      const params = new URLSearchParams(search);
      const since = Number(params.get('since') ?? -1);
      const limit = Math.min(Number(params.get('limit') ?? recent.capacity), recent.capacity);
      if (!Number.isInteger(since) || !Number.isInteger(limit) || limit < 0) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('since and limit must be integers\n');
        return;
      }
      const body = JSON.stringify(recent.since(since, limit));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (path !== statsPath || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = metrics.render();
    res.writeHead(200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await listen(server, options.statsPort, options.host);
  requestChannel.subscribe(onRecord);
  connectionChannel.subscribe(onConnection);
  const compareMirrors = options.compareMirrors ?? true;
  if (compareMirrors) mirrorChannel.subscribe(onMirror);

  const { port } = server.address() as AddressInfo;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}${statsPath}`,
    metrics,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        requestChannel.unsubscribe(onRecord);
        connectionChannel.unsubscribe(onConnection);
        mirrorChannel.unsubscribe(onMirror);
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'Istio metrics', '--stats-port') : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
