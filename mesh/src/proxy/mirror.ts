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

/**
 * Fire-and-forget copies of requests (VirtualService `mirror`/`mirrors`): the answer is read and
 * dropped, failures are only recorded, and at most `concurrency` copies are in flight per listener,
 * so a slow mirror target cannot pile up memory or slow the primary; beyond that, copies are skipped.
 */
export class MirrorSender {
  readonly #concurrency: number;
  inFlight = 0;
  skipped = 0;

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  send(exchange: Exchange, runtime: ClusterRuntime, destination: RouteDestination): void {
    if (this.inFlight >= this.#concurrency) {
      this.skipped++;
      return;
    }
    const host = runtime.pick(performance.now(), undefined);
    const upstream = exchange.upstream;
    if (!upstream) return;
    if (!host) {
      if (exchange.context.recording) {
        exchange.context.publish(
          exchange.record(true, 503, Flags.UH, undefined, runtime.config, 0, destination, 0, undefined),
        );
      }
      return;
    }
    const headers = upstream.list.slice();
    headers[upstream.hostIndex] = shadowAuthority(headers[upstream.hostIndex] as string);
    const body = exchange.body;
    this.inFlight++;
    const handler = new MirrorHandler(this, exchange, runtime, host, destination);
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
}

class MirrorHandler implements Dispatcher.DispatchHandler {
  readonly #sender: MirrorSender;
  readonly #exchange: Exchange;
  readonly #runtime: ClusterRuntime;
  readonly #host: HostState;
  readonly #destination: RouteDestination;
  readonly #started = performance.now();
  readonly #timer: NodeJS.Timeout;
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
  ) {
    this.#sender = sender;
    this.#exchange = exchange;
    this.#runtime = runtime;
    this.#host = host;
    this.#destination = destination;
    this.#timer = setTimeout(this.#onTimeout, mirrorTimeoutMs);
    this.#timer.unref();
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
    this.#serviceTime = performance.now() - this.#started;
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

  readonly #onTimeout = (): void => {
    this.#controller?.abort(new Error('mirror timeout'));
    this.#end(504, Flags.UT);
  };

  #end(status: number, flags: number): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.#sender.inFlight--;
    const exchange = this.#exchange;
    if (exchange.context.recording) {
      exchange.context.publish(
        exchange.record(
          true,
          status,
          flags,
          this.#host,
          this.#runtime.config,
          performance.now() - this.#started,
          this.#destination,
          this.#bytes,
          this.#serviceTime,
        ),
      );
    }
  }
}
