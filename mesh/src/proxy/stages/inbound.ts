import { type IncomingHttpHeaders, STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Endpoint, EndpointRegistry, PoolSettings } from '../../endpoints/registry.ts';
import type { LocalReplyError } from '../../errors.ts';
import { type DestinationIdentity, requestChannel, type WorkloadIdentity } from '../../telemetry/record.ts';
import { eventNow } from '../event-clock.ts';
import { addFlag, Flags, formatFlags } from '../flags.ts';
import { httpDate } from '../http-date.ts';
import { asUpstreamError, upstreamFailureReply } from '../upstream/errors.ts';
import { type UpstreamHandler, UpstreamPool, type UpstreamRequest } from '../upstream/pool.ts';
import { epochMs } from './record.ts';

/**
 * The server side of each workload's sidecar (Istio's inbound listener): every request the mesh
 * sends to an endpoint goes through the endpoint's inbound side, in the same process, before it
 * reaches the app. It answers for the app when the app refuses or resets the connection (503 `UF`
 * / `UC`, the caller sees a 503 answer and not a connect failure, so Istio's default retry policy
 * does not retry it), and it reports `reporter="destination"` telemetry.
 *
 * Stage slots, in order: authorization (AuthorizationPolicy, PeerAuthentication: not enforced yet;
 * an authorization stage goes in `Inbound.dispatch`, before the app is called), then the app.
 */

const noTrailers: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Who calls an endpoint, for the inbound side's record. */
export interface InboundCall {
  readonly source: WorkloadIdentity;
  readonly destination: DestinationIdentity;
  /** The authority as sent (with `-shadow` for a mirrored copy). */
  readonly authority: string;
  readonly requestId: string | undefined;
  readonly userAgent: string | undefined;
  readonly forwardedFor: string | undefined;
  readonly requestBytes: number;
  readonly mirror: boolean;
}

/** One endpoint's inbound side. */
export class Inbound {
  readonly endpoint: Endpoint;
  /** `inbound|8080||`, Istio's inbound cluster name (the port the pod declares). */
  readonly clusterName: string;
  readonly address: string;

  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
    this.address = endpoint.origin.replace(/^[a-z]+:\/\//, '');
    const port = endpoint.containerPort ?? this.address.slice(this.address.lastIndexOf(':') + 1);
    this.clusterName = `inbound|${port}||`;
  }

  /** Sends a request to the app over `pool` and calls `handler` as an upstream would. */
  dispatch(pool: UpstreamPool, request: UpstreamRequest, handler: UpstreamHandler, call: InboundCall): void {
    const exchange = new InboundExchange(this, handler, call, request);
    try {
      pool.dispatch(request, exchange);
    } catch (error) {
      exchange.onResponseError(undefined, error as Error);
    }
  }
}

/**
 * One request through an inbound side. It stands between the caller's handler and the app's
 * connection, and is also the controller the caller pauses, resumes or aborts.
 */
class InboundExchange implements UpstreamHandler {
  private readonly inbound: Inbound;
  private readonly handler: UpstreamHandler;
  private readonly call: InboundCall;
  private readonly request: UpstreamRequest;
  private readonly started = eventNow();
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private bytes = 0;
  private serviceTime: number | undefined;
  private answered = false;
  private done = false;
  aborted = false;
  paused = false;
  reason: Error | null = null;

  constructor(inbound: Inbound, handler: UpstreamHandler, call: InboundCall, request: UpstreamRequest) {
    this.inbound = inbound;
    this.handler = handler;
    this.call = call;
    this.request = request;
  }

  /** This exchange as its caller's controller. A field, not a private getter, which V8 reads through a runtime call. */
  private readonly self: Dispatcher.DispatchController = this as unknown as Dispatcher.DispatchController;

  // The caller's controller.
  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  pause(): void {
    this.paused = true;
    this.controller?.pause();
  }

  resume(): void {
    this.paused = false;
    this.controller?.resume();
  }

  // The app's handler.
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.controller = controller;
    this.handler.onRequestStart?.(this.self, context);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    rawHeaders: readonly string[],
    message: string,
  ): void {
    this.answered = true;
    this.status = status;
    this.serviceTime = eventNow() - this.started;
    if (!this.aborted) this.handler.onResponseStart?.(this.self, status, rawHeaders, message);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length;
    if (!this.aborted) this.handler.onResponseData?.(this.self, chunk);
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.record(this.status, 0);
    if (!this.aborted) this.handler.onResponseEnd?.(this.self, trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.aborted || this.answered) {
      // The caller gave up (Envoy's inbound sees a downstream reset), or the app broke off mid-answer.
      this.record(this.status, this.aborted ? Flags.DC : Flags.UC);
      this.handler.onResponseError?.(this.self, error);
      return;
    }
    this.reply(upstreamFailureReply(asUpstreamError(error), false));
  }

  /** The inbound side's own answer for the app: Envoy's local reply, `server: istio-envoy`. */
  private reply(failure: LocalReplyError): void {
    this.answered = true;
    const body = Buffer.from(failure.body);
    this.bytes = body.length;
    this.record(failure.httpStatus, Flags[failure.flag as keyof typeof Flags]);
    const headers = [
      'content-length',
      String(body.length),
      'content-type',
      'text/plain',
      'date',
      httpDate(),
      'server',
      'istio-envoy',
    ];
    const handler = this.handler;
    handler.onResponseStart?.(this.self, failure.httpStatus, headers, STATUS_CODES[failure.httpStatus] ?? '');
    if (!this.aborted) handler.onResponseData?.(this.self, body);
    if (!this.aborted) handler.onResponseEnd?.(this.self, noTrailers);
  }

  private record(status: number, flag: number): void {
    if (this.done) return;
    this.done = true;
    if (!requestChannel.hasSubscribers) return;
    const inbound = this.inbound;
    const call = this.call;
    requestChannel.publish({
      reporter: 'destination',
      startTime: epochMs(this.started),
      durationMs: eventNow() - this.started,
      upstreamServiceTimeMs: this.serviceTime,
      method: this.request.method,
      path: this.request.path,
      protocol: 'HTTP/1.1',
      authority: call.authority,
      status,
      responseFlags: formatFlags(flag === 0 ? 0 : addFlag(0, flag)),
      requestBytes: call.requestBytes,
      responseBytes: this.bytes,
      requestId: call.requestId,
      userAgent: call.userAgent,
      forwardedFor: call.forwardedFor,
      upstreamHost: inbound.address,
      upstreamCluster: inbound.clusterName,
      // Istio's inbound route name.
      routeName: 'default',
      source: call.source,
      destination: call.destination,
      mirror: call.mirror,
      downstreamLocalAddress: inbound.address,
    });
  }
}

/**
 * The inbound sides and app connection pools of every endpoint of one registry, shared by all the
 * listeners that use it (each outbound sidecar and the gateway). The pool to an app is built with
 * the caller's cluster settings (DestinationRule connectionPool): both proxies of a hop live in
 * this process, so the caller's limits apply to the one real connection.
 */
export class InboundSides {
  private readonly registry: EndpointRegistry;
  private readonly inbounds = new Map<Endpoint, Inbound>();
  private readonly pools = new Map<Endpoint, Map<PoolSettings, UpstreamPool>>();

  constructor(registry: EndpointRegistry) {
    this.registry = registry;
    registry.onChange(() => this.forgetRemoved());
    registry.onClose(() => this.close());
  }

  inbound(endpoint: Endpoint): Inbound {
    let inbound = this.inbounds.get(endpoint);
    if (inbound === undefined) {
      inbound = new Inbound(endpoint);
      this.inbounds.set(endpoint, inbound);
    }
    return inbound;
  }

  /** The keep-alive pool to an endpoint's app; one per distinct (frozen) connection settings. */
  pool(endpoint: Endpoint, settings: PoolSettings): UpstreamPool {
    let pools = this.pools.get(endpoint);
    if (pools === undefined) {
      pools = new Map();
      this.pools.set(endpoint, pools);
    }
    let pool = pools.get(settings);
    if (pool === undefined) {
      for (const [known, existing] of pools) if (samePoolSettings(known, settings)) pool = existing;
      pool ??= new UpstreamPool(endpoint.origin, {
        connections: settings.connections,
        maxRequestsPerConnection: settings.maxRequestsPerConnection,
        connectTimeoutMs: settings.connectTimeoutMs,
        keepAliveTimeoutMs: 30_000,
        keepAliveMaxTimeoutMs: 120_000,
      });
      pools.set(settings, pool);
    }
    return pool;
  }

  /** In-flight requests to a removed endpoint finish; the next pick no longer sees it. */
  private forgetRemoved(): void {
    for (const [endpoint, pools] of this.pools) {
      if (this.registry.has(endpoint)) continue;
      for (const pool of new Set(pools.values())) pool.close().catch(() => {});
      this.pools.delete(endpoint);
      this.inbounds.delete(endpoint);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()].flatMap((byKey) => [...new Set(byKey.values())]);
    this.pools.clear();
    this.inbounds.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }
}

function samePoolSettings(a: PoolSettings, b: PoolSettings): boolean {
  return (
    a.connections === b.connections &&
    a.maxRequestsPerConnection === b.maxRequestsPerConnection &&
    a.connectTimeoutMs === b.connectTimeoutMs
  );
}

const sides = new WeakMap<EndpointRegistry, InboundSides>();

/** The inbound sides of a registry's endpoints, created on first use. */
export function inboundSides(registry: EndpointRegistry): InboundSides {
  let found = sides.get(registry);
  if (found === undefined) {
    found = new InboundSides(registry);
    sides.set(registry, found);
  }
  return found;
}
