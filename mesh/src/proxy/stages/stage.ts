import type { Exchange } from '../exchange.ts';

/**
 * One feature's step on the request path, compiled once per route when a routing table is first
 * used: an immutable object, shared by every request on the route, holding no per-request state.
 * `run` continues with `exchange.next()` (now, or later after `exchange.wait`), or ends the
 * request (`exchange.fail`, `exchange.reply`, the upstream's answer).
 */
export interface Stage {
  /** What `explain` shows for the stage, one line. */
  readonly line: string;
  run(exchange: Exchange): void;
  /** Called when the wait the stage started with `exchange.wait(ms, this)` is over. */
  resume?(exchange: Exchange): void;
}
