import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { EndpointRegistry } from '../endpoints/registry.ts';
import { authorityHost, authorityPort } from '../routing/hosts.ts';
import type { RequestFacts } from '../routing/match.ts';
import { backoffMs, retriableFailure, retriableStatus } from '../routing/policy.ts';
import type { RoutingState } from '../routing/state.ts';
import type {
  Cluster,
  CompiledRoute,
  RouteDestination,
  RoutingTable,
  VirtualHost,
} from '../routing/table.ts';
import {
  type DestinationIdentity,
  type RequestRecord,
  requestChannel,
  type WorkloadIdentity,
} from '../telemetry/record.ts';
import { type ClusterRuntime, ClusterSet, type HostState } from './cluster.ts';
import type {
  DownstreamRequest,
  DownstreamResponse,
  RequestBody,
  ResponseListener,
} from './downstream/server.ts';
import { Flags, formatFlags } from './flags.ts';
import { downstreamResponseHeaders, type UpstreamHeaders, upstreamRequestHeaders } from './headers.ts';
import { httpDate } from './http-date.ts';
import { MirrorSender } from './mirror.ts';

/** What a listener plays: the ingress gateway, or the sidecar of one workload. */
export type ListenerContext =
  | { readonly kind: 'gateway'; readonly source?: WorkloadIdentity | undefined }
  | { readonly kind: 'mesh'; readonly source: WorkloadIdentity };

/** Istio's ingress gateway as telemetry labels it. */
export const ingressGatewayIdentity: WorkloadIdentity = Object.freeze({
  workload: 'istio-ingressgateway',
  namespace: 'istio-system',
  app: 'istio-ingressgateway',
  version: 'unknown',
});

/** What the listener makes of an authority under one routing table. */
interface Authority {
  /** Lower case, no port. */
  readonly host: string;
  /** The port the request was sent to: the authority's (mesh), the Gateway server's (edge). */
  readonly port: number;
  readonly virtualHost: VirtualHost | undefined;
}

/** Per-listener state shared by its requests. */
export class ProxyContext {
  readonly edge: boolean;
  readonly source: WorkloadIdentity;
  readonly routing: RoutingState;
  readonly endpoints: EndpointRegistry;
  readonly clusters: ClusterSet;
  readonly mirrors: MirrorSender;
  readonly onRequestEnd: ((record: RequestRecord) => void) | undefined;
  /** Set by the listener once bound: requests for it must not be passed through to itself. */
  selfAuthorities: ReadonlySet<string> = new Set();
  readonly passthrough: (exchange: Exchange, authority: string) => void;
  #table: RoutingTable | undefined;
  #hosts = new Map<string, VirtualHost | null>();
  #authorities = new Map<string, Authority>();

  constructor(options: {
    context: ListenerContext;
    routing: RoutingState;
    endpoints: EndpointRegistry;
    onRequestEnd: ((record: RequestRecord) => void) | undefined;
    mirrorConcurrency: number;
    passthrough: (exchange: Exchange, authority: string) => void;
  }) {
    this.edge = options.context.kind === 'gateway';
    this.source = options.context.source ?? ingressGatewayIdentity;
    this.routing = options.routing;
    this.endpoints = options.endpoints;
    this.clusters = new ClusterSet(options.endpoints);
    this.onRequestEnd = options.onRequestEnd;
    this.mirrors = new MirrorSender(options.mirrorConcurrency);
    this.passthrough = options.passthrough;
  }

  get recording(): boolean {
    return this.onRequestEnd !== undefined || requestChannel.hasSubscribers;
  }

  /** The virtual host for a request host, cached per routing table (null: none). */
  virtualHost(table: RoutingTable, host: string): VirtualHost | undefined {
    this.#useTable(table);
    let found = this.#hosts.get(host);
    if (found === undefined) {
      found =
        (this.edge ? table.ingress.lookup(host) : table.meshVirtualHost(host, this.source.namespace)) ?? null;
      if (this.#hosts.size > 10_000) this.#hosts.clear();
      this.#hosts.set(host, found);
    }
    return found ?? undefined;
  }

  /**
   * Host, port and virtual host of an authority as received, cached per routing table: clients
   * send the same few, so a request does one Map lookup instead of slicing and lower-casing.
   */
  authority(table: RoutingTable, authority: string): Authority {
    this.#useTable(table);
    let found = this.#authorities.get(authority);
    if (found === undefined) {
      const host = authorityHost(authority);
      found = Object.freeze({
        host,
        port: this.edge ? table.binding.port : (authorityPort(authority) ?? 80),
        virtualHost: this.virtualHost(table, host),
      });
      if (this.#authorities.size > 10_000) this.#authorities.clear();
      this.#authorities.set(authority, found);
    }
    return found;
  }

  #useTable(table: RoutingTable): void {
    if (table === this.#table) return;
    this.#table = table;
    this.#hosts = new Map();
    this.#authorities = new Map();
  }

  publish(record: RequestRecord): void {
    this.onRequestEnd?.(record);
    if (requestChannel.hasSubscribers) requestChannel.publish(record);
  }
}

const upstreamConnectError = 'upstream connect error or disconnect/reset before headers. reset reason: ';
/** Request bodies up to this size are buffered so that retries and mirrors can replay them (Envoy buffers too). */
const replayLimit = 1024 * 1024;

const connectFailureCodes = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EADDRNOTAVAIL',
]);

/** Handles one request from arrival to the last byte: route, fault, retries, timeouts, mirror, record. */
export function handleRequest(context: ProxyContext, req: DownstreamRequest, res: DownstreamResponse): void {
  new Exchange(context, req, res).start();
}

export class Exchange implements RequestFacts, ResponseListener {
  readonly context: ProxyContext;
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly started = performance.now();
  // RequestFacts
  authority = '';
  host = '';
  port = 80;
  path = '/';
  pathname = '/';
  readonly method: string;
  readonly scheme = 'http';
  /** Path as received (record). */
  originalPath = '/';

  route: CompiledRoute | undefined;
  destination: RouteDestination | undefined;
  cluster: Cluster | undefined;
  runtime: ClusterRuntime | undefined;
  upstream: UpstreamHeaders | undefined;
  body: Buffer | RequestBody | null = null;
  replayable = true;
  flags = 0;
  status = 0;
  responseBytes = 0;
  requestBytes = 0;
  upstreamServiceTimeMs: number | undefined;
  lastHost: HostState | undefined;
  attempt: Attempt | undefined;
  attempts = 0;
  finished = false;
  /** Headers of a local reply beyond Envoy's own (location, x-envoy-overloaded). */
  replyHeaders: string[] | undefined;
  #routeTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(context: ProxyContext, req: DownstreamRequest, res: DownstreamResponse) {
    this.context = context;
    this.req = req;
    this.res = res;
    this.method = req.method;
  }

  /** The request headers as an object, built only when something reads them (header matches, records). */
  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  start(): void {
    const req = this.req;
    let target = req.url;
    let authority = req.host;
    if (target.charCodeAt(0) !== 47 /* / */) {
      // Absolute form (`GET http://back:8080/path`), as Node sends it to an HTTP_PROXY.
      const scheme = target.indexOf('://');
      if (scheme !== -1) {
        const slash = target.indexOf('/', scheme + 3);
        authority = target.slice(scheme + 3, slash === -1 ? undefined : slash);
        target = slash === -1 ? '/' : target.slice(slash);
      }
    }
    const context = this.context;
    const table = context.routing.table;
    const resolved = context.authority(table, authority);
    this.authority = authority;
    this.host = resolved.host;
    this.port = resolved.port;
    this.path = target;
    this.originalPath = target;
    const query = target.indexOf('?');
    this.pathname = query === -1 ? target : target.slice(0, query);
    this.res.listener = this;

    const virtualHost = resolved.virtualHost;
    if (!virtualHost) {
      if (!context.edge && !context.selfAuthorities.has(authority) && authority !== '') {
        context.passthrough(this, authority);
        return;
      }
      this.localReply(404, '', Flags.NR);
      return;
    }
    const routes = virtualHost.routes;
    let route: CompiledRoute | undefined;
    for (let i = 0; i < routes.length; i++) {
      const candidate = routes[i] as CompiledRoute;
      if (candidate.test(this)) {
        route = candidate;
        break;
      }
    }
    if (!route) {
      this.localReply(404, '', Flags.NR);
      return;
    }
    this.route = route;
    const fault = route.fault;
    if (fault !== undefined) {
      if (fault.delayFraction > 0 && Math.random() < fault.delayFraction) {
        this.flags |= Flags.DI;
        this.#retryTimer = setTimeout(afterDelay, fault.delayMs, this);
        return;
      }
      this.afterDelay();
      return;
    }
    this.dispatchRoute();
  }

  afterDelay(): void {
    this.#retryTimer = undefined;
    if (this.finished) return;
    const fault = (this.route as CompiledRoute).fault;
    if (fault && fault.abortFraction > 0 && Math.random() < fault.abortFraction) {
      this.localReply(fault.abortStatus, 'fault filter abort', Flags.FI);
      return;
    }
    this.dispatchRoute();
  }

  dispatchRoute(): void {
    const route = this.route as CompiledRoute;
    if (route.action === 'redirect') {
      this.redirect();
      return;
    }
    if (route.action === 'direct') {
      const direct = route.directResponse as { status: number; body: string | undefined };
      this.localReply(direct.status, direct.body ?? '', 0);
      return;
    }
    const destination = route.pickDestination();
    this.destination = destination;
    const cluster = destination.cluster(this.port);
    if (!cluster) {
      // Envoy: the route's cluster does not exist (a subset no DestinationRule defines).
      this.localReply(503, '', Flags.NC);
      return;
    }
    this.cluster = cluster;
    this.runtime = this.context.clusters.get(cluster);
    if (route.rewritePath) this.rewrite(route);
    this.upstream = upstreamRequestHeaders(
      this.req,
      destination.authority ?? this.authority,
      destination.requestHeaders,
      this.context.edge,
    );
    // No timer at all unless the route has a timeout (Istio's default has none).
    if (route.timeoutMs > 0) this.#routeTimer = setTimeout(onRouteTimeout, route.timeoutMs, this);

    const req = this.req;
    const body = req.body;
    if (body === null) {
      this.proceed();
      return;
    }
    const size = req.bodyLength;
    this.requestBytes = Math.max(size, 0);
    if (size > 0 && size <= replayLimit && (route.mirrors.length > 0 || route.retry !== undefined)) {
      const chunks: Buffer[] = [];
      body.on('data', (chunk: Buffer) => chunks.push(chunk));
      body.once('end', () => {
        this.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        this.requestBytes = this.body.length;
        this.proceed();
      });
      return;
    }
    // Too large (or of unknown length) to keep: streamed once, so neither retried nor mirrored with its body.
    this.body = body;
    this.replayable = false;
    this.proceed();
  }

  proceed(): void {
    if (this.finished) return;
    const route = this.route as CompiledRoute;
    if (route.mirrors.length > 0) this.sendMirrors(route);
    this.tryUpstream();
  }

  sendMirrors(route: CompiledRoute): void {
    for (const mirror of route.mirrors) {
      if (mirror.fraction < 1 && Math.random() >= mirror.fraction) continue;
      const cluster = mirror.destination.cluster(this.port);
      if (!cluster) continue;
      this.context.mirrors.send(this, this.context.clusters.get(cluster), mirror.destination);
    }
  }

  tryUpstream(): void {
    this.#retryTimer = undefined;
    if (this.finished) return;
    const runtime = this.runtime as ClusterRuntime;
    const now = performance.now();
    const host = runtime.pick(now, this.lastHost);
    if (!host) {
      this.localReply(503, 'no healthy upstream', Flags.UH);
      return;
    }
    if (runtime.overflows()) {
      this.replyHeaders = ['x-envoy-overloaded', 'true'];
      this.localReply(503, `${upstreamConnectError}overflow`, Flags.UO);
      return;
    }
    this.lastHost = host;
    this.attempts++;
    const upstream = this.upstream as UpstreamHeaders;
    if (this.attempts > 1) upstream.list[upstream.attemptIndex] = String(this.attempts);
    const attempt = new Attempt(this, runtime, host, now);
    this.attempt = attempt;
    runtime.active++;
    host.active++;
    const perTry = (this.route as CompiledRoute).retry?.perTryTimeoutMs ?? 0;
    if (perTry > 0) attempt.timer = setTimeout(onPerTryTimeout, perTry, attempt);
    try {
      runtime.pool(host).dispatch(
        {
          path: this.path,
          method: this.method,
          headers: upstream.list,
          body: this.body,
        },
        attempt,
      );
    } catch (error) {
      attempt.onResponseError(undefined, error as Error);
    }
  }

  /** Called by an attempt that failed before any response byte reached the client. */
  attemptFailed(attempt: Attempt, kind: 'connect' | 'reset' | 'timeout' | 'status', status: number): boolean {
    const retry = (this.route as CompiledRoute).retry;
    if (!retry || this.finished) return false;
    const retriable =
      kind === 'status'
        ? retriableStatus(retry, status)
        : kind === 'timeout'
          ? retriableFailure(retry, false)
          : retriableFailure(retry, kind === 'connect');
    if (!retriable) return false;
    if (this.attempts > retry.numRetries || !this.replayable) {
      this.flags |= Flags.URX;
      return false;
    }
    if (attempt !== this.attempt) return true;
    this.#retryTimer = setTimeout(retryNow, backoffMs(retry, this.attempts), this);
    return true;
  }

  onRouteTimeout(): void {
    this.#routeTimer = undefined;
    if (this.finished) return;
    this.attempt?.abort();
    if (this.res.headersSent) {
      this.flags |= Flags.UT;
      this.res.destroy();
      this.finish();
      return;
    }
    this.localReply(504, 'upstream request timeout', Flags.UT);
  }

  onClientClose(): void {
    if (this.finished) return;
    this.attempt?.abort();
    this.flags |= Flags.DC;
    this.finish();
  }

  rewrite(route: CompiledRoute): void {
    let block = 0;
    for (let i = 0; i < route.matches.length; i++) {
      if ((route.matches[i] as { test: (r: RequestFacts) => boolean }).test(this)) {
        block = i;
        break;
      }
    }
    this.path = (route.rewritePath as (p: string, n: string, b: number) => string)(
      this.path,
      this.pathname,
      block,
    );
  }

  redirect(): void {
    const redirect = (this.route as CompiledRoute).redirect as NonNullable<CompiledRoute['redirect']>;
    const scheme = redirect.scheme ?? this.scheme;
    let host = redirect.authority ?? this.authority;
    let port = '';
    if (
      redirect.port !== undefined ||
      redirect.derivePort !== undefined ||
      redirect.authority === undefined
    ) {
      const bare = authorityHost(host) || host;
      const existing = authorityPort(host);
      host = bare;
      if (redirect.port !== undefined) port = `:${redirect.port}`;
      else if (redirect.derivePort === 'FROM_REQUEST_PORT')
        port = `:${authorityPort(this.authority) ?? this.port}`;
      else if (redirect.derivePort === undefined && existing !== undefined) port = `:${existing}`;
    }
    const query = this.path.slice(this.pathname.length);
    let path = this.path;
    if (redirect.uri !== undefined) path = redirect.uri.includes('?') ? redirect.uri : redirect.uri + query;
    this.replyHeaders = ['location', `${scheme}://${host}${port}${path}`];
    this.localReply(redirect.redirectCode, '', 0);
  }

  /** An answer Envoy makes itself: short plain text. */
  localReply(status: number, body: string, flag: number): void {
    if (this.finished) return;
    this.flags |= flag;
    this.status = status;
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      this.finish();
      return;
    }
    const bytes = body.length > 0 ? Buffer.from(body) : undefined;
    const length = bytes?.length ?? 0;
    this.responseBytes = length;
    const headers = ['content-length', String(length)];
    if (length > 0) headers.push('content-type', 'text/plain');
    headers.push('date', httpDate(), 'server', 'istio-envoy');
    if (this.replyHeaders !== undefined) headers.push(...this.replyHeaders);
    res.writeHead(status, undefined, headers);
    res.end(bytes);
    this.finish();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.#routeTimer) clearTimeout(this.#routeTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.context.recording)
      this.context.publish(
        this.record(
          false,
          this.status,
          this.flags,
          this.lastHost,
          this.cluster,
          performance.now() - this.started,
          this.destination,
          this.responseBytes,
          this.upstreamServiceTimeMs,
        ),
      );
  }

  /**
   * The telemetry record of this request, or (mirror) of one mirrored copy. Allocates the record
   * and little else: identities are shared objects (telemetry caches by identity), strings are
   * cached per socket or constant.
   */
  record(
    mirror: boolean,
    status: number,
    flags: number,
    host: HostState | undefined,
    cluster: Cluster | undefined,
    durationMs: number,
    destination: RouteDestination | undefined,
    responseBytes: number,
    upstreamServiceTimeMs: number | undefined,
  ): RequestRecord {
    const req = this.req;
    const upstream = this.upstream;
    const service = cluster?.service ?? destination?.service;
    const socket = connectionOf(req);
    return {
      startTime: epochMs(this.started),
      durationMs,
      upstreamServiceTimeMs,
      method: this.method,
      path: this.originalPath,
      protocol: req.httpVersion === '1.1' ? 'HTTP/1.1' : 'HTTP/1.0',
      authority: this.authority,
      status,
      responseFlags: formatFlags(flags),
      requestBytes: this.requestBytes,
      responseBytes,
      // Without upstream headers (a local reply), the headers object is built for the two values.
      requestId: upstream?.requestId ?? (req.headers['x-request-id'] as string | undefined),
      userAgent: req.userAgent,
      forwardedFor: upstream?.forwardedFor ?? (req.headers['x-forwarded-for'] as string | undefined),
      upstreamHost: host?.address,
      upstreamCluster: cluster?.name,
      routeName: this.route?.name,
      source: this.context.source,
      destination: service === undefined ? undefined : destinationIdentity(host, cluster, service),
      mirror,
      downstreamRemoteAddress: socket.remote,
      downstreamLocalAddress: socket.local,
    };
  }
}

function afterDelay(exchange: Exchange): void {
  exchange.afterDelay();
}

function retryNow(exchange: Exchange): void {
  exchange.tryUpstream();
}

function onRouteTimeout(exchange: Exchange): void {
  exchange.onRouteTimeout();
}

function onPerTryTimeout(attempt: Attempt): void {
  attempt.onPerTryTimeout();
}

/**
 * Epoch milliseconds of a `performance.now()` reading. The offset between the two clocks is
 * re-read at most once a second, so that a record costs no `Date.now()` and still follows the
 * wall clock when it is adjusted.
 */
let clockOffset = Date.now() - performance.now();
let clockCheckedAt = performance.now();
function epochMs(monotonic: number): number {
  if (monotonic - clockCheckedAt > 1_000) {
    clockCheckedAt = performance.now();
    clockOffset = Date.now() - clockCheckedAt;
  }
  return clockOffset + monotonic;
}

/** Addresses of a client connection as the access log prints them, formatted once per connection. */
interface ConnectionAddresses {
  readonly remote: string;
  readonly local: string;
}
const addressesOf = Symbol('addresses');
type TaggedSocket = DownstreamRequest['socket'] & { [addressesOf]?: ConnectionAddresses };

function connectionOf(req: DownstreamRequest): ConnectionAddresses {
  const socket = req.socket as TaggedSocket;
  let addresses = socket[addressesOf];
  if (addresses === undefined) {
    addresses = {
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      local: `${socket.localAddress}:${socket.localPort}`,
    };
    socket[addressesOf] = addresses;
  }
  return addresses;
}

/** The destination labels of a record: shared per endpoint and cluster, built only on error paths. */
function destinationIdentity(
  host: HostState | undefined,
  cluster: Cluster | undefined,
  service: string,
): DestinationIdentity {
  if (host !== undefined) return host.destinationIdentity(cluster, service);
  return Object.freeze({
    workload: 'unknown',
    namespace: cluster?.namespace ?? 'unknown',
    app: 'unknown',
    version: 'unknown',
    service,
    serviceName: cluster?.serviceName ?? service.split('.')[0] ?? service,
  });
}

/** One try upstream: undici's dispatch handler, streaming the answer to the client. */
export class Attempt implements Dispatcher.DispatchHandler {
  readonly exchange: Exchange;
  readonly runtime: ClusterRuntime;
  readonly host: HostState;
  readonly startedAt: number;
  timer: NodeJS.Timeout | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #done = false;
  #streaming = false;

  constructor(exchange: Exchange, runtime: ClusterRuntime, host: HostState, startedAt: number) {
    this.exchange = exchange;
    this.runtime = runtime;
    this.host = host;
    this.startedAt = startedAt;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#done) controller.abort(new Error('attempt abandoned'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (this.#done) return;
    const exchange = this.exchange;
    const now = performance.now();
    this.runtime.report(this.host, statusCode, now);
    const retry = exchange.route?.retry;
    // Only policies that retry on some answer look at the status (Istio's default retries on none).
    if (retry?.onStatus === true && exchange.attemptFailed(this, 'status', statusCode)) {
      this.#release();
      controller.abort(new Error('retrying'));
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const res = exchange.res;
    if (exchange.finished || res.headersSent) {
      this.#release();
      controller.abort(new Error('client gone'));
      return;
    }
    this.#streaming = true;
    exchange.status = statusCode;
    exchange.upstreamServiceTimeMs = now - this.startedAt;
    const outgoing = downstreamResponseHeaders(
      headers,
      exchange.destination?.responseHeaders,
      exchange.upstreamServiceTimeMs,
    );
    res.writeHead(statusCode, statusMessage, outgoing);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done) return;
    const exchange = this.exchange;
    exchange.responseBytes += chunk.length;
    if (!exchange.res.write(chunk)) {
      controller.pause();
      exchange.res.waitForDrain(controller);
    }
  }

  onResponseEnd(): void {
    if (this.#done) return;
    this.#release();
    this.exchange.res.end();
    this.exchange.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#done) return;
    this.#release();
    const exchange = this.exchange;
    if (exchange.finished) return;
    if (this.#streaming) {
      // Headers already went out: all the client can learn is that the response broke off.
      exchange.flags |= Flags.UC;
      exchange.res.destroy();
      exchange.finish();
      return;
    }
    const code =
      (error as NodeJS.ErrnoException).code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
    const connect = code !== undefined && connectFailureCodes.has(code);
    this.runtime.report(this.host, 503, performance.now());
    if (exchange.attemptFailed(this, connect ? 'connect' : 'reset', 503)) return;
    if (connect) exchange.localReply(503, `${upstreamConnectError}connection failure`, Flags.UF);
    else exchange.localReply(503, `${upstreamConnectError}connection termination`, Flags.UC);
  }

  onPerTryTimeout(): void {
    this.timer = undefined;
    if (this.#done) return;
    this.#release();
    this.#controller?.abort(new Error('per try timeout'));
    const exchange = this.exchange;
    this.runtime.report(this.host, 504, performance.now());
    if (exchange.attemptFailed(this, 'timeout', 504)) return;
    exchange.localReply(504, 'upstream request timeout', Flags.UT);
  }

  /** Stops this attempt (route timeout, client gone). */
  abort(): void {
    if (this.#done) return;
    this.#release();
    this.#controller?.abort(new Error('request ended'));
  }

  #release(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.timer) clearTimeout(this.timer);
    this.runtime.active--;
    this.host.active--;
  }
}
