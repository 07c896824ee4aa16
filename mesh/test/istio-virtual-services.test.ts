import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerContext } from '../src/proxy/listener.ts';
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

const virtualService = (name: string, spec: string, metadata = '', namespace = 'music') => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${namespace}${metadata} }
spec:
${spec}`;

const created = (time: string) => `, creationTimestamp: "${time}"`;

const sidecar: ListenerContext = {
  kind: 'mesh',
  source: Object.freeze({ workload: 'front', namespace: 'music', app: 'front', version: 'v1' }),
};

describe('VirtualServices at a gateway and in the mesh', () => {
  const upstreams: Record<string, Upstream> = {};
  const meshes: Mesh[] = [];
  beforeAll(async () => {
    for (const name of ['a', 'b', 'c']) upstreams[name] = await startUpstream(name);
  });
  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await Promise.all(Object.values(upstreams).map((u) => u.close()));
  });

  const start = async (yaml: string, context: ListenerContext = { kind: 'gateway' }) => {
    const mesh = await startMesh(
      `${services('a', 'b', 'c')}---${gateway}${yaml}`,
      ['a', 'b', 'c'].map((app) => ({ name: `${app}-0`, app, origin: (upstreams[app] as Upstream).origin })),
      context,
    );
    meshes.push(mesh);
    return mesh;
  };
  /** Which upstream answers `path`, and the route the record names. */
  const ask = async (mesh: Mesh, path: string, host = 'music.example.com') => {
    mesh.records.length = 0;
    const res = await get(`${mesh.listener.url}${path}`, { host });
    await eventually(() => expect(mesh.records.length).toBeGreaterThan(0));
    return { status: res.status, served: res.headers['x-served-by'], route: mesh.records[0]?.routeName };
  };

  // gateway.go buildGatewayHTTPRouteConfig merges every VirtualService bound to the gateway per
  // host, oldest first; route.go SortVHostRoutes (route_test.go TestSortVHostRoutes) then moves
  // the catch-all routes last, so a younger VirtualService's /b is reachable past an older `/`.
  it('merges two VirtualServices on one gateway host, oldest first, catch-all routes moved last', async () => {
    const older = virtualService(
      'site',
      `  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - { name: a, match: [{ uri: { prefix: /a } }], route: [{ destination: { host: a } }] }
    - { name: rest, match: [{ uri: { prefix: / } }], route: [{ destination: { host: c } }] }
`,
      created('2024-05-01T00:00:00Z'),
    );
    const younger = virtualService(
      'api',
      `  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - { name: b, match: [{ uri: { prefix: /b } }], route: [{ destination: { host: b } }] }
    - { name: a-too, match: [{ uri: { prefix: /a } }], route: [{ destination: { host: b } }] }
`,
      created('2024-06-01T00:00:00Z'),
    );
    // Applied younger first: creationTimestamp, not the apply order, makes `site` older.
    const mesh = await start(`${younger}${older}`);
    expect(await ask(mesh, '/b/x')).toMatchObject({ served: 'b', route: 'api.music/b' });
    expect(await ask(mesh, '/a/x')).toMatchObject({ served: 'a', route: 'site.music/a' });
    expect(await ask(mesh, '/other')).toMatchObject({ served: 'c', route: 'site.music/rest' });
  });

  it('without creationTimestamp, takes the VirtualServices in the order they were applied', async () => {
    const first = virtualService(
      'first',
      '  hosts: ["*"]\n  gateways: [music-gateway]\n  http: [{ name: x, match: [{ uri: { prefix: /x } }], route: [{ destination: { host: a } }] }]\n',
    );
    const second = virtualService(
      'second',
      '  hosts: ["*"]\n  gateways: [music-gateway]\n  http: [{ name: x, match: [{ uri: { prefix: /x } }], route: [{ destination: { host: b } }] }]\n',
    );
    expect(await ask(await start(`${second}${first}`), '/x')).toMatchObject({ route: 'second.music/x' });
  });

  // route.go IsCatchAllRoute (route_internal_test.go TestIsCatchAllRoute): a match with a header is
  // not catch-all, even on `/`; one of several match blocks can be, and is moved alone.
  it('moves only catch-all match blocks: `/` with a header stays in place', async () => {
    const older = virtualService(
      'site',
      `  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: mixed
      match: [{ uri: { prefix: / }, headers: { x-beta: { exact: "1" } } }, { uri: { regex: ".*" } }]
      route: [{ destination: { host: a } }]
`,
      created('2024-05-01T00:00:00Z'),
    );
    const younger = virtualService(
      'api',
      '  hosts: ["*"]\n  gateways: [music-gateway]\n  http: [{ name: b, match: [{ uri: { prefix: /b } }], route: [{ destination: { host: b } }] }]\n',
      created('2024-06-01T00:00:00Z'),
    );
    const mesh = await start(`${older}${younger}`);
    expect(await ask(mesh, '/b', 'h')).toMatchObject({ served: 'b' });
    const beta = await get(`${mesh.listener.url}/b`, { 'x-beta': '1' });
    expect(beta.headers['x-served-by']).toBe('a');
    expect(await ask(mesh, '/z')).toMatchObject({ served: 'a', route: 'site.music/mixed' });
  });

  // route.go BuildHTTPRoutesForVirtualService: nothing after a catch-all route is built, so the
  // gateway's sort cannot make it reachable.
  it('drops the routes that follow a catch-all in the same VirtualService', async () => {
    const mesh = await start(
      virtualService(
        'site',
        `  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - { name: all, route: [{ destination: { host: a } }] }
    - { name: never, match: [{ uri: { prefix: /b } }], route: [{ destination: { host: b } }] }
`,
      ),
    );
    expect(await ask(mesh, '/b')).toMatchObject({ served: 'a', route: 'site.music/all' });
  });

  // sidecar_simulation_test.go "same namespace conflict" / "cross namespace conflict": in the mesh
  // the oldest VirtualService of a host wins whole; the younger one is not merged in.
  it('uses only the oldest VirtualService of a mesh host, and warns about the other', async () => {
    const older = virtualService(
      'back-old',
      '  hosts: [b.music.svc.cluster.local]\n  http: [{ name: old, match: [{ uri: { prefix: /old } }], route: [{ destination: { host: a.music.svc.cluster.local } }] }]\n',
      created('2024-05-01T00:00:00Z'),
      'shop',
    );
    const younger = virtualService(
      'back-new',
      '  hosts: [b.music.svc.cluster.local]\n  http: [{ name: new, route: [{ destination: { host: c } }] }]\n',
      created('2024-06-01T00:00:00Z'),
    );
    const mesh = await start(`${younger}${older}`, sidecar);
    expect(await ask(mesh, '/old', 'b:8080')).toMatchObject({ served: 'a', route: 'back-old.shop/old' });
    // The younger one's catch-all is not there: no route for /new on host b.
    expect((await ask(mesh, '/new', 'b:8080')).status).toBe(404);
    expect(mesh.routing.table.warnings).toContain(
      'test.yaml (document 5): VirtualService music/back-new is not used for host b.music.svc.cluster.local by sidecars: shop/back-old, older, routes it (only the oldest VirtualService of a host applies outside gateways)',
    );
  });

  // push_context.go VirtualServicesForGateway and the VirtualService index: exportTo "." keeps a
  // VirtualService to its namespace's proxies; the ingress gateway runs in istio-system.
  it('leaves a VirtualService exported to its own namespace only out of the ingress gateway', async () => {
    const local = virtualService(
      'local',
      '  hosts: ["*"]\n  gateways: [music-gateway]\n  exportTo: ["."]\n  http: [{ route: [{ destination: { host: a } }] }]\n',
    );
    const mesh = await start(local);
    const res = await get(`${mesh.listener.url}/x`);
    expect(res.status).toBe(404);
    const exported = await start(local.replace('exportTo: ["."]', 'exportTo: [".", istio-system]'));
    expect(await ask(exported, '/x')).toMatchObject({ served: 'a' });
  });
});
