import type { HeaderOperations, HttpFault, HttpRetry } from '../manifests/model.ts';

/** Envoy retry conditions (x-envoy-retry-on), as bits. */
export const RetryOn = Object.freeze({
  connectFailure: 1,
  reset: 2,
  fiveXx: 4,
  gatewayError: 8,
  retriable4xx: 16,
  retriableStatusCodes: 32,
  refusedStream: 64,
});

const retryOnNames: Readonly<Record<string, number>> = {
  'connect-failure': RetryOn.connectFailure,
  reset: RetryOn.reset,
  'reset-before-request': RetryOn.reset,
  '5xx': RetryOn.fiveXx,
  'gateway-error': RetryOn.gatewayError,
  'retriable-4xx': RetryOn.retriable4xx,
  'retriable-status-codes': RetryOn.retriableStatusCodes,
  'refused-stream': RetryOn.refusedStream,
  // gRPC conditions need a grpc-status the local runtime never sees: accepted, never true.
  unavailable: 0,
  cancelled: 0,
  'deadline-exceeded': 0,
  'resource-exhausted': 0,
  internal: 0,
  'envoy-ratelimited': 0,
  'retriable-headers': 0,
  'http3-post-connect-failure': 0,
};

export interface RetryPolicy {
  /** Retries after the first try (Istio's `attempts`). */
  readonly numRetries: number;
  readonly retryOn: number;
  readonly retryOnText: string;
  readonly statusCodes: ReadonlySet<number>;
  /** Could any upstream answer be retried? False for Istio's default (retriable-status-codes, none listed). */
  readonly onStatus: boolean;
  /** 0: no per-try timeout (the route timeout still applies). */
  readonly perTryTimeoutMs: number;
  /** Envoy's jittered exponential back-off: base 25 ms, max 10 × base unless `backoff` is set. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/**
 * Istio 1.30's default outbound retry policy (route/retry/retry.go): 2 retries on
 * `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes` with no status code
 * listed, so a 503 answer is not retried (503 was in the list up to 1.23, see README).
 */
export const defaultRetryOn = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

export function compileRetryPolicy(retries: HttpRetry | undefined): RetryPolicy | undefined {
  if (retries === undefined) return buildPolicy(2, defaultRetryOn, undefined, undefined);
  // "attempts: 0" explicitly disables retries (retry.go ConvertPolicy).
  if (retries.attempts <= 0) return undefined;
  return buildPolicy(
    retries.attempts,
    retries.retryOn ?? defaultRetryOn,
    retries.perTryTimeoutMs,
    retries.backoffMs,
  );
}

/** Parses `retryOn` as Istio does: integers are status codes, and imply `retriable-status-codes`. */
export function parseRetryOn(text: string): {
  readonly bits: number;
  readonly codes: ReadonlySet<number>;
  readonly unknown: string[];
} {
  let bits = 0;
  const codes = new Set<number>();
  const unknown: string[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    if (/^\d+$/.test(part)) {
      const code = Number(part);
      if (code >= 100 && code <= 599) {
        codes.add(code);
        bits |= RetryOn.retriableStatusCodes;
        continue;
      }
    }
    const bit = retryOnNames[part];
    if (bit === undefined) unknown.push(part);
    else bits |= bit;
  }
  return { bits, codes, unknown };
}

function buildPolicy(
  numRetries: number,
  retryOnText: string,
  perTryTimeoutMs: number | undefined,
  backoffMs: number | undefined,
): RetryPolicy {
  const { bits, codes } = parseRetryOn(retryOnText);
  const base = backoffMs ?? 25;
  return Object.freeze({
    numRetries,
    retryOn: bits,
    retryOnText,
    statusCodes: codes,
    onStatus:
      (bits & (RetryOn.fiveXx | RetryOn.gatewayError | RetryOn.retriable4xx)) !== 0 ||
      ((bits & RetryOn.retriableStatusCodes) !== 0 && codes.size > 0),
    perTryTimeoutMs: perTryTimeoutMs ?? 0,
    backoffBaseMs: base,
    backoffMaxMs: base * 10,
  });
}

/** Would Envoy retry this upstream answer? */
export function retriableStatus(policy: RetryPolicy, status: number): boolean {
  const on = policy.retryOn;
  if (on & RetryOn.fiveXx && status >= 500) return true;
  if (on & RetryOn.gatewayError && (status === 502 || status === 503 || status === 504)) return true;
  if (on & RetryOn.retriable4xx && status === 409) return true;
  if (on & RetryOn.retriableStatusCodes && policy.statusCodes.has(status)) return true;
  return false;
}

/** Would Envoy retry when the upstream could not be reached (connect) or reset / timed out a try? */
export function retriableFailure(policy: RetryPolicy, connectFailure: boolean): boolean {
  const on = policy.retryOn;
  if (on & (RetryOn.fiveXx | RetryOn.gatewayError | RetryOn.reset)) return true;
  return connectFailure && (on & RetryOn.connectFailure) !== 0;
}

/** Back-off before retry number `n` (1-based): uniform in [0, min(max, base × (2^n − 1))). */
export function backoffMs(policy: RetryPolicy, n: number): number {
  return Math.random() * Math.min(policy.backoffMaxMs, policy.backoffBaseMs * (2 ** n - 1));
}

export interface CompiledFault {
  readonly delayMs: number;
  /** Fractions 0–1. */
  readonly delayFraction: number;
  readonly abortStatus: number;
  readonly abortFraction: number;
}

export function compileFault(fault: HttpFault | undefined): CompiledFault | undefined {
  if (!fault) return undefined;
  return Object.freeze({
    delayMs: fault.delay?.fixedDelayMs ?? 0,
    delayFraction: (fault.delay?.percentage ?? 0) / 100,
    abortStatus: fault.abort?.httpStatus ?? 0,
    abortFraction: (fault.abort?.percentage ?? 0) / 100,
  });
}

/** Request header changes, compiled to what the hot path needs: names to drop, pairs to append. */
export interface RequestHeaderMutation {
  readonly drop: ReadonlySet<string>;
  /** Flat `[name, value, ...]`. */
  readonly append: readonly string[];
  /** `set: { host: ... }` rewrites the authority, as Istio does. */
  readonly authority: string | undefined;
}

export interface ResponseHeaderMutation {
  readonly drop: readonly string[];
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
  /** Hot-path form: upstream headers to leave out (removed or set)... */
  readonly replaced: ReadonlySet<string>;
  /** ...and the flat `[name, value, ...]` to append: `set` values, then `add` ones. */
  readonly extra: readonly string[];
}

/** Envoy writes these response headers itself, after the route's operations. */
const envoyResponseHeaders = new Set(['server', 'x-envoy-upstream-service-time']);

const authorityNames = new Set(['host', ':authority']);

/** Route-level operations first, then the destination's, so a destination `set` wins. */
export function compileRequestMutation(
  layers: readonly (HeaderOperations | undefined)[],
): RequestHeaderMutation {
  const drop = new Set<string>();
  const set = new Map<string, string>();
  const add: [string, string][] = [];
  let authority: string | undefined;
  for (const ops of layers) {
    if (!ops) continue;
    for (const name of ops.remove) {
      drop.add(name);
      set.delete(name);
      for (let i = add.length - 1; i >= 0; i--)
        if ((add[i] as [string, string])[0] === name) add.splice(i, 1);
    }
    for (const [name, value] of ops.set) {
      if (authorityNames.has(name)) {
        authority = value;
        continue;
      }
      drop.add(name);
      set.set(name, value);
      for (let i = add.length - 1; i >= 0; i--)
        if ((add[i] as [string, string])[0] === name) add.splice(i, 1);
    }
    for (const [name, value] of ops.add) {
      if (authorityNames.has(name)) authority = value;
      else add.push([name, value]);
    }
  }
  const append: string[] = [];
  for (const [name, value] of set) append.push(name, value);
  for (const [name, value] of add) append.push(name, value);
  return Object.freeze({ drop, append: Object.freeze(append), authority });
}

export function compileResponseMutation(
  layers: readonly (HeaderOperations | undefined)[],
): ResponseHeaderMutation | undefined {
  const drop = new Set<string>();
  const set = new Map<string, string>();
  const add: [string, string][] = [];
  for (const ops of layers) {
    if (!ops) continue;
    for (const name of ops.remove) {
      drop.add(name);
      set.delete(name);
    }
    for (const [name, value] of ops.set) set.set(name, value);
    for (const [name, value] of ops.add) add.push([name, value]);
  }
  if (drop.size === 0 && set.size === 0 && add.length === 0) return undefined;
  const extra: string[] = [];
  for (const [name, value] of [...set, ...add]) if (!envoyResponseHeaders.has(name)) extra.push(name, value);
  return Object.freeze({
    drop: Object.freeze([...drop]),
    set: Object.freeze([...set]),
    add: Object.freeze(add),
    replaced: new Set([...drop, ...set.keys()]),
    extra: Object.freeze(extra),
  });
}
