import type { AnalysisMessage } from '../../src/analyze/messages.ts';
import { connectToRuntime, type ResourceItem } from '../../src/control/client.ts';
import type { ChangeResult } from '../../src/control/plane.ts';
import type { IstioConfig, IstioObject } from './graph/istio-details.ts';

/** Where the console reads Istio configuration for the graph's flags. */
export interface ConfigSource {
  load(): Promise<IstioConfig>;
}

/** An object of the config page: the manifest as applied, and the file it came from. */
export interface AppliedObject extends IstioObject {
  readonly file: string;
  readonly line: number | undefined;
}

/** What the console's config, explain and wizard pages do, through the runtime's admin API. */
export interface RuntimeControl extends ConfigSource {
  objects(): Promise<AppliedObject[]>;
  analyze(): Promise<AnalysisMessage[]>;
  explain(request: {
    url: string;
    method: string;
    headers: Record<string, string>;
    from?: string;
  }): Promise<unknown>;
  apply(file: string, text: string): Promise<ChangeResult[]>;
}

/** The kinds the config page shows, as kubectl names their lists. */
const plurals = ['gateways', 'virtualservices', 'destinationrules', 'deployments', 'services'] as const;
const istioKinds = new Set(['Gateway', 'VirtualService', 'DestinationRule']);

/**
 * The local runtime's admin API (address and token from `<data-dir>/admin.json`, as `npm run
 * mesh` finds them), connected again for every call: the runtime may have restarted.
 */
export function runtimeControl(dataDir: string): RuntimeControl {
  const client = () => connectToRuntime(dataDir);
  const objects = async (): Promise<AppliedObject[]> => {
    const connected = await client();
    const lists = await Promise.all(plurals.map((plural) => connected.get(plural)));
    return lists.flatMap(({ items }) =>
      (items as ResourceItem[]).map(({ kind, name, namespace, manifest, file, position }) => ({
        kind,
        name,
        namespace,
        manifest,
        file,
        line: position?.line,
      })),
    );
  };
  return {
    objects,
    async load() {
      return { objects: (await objects()).filter((object) => istioKinds.has(object.kind)) };
    },
    async analyze() {
      return (await (await client()).analyze()).messages;
    },
    async explain(request) {
      return (await (await client()).explain(request)).explanation;
    },
    async apply(file, text) {
      return (await (await client()).apply([{ file, text }])).results;
    },
  };
}
