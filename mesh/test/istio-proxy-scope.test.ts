/**
 * Routing as each proxy has it, through real listeners: a sidecar by its own pod labels, a Gateway
 * port by the Gateway it serves, an HTTPS listener with scheme https, and `explain` resolving a
 * request on any Gateway port as that port's listener does.
 */
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointRegistry } from '../src/endpoints/registry.ts';
import { type Ingress, RoutingState, startIngress } from '../src/ingress/server.ts';
import { buildTopology, parseYaml } from '../src/manifests/load.ts';
import { explainRequest } from '../src/proxy/explain.ts';
import type { ListenerContext } from '../src/proxy/listener.ts';
import { compileRoutingTable } from '../src/routing/table.ts';
import { type RequestRecord, requestChannel } from '../src/telemetry/record.ts';
import { selfSignedCertificate, tlsSecret } from './support/certificates.ts';
import {
  eventually,
  get,
  type Mesh,
  services,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

const join = (...documents: string[]) => documents.join('\n---\n');

const workload = (app: string) => Object.freeze({ workload: app, namespace: 'music', app, version: 'v1' });
const sidecar = (app: string): ListenerContext => ({
  kind: 'mesh',
  source: workload(app),
  labels: Object.freeze({ app, version: 'v1' }),
});

let ups: Record<string, Upstream>;
const endpointSpecs = () =>
  Object.values(ups).map((u) => ({ name: `${u.name}-0`, app: u.name, origin: u.origin }));

beforeAll(async () => {
  ups = {};
  for (const name of ['a', 'b', 'c']) ups[name] = await startUpstream(name);
});

afterAll(async () => {
  await Promise.all(Object.values(ups).map((u) => u.close()));
});

// route.go sourceMatchHTTP: a match with sourceLabels is built only into proxies whose pod labels
// include them; the sidecar's labels are its pod's (the Deployment's template labels).
describe('sourceLabels in a sidecar', () => {
  const yaml = join(
    services('a', 'b', 'c'),
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: c, namespace: music }
spec:
  hosts: [c]
  http:
    - name: from-a
      match: [{ sourceLabels: { app: a } }]
      route: [{ destination: { host: b } }]
    - name: rest
      route: [{ destination: { host: c } }]`,
  );
  const meshes: Mesh[] = [];
  afterAll(async () => Promise.all(meshes.map((m) => m.close())));

  it("routes a's calls by a match naming a's labels, and not b's", async () => {
    const ofA = await startMesh(yaml, endpointSpecs(), sidecar('a'));
    const ofB = await startMesh(yaml, endpointSpecs(), sidecar('b'));
    meshes.push(ofA, ofB);
    const fromA = await get(`${ofA.listener.url}/x`, { host: 'c.music.svc.cluster.local:8080' });
    const fromB = await get(`${ofB.listener.url}/x`, { host: 'c.music.svc.cluster.local:8080' });
    expect(fromA.headers['x-served-by']).toBe('b');
    expect(fromB.headers['x-served-by']).toBe('c');
    // Every listener's records reach every subscriber: pick a's.
    await eventually(() =>
      expect(ofA.records.filter((r) => r.source.app === 'a').map((r) => r.routeName)).toEqual([
        'c.music/from-a',
      ]),
    );
  });

  it('explains a source workload with its labels as its sidecar routes it', () => {
    const table = compileRoutingTable(buildTopology(parseYaml('t.yaml', yaml)));
    const explain = (app: string) =>
      explainRequest(table, {
        context: { kind: 'mesh', source: workload(app), labels: { app } },
        url: 'http://c:8080/x',
      }).route?.name;
    expect(explain('a')).toBe('c.music/from-a');
    expect(explain('b')).toBe('c.music/rest');
  });
});

describe('the ingress per Gateway port', () => {
  const certificate = selfSignedCertificate(['music.example.com']);
  const yaml = join(
    services('a', 'b', 'c'),
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers:
    - { port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }
    - port: { number: 443, name: https, protocol: HTTPS }
      hosts: [music.example.com]
      tls: { mode: SIMPLE, credentialName: music-cert }`,
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: admin, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 8081, name: http-admin, protocol: HTTP }, hosts: ["*"] }]`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: site, namespace: music }
spec:
  hosts: ["*"]
  gateways: [public, admin]
  http:
    - name: admin-only
      match: [{ gateways: [admin] }]
      route: [{ destination: { host: b } }]
    - name: moved
      match: [{ uri: { prefix: /old } }]
      redirect: { uri: /new }
    - name: secure
      match: [{ scheme: { exact: https } }]
      route: [{ destination: { host: c } }]
    - name: rest
      route: [{ destination: { host: a } }]`,
    tlsSecret('music-cert', 'istio-system', certificate),
  );
  let ingress: Ingress;
  let endpoints: EndpointRegistry;
  let routing: RoutingState;
  const records: RequestRecord[] = [];
  const onRecord = (message: unknown) => {
    const record = message as RequestRecord;
    if (record.reporter === 'source') records.push(record);
  };

  beforeAll(async () => {
    const topology = buildTopology(parseYaml('gateways.yaml', yaml));
    endpoints = new EndpointRegistry(topology.services);
    for (const spec of endpointSpecs())
      endpoints.add({ name: spec.name, namespace: 'music', origin: spec.origin, labels: { app: spec.app } });
    routing = new RoutingState(compileRoutingTable(topology));
    ingress = await startIngress({ port: 0, host: '127.0.0.1', routing, endpoints });
    requestChannel.subscribe(onRecord);
  });
  afterAll(async () => {
    requestChannel.unsubscribe(onRecord);
    await ingress.close();
    await endpoints.close();
  });

  const urlOf = (gatewayPort: number) =>
    ingress.listeners().find((l) => l.gatewayPort === gatewayPort)?.url as string;

  const httpsGet = (path: string) =>
    new Promise<{ status: number; served: string | undefined; location: string | undefined }>(
      (resolve, reject) => {
        const req = httpsRequest(
          `${urlOf(443)}${path}`,
          {
            agent: false,
            ca: certificate.cert,
            servername: 'music.example.com',
            headers: { host: 'music.example.com' },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                served: res.headers['x-served-by'] as string | undefined,
                location: res.headers.location,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );

  // gateway.go buildGatewayHTTPRouteConfig builds each VirtualService's routes per Gateway
  // (BuildHTTPRoutesForVirtualService with sets.New(gatewayName)).
  it('keeps a match naming one Gateway to the port of that Gateway', async () => {
    const onAdmin = await get(`${urlOf(8081)}/x`, { host: 'music.example.com' });
    const onPublic = await get(`${urlOf(80)}/x`, { host: 'music.example.com' });
    expect(onAdmin.headers['x-served-by']).toBe('b');
    expect(onPublic.headers['x-served-by']).toBe('a');
  });

  // Envoy's :scheme is the downstream connection's; route.go TranslateRouteMatch matches it.
  it('sees HTTPS requests with scheme https: scheme matches hold and redirects keep it', async () => {
    expect(await httpsGet('/x')).toMatchObject({ status: 200, served: 'c' });
    expect((await get(`${urlOf(80)}/x`, { host: 'music.example.com' })).headers['x-served-by']).toBe('a');
    expect(await httpsGet('/old?page=2')).toMatchObject({
      status: 301,
      location: 'https://music.example.com/new?page=2',
    });
    expect((await get(`${urlOf(80)}/old`, { host: 'music.example.com' })).headers.location).toBe(
      'http://music.example.com/new',
    );
    expect(ups.c?.seen.at(-1)?.headers['x-forwarded-proto']).toBe('https');
  });

  it('explains a request on any Gateway port as the listener of that port routes it', async () => {
    const local443 = new URL(urlOf(443)).port;
    const local8081 = new URL(urlOf(8081)).port;
    const explain = (url: string, host?: string) =>
      explainRequest(routing.table, {
        context: { kind: 'gateway' },
        url,
        headers: host === undefined ? undefined : { host },
        gatewayListeners: ingress.listeners(),
      });
    const onTls = explain(`https://music.example.com:${local443}/x`);
    expect(onTls).toMatchObject({ gatewayPort: 443, route: { name: 'site.music/secure' } });
    records.length = 0;
    await httpsGet('/x');
    await eventually(() => expect(records.at(-1)?.routeName).toBe(onTls.route?.name));

    const onAdmin = explain(`http://localhost:${local8081}/x`, 'music.example.com');
    expect(onAdmin).toMatchObject({ gatewayPort: 8081, route: { name: 'site.music/admin-only' } });
    records.length = 0;
    await get(`${urlOf(8081)}/x`, { host: 'music.example.com' });
    await eventually(() => expect(records.at(-1)?.routeName).toBe(onAdmin.route?.name));

    // Named as a cluster's client would: the scheme's port is the Gateway port.
    expect(explain('https://music.example.com/x')).toMatchObject({
      gatewayPort: 443,
      route: { name: 'site.music/secure' },
    });
    // An SNI no server answers fails the handshake, as the listener's does.
    const refused = explain(`https://localhost:${local443}/x`, 'music.example.com');
    expect(refused).toMatchObject({ gatewayPort: 443, matched: false, route: null });
    expect(refused.reason).toContain('no server answers SNI localhost');
  });
});

// router.cc onUpstreamReset: a protocol error is 502 with flag UPE ("reset reason: protocol error").
describe('an upstream breaking HTTP/1.1', () => {
  let garbage: Server;
  let mesh: Mesh;
  beforeAll(async () => {
    garbage = createServer((socket) => {
      socket.once('data', () => socket.end('NOT HTTP\r\n\r\n'));
    });
    garbage.listen(0, '127.0.0.1');
    await once(garbage, 'listening');
    const origin = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
    mesh = await startMesh(join(services('a'), gatewayRoute), [{ name: 'a-0', app: 'a', origin }], {
      kind: 'gateway',
    });
  });
  afterAll(async () => {
    await mesh.close();
    await new Promise<void>((resolve) => garbage.close(() => resolve()));
  });

  it('is answered 502 UPE by its inbound side, in Envoy words', async () => {
    const res = await request(`${mesh.listener.url}/x`, { headers: { host: 'music.example.com' } });
    expect(res.statusCode).toBe(502);
    expect(await res.body.text()).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: protocol error',
    );
    await eventually(() => expect(mesh.inbound.at(-1)?.responseFlags).toBe('UPE'));
    expect(mesh.inbound.at(-1)?.status).toBe(502);
  });
});

const gatewayRoute = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: music-gateway, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: site, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http: [{ route: [{ destination: { host: a } }] }]`;
