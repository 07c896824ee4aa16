import { ClusterNotFoundError } from '../../errors.ts';
import type { RequestFacts } from '../../routing/match.ts';
import type { CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import type { Stage } from './stage.ts';

const clusterNotFound = new ClusterNotFoundError();

/**
 * The route's destination: one of the weighted ones (Envoy's weighted_clusters, picked with the
 * route) and its cluster for the request's port; a cluster that does not exist is 503 `NC`.
 */
class DestinationStage implements Stage {
  readonly line: string;
  readonly #route: CompiledRoute;

  constructor(route: CompiledRoute) {
    this.#route = route;
    const total = route.totalWeight || 1;
    this.line = `destination: ${route.destinations
      .map(
        (d) =>
          `${d.host}${d.subset ? ` subset ${d.subset}` : ''} ${Math.round((d.weight / total) * 10_000) / 100}%`,
      )
      .join(', ')}`;
  }

  run(exchange: Exchange): void {
    const destination = this.#route.pickDestination();
    exchange.destination = destination;
    const cluster = destination.cluster(exchange.port);
    if (cluster === undefined) {
      exchange.fail(clusterNotFound);
      return;
    }
    exchange.cluster = cluster;
    exchange.runtime = exchange.context.clusters.get(cluster);
    exchange.next();
  }
}

/** VirtualService `rewrite.uri` / `uriRegexRewrite`, given the match block that matched. */
class RewriteStage implements Stage {
  readonly line: string;
  readonly #route: CompiledRoute;
  readonly #rewrite: (path: string, pathname: string, block: number) => string;

  constructor(route: CompiledRoute, rewrite: (path: string, pathname: string, block: number) => string) {
    this.#route = route;
    this.#rewrite = rewrite;
    this.line = 'rewrite: the path sent upstream is rewritten (the record keeps the received one)';
  }

  run(exchange: Exchange): void {
    const matches = this.#route.matches;
    let block = 0;
    for (let i = 0; i < matches.length; i++) {
      if ((matches[i] as { test: (r: RequestFacts) => boolean }).test(exchange)) {
        block = i;
        break;
      }
    }
    exchange.path = this.#rewrite(exchange.path, exchange.pathname, block);
    exchange.next();
  }
}

export function compileDestination(route: CompiledRoute): Stage {
  return new DestinationStage(route);
}

export function compileRewrite(route: CompiledRoute): Stage | undefined {
  return route.rewritePath === undefined ? undefined : new RewriteStage(route, route.rewritePath);
}
