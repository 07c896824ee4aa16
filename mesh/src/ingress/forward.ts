import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { downstreamResponseHeaders } from './headers.ts';
import type { ResponseFlag } from './outcome.ts';

export interface ForwardResult {
  readonly status: number;
  readonly flag: ResponseFlag | undefined;
}

/** What Envoy answers when it cannot reach the upstream. */
const upstreamConnectError =
  'upstream connect error or disconnect/reset before headers. reset reason: connection failure';

/**
 * Streams one request to an upstream and its response back, through undici's dispatch handler
 * API: no intermediate streams, backpressure by pausing whichever side is ahead.
 */
export function forward(
  dispatcher: Dispatcher,
  req: IncomingMessage,
  res: ServerResponse,
  headers: string[],
  done: (result: ForwardResult) => void,
): void {
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const handler = new ForwardHandler(res, done);
  res.once('close', handler.onDownstreamClose);
  try {
    dispatcher.dispatch(
      {
        path: req.url ?? '/',
        method: req.method ?? 'GET',
        headers,
        body: hasBody ? req : null,
      },
      handler,
    );
  } catch (error) {
    handler.onResponseError(undefined, error as Error);
  }
}

class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  readonly #done: (result: ForwardResult) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #finished = false;
  #status = 0;

  constructor(res: ServerResponse, done: (result: ForwardResult) => void) {
    this.#res = res;
    this.#done = done;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#finished) controller.abort(new Error('client disconnected'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.#status = statusCode;
    const outgoing = downstreamResponseHeaders(headers);
    if (statusMessage) this.#res.writeHead(statusCode, statusMessage, outgoing);
    else this.#res.writeHead(statusCode, outgoing);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#res.write(chunk)) {
      controller.pause();
      this.#res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.#res.end();
    this.#finish({ status: this.#status, flag: undefined });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, _error: Error): void {
    if (this.#finished) return;
    if (!this.#res.headersSent) {
      const body = upstreamConnectError;
      this.#res.writeHead(503, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      this.#res.end(body);
      this.#finish({ status: 503, flag: 'UF' });
      return;
    }
    // Headers already went out: all the client can learn is that the response broke off.
    this.#res.destroy();
    this.#finish({ status: this.#status, flag: 'UC' });
  }

  readonly onDownstreamClose = (): void => {
    if (this.#finished) return;
    this.#controller?.abort(new Error('client disconnected'));
    this.#finish({ status: this.#status, flag: 'DC' });
  };

  #finish(result: ForwardResult): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#done(result);
  }
}
