import type { IncomingHttpHeaders } from 'node:http';
import type { EndpointRegistry } from '../endpoints/registry.ts';
import {
  type LocalReplyError,
  PathNormalizationError,
  RouteNotFoundError,
  UpstreamTimeoutError,
} from '../errors.ts';
import type { RequestFacts } from '../routing/match.ts';
import type { ResponseHeaderMutation } from '../routing/policy.ts';
import type { RoutingState } from '../routing/state.ts';
import type {
  ClientIdentity,
  ClientView,
  Cluster,
  CompiledRoute,
  RouteDestination,
  RoutingTable,
} from '../routing/table.ts';
import { type RequestRecord, requestChannel, type WorkloadIdentity } from '../telemetry/record.ts';
import { type ClusterRuntime, ClusterSet, type HostState } from './cluster.ts';
import type {
  DownstreamRequest,
  DownstreamResponse,
  RequestBody,
  ResponseListener,
} from './downstream/server.ts';
import { eventNow } from './event-clock.ts';
import { addFlag, type FlagSequence, Flags, flagMask } from './flags.ts';
import type { UpstreamHeaders } from './headers.ts';
import { httpDate } from './http-date.ts';
import { MirrorSender } from './mirror.ts';
import {
  matchRoute,
  normalizePath,
  type ResolvedAuthority,
  requestTarget,
  resolveAuthority,
} from './resolve.ts';
import { defaultMeshSettings, type MeshSettings } from './settings.ts';
import type { PrimaryComparison } from './shadow-compare.ts';
import { chainOf, type Step } from './stages/chain.ts';
import { exchangeRecord } from './stages/record.ts';
import type { RetryStage } from './stages/retry.ts';
import type { Stage } from './stages/stage.ts';
import type { Attempt } from './stages/upstream.ts';

/**
 * What a listener plays: the ingress gateway, or the sidecar of one workload. A sidecar's `labels`
 * are its pod's (VirtualService match `sourceLabels`); none given, such matches leave it out.
 */
export type ListenerContext =
  | { readonly kind: 'gateway'; readonly source?: WorkloadIdentity | undefined }
  | {
      readonly kind: 'mesh';
      readonly source: WorkloadIdentity;
      readonly labels?: Readonly<Record<string, string>> | undefined;
    };

/** Who a sidecar is to the routing table: the view it routes by (`table.view`). */
export function clientOf(context: ListenerContext): ClientIdentity | undefined {
  if (context.kind === 'gateway') return undefined;
  const { namespace } = context.source;
  return context.labels === undefined ? { namespace } : { namespace, labels: context.labels };
}

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
  /** Undefined at the edge: the ingress routes by its Gateway ports' virtual hosts. */
  readonly client: ClientIdentity | undefined;
  /** `https` on a gateway's TLS listener (route `scheme` matches, redirects keeping the scheme). */
  readonly scheme: 'http' | 'https';
  readonly routing: RoutingState;
  readonly endpoints: EndpointRegistry;
  readonly settings: MeshSettings;
  readonly clusters: ClusterSet;
  readonly mirrors: MirrorSender;
  /**
   * Envoy's `server` header: Istio names gateways and inbound listeners `istio-envoy`; a sidecar's
   * outbound listener keeps Envoy's default, `envoy`.
   */
  readonly serverName: string;
  readonly onRequestEnd: ((record: RequestRecord) => void) | undefined;
  /** Set by the listener once bound: requests for it must not be passed through to itself. */
  selfAuthorities: ReadonlySet<string> = new Set();
  readonly passthrough: (exchange: Exchange, authority: string) => void;
  /** A request for a Service's TCP port: sent on to one of its endpoints, no HTTP route applied. */
  readonly tcpProxy: (exchange: Exchange, service: string) => void;
  private table: RoutingTable | undefined;
  private view: ClientView | undefined;
  private authorities = new Map<string, ResolvedAuthority>();

  constructor(options: {
    context: ListenerContext;
    routing: RoutingState;
    endpoints: EndpointRegistry;
    settings?: MeshSettings | undefined;
    scheme?: 'http' | 'https' | undefined;
    onRequestEnd: ((record: RequestRecord) => void) | undefined;
    mirrorConcurrency: number;
    passthrough: (exchange: Exchange, authority: string) => void;
    tcpProxy: (exchange: Exchange, service: string) => void;
  }) {
    this.edge = options.context.kind === 'gateway';
    this.source = options.context.source ?? ingressGatewayIdentity;
    this.client = clientOf(options.context);
    this.scheme = options.scheme ?? 'http';
    this.routing = options.routing;
    this.endpoints = options.endpoints;
    this.settings = options.settings ?? defaultMeshSettings;
    this.clusters = new ClusterSet(options.endpoints);
    this.onRequestEnd = options.onRequestEnd;
    this.mirrors = new MirrorSender(options.mirrorConcurrency, this.settings.shadowHostSuffix);
    this.serverName = this.edge ? 'istio-envoy' : 'envoy';
    this.passthrough = options.passthrough;
    this.tcpProxy = options.tcpProxy;
  }

  get recording(): boolean {
    return this.onRequestEnd !== undefined || requestChannel.hasSubscribers;
  }

  /**
   * `resolveAuthority` for an authority as received, cached per routing table: clients send the
   * same few, so a request does one Map lookup instead of slicing, lower-casing and host lookups.
   */
  authority(table: RoutingTable, authority: string): ResolvedAuthority {
    this.useTable(table);
    let found = this.authorities.get(authority);
    if (found === undefined) {
      found = resolveAuthority(table, this.view, authority);
      if (this.authorities.size > 10_000) this.authorities.clear();
      this.authorities.set(authority, found);
    }
    return found;
  }

  /** The view of the client of a new table (routes compiled for its namespace and labels), once per table. */
  private useTable(table: RoutingTable): void {
    if (table === this.table) return;
    this.table = table;
    this.view = this.client === undefined ? undefined : table.view(this.client);
    this.authorities = new Map();
  }

  publish(record: RequestRecord): void {
    this.onRequestEnd?.(record);
    if (requestChannel.hasSubscribers) requestChannel.publish(record);
  }
}

const routeNotFound = new RouteNotFoundError();
const pathRefused = new PathNormalizationError();

/** Handles one request from arrival to the last byte: resolve, then the route's chain of stages. */
export function handleRequest(context: ProxyContext, req: DownstreamRequest, res: DownstreamResponse): void {
  new Exchange(context, req, res).start();
}

/**
 * One request through one listener. It holds the request's state; what to do with it lives in the
 * stages of the route's chain (mesh/src/proxy/stages), which it runs in order.
 */
export class Exchange implements RequestFacts, ResponseListener {
  readonly context: ProxyContext;
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly started = eventNow();
  // RequestFacts
  authority = '';
  host = '';
  port = 80;
  /** The path sent upstream: normalized, then rewritten. */
  path = '/';
  pathname = '/';
  readonly method: string;
  readonly scheme: string;
  /** The normalized path before any rewrite (the record's). */
  originalPath = '/';

  route: CompiledRoute | undefined;
  destination: RouteDestination | undefined;
  cluster: Cluster | undefined;
  runtime: ClusterRuntime | undefined;
  upstream: UpstreamHeaders | undefined;
  responseHeaders: ResponseHeaderMutation | undefined;
  retry: RetryStage | undefined;
  body: Buffer | RequestBody | null = null;
  replayable = true;
  flags: FlagSequence = 0;
  status = 0;
  responseBytes = 0;
  requestBytes = 0;
  upstreamServiceTimeMs: number | undefined;
  lastHost: HostState | undefined;
  attempt: Attempt | undefined;
  attempts = 0;
  finished = false;
  /** Set when a mirror's copies are compared with this answer (shadow-compare.ts). */
  comparison: PrimaryComparison | undefined = undefined;
  /** Set for a request to a Service's TCP port: it reports a TCP connection instead (tcp-proxy.ts). */
  reportTcp: ((exchange: Exchange) => void) | undefined = undefined;
  /** The next stage to run, with the rest of the chain. */
  private step: Step | undefined = undefined;
  private waiting: Stage | undefined;
  private routeTimer: NodeJS.Timeout | undefined;
  private waitTimer: NodeJS.Timeout | undefined;

  constructor(context: ProxyContext, req: DownstreamRequest, res: DownstreamResponse) {
    this.context = context;
    this.req = req;
    this.res = res;
    this.method = req.method;
    this.scheme = context.scheme;
  }

  /** The request headers as an object, built only when something reads them (header matches, records). */
  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  start(): void {
    const req = this.req;
    const context = this.context;
    const { authority, target } = requestTarget(req.url, req.host);
    const resolved = context.authority(context.routing.table, authority);
    this.authority = authority;
    this.host = resolved.host;
    this.port = resolved.port;
    this.res.listener = this;
    const path = normalizePath(target, context.settings.pathNormalization);
    this.path = path ?? target;
    this.originalPath = this.path;
    const query = this.path.indexOf('?');
    this.pathname = query === -1 ? this.path : this.path.slice(0, query);
    if (path === undefined) {
      this.fail(pathRefused);
      return;
    }
    if (resolved.tcpService !== undefined) {
      context.tcpProxy(this, resolved.tcpService);
      return;
    }
    const virtualHost = resolved.virtualHost;
    if (virtualHost === undefined) {
      if (!context.edge && !context.selfAuthorities.has(authority) && authority !== '') {
        context.passthrough(this, authority);
        return;
      }
      this.fail(routeNotFound);
      return;
    }
    const route = matchRoute(virtualHost, this);
    if (route === undefined) {
      this.fail(routeNotFound);
      return;
    }
    this.route = route;
    this.step = chainOf(route).first;
    this.next();
  }

  /** Runs the next stage of the chain. */
  next(): void {
    if (this.finished) return;
    const step = this.step;
    if (step === undefined) return;
    this.step = step.next;
    step.run.call(step.stage, this);
  }

  /** Calls `stage.resume(this)` after `ms`, unless the request ends first. */
  wait(ms: number, stage: Stage): void {
    this.waiting = stage;
    this.waitTimer = setTimeout(resumeWaiting, ms, this);
  }

  resumeWaiting(): void {
    this.waitTimer = undefined;
    const stage = this.waiting;
    this.waiting = undefined;
    if (!this.finished) stage?.resume?.(this);
  }

  addFlag(flag: number): void {
    this.flags = addFlag(this.flags, flag);
  }

  hasFlag(flag: number): boolean {
    return (flagMask(this.flags) & flag) !== 0;
  }

  /** No timer at all unless the route has a timeout (Istio's default has none). */
  startRouteTimer(ms: number): void {
    this.routeTimer = setTimeout(onRouteTimeout, ms, this);
  }

  onRouteTimeout(): void {
    this.routeTimer = undefined;
    if (this.finished) return;
    this.attempt?.abort();
    this.fail(upstreamTimeout);
  }

  onClientClose(): void {
    if (this.finished) return;
    this.attempt?.abort();
    this.addFlag(Flags.DC);
    this.finish();
  }

  /** Envoy's local reply for a failure: its status, body and flag. */
  fail(error: LocalReplyError): void {
    if (this.finished) return;
    if (error.flag !== undefined) this.addFlag(Flags[error.flag as keyof typeof Flags]);
    this.reply(error.httpStatus, error.body, error.headers);
  }

  /** An answer the proxy makes itself (failures, redirects, direct responses): short plain text. */
  reply(status: number, body: string, extraHeaders: readonly string[] | undefined): void {
    if (this.finished) return;
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      this.finish();
      return;
    }
    this.status = status;
    const bytes = body.length > 0 ? Buffer.from(body) : undefined;
    const length = bytes?.length ?? 0;
    this.responseBytes = length;
    const headers = ['content-length', String(length)];
    if (length > 0) headers.push('content-type', 'text/plain');
    headers.push('date', httpDate(), 'server', this.context.serverName);
    if (extraHeaders !== undefined) for (const item of extraHeaders) headers.push(item);
    res.writeHead(status, undefined, headers);
    res.end(bytes);
    if (bytes !== undefined) this.comparison?.data(bytes);
    this.finish();
  }

  /** The end of every request: timers cleared, the record published. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.routeTimer) clearTimeout(this.routeTimer);
    if (this.waitTimer) clearTimeout(this.waitTimer);
    const context = this.context;
    if (this.reportTcp !== undefined) this.reportTcp(this);
    else if (context.recording || this.comparison !== undefined) {
      const record = exchangeRecord(this);
      if (context.recording) context.publish(record);
      this.comparison?.finish(record);
    }
  }
}

const upstreamTimeout = new UpstreamTimeoutError();

function resumeWaiting(exchange: Exchange): void {
  exchange.resumeWaiting();
}

function onRouteTimeout(exchange: Exchange): void {
  exchange.onRouteTimeout();
}
