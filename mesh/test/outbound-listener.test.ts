import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointRegistry } from '../src/endpoints/registry.ts';
import { buildTopology, parseYaml } from '../src/manifests/load.ts';
import { explainRequest } from '../src/proxy/explain.ts';
import { startListener } from '../src/proxy/listener.ts';
import { RoutingState } from '../src/routing/state.ts';
import { compileRoutingTable } from '../src/routing/table.ts';
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

const run = promisify(execFile);

const front = Object.freeze({ workload: 'front', namespace: 'music', app: 'front', version: 'v1' });

/** The tutorial's canary: a mesh VirtualService splitting back by subset, and the gateway's own routes. */
const canary = `${services('front', 'back')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-virtualservice, namespace: music }
spec:
  hosts: [back]
  http:
    - name: canary
      route:
        - { destination: { host: back, subset: v2 }, weight: 100 }
        - { destination: { host: back, subset: v1 }, weight: 0 }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-gw-virtualservice, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: back
      match: [{ uri: { prefix: /back } }]
      route: [{ destination: { host: back, port: { number: 8080 } } }]
`;

describe('outbound (mesh) listener and the gateway, side by side', () => {
  let v1: Upstream;
  let v2: Upstream;
  let frontUp: Upstream;
  let sidecar: Mesh;
  let ingress: Mesh;
  beforeAll(async () => {
    [v1, v2, frontUp] = await Promise.all([
      startUpstream('back-v1'),
      startUpstream('back-v2'),
      startUpstream('front'),
    ]);
    const endpoints = [
      { name: 'back-v1-0', app: 'back', version: 'v1', origin: v1.origin },
      { name: 'back-v2-0', app: 'back', version: 'v2', origin: v2.origin },
      { name: 'front-0', app: 'front', origin: frontUp.origin },
    ];
    sidecar = await startMesh(canary, endpoints, { kind: 'mesh', source: front });
    ingress = await startMesh(canary, endpoints);
  });
  afterAll(async () => {
    await sidecar.close();
    await ingress.close();
    await Promise.all([v1.close(), v2.close(), frontUp.close()]);
  });

  it('routes absolute-form (http.request) and CONNECT (fetch) requests from a replica with HTTP_PROXY set', async () => {
    const script = `
      const http = require('node:http');
      const viaRequest = () => new Promise((resolve, reject) => {
        http.get('http://back:8080/api/tracks', (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(JSON.parse(body).name));
        }).on('error', reject);
      });
      (async () => {
        const a = await viaRequest();
        const b = await (await fetch('http://back.music:8080/api/tracks')).json();
        const c = await (await fetch('http://front:8080/')).json();
        console.log(JSON.stringify([a, b.name, c.name]));
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const { stdout } = await run(process.execPath, ['-e', script], {
      env: { ...process.env, HTTP_PROXY: sidecar.listener.url, NODE_USE_ENV_PROXY: '1', NO_PROXY: '' },
    });
    // The mesh VirtualService sends all of back to v2; front has none, so the Service itself answers.
    expect(JSON.parse(stdout)).toEqual(['back-v2', 'back-v2', 'front']);
    await eventually(() => expect(sidecar.records.length).toBeGreaterThanOrEqual(3));
    const toBack = sidecar.records.find((r) => r.destination?.serviceName === 'back');
    expect(toBack).toMatchObject({
      source: front,
      routeName: 'back-virtualservice.music/canary',
      upstreamCluster: 'outbound|8080|v2|back.music.svc.cluster.local',
      destination: { workload: 'back-v2', version: 'v2' },
    });
    expect(sidecar.records.find((r) => r.destination?.serviceName === 'front')?.routeName).toBe('default');
  });

  it('does not chain: the gateway VirtualService sends /back to every back endpoint despite the mesh canary', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 40; i++)
      served.add(String((await get(`${ingress.listener.url}/back/x`)).headers['x-served-by']));
    expect(served).toEqual(new Set(['back-v1', 'back-v2']));
  });

  it('explains a request: gateway, VirtualService, route, destinations and why others do not match', () => {
    const table = ingress.routing.table;
    const explained = explainRequest(table, {
      context: { kind: 'gateway' },
      url: 'http://music.example.com/back/api',
      method: 'GET',
      headers: {},
    });
    expect(explained).toMatchObject({
      matched: true,
      gateways: ['music/music-gateway'],
      virtualHost: { name: '*', virtualServices: ['music/back-gw-virtualservice'] },
      route: { name: 'back-gw-virtualservice.music/back' },
    });
    expect(JSON.parse(JSON.stringify(explained))).toEqual(explained);
    const missed = explainRequest(table, {
      context: { kind: 'gateway' },
      url: 'http://x/other',
      method: 'GET',
      headers: {},
    });
    expect(missed).toMatchObject({ matched: false, responseFlag: 'NR' });
    expect(missed.routes[0]?.failedCondition).toBe('uri prefix /back');
    const mesh = explainRequest(table, {
      context: { kind: 'mesh', source: front },
      url: 'http://back:8080/x',
      method: 'GET',
      headers: {},
      endpoints: ingress.endpoints,
    });
    expect(mesh.route?.destinations.map((d) => [d.subset, d.weight, d.subsetDefined])).toEqual([
      ['v2', 100, true],
    ]);
    expect(mesh.route?.destinations[0]?.subsetLabels).toEqual({ version: 'v2' });
    expect(mesh.route?.destinations[0]?.endpoints).toEqual(['back-v2-0']);
  });
});

describe('routing table swap', () => {
  it('serves constant load across many swaps without a failed request', async () => {
    const up = await startUpstream('u');
    const yaml = (prefix: string) => `${services('u')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: u, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http: [{ match: [{ uri: { prefix: ${prefix} } }], route: [{ destination: { host: u } }] }]
`;
    const topologyA = buildTopology(parseYaml('a.yaml', yaml('/')));
    const topologyB = buildTopology(parseYaml('b.yaml', yaml('/x')));
    const endpoints = new EndpointRegistry(topologyA.services);
    endpoints.add({ name: 'u-0', namespace: 'music', origin: up.origin, labels: { app: 'u' } });
    const routing = new RoutingState(compileRoutingTable(topologyA));
    const listener = await startListener({
      port: 0,
      host: '127.0.0.1',
      context: { kind: 'gateway' },
      routing,
      endpoints,
    });
    let stop = false;
    const swapper = (async () => {
      for (let i = 0; !stop; i++) {
        routing.replace(compileRoutingTable(i % 2 ? topologyA : topologyB));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = 0; i < 60; i++) statuses.push((await get(`${listener.url}/x/y`)).status);
      }),
    );
    stop = true;
    await swapper;
    expect(statuses.length).toBe(960);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await listener.close();
    await endpoints.close();
    await up.close();
  });
});
