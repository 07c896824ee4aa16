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

const sidecar = (namespace: string): ListenerContext => ({
  kind: 'mesh',
  source: Object.freeze({ workload: 'front', namespace, app: 'front', version: 'v1' }),
});

const routes = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: scoped, namespace: music }
spec:
  hosts: [b.music.svc.cluster.local, "*.example.com"]
  gateways: [music-gateway, mesh]
  http:
    - name: gateway-only
      match: [{ gateways: [music-gateway], uri: { prefix: /where } }]
      route: [{ destination: { host: a } }]
    - name: mesh-only
      match: [{ gateways: [mesh], uri: { prefix: /where } }]
      route: [{ destination: { host: c } }]
    - name: from-shop
      match: [{ sourceNamespace: shop, uri: { prefix: /ns } }]
      route: [{ destination: { host: a } }]
    - name: from-front
      match: [{ sourceLabels: { app: front }, uri: { prefix: /labels } }]
      route: [{ destination: { host: a } }]
    - name: anonymous
      match: [{ withoutHeaders: { x-user: { regex: "*" } }, uri: { prefix: /user } }]
      route: [{ destination: { host: a } }]
    - name: exact-any-case
      match: [{ uri: { exact: /Case/Exact }, ignoreUriCase: true }]
      route: [{ destination: { host: a } }]
    - name: prefix-any-case
      match: [{ uri: { prefix: /Case/Prefix }, ignoreUriCase: true }]
      route: [{ destination: { host: a } }]
    - name: regex-case-kept
      match: [{ uri: { regex: "/Case/Regex" }, ignoreUriCase: true }]
      route: [{ destination: { host: a } }]
    - name: rest
      route: [{ destination: { host: b } }]
`;

describe('which proxies get a match, and how it compares', () => {
  const ups: Record<string, Upstream> = {};
  const meshes: Record<string, Mesh> = {};
  beforeAll(async () => {
    for (const name of ['a', 'b', 'c']) ups[name] = await startUpstream(name);
    const endpoints = ['a', 'b', 'c'].map((app) => ({
      name: `${app}-0`,
      app,
      origin: (ups[app] as Upstream).origin,
    }));
    const yaml = `${services('a', 'b', 'c')}---${gateway}${routes}`;
    meshes.gateway = await startMesh(yaml, endpoints);
    meshes.music = await startMesh(yaml, endpoints, sidecar('music'));
    meshes.shop = await startMesh(yaml, endpoints, sidecar('shop'));
  });
  afterAll(async () => {
    await Promise.all(Object.values(meshes).map((m) => m.close()));
    await Promise.all(Object.values(ups).map((u) => u.close()));
  });

  const ask = async (proxy: string, path: string, headers: Record<string, string> = {}) => {
    const mesh = meshes[proxy] as Mesh;
    mesh.records.length = 0;
    const host = proxy === 'gateway' ? 'music.example.com' : 'b.music.svc.cluster.local:8080';
    await get(`${mesh.listener.url}${path}`, { host, ...headers });
    await eventually(() => expect(mesh.records.length).toBeGreaterThan(0));
    return mesh.records[0]?.routeName?.replace('scoped.music/', '');
  };

  // route.go sourceMatchHTTP: a match naming gateways is built only for proxies playing one.
  it('builds a match with `gateways` only for the gateway or the sidecars it names', async () => {
    expect(await ask('gateway', '/where')).toBe('gateway-only');
    expect(await ask('music', '/where')).toBe('mesh-only');
  });

  it('builds a match with `sourceNamespace` only for proxies of that namespace', async () => {
    expect(await ask('shop', '/ns')).toBe('from-shop');
    expect(await ask('music', '/ns')).toBe('rest');
    expect(await ask('gateway', '/ns')).toBe('rest');
  });

  it('builds a match with `sourceLabels` only for proxies whose pod labels include them', async () => {
    // The gateway's labels (istio: ingressgateway) are not app: front.
    expect(await ask('gateway', '/labels')).toBe('rest');
    const table = (meshes.music as Mesh).routing.table;
    const names = (labels: Record<string, string>) =>
      table
        .view({ namespace: 'music', labels })
        .meshVirtualHost('b')
        ?.routes.map((route) => route.name.replace('scoped.music/', ''));
    expect(names({ app: 'front', version: 'v1' })).toContain('from-front');
    expect(names({ app: 'back' })).not.toContain('from-front');
  });

  // route.go TranslateRouteMatch + validation: withoutHeaders with regex "*" is "header absent".
  it('reads `withoutHeaders: { regex: "*" }` as "the header is absent"', async () => {
    expect(await ask('gateway', '/user')).toBe('anonymous');
    expect(await ask('gateway', '/user', { 'x-user': '' })).toBe('rest');
    expect(await ask('gateway', '/user', { 'x-user': 'jason' })).toBe('rest');
  });

  // TranslateRouteMatch sets Envoy's case_sensitive, which safe_regex does not consult.
  it('ignores the case of exact and prefix uris with ignoreUriCase, never of a regex', async () => {
    expect(await ask('gateway', '/case/EXACT')).toBe('exact-any-case');
    expect(await ask('gateway', '/CASE/prefix/more')).toBe('prefix-any-case');
    expect(await ask('gateway', '/Case/Regex')).toBe('regex-case-kept');
    expect(await ask('gateway', '/case/regex')).toBe('rest');
  });
});
