import type { CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import type { Stage } from './stage.ts';

/**
 * VirtualService `timeout` (route.go `setTimeout`; none by default): the route timer starts here,
 * after the fault stage, as Envoy's router starts it when the request reaches the router.
 */
class TimeoutStage implements Stage {
  readonly line: string;
  readonly #ms: number;

  constructor(ms: number) {
    this.#ms = ms;
    this.line = `timeout: ${ms}ms for the whole exchange, retries included, from after the fault delay (504 UT)`;
  }

  run(exchange: Exchange): void {
    exchange.startRouteTimer(this.#ms);
    exchange.next();
  }
}

export function compileTimeout(route: CompiledRoute): Stage | undefined {
  return route.timeoutMs > 0 ? new TimeoutStage(route.timeoutMs) : undefined;
}

export const noTimeoutLine = 'timeout: none (Istio default)';
