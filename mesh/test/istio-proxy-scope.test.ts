/**
 * Routing as each proxy has it, through real listeners: a sidecar by its own pod labels, a Gateway
 * port by the Gateway it serves, an HTTPS listener with scheme https, and `explain` resolving a
 * request on any Gateway port as that port's listener does.
 */
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointRegistry } from '../src/endpoints/registry.ts';
import { type Ingress, RoutingState, startIngress } from '../src/ingress/server.ts';
import { buildTopology, parseYaml } from '../src/manifests/load.ts';
import { explainRequest } from '../src/proxy/explain.ts';
import type { ListenerContext } from '../src/proxy/listener.ts';
import { portProtocol } from '../src/routing/protocols.ts';
import { compileRoutingTable } from '../src/routing/table.ts';
import { type RequestRecord, requestChannel } from '../src/telemetry/record.ts';
import { selfSignedCertificate, tlsSecret } from './support/certificates.ts';
import {
  eventually,
  get,
  type Mesh,
  refusedOrigin,
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

// conversion.go ConvertProtocol: appProtocol, else the name's prefix; TCP ports get a tcp_proxy
// listener and no HTTP route configuration, so VirtualService http routes never apply there.
describe('Service ports that carry TCP', () => {
  const yaml = join(
    services('a', 'b'),
    `apiVersion: v1
kind: Service
metadata: { name: c, namespace: music }
spec:
  selector: { app: c }
  ports:
    - { name: http, port: 8080 }
    - { name: tcp-raw, port: 9000 }
    - { name: web, port: 9100, appProtocol: tcp }`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: c, namespace: music }
spec:
  hosts: [c]
  http: [{ name: to-b, route: [{ destination: { host: b, port: { number: 8080 } } }] }]`,
  );
  let mesh: Mesh;
  beforeAll(async () => {
    mesh = await startMesh(yaml, endpointSpecs(), sidecar('a'));
  });
  afterAll(async () => mesh.close());

  it('reads the protocol from appProtocol, else the name prefix, else well-known ports, as istiod', () => {
    const of = (port: number, name?: string, appProtocol?: string) =>
      portProtocol({ name, port, targetPort: port, appProtocol });
    expect(of(80, 'tcp')).toBe('tcp');
    expect(of(80, 'tcp-db')).toBe('tcp');
    expect(of(80, 'http-web', 'tcp')).toBe('tcp');
    expect(of(80, 'tcp', 'http')).toBe('http');
    expect(of(80, 'https')).toBe('tcp');
    expect(of(80, 'grpc-web')).toBe('http');
    expect(of(80, undefined, 'kubernetes.io/h2c')).toBe('http');
    expect(of(3306)).toBe('tcp');
    expect(of(8080, 'web')).toBe('http');
  });

  it('routes by the VirtualService on the HTTP port only; a TCP port goes to the Service itself', async () => {
    const on = async (port: number) =>
      (await get(`${mesh.listener.url}/x`, { host: `c.music.svc.cluster.local:${port}` })).headers[
        'x-served-by'
      ];
    expect(await on(8080)).toBe('b');
    expect(await on(9000)).toBe('c');
    expect(await on(9100)).toBe('c');
    const table = mesh.routing.table;
    const explained = explainRequest(table, {
      context: { kind: 'mesh', source: workload('a') },
      url: 'http://c:9000/x',
    });
    expect(explained).toMatchObject({ matched: false, route: null });
    expect(explained.reason).toContain('TCP port');
  });

  // Istio's PassthroughCluster (outboundTrafficPolicy ALLOW_ANY); a refusal is the sidecar's own UF.
  it('passes a host that is no Service through as addressed, and answers its refusal 503 UF', async () => {
    const through = await get(`${mesh.listener.url}/x`, { host: new URL((ups.b as Upstream).origin).host });
    expect(through.headers['x-served-by']).toBe('b');
    const refused = await get(`${mesh.listener.url}/x`, { host: new URL(await refusedOrigin()).host });
    expect(refused.status).toBe(503);
    expect(refused.text).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused',
    );
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('UF'));
  });

  it('tunnels a CONNECT to a TCP port to an endpoint of the Service', async () => {
    const socket = connect(Number(new URL(mesh.listener.url).port), '127.0.0.1');
    socket.write('CONNECT c.music.svc.cluster.local:9000 HTTP/1.1\r\nhost: c:9000\r\n\r\n');
    let received = '';
    let sent = false;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (!sent && received.startsWith('HTTP/1.1 200')) {
        sent = true;
        socket.write('GET /tunnel HTTP/1.1\r\nhost: c\r\nconnection: close\r\n\r\n');
      }
    });
    await once(socket, 'close');
    expect(received).toMatch(/^HTTP\/1\.1 200 Connection Established/);
    expect(received).toContain('x-served-by: c');
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
