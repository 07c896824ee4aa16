import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { RouteDestination } from '../routing/table.ts';
import type { ClusterRuntime, HostState } from './cluster.ts';
import type { Exchange } from './exchange.ts';
import { Flags } from './flags.ts';
import { shadowAuthority } from './headers.ts';

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
  /**
   * Copies in flight, oldest first, as a list linked through the handlers: adding and removing
   * allocate nothing, and the sweep stops at the first copy young enough.
   */
  #oldest: MirrorHandler | undefined;
  #newest: MirrorHandler | undefined;
  #count = 0;
  #sweep: NodeJS.Timeout | undefined;
  skipped = 0;

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
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
    if (!host) {
      if (exchange.context.recording) {
        exchange.context.publish(
          exchange.record(true, 503, Flags.UH, undefined, runtime.config, 0, destination, 0, undefined),
        );
      }
      return;
    }
    // undici may queue the options and read the list later: the copy needs its own.
    const headers = upstream.list.slice();
    headers[upstream.hostIndex] = shadowAuthority(headers[upstream.hostIndex] as string);
    const body = exchange.body;
    const handler = new MirrorHandler(this, exchange, runtime, host, destination, now);
    this.#count++;
    if (this.#newest === undefined) this.#oldest = handler;
    else {
      this.#newest.next = handler;
      handler.previous = this.#newest;
    }
    this.#newest = handler;
    this.#sweep ??= setInterval(sweep, sweepIntervalMs, this).unref();
    try {
      runtime.pool(host).dispatch(
        {
          path: exchange.path,
          method: exchange.method,
          headers,
          // A streamed body can be read once, by the primary: the copy goes without it.
          body: body === null || Buffer.isBuffer(body) ? body : null,
        },
        handler,
      );
    } catch (error) {
      handler.onResponseError(undefined, error as Error);
    }
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

/** Reads a copy's answer without keeping it: status, size and timing for telemetry only. */
class MirrorHandler implements Dispatcher.DispatchHandler {
  readonly #sender: MirrorSender;
  readonly #exchange: Exchange;
  readonly #runtime: ClusterRuntime;
  readonly #host: HostState;
  readonly #destination: RouteDestination;
  readonly started: number;
  /** Neighbours in the sender's list of copies in flight. */
  previous: MirrorHandler | undefined;
  next: MirrorHandler | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #bytes = 0;
  #serviceTime: number | undefined;
  #done = false;

  constructor(
    sender: MirrorSender,
    exchange: Exchange,
    runtime: ClusterRuntime,
    host: HostState,
    destination: RouteDestination,
    started: number,
  ) {
    this.#sender = sender;
    this.#exchange = exchange;
    this.#runtime = runtime;
    this.#host = host;
    this.#destination = destination;
    this.started = started;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    statusCode: number,
    _headers: IncomingHttpHeaders,
  ): void {
    this.#status = statusCode;
    this.#serviceTime = performance.now() - this.started;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytes += chunk.length;
  }

  onResponseEnd(): void {
    this.#end(this.#status, 0);
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, _error: Error): void {
    this.#end(this.#status || 503, this.#status ? Flags.UC : Flags.UF);
  }

  timeout(): void {
    this.#controller?.abort(new Error('mirror timeout'));
    this.#end(504, Flags.UT);
  }

  #end(status: number, flags: number): void {
    if (this.#done) return;
    this.#done = true;
    this.#sender.done(this);
    const exchange = this.#exchange;
    if (exchange.context.recording) {
      exchange.context.publish(
        exchange.record(
          true,
          status,
          flags,
          this.#host,
          this.#runtime.config,
          performance.now() - this.started,
          this.#destination,
          this.#bytes,
          this.#serviceTime,
        ),
      );
    }
  }
}
