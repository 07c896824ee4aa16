import { FaultAbortError } from '../../errors.ts';
import type { CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import { Flags } from '../flags.ts';
import type { Stage } from './stage.ts';

/**
 * VirtualService `fault` (Envoy's fault filter, before the router): the delay first (`DI`), then
 * the abort (`FI`), each drawn on its own. It runs before the timeout stage starts the route
 * timer, so a delay does not count against the route timeout, as in Envoy where the router's
 * timer starts only once the request reaches it.
 */
class FaultStage implements Stage {
  readonly line: string;
  readonly #delayMs: number;
  readonly #delayFraction: number;
  readonly #abort: FaultAbortError | undefined;
  readonly #abortFraction: number;

  constructor(delayMs: number, delayFraction: number, abortStatus: number, abortFraction: number) {
    this.#delayMs = delayMs;
    this.#delayFraction = delayFraction;
    this.#abort = abortFraction > 0 ? new FaultAbortError(abortStatus) : undefined;
    this.#abortFraction = abortFraction;
    const parts: string[] = [];
    if (delayFraction > 0) parts.push(`delay ${delayMs}ms for ${delayFraction * 100}% (DI)`);
    if (abortFraction > 0) parts.push(`abort ${abortStatus} for ${abortFraction * 100}% (FI)`);
    this.line = `fault: ${parts.length > 0 ? parts.join(', then ') : 'none (percentage 0)'}`;
  }

  run(exchange: Exchange): void {
    if (this.#delayFraction > 0 && Math.random() < this.#delayFraction) {
      exchange.addFlag(Flags.DI);
      exchange.wait(this.#delayMs, this);
      return;
    }
    this.resume(exchange);
  }

  resume(exchange: Exchange): void {
    if (this.#abort !== undefined && Math.random() < this.#abortFraction) exchange.fail(this.#abort);
    else exchange.next();
  }
}

export function compileFault(route: CompiledRoute): Stage | undefined {
  const fault = route.fault;
  if (fault === undefined) return undefined;
  return new FaultStage(fault.delayMs, fault.delayFraction, fault.abortStatus, fault.abortFraction);
}
