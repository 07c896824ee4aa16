import type { HeaderOperations, Headers } from '../../manifests/model.ts';
import type { RequestHeaderMutation, ResponseHeaderMutation } from '../../routing/policy.ts';
import type { CompiledRoute, RouteDestination } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import { upstreamRequestHeaders } from '../headers.ts';
import type { Stage } from './stage.ts';

/**
 * VirtualService `headers`, applied as Envoy applies what Istio generates (route.go
 * `TranslateHeadersOperations`, `processDestination`, `processWeightedDestination`):
 * - one list of operations is every `remove`, then every `set`, then every `add` (each sorted by
 *   name); Envoy's header parser removes first, then sets (overwrite) and adds (append) in order;
 * - one destination: its operations are appended to the route's, in one list, so a destination
 *   `set` wins over a route `add`/`set`;
 * - weighted destinations: the destination's list runs first, then the route's
 *   (`WeightedClusterEntry::finalizeRequestHeaders`), so the route-level operations win.
 * The lists are evaluated here, once per destination: the data path only drops names and appends
 * pairs.
 */
type Operation = readonly ['remove', string] | readonly ['set' | 'add', string, string];

const authorityNames = new Set(['host', ':authority']);
/** Envoy writes these response headers itself, after the route's operations. */
const envoyResponseHeaders = new Set(['server', 'x-envoy-upstream-service-time']);

function byName(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** One Envoy header parser: removes, then sets, then adds. */
function parser(ops: HeaderOperations | undefined): Operation[] {
  if (ops === undefined) return [];
  return [
    ...ops.remove.map((name): Operation => ['remove', name.toLowerCase()]),
    ...[...ops.set].sort(byName).map(([name, value]): Operation => ['set', name.toLowerCase(), value]),
    ...[...ops.add].sort(byName).map(([name, value]): Operation => ['add', name.toLowerCase(), value]),
  ];
}

/** Parsers in the order Envoy runs them; removes of one parser come before its additions. */
function parsers(
  route: Headers | undefined,
  destination: Headers | undefined,
  weighted: boolean,
  side: 'request' | 'response',
): Operation[][] {
  const routeOps = route?.[side];
  const destinationOps = destination?.[side];
  if (weighted) return [parser(destinationOps), parser(routeOps)];
  const merged = [...parser(routeOps), ...parser(destinationOps)];
  return [[...merged.filter((op) => op[0] === 'remove'), ...merged.filter((op) => op[0] !== 'remove')]];
}

/** The net effect of the parsers on a header list: names whose incoming values go, and the pairs added. */
function evaluate(
  lists: readonly Operation[][],
  skip: ReadonlySet<string>,
): { drop: Set<string>; pairs: string[] } {
  const drop = new Set<string>();
  const added = new Map<string, string[]>();
  for (const list of lists) {
    for (const op of list) {
      const name = op[1];
      if (skip.has(name)) continue;
      if (op[0] === 'remove') {
        drop.add(name);
        added.delete(name);
      } else if (op[0] === 'set') {
        drop.add(name);
        added.set(name, [op[2]]);
      } else {
        const values = added.get(name) ?? [];
        values.push(op[2]);
        added.set(name, values);
      }
    }
  }
  const pairs: string[] = [];
  for (const [name, values] of added) for (const value of values) pairs.push(name, value);
  return { drop, pairs };
}

const noSkip: ReadonlySet<string> = new Set();

function requestMutation(
  lists: readonly Operation[][],
  authority: string | undefined,
): RequestHeaderMutation {
  const { drop, pairs } = evaluate(lists, authorityNames);
  return Object.freeze({ drop, append: Object.freeze(pairs), authority });
}

function responseMutation(lists: readonly Operation[][]): ResponseHeaderMutation | undefined {
  if (lists.every((list) => list.length === 0)) return undefined;
  const { drop, pairs } = evaluate(lists, noSkip);
  const extra: string[] = [];
  for (let i = 0; i < pairs.length; i += 2)
    if (!envoyResponseHeaders.has(pairs[i] as string)) extra.push(pairs[i] as string, pairs[i + 1] as string);
  const ops = lists.flat();
  return Object.freeze({
    drop: Object.freeze(ops.filter((op) => op[0] === 'remove').map((op) => op[1])),
    set: Object.freeze(ops.flatMap((op) => (op[0] === 'set' ? [[op[1], op[2]] as const] : []))),
    add: Object.freeze(ops.flatMap((op) => (op[0] === 'add' ? [[op[1], op[2]] as const] : []))),
    replaced: drop,
    extra: Object.freeze(extra),
  });
}

export interface HeaderProgram {
  readonly request: RequestHeaderMutation;
  readonly response: ResponseHeaderMutation | undefined;
}

/** The upstream request headers for the chosen destination, and its response operations. */
class HeaderOperationsStage implements Stage {
  readonly line: string;
  readonly #programs: ReadonlyMap<RouteDestination, HeaderProgram>;

  constructor(programs: ReadonlyMap<RouteDestination, HeaderProgram>, line: string) {
    this.#programs = programs;
    this.line = line;
  }

  run(exchange: Exchange): void {
    const destination = exchange.destination as RouteDestination;
    const program = this.#programs.get(destination) as HeaderProgram;
    exchange.responseHeaders = program.response;
    exchange.upstream = upstreamRequestHeaders(
      exchange.req,
      destination.authority ?? exchange.authority,
      program.request,
      exchange.context.edge,
    );
    exchange.next();
  }
}

export function headerProgram(route: CompiledRoute, destination: RouteDestination): HeaderProgram {
  const weighted = route.destinations.length > 1;
  return Object.freeze({
    request: requestMutation(
      parsers(route.headers, destination.headers, weighted, 'request'),
      destination.authority,
    ),
    response: responseMutation(parsers(route.headers, destination.headers, weighted, 'response')),
  });
}

export function compileHeaderOperations(route: CompiledRoute): Stage {
  const programs = new Map<RouteDestination, HeaderProgram>();
  for (const destination of route.destinations) programs.set(destination, headerProgram(route, destination));
  const written = route.headers !== undefined || route.destinations.some((d) => d.headers !== undefined);
  const line = written
    ? `header operations: ${route.destinations.length > 1 ? "each destination's, then the route's (the route's win)" : "the route's, then the destination's (the destination's win)"}; removes before sets before adds`
    : 'header operations: none beyond x-request-id, traceparent, x-forwarded-* and x-envoy-attempt-count';
  return new HeaderOperationsStage(programs, line);
}
