import { connect, type Socket } from 'node:net';
import type { Endpoint } from '../endpoints/registry.ts';
import type { Cluster } from '../routing/table.ts';
import { type ConnectionRecord, connectionChannel } from '../telemetry/connection.ts';
import type { DestinationIdentity } from '../telemetry/record.ts';
import { endpointIdentity } from './cluster.ts';
import type { DownstreamRequest } from './downstream/server.ts';
import type { Exchange, ProxyContext } from './exchange.ts';
import { formatFlags } from './flags.ts';
import { destinationIdentity, epochMs } from './stages/record.ts';

/**
 * Istio's tcp_proxy, for a CONNECT tunnel: the bytes go to one endpoint of a Service's TCP port
 * (`cluster` set) or out as addressed (Istio's PassthroughCluster). The connection gets the
 * cluster's connect timeout (DestinationRule `connectionPool.tcp.connectTimeout`, else meshconfig's
 * 10 s); a failure or timeout answers the CONNECT 503 and is reported `UF`. Each side of the hop
 * reports the connection (telemetry/connection.ts) with the bytes it relayed.
 */
export interface TcpTarget {
  readonly host: string;
  readonly port: number;
  /** Undefined: passed through as addressed. */
  readonly cluster: Cluster | undefined;
  readonly endpoint: Endpoint | undefined;
}

const connectFailedReply =
  'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

/** Istio's mesh-wide connectTimeout, which PassthroughCluster gets too (meshconfig `connectTimeout`). */
const passthroughConnectTimeoutMs = 10_000;

export function tunnelTcp(
  context: ProxyContext,
  client: Socket,
  head: Buffer,
  authority: string,
  target: TcpTarget,
): void {
  const started = performance.now();
  const source = connectionChannel.hasSubscribers
    ? sourceRecord(context, client, authority, target)
    : undefined;
  let destination: ConnectionRecord | undefined;
  let connected = false;
  const upstream: Socket = connect({ host: target.host, port: target.port, noDelay: true });
  const timer = setTimeout(
    () => upstream.destroy(),
    target.cluster?.connectTimeoutMs ?? passthroughConnectTimeoutMs,
  );

  upstream.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (source !== undefined) {
      source.upstreamLocalAddress = `${upstream.localAddress}:${upstream.localPort}`;
      connectionChannel.publish(source);
      destination = destinationRecord(source, target);
      if (destination !== undefined) connectionChannel.publish(destination);
    }
    if (head.length > 0) {
      upstream.write(head);
      count(source, destination, head.length, 0);
    }
    if (source !== undefined) {
      client.on('data', (chunk: Buffer) => count(source, destination, chunk.length, 0));
      upstream.on('data', (chunk: Buffer) => count(source, destination, 0, chunk.length));
    }
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', ignore);
  upstream.once('close', () => {
    clearTimeout(timer);
    if (!connected) {
      // Envoy's tcp_proxy closes the client's connection; the CONNECT gets an answer saying why.
      if (source !== undefined && !source.closed) source.responseFlags = 'UF';
      if (client.writable) client.once('finish', () => client.destroy()).end(connectFailedReply);
      else client.destroy();
      return;
    }
    // What the endpoint sent is flushed to the client, then its connection closes too.
    if (client.writableFinished) client.destroy();
    else client.once('finish', () => client.destroy()).end();
  });
  client.on('error', () => upstream.destroy());
  client.once('close', () => {
    upstream.destroy();
    const durationMs = performance.now() - started;
    for (const record of [source, destination]) {
      if (record === undefined) continue;
      record.durationMs = durationMs;
      record.closed = true;
      connectionChannel.publish(record);
    }
  });
}

/** No ready endpoint for a Service's TCP port: Envoy closes the connection at once (`UH`). */
export function refuseTcp(context: ProxyContext, client: Socket, authority: string, target: TcpTarget): void {
  if (connectionChannel.hasSubscribers) {
    const record = sourceRecord(context, client, authority, target);
    record.responseFlags = 'UH';
    record.closed = true;
    connectionChannel.publish(record);
  }
  client.destroy();
}

/**
 * A request sent to a Service's TCP port in absolute form (a client with HTTP_PROXY): the sidecar
 * forwards it to an endpoint, and it is reported as the TCP connection its bytes would have taken
 * without the proxy: opened and closed once, the request's head and body received, the response's
 * sent (`flowBytes`), flagged as the forwarding ended (`UH`, `UF`).
 */
export function reportTcpExchange(
  exchange: Exchange,
  cluster: Cluster | undefined,
  endpoint: Endpoint | undefined,
): void {
  if (!connectionChannel.hasSubscribers) return;
  const req = exchange.req;
  const client = req.socket;
  const address = endpoint?.origin.replace(/^[a-z]+:\/\//, '');
  const colon = address?.lastIndexOf(':') ?? -1;
  const target: TcpTarget = {
    host: address === undefined ? exchange.host : address.slice(0, colon),
    port: address === undefined ? exchange.port : Number(address.slice(colon + 1)),
    cluster,
    endpoint,
  };
  const source = sourceRecord(exchange.context, client, exchange.authority, target);
  source.durationMs = performance.now() - exchange.started;
  source.receivedBytes = requestHeadBytes(req) + Math.max(req.bodyLength, 0);
  source.sentBytes = exchange.responseBytes;
  source.responseFlags = formatFlags(exchange.flags);
  source.closed = true;
  connectionChannel.publish(source);
  // The endpoint's inbound side saw the connection only if the endpoint answered.
  if (exchange.upstreamServiceTimeMs === undefined || endpoint === undefined) return;
  const destination = destinationRecord(source, target);
  if (destination !== undefined) connectionChannel.publish(destination);
}

/** The bytes of a response head as written: status line, fields, the empty line. */
export function responseHeadBytes(status: number, message: string, headers: readonly string[]): number {
  let bytes = 'HTTP/1.1 '.length + String(status).length + 1 + message.length + 2 + 2;
  for (let i = 0; i < headers.length; i += 2)
    bytes += (headers[i] as string).length + (headers[i + 1] as string).length + 4;
  return bytes;
}

function requestHeadBytes(req: DownstreamRequest): number {
  const raw = req.rawHeaders;
  let bytes = req.method.length + 1 + req.url.length + ' HTTP/1.1'.length + 2 + 2;
  for (let i = 0; i < raw.length; i += 2)
    bytes += (raw[i] as string).length + (raw[i + 1] as string).length + 4;
  return bytes;
}

function ignore(): void {}

function count(
  source: ConnectionRecord | undefined,
  destination: ConnectionRecord | undefined,
  received: number,
  sent: number,
): void {
  if (source === undefined) return;
  source.receivedBytes += received;
  source.sentBytes += sent;
  if (destination === undefined) return;
  destination.receivedBytes += received;
  destination.sentBytes += sent;
}

function sourceRecord(
  context: ProxyContext,
  client: Socket,
  authority: string,
  target: TcpTarget,
): ConnectionRecord {
  const { cluster, endpoint } = target;
  return {
    reporter: 'source',
    startTime: epochMs(performance.now()),
    durationMs: 0,
    receivedBytes: 0,
    sentBytes: 0,
    responseFlags: '-',
    closed: false,
    authority,
    source: context.source,
    destination: cluster === undefined ? undefined : destinationOf(endpoint, cluster),
    upstreamCluster: cluster?.name ?? 'PassthroughCluster',
    upstreamHost:
      endpoint === undefined && cluster !== undefined ? undefined : `${target.host}:${target.port}`,
    upstreamLocalAddress: undefined,
    downstreamLocalAddress: `${client.localAddress}:${client.localPort}`,
    downstreamRemoteAddress: `${client.remoteAddress}:${client.remotePort}`,
  };
}

/** The endpoint's inbound side: only a Service's endpoint has one; it sees the source's connection arrive. */
function destinationRecord(source: ConnectionRecord, target: TcpTarget): ConnectionRecord | undefined {
  if (target.cluster === undefined || target.endpoint === undefined) return undefined;
  const address = `${target.host}:${target.port}`;
  return {
    ...source,
    reporter: 'destination',
    upstreamCluster: `inbound|${target.port}||`,
    upstreamHost: address,
    upstreamLocalAddress: undefined,
    downstreamLocalAddress: address,
    downstreamRemoteAddress: source.upstreamLocalAddress,
  };
}

/** The endpoint's labels and the Service's; `unknown` workload labels when no endpoint was ready. */
function destinationOf(endpoint: Endpoint | undefined, cluster: Cluster): DestinationIdentity {
  if (endpoint === undefined) return destinationIdentity(undefined, cluster, cluster.service);
  return Object.freeze({
    ...endpointIdentity(endpoint),
    service: cluster.service,
    serviceName: cluster.serviceName,
  });
}
