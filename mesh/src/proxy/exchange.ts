import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
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
import { type RequestRecord, requestChannel, type WorkloadIdentity } from '../telemetry/record.ts';
import { type ClusterRuntime, ClusterSet, type HostState } from './cluster.ts';
import { Flags, formatFlags } from './flags.ts';
import { downstreamResponseHeaders, type UpstreamHeaders, upstreamRequestHeaders } from './headers.ts';
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
    if (table !== this.#table) {
      this.#table = table;
      this.#hosts = new Map();
    }
    let found = this.#hosts.get(host);
    if (found === undefined) {
      found =
        (this.edge ? table.ingress.lookup(host) : table.meshVirtualHost(host, this.source.namespace)) ?? null;
      if (this.#hosts.size > 10_000) this.#hosts.clear();
      this.#hosts.set(host, found);
    }
    return found ?? undefined;
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
export function handleRequest(context: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  new Exchange(context, req, res).start();
}

export class Exchange implements RequestFacts {
  readonly context: ProxyContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly started = performance.now();
  // RequestFacts
  authority = '';
  host = '';
  port = 80;
  path = '/';
  pathname = '/';
  readonly method: string;
  readonly scheme = 'http';
  readonly headers: IncomingHttpHeaders;
  /** Path as received (record). */
  originalPath = '/';

  route: CompiledRoute | undefined;
  destination: RouteDestination | undefined;
  cluster: Cluster | undefined;
  runtime: ClusterRuntime | undefined;
  upstream: UpstreamHeaders | undefined;
  body: Buffer | IncomingMessage | null = null;
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
  #routeTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(context: ProxyContext, req: IncomingMessage, res: ServerResponse) {
    this.context = context;
    this.req = req;
    this.res = res;
    this.method = req.method ?? 'GET';
    this.headers = req.headers;
  }

  start(): void {
    const req = this.req;
    let target = req.url ?? '/';
    let authority = req.headers.host ?? '';
    if (target.charCodeAt(0) !== 47 /* / */) {
      // Absolute form (`GET http://back:8080/path`), as Node sends it to an HTTP_PROXY.
      const scheme = target.indexOf('://');
      if (scheme !== -1) {
        const slash = target.indexOf('/', scheme + 3);
        authority = target.slice(scheme + 3, slash === -1 ? undefined : slash);
        target = slash === -1 ? '/' : target.slice(slash);
      }
    }
    this.authority = authority;
    this.host = authorityHost(authority);
    this.port = this.context.edge
      ? this.context.routing.table.binding.port
      : (authorityPort(authority) ?? 80);
    this.path = target;
    this.originalPath = target;
    const query = target.indexOf('?');
    this.pathname = query === -1 ? target : target.slice(0, query);
    this.res.once('close', this.onClientClose);

    const table = this.context.routing.table;
    const virtualHost = this.context.virtualHost(table, this.host);
    if (!virtualHost) {
      if (!this.context.edge && !this.context.selfAuthorities.has(authority) && authority !== '') {
        this.context.passthrough(this, authority);
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
        this.#retryTimer = setTimeout(this.afterDelay, fault.delayMs);
        return;
      }
      this.afterDelay();
      return;
    }
    this.dispatchRoute();
  }

  readonly afterDelay = (): void => {
    this.#retryTimer = undefined;
    if (this.finished) return;
    const fault = (this.route as CompiledRoute).fault;
    if (fault && fault.abortFraction > 0 && Math.random() < fault.abortFraction) {
      this.localReply(fault.abortStatus, 'fault filter abort', Flags.FI);
      return;
    }
    this.dispatchRoute();
  };

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
    if (route.timeoutMs > 0) this.#routeTimer = setTimeout(this.onRouteTimeout, route.timeoutMs);

    const req = this.req;
    const length = req.headers['content-length'];
    if (length === undefined && req.headers['transfer-encoding'] === undefined) {
      this.proceed();
      return;
    }
    const size = length === undefined ? Number.POSITIVE_INFINITY : Number(length);
    this.requestBytes = Number.isFinite(size) ? size : 0;
    if (size === 0) {
      this.proceed();
      return;
    }
    if (size <= replayLimit && (route.mirrors.length > 0 || route.retry !== undefined)) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.once('end', () => {
        this.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        this.requestBytes = this.body.length;
        this.proceed();
      });
      return;
    }
    // Too large (or of unknown length) to keep: streamed once, so neither retried nor mirrored with its body.
    this.body = req;
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
      this.res.setHeader('x-envoy-overloaded', 'true');
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
    if (perTry > 0) attempt.timer = setTimeout(attempt.onPerTryTimeout, perTry);
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
    this.#retryTimer = setTimeout(this.retryNow, backoffMs(retry, this.attempts));
    return true;
  }

  readonly retryNow = (): void => this.tryUpstream();

  readonly onRouteTimeout = (): void => {
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
  };

  readonly onClientClose = (): void => {
    if (this.finished) return;
    this.attempt?.abort();
    this.flags |= Flags.DC;
    this.finish();
  };

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
    this.res.setHeader('location', `${scheme}://${host}${port}${path}`);
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
    const length = Buffer.byteLength(body);
    this.responseBytes = length;
    res.setHeader('content-length', length);
    if (length > 0) res.setHeader('content-type', 'text/plain');
    res.setHeader('server', 'istio-envoy');
    res.writeHead(status);
    res.end(body);
    this.finish();
    // A body nobody will read: drain it so that the connection stays usable.
    if (!this.req.complete && this.body !== this.req) this.req.resume();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.#routeTimer) clearTimeout(this.#routeTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.context.recording)
      this.context.publish(this.record(false, this.status, this.flags, this.lastHost));
  }

  record(
    mirror: boolean,
    status: number,
    flags: number,
    host: HostState | undefined,
    cluster = this.cluster,
    durationMs = performance.now() - this.started,
    destination = this.destination,
    responseBytes = this.responseBytes,
    upstreamServiceTimeMs = this.upstreamServiceTimeMs,
  ): RequestRecord {
    const headers = this.req.headers;
    const service = cluster?.service ?? destination?.service;
    return {
      startTime: Date.now() - (performance.now() - this.started),
      durationMs,
      upstreamServiceTimeMs,
      method: this.method,
      path: this.originalPath,
      protocol: `HTTP/${this.req.httpVersion}`,
      authority: this.authority,
      status,
      responseFlags: formatFlags(flags),
      requestBytes: this.requestBytes,
      responseBytes,
      requestId: this.upstream?.requestId ?? (headers['x-request-id'] as string | undefined),
      userAgent: headers['user-agent'],
      forwardedFor: this.upstream?.forwardedFor ?? (headers['x-forwarded-for'] as string | undefined),
      upstreamHost: host?.address,
      upstreamCluster: cluster?.name,
      routeName: this.route?.name,
      source: this.context.source,
      destination:
        service === undefined
          ? undefined
          : {
              ...(host?.identity ?? {
                workload: 'unknown',
                namespace: cluster?.namespace ?? 'unknown',
                app: 'unknown',
                version: 'unknown',
              }),
              service,
              serviceName: cluster?.serviceName ?? service.split('.')[0] ?? service,
            },
      mirror,
      downstreamRemoteAddress: `${this.req.socket.remoteAddress}:${this.req.socket.remotePort}`,
      downstreamLocalAddress: `${this.req.socket.localAddress}:${this.req.socket.localPort}`,
    };
  }
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
    if (exchange.route?.retry !== undefined && exchange.attemptFailed(this, 'status', statusCode)) {
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
    ) as Record<string, string | string[]>;
    if (statusMessage) res.writeHead(statusCode, statusMessage, outgoing);
    else res.writeHead(statusCode, outgoing);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done) return;
    const exchange = this.exchange;
    exchange.responseBytes += chunk.length;
    if (!exchange.res.write(chunk)) {
      controller.pause();
      exchange.res.once('drain', () => controller.resume());
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

  readonly onPerTryTimeout = (): void => {
    this.timer = undefined;
    if (this.#done) return;
    this.#release();
    this.#controller?.abort(new Error('per try timeout'));
    const exchange = this.exchange;
    this.runtime.report(this.host, 504, performance.now());
    if (exchange.attemptFailed(this, 'timeout', 504)) return;
    exchange.localReply(504, 'upstream request timeout', Flags.UT);
  };

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
