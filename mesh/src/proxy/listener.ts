import { type IncomingHttpHeaders, STATUS_CODES } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import { type Dispatcher, Pool } from 'undici';
import type { EndpointRegistry } from '../endpoints/registry.ts';
import { PortInUseError } from '../errors.ts';
import { authorityHost, authorityPort } from '../routing/hosts.ts';
import type { RoutingState } from '../routing/state.ts';
import type { RequestRecord } from '../telemetry/record.ts';
import {
  createDownstreamServer,
  type DownstreamRequest,
  type DownstreamServer,
} from './downstream/server.ts';
import { type Exchange, handleRequest, type ListenerContext, ProxyContext } from './exchange.ts';
import { Flags, formatFlags, singleFlag } from './flags.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import type { MeshSettings } from './settings.ts';
import { refuseTcp, reportTcpExchange, responseHeadBytes, type TcpTarget, tunnelTcp } from './tcp-proxy.ts';
import { asUpstreamError, upstreamFailureReply } from './upstream/errors.ts';

export type { ListenerContext } from './exchange.ts';

export interface ListenerOptions {
  /** 0 picks a free port; undefined leaves it unbound, serving only what `serve` is given (a TLS front's sockets). */
  readonly port: number | undefined;
  readonly host: string;
  /** `{ kind: 'gateway' }` for the ingress gateway, `{ kind: 'mesh', source }` for a workload's sidecar. */
  readonly context: ListenerContext;
  readonly routing: RoutingState;
  readonly endpoints: EndpointRegistry;
  /** Also called with every finished request (the channel `requestChannel` gets them regardless). */
  readonly onRequestEnd?: ((record: RequestRecord) => void) | undefined;
  /** Mirrored copies in flight at most, per listener (default 128). */
  readonly mirrorConcurrency?: number | undefined;
  /** Mesh-wide settings (`-shadow` suffix, path normalization); `defaultMeshSettings` when absent. */
  readonly settings?: MeshSettings | undefined;
  /** The scheme requests arrive with: `https` for a gateway's TLS filter chain (default `http`). */
  readonly scheme?: 'http' | 'https' | undefined;
}

export interface Listener {
  /** `http://<host>:<port>` as bound (the real port when asked for port 0); '' and 0 when unbound. */
  readonly url: string;
  readonly port: number;
  /** Serves HTTP on a connection accepted elsewhere, such as a decrypted TLS socket. */
  serve(socket: Socket): void;
  close(): Promise<void>;
}

/**
 * Starts one Envoy-like listener. The gateway kind routes by the VirtualServices bound to the
 * Gateways the ingress plays; the mesh kind is a workload's outbound sidecar: it takes
 * absolute-form requests (`GET http://back:8080/x`, from `http.request` with HTTP_PROXY) and
 * CONNECT tunnels (from `fetch`), and routes by VirtualServices bound to `mesh`, else to the
 * Service itself; hosts that are no Service pass through (Istio's ALLOW_ANY).
 */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  const passthroughPools = new Map<string, Pool>();
  const context = new ProxyContext({
    context: options.context,
    routing: options.routing,
    endpoints: options.endpoints,
    onRequestEnd: options.onRequestEnd,
    settings: options.settings,
    scheme: options.scheme,
    mirrorConcurrency: options.mirrorConcurrency ?? 128,
    passthrough: (exchange, authority) => passthrough(exchange, authority, passthroughPools),
    tcpProxy: (exchange, service) => tcpProxy(exchange, service, passthroughPools),
  });
  const tunnels = new Set<Socket>();
  const downstream: DownstreamServer = createDownstreamServer({
    request: (req, res) => handleRequest(context, req, res),
    connect: (req, socket, head) => onConnect(downstream, context, req, socket, head, tunnels),
    protocolError: (status, socket) => {
      if (context.recording) context.publish(protocolErrorRecord(context, status, socket));
    },
  });
  const server = downstream.server;
  let port = 0;
  let url = '';
  if (options.port !== undefined) {
    await listen(server, options.port, options.host);
    port = (server.address() as AddressInfo).port;
    const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
    context.selfAuthorities = new Set([`${urlHost}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`]);
    url = `http://${urlHost}:${port}`;
  }
  return {
    url,
    port,
    serve: (socket) => downstream.serve(socket, noBytes),
    close: async () => {
      for (const socket of tunnels) socket.destroy();
      await downstream.close();
      await Promise.all([...passthroughPools.values()].map((pool) => pool.destroy().catch(() => {})));
    },
  };
}

/**
 * `CONNECT back:8080`: for a mesh host, answer 200 and serve the plain HTTP inside the tunnel as
 * if it had arrived directly (routed by its Host header); a Service's TCP port is tunnelled to one
 * of its endpoints; anything else is tunnelled as TCP as addressed.
 */
function onConnect(
  downstream: DownstreamServer,
  context: ProxyContext,
  req: DownstreamRequest,
  socket: Socket,
  head: Buffer,
  tunnels: Set<Socket>,
): void {
  const authority = req.url;
  const host = authorityHost(authority);
  const port = authorityPort(authority) ?? 443;
  if (context.edge || context.selfAuthorities.has(authority) || host === '') {
    // Envoy matches CONNECT only to routes with a connect matcher, which Istio's HTTP routes lack.
    socket.end(
      `HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nserver: ${context.serverName}\r\nconnection: close\r\n\r\n`,
    );
    if (context.recording)
      context.publish({ ...protocolErrorRecord(context, 404, socket), ...connectNotRouted(authority) });
    return;
  }
  const resolved = context.authority(context.routing.table, `${host}:${port}`);
  if (resolved.virtualHost !== undefined) {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    downstream.serve(socket, head);
    return;
  }
  const cluster = resolved.tcpCluster;
  let target: TcpTarget = {
    host: host.replace(/^\[|\]$/g, ''),
    port,
    cluster: undefined,
    endpoint: undefined,
  };
  if (cluster !== undefined) {
    // A Service's TCP port: Istio's tcp_proxy to one of its endpoints.
    const endpoint = context.endpoints.pick(cluster.service);
    if (endpoint === undefined) {
      refuseTcp(context, socket, authority, { ...target, cluster });
      return;
    }
    const origin = new URL(endpoint.origin);
    target = { host: origin.hostname, port: Number(origin.port), cluster, endpoint };
  }
  tunnels.add(socket);
  socket.once('close', () => tunnels.delete(socket));
  tunnelTcp(context, socket, head, authority, target);
}

function connectNotRouted(authority: string): Partial<RequestRecord> {
  return { method: 'CONNECT', authority, responseFlags: formatFlags(singleFlag(Flags.NR)), responseBytes: 0 };
}

/** What Envoy logs for a request its codec refused: no method, path or route, flag DPE. */
function protocolErrorRecord(context: ProxyContext, status: number, socket: Socket): RequestRecord {
  return {
    reporter: 'source',
    startTime: Date.now(),
    durationMs: 0,
    upstreamServiceTimeMs: undefined,
    method: '-',
    path: '-',
    protocol: 'HTTP/1.1',
    authority: '-',
    status,
    responseFlags: formatFlags(singleFlag(Flags.DPE)),
    requestBytes: 0,
    responseBytes: (STATUS_CODES[status] ?? '').length,
    requestId: undefined,
    userAgent: undefined,
    forwardedFor: undefined,
    upstreamHost: undefined,
    upstreamCluster: undefined,
    routeName: undefined,
    source: context.source,
    destination: undefined,
    mirror: false,
    downstreamRemoteAddress: `${socket.remoteAddress}:${socket.remotePort}`,
    downstreamLocalAddress: `${socket.localAddress}:${socket.localPort}`,
  };
}

/**
 * A request for a Service's TCP port (protocols.ts). Istio's sidecar has a TCP proxy there, not an
 * HTTP route table: no VirtualService HTTP route, retry, timeout or fault applies, and the bytes
 * go to one endpoint of the Service. Here the request goes on to an endpoint (round robin) as the
 * passthrough sends it; no ready endpoint closes the connection, as a TCP proxy does (flag `UH`).
 * It is reported as a TCP connection, not as an HTTP request.
 */
function tcpProxy(exchange: Exchange, service: string, pools: Map<string, Pool>): void {
  const context = exchange.context;
  const cluster = context.authority(context.routing.table, exchange.authority).tcpCluster;
  const endpoint = context.endpoints.pick(service);
  exchange.reportTcp = (finished) => reportTcpExchange(finished, cluster, endpoint);
  if (endpoint === undefined) {
    exchange.addFlag(Flags.UH);
    exchange.res.destroy();
    exchange.finish();
    return;
  }
  passthrough(exchange, exchange.authority, pools, endpoint.origin);
}

/** Istio's PassthroughCluster (outboundTrafficPolicy ALLOW_ANY): a host that is no Service goes out as addressed. */
function passthrough(
  exchange: Exchange,
  authority: string,
  pools: Map<string, Pool>,
  origin = `http://${authority.includes(':') ? authority : `${authority}:80`}`,
): void {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections: 16, headersTimeout: 0, bodyTimeout: 0 });
    pools.set(origin, pool);
  }
  const upstream = upstreamRequestHeaders(exchange.req, authority, emptyMutation, false);
  exchange.upstream = upstream;
  const started = performance.now();
  const res = exchange.res;
  const handler: Dispatcher.DispatchHandler = {
    // undici refuses a handler of its new interface without this method ("invalid onRequestStart").
    onRequestStart() {},
    onResponseStart(_c, status, headers, message) {
      exchange.status = status;
      exchange.upstreamServiceTimeMs = performance.now() - started;
      const list = downstreamResponseHeaders(
        headerList(headers),
        undefined,
        exchange.upstreamServiceTimeMs,
        exchange.context.serverName,
      );
      res.writeHead(status, message, list);
      // A TCP port's request counts its response head among the bytes sent.
      if (exchange.reportTcp !== undefined)
        exchange.responseBytes += responseHeadBytes(status, message || (STATUS_CODES[status] ?? ''), list);
    },
    onResponseData(controller, chunk) {
      exchange.responseBytes += chunk.length;
      if (!res.write(chunk)) {
        controller.pause();
        res.waitForDrain(controller);
      }
    },
    onResponseEnd() {
      res.end();
      exchange.finish();
    },
    onResponseError(_c, error) {
      if (res.headersSent) {
        exchange.addFlag(Flags.UC);
        res.destroy();
        exchange.finish();
        return;
      }
      exchange.fail(upstreamFailureReply(asUpstreamError(error), false));
    },
  };
  pool.dispatch(
    {
      path: exchange.path,
      method: exchange.method,
      headers: upstream.list,
      body: exchange.req.body,
    },
    handler,
  );
}

const noBytes = Buffer.alloc(0);

/** undici's parsed response headers as a flat `[name, value, ...]`, repeats one pair each. */
function headerList(headers: IncomingHttpHeaders): string[] {
  const list: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') list.push(name, value);
    else if (value !== undefined) for (const item of value) list.push(name, item);
  }
  return list;
}

const emptyMutation = Object.freeze({
  drop: new Set<string>(),
  append: Object.freeze([]) as readonly string[],
  authority: undefined,
});

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'mesh listener') : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
