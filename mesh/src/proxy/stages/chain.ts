import type { CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import { compileDestination, compileRewrite } from './destination.ts';
import { compileDirectResponse } from './direct-response.ts';
import { compileFault } from './fault.ts';
import { compileHeaderOperations } from './header-operations.ts';
import { compileMirror } from './mirror.ts';
import { recordLine } from './record.ts';
import { compileRedirect } from './redirect.ts';
import { compileReplay } from './replay.ts';
import { compileRetry, noRetryLine } from './retry.ts';
import type { Stage } from './stage.ts';
import { compileTimeout, noTimeoutLine } from './timeout.ts';
import { compileUpstream } from './upstream.ts';

/**
 * A stage with its `run` and the step after it. Every step has the same shape, so walking the
 * chain loads fields of one class; the stages themselves are of a dozen classes, and a
 * `stages[i].run` load over all of them is a megamorphic lookup on every step of every request.
 */
export class Step {
  readonly stage: Stage;
  readonly run: (this: Stage, exchange: Exchange) => void;
  readonly next: Step | undefined;

  constructor(stage: Stage, next: Step | undefined) {
    this.stage = stage;
    this.run = stage.run;
    this.next = next;
    Object.freeze(this);
  }
}

/** A route's stages in the order a request runs them, and their lines for `explain`. */
export interface Chain {
  readonly stages: readonly Stage[];
  /** The first stage's step; undefined for an empty chain. */
  readonly first: Step | undefined;
  /** One line per stage, with the defaults that add no stage (no timeout, no retries) and the record. */
  readonly lines: readonly string[];
}

/**
 * Compiles a route into its chain (once per route, through `chainOf`): fault → redirect | direct response (both end the chain) → destination → rewrite →
 * header operations → timeout → retries → body kept for replay → mirror → upstream; the record is
 * published when the request ends, whichever stage ended it. A stage a route does not need is left
 * out, so a plain route runs destination, header operations, retries (Istio's default policy) and
 * upstream.
 */
function compileChain(route: CompiledRoute): Chain {
  const stages: Stage[] = [];
  const lines: string[] = [];
  const add = (stage: Stage | undefined, otherwise?: string) => {
    if (stage !== undefined) {
      stages.push(stage);
      lines.push(stage.line);
    } else if (otherwise !== undefined) lines.push(otherwise);
  };
  add(compileFault(route));
  const terminal = compileRedirect(route) ?? compileDirectResponse(route);
  if (terminal !== undefined) add(terminal);
  else {
    add(compileDestination(route));
    add(compileRewrite(route));
    add(compileHeaderOperations(route));
    add(compileTimeout(route), noTimeoutLine);
    add(compileRetry(route), noRetryLine);
    add(compileReplay(route));
    add(compileMirror(route));
    add(compileUpstream(route));
  }
  lines.push(recordLine);
  const first = stages.reduceRight<Step | undefined>((next, stage) => new Step(stage, next), undefined);
  return Object.freeze({ stages: Object.freeze(stages), first, lines: Object.freeze(lines) });
}

/**
 * Stages hold nothing per request or per listener, so a route's chain is compiled once, by the
 * first listener (or explain) that uses it, and shared. Routes are compiled per client view of a
 * table, so chains are too; a replaced table's routes and chains go with it.
 */
const chains = new WeakMap<CompiledRoute, Chain>();

/** `route`'s chain, compiled on its first use. */
export function chainOf(route: CompiledRoute): Chain {
  let chain = chains.get(route);
  if (chain === undefined) {
    chain = compileChain(route);
    chains.set(route, chain);
  }
  return chain;
}
