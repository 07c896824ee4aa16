import type { EndpointRegistry } from '../endpoints/registry.ts';
import type { Deployment } from '../manifests/model.ts';
import type { RoutingState } from '../routing/state.ts';
import type { OutboundListeners } from '../workloads/supervisor.ts';

/** Who sends the requests an outbound listener receives: its workload, as Istio's source labels. */
export interface MeshSource {
  readonly workload: string;
  readonly namespace: string;
  /** The pod's `app` label, else the workload name (Istio's canonical service). */
  readonly app: string;
  /** The pod's `version` label, else `unknown`. */
  readonly version: string;
}

export interface ListenerHandle {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The data plane's `startListener` (mesh/src/proxy/listener.ts), as the runtime calls it. */
export type StartListener = (options: {
  readonly port: number;
  readonly host: string;
  readonly context: {
    readonly kind: 'mesh';
    readonly source: MeshSource;
    /** The pod's labels, for VirtualService match `sourceLabels`. */
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly routing: RoutingState;
  readonly endpoints: EndpointRegistry;
}) => Promise<ListenerHandle>;

/** One outbound listener per Deployment, on a free port of 127.0.0.1. */
export function outboundListeners(
  start: StartListener,
  routing: RoutingState,
  endpoints: EndpointRegistry,
): OutboundListeners & { closeAll(): Promise<void> } {
  const open = new Map<string, ListenerHandle>();
  const key = (deployment: Deployment) => `${deployment.namespace}/${deployment.name}`;
  return {
    async open(deployment) {
      const existing = open.get(key(deployment));
      if (existing) return existing;
      const handle = await start({
        port: 0,
        host: '127.0.0.1',
        context: {
          kind: 'mesh',
          source: {
            workload: deployment.name,
            namespace: deployment.namespace,
            app: deployment.podLabels.app ?? deployment.name,
            version: deployment.podLabels.version ?? 'unknown',
          },
          labels: deployment.podLabels,
        },
        routing,
        endpoints,
      });
      open.set(key(deployment), handle);
      return handle;
    },
    async close(deployment) {
      const handle = open.get(key(deployment));
      open.delete(key(deployment));
      await handle?.close();
    },
    async closeAll() {
      const handles = [...open.values()];
      open.clear();
      await Promise.all(handles.map((handle) => handle.close()));
    },
  };
}
