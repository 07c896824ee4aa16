import type { Dispatcher } from 'undici';
import { NoHealthyUpstreamError, UpstreamOverflowError, UpstreamTimeoutError } from '../../errors.ts';
import type { CompiledRoute } from '../../routing/table.ts';
import type { ClusterRuntime, HostState } from '../cluster.ts';
import { eventNow } from '../event-clock.ts';
import type { Exchange } from '../exchange.ts';
import { Flags } from '../flags.ts';
import { envoyFields, forwardedHead, type UpstreamHeaders } from '../headers.ts';
import { asUpstreamError, upstreamFailureReply } from '../upstream/errors.ts';
import type { UpstreamHandler } from '../upstream/pool.ts';
import type { InboundCall } from './inbound.ts';
import { destinationIdentity } from './record.ts';
import type { TryFailure } from './retry.ts';
import type { Stage } from './stage.ts';

const noHealthyUpstream = new NoHealthyUpstreamError();
const timedOut = new UpstreamTimeoutError();
const overflow = new UpstreamOverflowError();

/**
 * The router's last step: one try after another to an endpoint of the cluster (load balancer,
 * circuit breakers, outlier detection in ClusterRuntime), through the endpoint's inbound side, the
 * answer streamed back. The retry stage's policy, if any, decides whether a failed try is tried
 * again; the flags follow Envoy's router (`UH`, `UO`, `URX`, `UT`, `UC`).
 */
class UpstreamStage implements Stage {
  readonly line =
    'upstream: an endpoint of the cluster (load balancer, circuit breakers, outlier detection), through its inbound side';

  run(exchange: Exchange): void {
    tryUpstream(exchange);
  }

  /** After a retry back-off. */
  resume(exchange: Exchange): void {
    tryUpstream(exchange);
  }
}

const upstream = new UpstreamStage();

export function compileUpstream(_route: CompiledRoute): Stage {
  return upstream;
}

function tryUpstream(exchange: Exchange): void {
  const runtime = exchange.runtime as ClusterRuntime;
  const now = eventNow();
  const host = runtime.pick(now, exchange.lastHost);
  if (!host) {
    exchange.fail(noHealthyUpstream);
    return;
  }
  if (runtime.overflows()) {
    exchange.fail(overflow);
    return;
  }
  exchange.lastHost = host;
  exchange.attempts++;
  const headers = exchange.upstream as UpstreamHeaders;
  if (exchange.attempts > 1) headers.list[headers.attemptIndex] = String(exchange.attempts);
  const attempt = new Attempt(exchange, runtime, host, now);
  exchange.attempt = attempt;
  runtime.active++;
  host.active++;
  const perTry = exchange.retry?.policy.perTryTimeoutMs ?? 0;
  if (perTry > 0) attempt.timer = setTimeout(onPerTryTimeout, perTry, attempt);
  const pool = runtime.pool(host);
  runtime
    .inbound(host)
    .dispatch(
      pool,
      { path: exchange.path, method: exchange.method, headers: headers.list, body: exchange.body },
      attempt,
      attempt,
    );
}

/**
 * Called for a try that failed before any response byte reached the client: true when it is
 * retried (now or after the back-off). Envoy sets `URX` when the policy would retry but the
 * retries are spent, before the failure's own flag.
 */
function retried(exchange: Exchange, attempt: Attempt, failure: TryFailure | number): boolean {
  const retry = exchange.retry;
  if (retry === undefined || exchange.finished) return false;
  if (!(typeof failure === 'number' ? retry.retriesStatus(failure) : retry.retriesFailure(failure)))
    return false;
  if (exchange.attempts > retry.policy.numRetries || !exchange.replayable) {
    exchange.addFlag(Flags.URX);
    return false;
  }
  if (attempt === exchange.attempt) exchange.wait(retry.backoffMs(exchange.attempts), upstream);
  return true;
}

function onPerTryTimeout(attempt: Attempt): void {
  attempt.onPerTryTimeout();
}

/** One try upstream: the dispatch handler, streaming the answer to the client. */
export class Attempt implements UpstreamHandler, InboundCall {
  readonly exchange: Exchange;
  readonly runtime: ClusterRuntime;
  readonly host: HostState;
  readonly startedAt: number;
  timer: NodeJS.Timeout | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private done = false;
  private streaming = false;

  constructor(exchange: Exchange, runtime: ClusterRuntime, host: HostState, startedAt: number) {
    this.exchange = exchange;
    this.runtime = runtime;
    this.host = host;
    this.startedAt = startedAt;
  }

  // InboundCall: what the endpoint's inbound side records of this try.
  get source() {
    return this.exchange.context.source;
  }
  get destination() {
    const exchange = this.exchange;
    const cluster = exchange.cluster;
    return destinationIdentity(this.host, cluster, cluster?.service ?? exchange.destination?.service ?? '');
  }
  get authority(): string {
    const headers = this.exchange.upstream as UpstreamHeaders;
    return headers.list[headers.hostIndex] as string;
  }
  get requestId(): string | undefined {
    return this.exchange.upstream?.requestId;
  }
  get userAgent(): string | undefined {
    return this.exchange.req.userAgent;
  }
  get forwardedFor(): string | undefined {
    return this.exchange.upstream?.forwardedFor;
  }
  get requestBytes(): number {
    return this.exchange.requestBytes;
  }
  readonly mirror = false;

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('attempt abandoned'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    rawHeaders: readonly string[],
    statusMessage: string,
  ): void {
    if (this.done) return;
    const exchange = this.exchange;
    const now = eventNow();
    this.runtime.report(this.host, statusCode, now);
    // Only policies that retry on some answer look at the status (Istio's default retries on none).
    if (exchange.retry?.policy.onStatus === true && retried(exchange, this, statusCode)) {
      this.release();
      controller.abort(new Error('retrying'));
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const res = exchange.res;
    if (exchange.finished || res.headersSent) {
      this.release();
      controller.abort(new Error('client gone'));
      return;
    }
    this.streaming = true;
    exchange.status = statusCode;
    exchange.upstreamServiceTimeMs = now - this.startedAt;
    res.writeHeadText(
      forwardedHead(statusCode, statusMessage, rawHeaders, exchange.responseHeaders),
      envoyFields(exchange.upstreamServiceTimeMs, exchange.context.serverName),
    );
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    const exchange = this.exchange;
    exchange.responseBytes += chunk.length;
    exchange.comparison?.data(chunk);
    if (!exchange.res.write(chunk)) {
      controller.pause();
      exchange.res.waitForDrain(controller);
    }
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.release();
    this.exchange.res.end();
    this.exchange.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.done) return;
    this.release();
    const exchange = this.exchange;
    if (exchange.finished) return;
    if (this.streaming) {
      // Headers already went out: all the client can learn is that the response broke off.
      exchange.addFlag(Flags.UC);
      exchange.res.destroy();
      exchange.finish();
      return;
    }
    const failure = asUpstreamError(error);
    this.runtime.report(this.host, failure.httpStatus, eventNow());
    if (retried(exchange, this, failure.connectFailure ? 'connect' : 'reset')) return;
    exchange.fail(upstreamFailureReply(failure, exchange.attempts > 1));
  }

  onPerTryTimeout(): void {
    this.timer = undefined;
    if (this.done) return;
    this.release();
    this.controller?.abort(new Error('per try timeout'));
    const exchange = this.exchange;
    this.runtime.report(this.host, 504, eventNow());
    if (retried(exchange, this, 'timeout')) return;
    exchange.fail(timedOut);
  }

  /** Stops this attempt (route timeout, client gone). */
  abort(): void {
    if (this.done) return;
    this.release();
    this.controller?.abort(new Error('request ended'));
  }

  private release(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.runtime.active--;
    this.host.active--;
  }
}
