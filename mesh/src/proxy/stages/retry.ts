import { backoffMs, RetryOn, type RetryPolicy } from '../../routing/policy.ts';
import type { CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import type { Stage } from './stage.ts';

/** How a try failed, as Envoy's retry state tells them apart. */
export type TryFailure = 'connect' | 'reset' | 'timeout';

/**
 * VirtualService `retries` (Istio's default when absent: route/retry/retry.go), decided as Envoy's
 * `RetryStateImpl` does (source/common/router/retry_state_impl.cc):
 * - an answer is retried when `retryOn` names it (`5xx`, `gateway-error`, `retriable-4xx`, listed
 *   codes); Istio's default lists none, so a 503 is not retried;
 * - a connect failure under `connect-failure`, `reset`, `5xx` or `gateway-error`;
 * - a reset, and a per-try timeout (a local reset in Envoy), only under `reset`, `5xx` or
 *   `gateway-error`: with only `connect-failure`, a try that timed out is not tried again.
 */
export class RetryStage implements Stage {
  readonly line: string;
  readonly policy: RetryPolicy;

  constructor(policy: RetryPolicy, line: string) {
    this.policy = policy;
    this.line = line;
  }

  run(exchange: Exchange): void {
    exchange.retry = this;
    exchange.next();
  }

  retriesStatus(status: number): boolean {
    const policy = this.policy;
    const on = policy.retryOn;
    if (on & RetryOn.fiveXx && status >= 500) return true;
    if (on & RetryOn.gatewayError && (status === 502 || status === 503 || status === 504)) return true;
    if (on & RetryOn.retriable4xx && status === 409) return true;
    return (on & RetryOn.retriableStatusCodes) !== 0 && policy.statusCodes.has(status);
  }

  retriesFailure(failure: TryFailure): boolean {
    const on = this.policy.retryOn;
    if (on & (RetryOn.fiveXx | RetryOn.gatewayError | RetryOn.reset)) return true;
    return failure === 'connect' && (on & RetryOn.connectFailure) !== 0;
  }

  backoffMs(attempts: number): number {
    return backoffMs(this.policy, attempts);
  }
}

export function compileRetry(route: CompiledRoute): RetryStage | undefined {
  const policy = route.retry;
  if (policy === undefined) return undefined;
  const perTry = policy.perTryTimeoutMs > 0 ? `, ${policy.perTryTimeoutMs}ms per try` : '';
  return new RetryStage(
    policy,
    `retries: up to ${policy.numRetries} on ${policy.retryOnText}${perTry}${policy.onStatus ? '' : ' (no answer status is retried)'}`,
  );
}

export const noRetryLine = 'retries: none (attempts 0)';
