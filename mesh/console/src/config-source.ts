import { connectToRuntime, type ResourceItem } from '../../src/control/client.ts';
import type { IstioConfig, IstioObject } from './graph/istio-details.ts';

/** Where the console reads Istio configuration for the graph's flags. */
export interface ConfigSource {
  load(): Promise<IstioConfig>;
}

const plurals = ['virtualservices', 'destinationrules', 'gateways'] as const;

/**
 * The local runtime's applied objects, through its admin API (address and token from
 * `<data-dir>/admin.json`, as `npm run mesh` finds them); read again for every graph, so an
 * apply shows at the next refresh.
 */
export function runtimeConfig(dataDir: string): ConfigSource {
  return {
    async load() {
      const client = await connectToRuntime(dataDir);
      const lists = await Promise.all(plurals.map((plural) => client.get(plural)));
      const objects: IstioObject[] = lists.flatMap(({ items }) =>
        (items as ResourceItem[]).map(({ kind, name, namespace, manifest }) => ({
          kind,
          name,
          namespace,
          manifest,
        })),
      );
      return { objects };
    },
  };
}
