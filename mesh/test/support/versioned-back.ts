import type { IncomingMessage, ServerResponse } from 'node:http';
import { startTelemetry, type Telemetry } from '../../src/telemetry/server.ts';
import {
  gateway,
  get,
  type Mesh,
  services,
  startMesh,
  startUpstream,
  type Upstream,
} from './mesh-harness.ts';

/** back's DestinationRule with one subset per version, as the tutorial's steps write it. */
export const backSubsets = (versions: readonly string[]) => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets: [${versions.map((version) => `{ name: ${version}, labels: { version: ${version} } }`).join(', ')}]
`;

/** A VirtualService for back bound to music-gateway, with these `http` routes (YAML, indented 4). */
export const backGatewayRoutes = (http: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
${http}`;

export interface VersionedBack {
  /** One upstream per version, in the order given. */
  readonly upstreams: readonly Upstream[];
  readonly mesh: Mesh;
  /** The runtime's stats server (Istio metrics, /stats/requests, /stats/mirrors). */
  readonly telemetry: Telemetry;
  /** `count` GETs of `path` through the gateway listener, one after the other. */
  send(count: number, path: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * back in several versions (pods `back-<version>-0`) behind a gateway listener whose routes
 * `routesYaml` gives, with the runtime's telemetry recording: what the console's tests graph.
 */
export async function startVersionedBack(
  versions: readonly string[],
  routesYaml: string,
  answer: (version: string, req: IncomingMessage, res: ServerResponse) => void,
): Promise<VersionedBack> {
  const upstreams = await Promise.all(
    versions.map((version) => startUpstream(`back-${version}`, (req, res) => answer(version, req, res))),
  );
  const telemetry = await startTelemetry({ statsPort: 0, host: '127.0.0.1' });
  const mesh = await startMesh(
    `${services('back')}---${gateway}---${backSubsets(versions)}---${routesYaml}`,
    upstreams.map((upstream, i) => ({
      name: `back-${versions[i]}-0`,
      app: 'back',
      version: versions[i] as string,
      origin: upstream.origin,
    })),
  );
  return {
    upstreams,
    mesh,
    telemetry,
    async send(count, path) {
      for (let i = 0; i < count; i++) await get(`${mesh.listener.url}${path}`, { host: 'music.example.com' });
    },
    async close() {
      await mesh.close();
      await telemetry.close();
      await Promise.all(upstreams.map((upstream) => upstream.close()));
    },
  };
}
