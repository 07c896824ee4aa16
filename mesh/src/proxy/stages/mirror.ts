import type { CompiledMirror, CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import type { Stage } from './stage.ts';

/**
 * VirtualService `mirror`/`mirrors` (route.go `MirrorPercent`; 100 % when omitted): a copy per
 * mirror, drawn on its own percentage, sent beside the primary and never waited for.
 */
class MirrorStage implements Stage {
  readonly line: string;
  readonly #mirrors: readonly CompiledMirror[];

  constructor(mirrors: readonly CompiledMirror[]) {
    this.#mirrors = mirrors;
    this.line = `mirror: ${mirrors
      .map(
        (m) =>
          `${m.destination.host}${m.destination.subset ? ` subset ${m.destination.subset}` : ''} ${m.fraction * 100}%`,
      )
      .join(', ')} (fire and forget)`;
  }

  run(exchange: Exchange): void {
    const context = exchange.context;
    for (const mirror of this.#mirrors) {
      if (mirror.fraction < 1 && Math.random() >= mirror.fraction) continue;
      const cluster = mirror.destination.cluster(exchange.port);
      if (cluster !== undefined)
        context.mirrors.send(exchange, context.clusters.get(cluster), mirror.destination);
    }
    exchange.next();
  }
}

export function compileMirror(route: CompiledRoute): Stage | undefined {
  return route.mirrors.length > 0 ? new MirrorStage(route.mirrors) : undefined;
}
