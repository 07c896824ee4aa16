import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  gateway,
  get,
  type Mesh,
  services,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

// pilot/pkg/model/virtualservice_controller.go mergeVirtualServices and virtualservice.go
// MergeHTTPRoutes / mergeHTTPMatchRequests / hasConflict (virtualservice_test.go
// TestMergeHttpRoutes, TestMergeHTTPMatchRequests, TestHasConflict).

const subsets = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;

/** The root lives in istio-system: its delegate's short hosts still name Services of music. */
const root = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: root, namespace: istio-system }
spec:
  hosts: ["*"]
  gateways: [music/music-gateway]
  http:
    - name: back
      match: [{ uri: { prefix: /back } }]
      headers: { request: { set: { x-root: "yes" } } }
      delegate: { name: back-routes, namespace: music }
    - name: hidden
      match: [{ uri: { prefix: /hidden } }]
      delegate: { name: private-routes, namespace: team }
    - name: missing
      match: [{ uri: { prefix: /missing } }]
      delegate: { name: nobody, namespace: music }
`;

const delegates = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-routes, namespace: music }
spec:
  http:
    - name: v2
      match: [{ uri: { prefix: /back/v2 } }]
      route: [{ destination: { host: back, subset: v2 } }]
    - name: outside
      match: [{ uri: { prefix: /front } }]
      route: [{ destination: { host: front } }]
    - name: rest
      headers: { request: { set: { x-leaf: "yes" } } }
      route: [{ destination: { host: back, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: private-routes, namespace: team }
spec:
  exportTo: ["."]
  http: [{ route: [{ destination: { host: front.music.svc.cluster.local } }] }]
`;

describe('delegate VirtualServices', () => {
  let mesh: Mesh;
  const ups: Record<string, Upstream> = {};
  beforeAll(async () => {
    for (const name of ['back-v1', 'back-v2', 'front']) ups[name] = await startUpstream(name);
    mesh = await startMesh(`${services('back', 'front')}---${gateway}${subsets}${root}${delegates}`, [
      { name: 'back-v1-0', app: 'back', version: 'v1', origin: (ups['back-v1'] as Upstream).origin },
      { name: 'back-v2-0', app: 'back', version: 'v2', origin: (ups['back-v2'] as Upstream).origin },
      { name: 'front-0', app: 'front', origin: (ups.front as Upstream).origin },
    ]);
  });
  afterAll(async () => {
    await mesh.close();
    await Promise.all(Object.values(ups).map((u) => u.close()));
  });

  const ask = async (path: string) => {
    mesh.records.length = 0;
    const res = await get(`${mesh.listener.url}${path}`);
    await eventually(() => expect(mesh.records.length).toBeGreaterThan(0));
    return { status: res.status, served: res.headers['x-served-by'], route: mesh.records[0]?.routeName };
  };

  it("serves the delegate's routes within the root's match, named root-delegate", async () => {
    expect(await ask('/back/v2/tracks')).toEqual({
      status: 200,
      served: 'back-v2',
      route: 'root.istio-system/back-v2',
    });
    // A delegate route without match takes the root's (/back).
    expect(await ask('/back/tracks')).toEqual({
      status: 200,
      served: 'back-v1',
      route: 'root.istio-system/back-rest',
    });
  });

  it("keeps a delegate's own header operations, and gives the root's to routes that have none", async () => {
    await ask('/back/v2/x');
    expect((ups['back-v2'] as Upstream).seen.at(-1)?.headers['x-root']).toBe('yes');
    await ask('/back/x');
    const seen = (ups['back-v1'] as Upstream).seen.at(-1)?.headers;
    expect(seen?.['x-leaf']).toBe('yes');
    expect(seen?.['x-root']).toBeUndefined();
  });

  it('leaves out a delegate route whose match lies outside the root’s, and says so', async () => {
    expect((await ask('/front')).status).toBe(404);
    expect(mesh.routing.table.warnings).toContain(
      'test.yaml (document 5): VirtualService istio-system/root: HTTPMatchRequests conflict: root route back, delegate route outside of music/back-routes; the delegate route is left out',
    );
  });

  it('leaves out a route whose delegate is missing or not exported to the root’s namespace', async () => {
    expect((await ask('/hidden')).status).toBe(404);
    expect((await ask('/missing')).status).toBe(404);
    expect(mesh.routing.table.warnings).toEqual(
      expect.arrayContaining([
        'test.yaml (document 5): VirtualService istio-system/root: delegate virtual service team/private-routes is not exported to istio-system; its route is left out',
        'test.yaml (document 5): VirtualService istio-system/root: delegate virtual service music/nobody not found; its route is left out',
      ]),
    );
  });
});
