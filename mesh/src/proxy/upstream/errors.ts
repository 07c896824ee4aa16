// Why a request to an upstream failed before its response completed. Each `code` is the one the
// same failure had when the proxy ran on undici and Node (the exchange reads those); each
// `resetReason` is what Envoy prints for it after "upstream connect error or disconnect/reset
// before headers. reset reason: " (Http::Utility::resetReasonToString, source/common/http/utility.cc,
// with the router's mapping of pool failures, source/common/router/upstream_request.cc).
import { LocalReplyError, MeshError, type MeshErrorOptions } from '../../errors.ts';
import type { ResponseFlagName } from '../flags.ts';
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
  /**
   * Envoy's transport failure reason: `delayed connect error: ` and the error's strerror text
   * (source/common/network/connection_impl.cc, `errorDetails`), `Connection refused` for a refusal.
   */
  readonly transportFailureReason: string;

  constructor(cause: NodeJS.ErrnoException) {
    super(cause.code ?? 'ECONNREFUSED', cause.message, 'remote connection failure', true, { cause });
    this.transportFailureReason = `delayed connect error: ${strerror[cause.code ?? 'ECONNREFUSED'] ?? cause.message}`;
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

/** glibc's strerror text for the errors a connect reports (Envoy prints these, not errno numbers). */
const strerror: Readonly<Record<string, string>> = Object.freeze({
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EADDRNOTAVAIL: 'Cannot assign requested address',
});

/**
 * The response flag of a reset reason, as the router's streamResetReasonToResponseFlag
 * (source/common/router/router.cc): connection failures and timeouts `UF`, termination `UC`,
 * overflow `UO`, a protocol error `UPE`.
 */
function flagOf(resetReason: string): ResponseFlagName {
  switch (resetReason) {
    case 'connection termination':
      return 'UC';
    case 'overflow':
      return 'UO';
    case 'protocol error':
      return 'UPE';
    default:
      return 'UF';
  }
}

const replies = new Map<string, LocalReplyError>();

/**
 * Envoy's local reply for an upstream failure before any response byte (router.cc
 * onUpstreamReset): 503 (502 for a protocol error), the flag of the reset reason and the body
 * `upstream connect error or disconnect/reset before headers. [retried and the latest ]reset
 * reason: <reason>[, transport failure reason: <why>]`. Built once per distinct text.
 */
export function upstreamFailureReply(error: UpstreamError, retried: boolean): LocalReplyError {
  const transport = error instanceof UpstreamConnectError ? error.transportFailureReason : '';
  const key = `${retried ? 1 : 0}${error.resetReason}|${transport}|${error.httpStatus}`;
  let reply = replies.get(key);
  if (reply === undefined) {
    const body = `upstream connect error or disconnect/reset before headers. ${retried ? 'retried and the latest ' : ''}reset reason: ${error.resetReason}${transport === '' ? '' : `, transport failure reason: ${transport}`}`;
    const flag = flagOf(error.resetReason);
    reply = new LocalReplyError(
      `UPSTREAM_${flag}`,
      error.httpStatus,
      body,
      flag,
      flag === 'UO' ? Object.freeze(['x-envoy-overloaded', 'true']) : undefined,
    );
    if (replies.size < 64) replies.set(key, reply);
  }
  return reply;
}

/** Connection failures Node and undici report before any byte was exchanged. */
const connectFailureCodes = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/**
 * Any failure of a request upstream as an UpstreamError: the pool's are already typed; another
 * (a passthrough's undici error, a throw) is a connect failure when its code says so, else a reset.
 */
export function asUpstreamError(error: Error): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const cause = (error.cause as NodeJS.ErrnoException | undefined) ?? (error as NodeJS.ErrnoException);
  const code = (error as NodeJS.ErrnoException).code ?? cause.code;
  // undici's own connect timeout (10 s by default), as a passthrough pool reports it.
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new UpstreamConnectTimeoutError(10_000);
  if (code !== undefined && connectFailureCodes.has(code)) return new UpstreamConnectError(cause);
  return new UpstreamResetError(error);
}
