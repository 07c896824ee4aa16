import type { Dispatcher } from 'undici';
import type { RouteDestination } from '../routing/table.ts';
import { mirrorChannel } from '../telemetry/mirror-comparison.ts';
import type { DestinationIdentity, RequestRecord } from '../telemetry/record.ts';
import type { ClusterRuntime, HostState } from './cluster.ts';
import type { Exchange } from './exchange.ts';
import { Flags, formatFlags, singleFlag } from './flags.ts';
import { shadowAuthority } from './headers.ts';
import { PrimaryComparison, type ShadowSide } from './shadow-compare.ts';
import type { InboundCall } from './stages/inbound.ts';
import { destinationIdentity, exchangeRecord } from './stages/record.ts';

/**
 * A mirrored copy never waits long: without a route timeout of its own, a hung mirror target would
 * hold its slot forever. Envoy's shadow requests use the route timeout; we cap them here.
 */
const mirrorTimeoutMs = 15_000;
/** How often copies in flight are checked against that cap: one timer per sender, not one per copy. */
const sweepIntervalMs = 1_000;

/**
 * Fire-and-forget copies of requests (VirtualService `mirror`/`mirrors`): the answer is read and
 * dropped, failures are only recorded, and at most `concurrency` copies are in flight per listener,
 * so a slow mirror target cannot pile up memory or slow the primary; beyond that, copies are skipped.
 */
export class MirrorSender {
  readonly #concurrency: number;
  /** Append `-shadow` to the copy's host (MeshSettings.shadowHostSuffix). */
  readonly #shadowSuffix: boolean;
  /**
   * Copies in flight, oldest first, as a list linked through the handlers: adding and removing
   * allocate nothing, and the sweep stops at the first copy young enough.
   */
  #oldest: MirrorHandler | undefined;
  #newest: MirrorHandler | undefined;
  #count = 0;
  #sweep: NodeJS.Timeout | undefined;
  skipped = 0;

  constructor(concurrency: number, shadowSuffix: boolean) {
    this.#concurrency = concurrency;
    this.#shadowSuffix = shadowSuffix;
  }

  get inFlight(): number {
    return this.#count;
  }

  send(exchange: Exchange, runtime: ClusterRuntime, destination: RouteDestination): void {
    if (this.#count >= this.#concurrency) {
      this.skipped++;
      return;
    }
    const upstream = exchange.upstream;
    if (!upstream) return;
    const now = performance.now();
    const host = runtime.pick(now, undefined);
    // Compared with the primary only while someone listens (the console's mirror comparison).
    let side: ShadowSide | undefined;
    if (mirrorChannel.hasSubscribers) {
      exchange.comparison ??= new PrimaryComparison();
      side = exchange.comparison.shadow(runtime.config.name);
    }
    if (!host) {
      // It never reaches an inbound side, which would have recorded it: recorded here.
      if (exchange.context.recording) exchange.context.publish(unreachedCopy(exchange, runtime, destination));
      side?.start(503);
      side?.end(false, 'unknown', 'UH');
      return;
    }
    // The pool may queue the request and read the list later: the copy needs its own.
    const headers = upstream.list.slice();
    const authority = headers[upstream.hostIndex] as string;
    if (this.#shadowSuffix) headers[upstream.hostIndex] = shadowAuthority(authority);
    const body = exchange.body;
    const handler = new MirrorHandler(
      this,
      exchange,
      runtime,
      host,
      destination,
      now,
      headers[upstream.hostIndex] as string,
      side,
    );
    this.#count++;
    if (this.#newest === undefined) this.#oldest = handler;
    else {
      this.#newest.next = handler;
      handler.previous = this.#newest;
    }
    this.#newest = handler;
    this.#sweep ??= setInterval(sweep, sweepIntervalMs, this).unref();
    const pool = runtime.pool(host);
    runtime.inbound(host).dispatch(
      pool,
      {
        path: exchange.path,
        method: exchange.method,
        headers,
        // A streamed body can be read once, by the primary: the copy goes without it.
        body: body === null || Buffer.isBuffer(body) ? body : null,
      },
      handler,
      handler,
    );
  }

  /** Called once per copy, when it ends one way or another. */
  done(handler: MirrorHandler): void {
    this.#count--;
    const { previous, next } = handler;
    if (previous === undefined) this.#oldest = next;
    else previous.next = next;
    if (next === undefined) this.#newest = previous;
    else next.previous = previous;
    handler.previous = undefined;
    handler.next = undefined;
  }

  /** Times out copies past the cap; stops the timer when nothing is in flight. */
  sweep(): void {
    const deadline = performance.now() - mirrorTimeoutMs;
    while (this.#oldest !== undefined && this.#oldest.started <= deadline) this.#oldest.timeout();
    if (this.#count === 0 && this.#sweep !== undefined) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}

function sweep(sender: MirrorSender): void {
  sender.sweep();
}

/** The record of a copy that found no endpoint: 503 `UH`, at the caller's side only. */
function unreachedCopy(
  exchange: Exchange,
  runtime: ClusterRuntime,
  destination: RouteDestination,
): RequestRecord {
  const cluster = runtime.config;
  return {
    ...exchangeRecord(exchange),
    durationMs: 0,
    upstreamServiceTimeMs: undefined,
    status: 503,
    responseFlags: formatFlags(singleFlag(Flags.UH)),
    responseBytes: 0,
    upstreamHost: undefined,
    upstreamCluster: cluster.name,
    destination: destinationIdentity(undefined, cluster, cluster.service ?? destination.service),
    mirror: true,
  };
}

/**
 * Reads a copy's answer without keeping it. The endpoint's inbound side records the copy
 * (`reporter="destination"`); the caller's proxy does not report its shadow requests.
 */
class MirrorHandler implements Dispatcher.DispatchHandler, InboundCall {
  readonly #sender: MirrorSender;
  readonly #exchange: Exchange;
  readonly #runtime: ClusterRuntime;
  readonly #host: HostState;
  readonly #destination: RouteDestination;
  readonly started: number;
  readonly authority: string;
  readonly mirror = true;
  /** Neighbours in the sender's list of copies in flight. */
  previous: MirrorHandler | undefined;
  next: MirrorHandler | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #done = false;
  readonly #side: ShadowSide | undefined;

  constructor(
    sender: MirrorSender,
    exchange: Exchange,
    runtime: ClusterRuntime,
    host: HostState,
    destination: RouteDestination,
    started: number,
    authority: string,
    side: ShadowSide | undefined,
  ) {
    this.#sender = sender;
    this.#exchange = exchange;
    this.#runtime = runtime;
    this.#host = host;
    this.#destination = destination;
    this.started = started;
    this.authority = authority;
    this.#side = side;
  }

  // InboundCall: what the endpoint's inbound side records of the copy.
  get source() {
    return this.#exchange.context.source;
  }
  get destination(): DestinationIdentity {
    const cluster = this.#runtime.config;
    return destinationIdentity(this.#host, cluster, cluster.service ?? this.#destination.service);
  }
  get requestId(): string | undefined {
    return this.#exchange.upstream?.requestId;
  }
  get userAgent(): string | undefined {
    return this.#exchange.req.userAgent;
  }
  get forwardedFor(): string | undefined {
    return this.#exchange.upstream?.forwardedFor;
  }
  get requestBytes(): number {
    return this.#exchange.requestBytes;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#side?.start(statusCode);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#side?.data(chunk);
  }

  onResponseEnd(): void {
    this.#side?.end(true, this.destination.workload);
    this.#end();
  }

  onResponseError(): void {
    this.#side?.end(false, this.destination.workload, 'UC');
    this.#end();
  }

  timeout(): void {
    this.#controller?.abort(new Error('mirror timeout'));
    this.#side?.end(false, this.destination.workload, 'UT');
    this.#end();
  }

  #end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#sender.done(this);
  }
}
