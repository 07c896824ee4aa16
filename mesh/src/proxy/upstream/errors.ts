// Why a request to an upstream failed before its response completed. Each `code` is the one the
// same failure had when the proxy ran on undici and Node (the exchange reads those); each
// `resetReason` is what Envoy prints for it after "upstream connect error or disconnect/reset
// before headers. reset reason: " (Http::Utility::resetReasonToString, source/common/http/utility.cc,
// with the router's mapping of pool failures, source/common/router/upstream_request.cc).
import { MeshError, type MeshErrorOptions } from '../../errors.ts';
import type { Http1Error } from '../http1/error.ts';

/** `httpStatus` is what the client gets instead of a response: 503, or 502 for a protocol error, as from Envoy. */
export class UpstreamError extends MeshError {
  /** What Envoy prints for this failure at the end of its local reply's body. */
  readonly resetReason: string;
  /**
   * True when the request never reached the upstream, so that it is safe to send elsewhere:
   * Envoy's UF flag and retry_on `connect-failure`.
   */
  readonly connectFailure: boolean;

  constructor(
    code: string,
    message: string,
    resetReason: string,
    connectFailure: boolean,
    options?: MeshErrorOptions,
  ) {
    super(code, message, { httpStatus: 503, ...options });
    this.resetReason = resetReason;
    this.connectFailure = connectFailure;
  }
}

/** The connection could not be made: refused, unreachable. `code` is the socket's (ECONNREFUSED...). */
export class UpstreamConnectError extends UpstreamError {
  /** Envoy's transport failure reason, `delayed connect error: 111` for a refusal. */
  readonly transportFailureReason: string;

  constructor(cause: NodeJS.ErrnoException) {
    super(cause.code ?? 'ECONNREFUSED', cause.message, 'remote connection failure', true, { cause });
    this.transportFailureReason = `delayed connect error: ${Math.abs(cause.errno ?? 111)}`;
  }
}

/** No connection within the cluster's connect timeout (DestinationRule tcp.connectTimeout). */
export class UpstreamConnectTimeoutError extends UpstreamError {
  constructor(timeoutMs: number) {
    super('UND_ERR_CONNECT_TIMEOUT', `connect timeout after ${timeoutMs} ms`, 'connection timeout', true);
  }
}

/** The upstream closed or reset the connection before the response was complete. */
export class UpstreamResetError extends UpstreamError {
  constructor(cause?: Error) {
    super(
      'UND_ERR_SOCKET',
      'other side closed',
      'connection termination',
      false,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** The upstream's answer broke HTTP/1.1 (the same rules the listeners apply to requests); Envoy answers 502 UPE. */
export class UpstreamProtocolError extends UpstreamError {
  constructor(cause: Http1Error) {
    super('HPE_INVALID', cause.message, 'protocol error', false, { cause, httpStatus: 502 });
  }
}

/** The pool was closed (its endpoint went away) before the request got a connection. */
export class UpstreamPoolClosedError extends UpstreamError {
  constructor() {
    super('UND_ERR_CLOSED', 'the pool is closed', 'local connection failure', true);
  }
}

/** A circuit breaker (DestinationRule connectionPool) refused the request; Envoy answers 503 UO. */
export class UpstreamOverflowError extends UpstreamError {
  constructor(limit: string) {
    super('UPSTREAM_OVERFLOW', `circuit breaker open: ${limit}`, 'overflow', false);
  }
}
