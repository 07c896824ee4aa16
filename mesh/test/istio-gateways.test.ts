/**
 * Gateway servers as Istio 1.30 has them, through the real ingress listeners: real sockets, real
 * HTTP and real TLS handshakes with certificates made for the run.
 */
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { inspect } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointRegistry } from '../src/endpoints/registry.ts';
import { type Ingress, localPort, RoutingState, startIngress } from '../src/ingress/server.ts';
import { buildTopology, parseYaml } from '../src/manifests/load.ts';
import { compileRoutingTable, type RoutingTable } from '../src/routing/table.ts';
import { selfSignedCertificate, type TestCertificate, tlsSecret } from './support/certificates.ts';
import { services, startUpstream, type Upstream } from './support/mesh-harness.ts';

const namespaceService = (name: string, namespace: string) =>
  `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec: { selector: { app: ${name} }, ports: [{ name: http, port: 8080 }] }\n`;

const serviceYaml = `${services('front', 'back')}---\n${namespaceService('web', 'other')}`;

const gateway = (name: string, servers: string, namespace = 'music') => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  selector: { istio: ingressgateway }
  servers: ${servers}
`;

const virtualService = (name: string, hosts: string, gateways: string, to: string, namespace = 'music') => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  hosts: ${hosts}
  gateways: ${gateways}
  http: [{ route: [{ destination: { host: ${to} } }] }]
`;

const join = (...documents: string[]) => documents.join('\n---\n');
const compile = (yaml: string): RoutingTable =>
  compileRoutingTable(buildTopology(parseYaml('gateways.yaml', join(serviceYaml, yaml))));

let front: Upstream;
let back: Upstream;
let web: Upstream;
let endpoints: EndpointRegistry;
const ingresses: Ingress[] = [];

beforeAll(async () => {
  [front, back, web] = await Promise.all([
    startUpstream('front'),
    startUpstream('back'),
    startUpstream('web'),
  ]);
  endpoints = new EndpointRegistry(buildTopology(parseYaml('s.yaml', serviceYaml)).services);
  for (const [upstream, namespace] of [
    [front, 'music'],
    [back, 'music'],
    [web, 'other'],
  ] as const)
    endpoints.add({
      name: `${upstream.name}-0`,
      namespace,
      origin: upstream.origin,
      labels: { app: upstream.name },
    });
});

afterAll(async () => {
  await Promise.all(ingresses.map((ingress) => ingress.close()));
  await endpoints.close();
  await Promise.all([front, back, web].map((upstream) => upstream.close()));
});

async function ingressFor(yaml: string, warnings: string[] = []) {
  const routing = new RoutingState(compile(yaml));
  const ingress = await startIngress({
    port: 0,
    host: '127.0.0.1',
    routing,
    endpoints,
    log: { info: () => {}, warn: (line) => warnings.push(line) },
  });
  ingresses.push(ingress);
  const urlOf = (gatewayPort: number) => {
    const found = ingress.listeners().find((listener) => listener.gatewayPort === gatewayPort);
    if (!found) throw new Error(`no listener for Gateway port ${gatewayPort}`);
    return found.url;
  };
  const replace = async (next: string) => {
    routing.replace(compile(next));
    await ingress.sync();
  };
  return { ingress, routing, urlOf, replace };
}

/** GET through the plain listener with a Host header; `served` is the upstream that answered. */
async function get(url: string, host: string, path = '/') {
  const res = await request(`${url}${path}`, { headers: { host } });
  const text = await res.body.text();
  return { status: res.statusCode, served: res.headers['x-served-by'], location: res.headers.location, text };
}

interface HttpsAnswer {
  readonly status: number;
  readonly served: string | undefined;
  readonly certificate: PeerCertificate;
}

/** GET over TLS, verifying the certificate against `ca`; without `servername` no SNI is sent. */
function httpsGet(
  url: string,
  options: { servername?: string; ca: TestCertificate; host: string },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        agent: false,
        ca: options.ca.cert,
        // Node takes SNI from the Host header unless told; '' sends none.
        servername: options.servername ?? '',
        ...(options.servername ? {} : { checkServerIdentity: () => undefined }),
        headers: { host: options.host },
      },
      (res) => {
        const certificate = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            served: res.headers['x-served-by'] as string | undefined,
            certificate,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('Gateway server hosts (host.NamesForNamespace, gateway.go sanitizeServerHostNamespace)', () => {
  it('binds a VirtualService only where the server host names its namespace: `ns/`, `.` (the Gateway’s) or `*`', async () => {
    const { ingress } = await ingressFor(
      join(
        gateway(
          'gw',
          `[{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["music/a.example.com", "./b.example.com", "*/c.example.com", "other/d.example.com"] }]`,
        ),
        virtualService('in-music', '[a.example.com, b.example.com, d.example.com]', '[music/gw]', 'front'),
        virtualService(
          'in-other',
          '[a.example.com, b.example.com, c.example.com, d.example.com]',
          '[music/gw]',
          'web',
          'other',
        ),
      ),
    );
    expect((await get(ingress.url, 'a.example.com')).served).toBe('front');
    expect((await get(ingress.url, 'b.example.com')).served).toBe('front');
    expect((await get(ingress.url, 'c.example.com')).served).toBe('web');
    expect((await get(ingress.url, 'd.example.com')).served).toBe('web');
  });
});

describe('Gateways on one port (model/gateway.go mergeGateways: plain HTTP servers share route http.<port>)', () => {
  it('serves the hosts of every Gateway on port 80 from the one listener, each to its own VirtualServices', async () => {
    const { ingress } = await ingressFor(
      join(
        gateway('one', '[{ port: { number: 80, name: http, protocol: HTTP }, hosts: [one.example.com] }]'),
        gateway('two', '[{ port: { number: 80, name: http, protocol: HTTP }, hosts: [two.example.com] }]'),
        virtualService('to-front', '["*"]', '[one]', 'front'),
        virtualService('to-back', '["*"]', '[two]', 'back'),
      ),
    );
    expect((await get(ingress.url, 'one.example.com')).served).toBe('front');
    expect((await get(ingress.url, 'two.example.com')).served).toBe('back');
    expect((await get(ingress.url, 'three.example.com')).status).toBe(404);
  });
});

describe('tls.httpsRedirect (core/gateway.go buildGatewayHTTPRouteConfig: require_tls ALL)', () => {
  it('answers 301 to https with the host, port and path as sent, also for a server host no VirtualService names', async () => {
    const { ingress } = await ingressFor(
      join(
        gateway(
          'redirect',
          '[{ port: { number: 80, name: http, protocol: HTTP }, hosts: [secure.example.com, bare.example.com], tls: { httpsRedirect: true } }]',
        ),
        gateway(
          'plain',
          '[{ port: { number: 80, name: http, protocol: HTTP }, hosts: [plain.example.com] }]',
        ),
        virtualService('site', '[secure.example.com, plain.example.com]', '[redirect, plain]', 'front'),
      ),
    );
    const redirected = await get(ingress.url, 'secure.example.com:8080', '/tracks?page=2');
    expect(redirected).toMatchObject({
      status: 301,
      location: 'https://secure.example.com:8080/tracks?page=2',
    });
    expect(redirected.served).toBeUndefined();
    expect(await get(ingress.url, 'bare.example.com', '/x')).toMatchObject({
      status: 301,
      location: 'https://bare.example.com/x',
    });
    expect((await get(ingress.url, 'plain.example.com')).served).toBe('front');
  });
});

describe('tls.mode SIMPLE with credentialName (credentials/kube/secrets.go ExtractCertInfo, xds/sds.go)', () => {
  const certificate = selfSignedCertificate(['music.example.com']);
  const https = (credentialName: string) =>
    gateway(
      'secure',
      `[{ port: { number: 443, name: https, protocol: HTTPS }, hosts: [music.example.com], tls: { mode: SIMPLE, credentialName: ${credentialName} } }]`,
    );
  const site = virtualService('site', '[music.example.com]', '[secure]', 'front');

  it('terminates TLS on the Gateway port with the Secret’s tls.crt and tls.key, from the gateway’s namespace', async () => {
    const { urlOf } = await ingressFor(
      join(https('music-cert'), site, tlsSecret('music-cert', 'istio-system', certificate)),
    );
    const answer = await httpsGet(urlOf(443), {
      servername: 'music.example.com',
      ca: certificate,
      host: 'music.example.com',
    });
    expect(answer).toMatchObject({ status: 200, served: 'front' });
    expect(answer.certificate.subject.CN).toBe('music.example.com');
    expect(front.seen.at(-1)?.headers['x-forwarded-proto']).toBe('https');
  });

  it('reads the generic form (Opaque, keys cert and key, from stringData) as Istio does', async () => {
    const opaque = `apiVersion: v1
kind: Secret
metadata: { name: generic, namespace: istio-system }
stringData:
  cert: |
${certificate.cert.replace(/^/gm, '    ')}
  key: |
${certificate.key.replace(/^/gm, '    ')}
`;
    const { urlOf } = await ingressFor(join(https('kubernetes://generic'), site, opaque));
    const answer = await httpsGet(urlOf(443), {
      servername: 'music.example.com',
      ca: certificate,
      host: 'music.example.com',
    });
    expect(answer.served).toBe('front');
  });

  it('fails the handshake while the Secret is missing or elsewhere, and serves once it is applied', async () => {
    const warnings: string[] = [];
    const inMusic = tlsSecret('late-cert', 'music', certificate);
    const { urlOf, replace, routing } = await ingressFor(join(https('late-cert'), site, inMusic), warnings);
    expect(routing.table.warnings.join('\n')).toContain(
      'Secret istio-system/late-cert not found (there is one in music; the ingress reads istio-system)',
    );
    const ask = () =>
      httpsGet(urlOf(443), { servername: 'music.example.com', ca: certificate, host: 'music.example.com' });
    await expect(ask()).rejects.toThrow();
    await replace(
      join(https('late-cert'), site, inMusic, tlsSecret('late-cert', 'istio-system', certificate)),
    );
    expect((await ask()).served).toBe('front');
    expect(warnings).toEqual([]);
  });
});

describe('several HTTPS servers on one port (mergeGateways: one filter chain and route per server, by SNI)', () => {
  const a = selfSignedCertificate(['a.example.com']);
  const b = selfSignedCertificate(['*.b.example.com']);
  const yaml = join(
    gateway(
      'a',
      '[{ port: { number: 443, name: https, protocol: HTTPS }, hosts: [a.example.com], tls: { mode: SIMPLE, credentialName: a-cert } }]',
    ),
    gateway(
      'b',
      '[{ port: { number: 443, name: https, protocol: HTTPS }, hosts: ["*.b.example.com"], tls: { mode: SIMPLE, credentialName: b-cert } }]',
    ),
    virtualService('to-front', '["*"]', '[a]', 'front'),
    virtualService('to-back', '["*"]', '[b]', 'back'),
    tlsSecret('a-cert', 'istio-system', a),
    tlsSecret('b-cert', 'istio-system', b),
  );

  it('presents each server’s certificate for its SNI names and routes only that server’s hosts', async () => {
    const { urlOf } = await ingressFor(yaml);
    const url = urlOf(443);
    const toA = await httpsGet(url, { servername: 'a.example.com', ca: a, host: 'a.example.com' });
    expect(toA).toMatchObject({ status: 200, served: 'front' });
    const toB = await httpsGet(url, { servername: 'x.b.example.com', ca: b, host: 'x.b.example.com' });
    expect(toB).toMatchObject({ status: 200, served: 'back' });
    expect(toB.certificate.subject.CN).toBe('*.b.example.com');
    // The chain chosen by SNI a.example.com has only server a's virtual hosts.
    const crossed = await httpsGet(url, { servername: 'a.example.com', ca: a, host: 'x.b.example.com' });
    expect(crossed.status).toBe(404);
    await expect(
      httpsGet(url, { servername: 'c.example.com', ca: a, host: 'c.example.com' }),
    ).rejects.toThrow();
    await expect(httpsGet(url, { ca: a, host: 'a.example.com' })).rejects.toThrow();
    // Plain HTTP on the TLS port ends that connection only.
    const plain = connect(Number(new URL(url).port), '127.0.0.1');
    plain.end('GET / HTTP/1.1\r\nhost: a.example.com\r\n\r\n');
    plain.resume();
    await once(plain, 'close');
    expect((await httpsGet(url, { servername: 'a.example.com', ca: a, host: 'a.example.com' })).served).toBe(
      'front',
    );
  });
});

describe('Gateway ports other than 80 (every server port gets a listener)', () => {
  it('maps Gateway port N to local port N + (--port − 80)', () => {
    expect(localPort(8080, 80)).toBe(8080);
    expect(localPort(8080, 443)).toBe(8443);
    expect(localPort(0, 443)).toBe(0);
    expect(localPort(65_000, 1_000)).toBeUndefined();
  });

  it('opens a listener for a new Gateway port, routes it by its own servers, and closes it with the Gateway', async () => {
    const extra = join(
      gateway('admin', '[{ port: { number: 8081, name: http-admin, protocol: HTTP }, hosts: ["*"] }]'),
      virtualService('admin', '["*"]', '[admin]', 'back'),
    );
    const { ingress, urlOf, replace } = await ingressFor('');
    expect(ingress.listeners().map((l) => l.gatewayPort)).toEqual([80]);
    await replace(extra);
    expect(ingress.listeners().map((l) => [l.gatewayPort, l.protocol])).toEqual([
      [80, 'HTTP'],
      [8081, 'HTTP'],
    ]);
    const url = urlOf(8081);
    expect((await get(url, 'anything.example.com')).served).toBe('back');
    // Port 80 has no server: Envoy's route-not-found.
    expect((await get(ingress.url, 'anything.example.com')).status).toBe(404);
    await replace('');
    expect(ingress.listeners().map((l) => l.gatewayPort)).toEqual([80]);
    await expect(request(url)).rejects.toThrow();
  });
});

describe('what istiod skips when merging (mergeGateways, CheckDuplicates)', () => {
  it('skips an HTTPS server on a port already plain HTTP, and a TLS server repeating a host, with a warning', () => {
    const certificate = selfSignedCertificate(['dup.example.com']);
    const table = compile(
      join(
        gateway(
          'plain',
          '[{ port: { number: 443, name: http, protocol: HTTP }, hosts: [plain.example.com] }]',
        ),
        gateway(
          'tls',
          '[{ port: { number: 443, name: https, protocol: HTTPS }, hosts: [x.example.com], tls: { mode: SIMPLE, credentialName: c } }]',
        ),
        gateway(
          'first',
          '[{ port: { number: 9443, name: https, protocol: HTTPS }, hosts: [dup.example.com], tls: { mode: SIMPLE, credentialName: c } }]',
        ),
        gateway(
          'second',
          '[{ port: { number: 9443, name: https, protocol: HTTPS }, hosts: [dup.example.com], tls: { mode: SIMPLE, credentialName: c } }]',
        ),
        tlsSecret('c', 'istio-system', certificate),
      ),
    );
    expect(table.warnings).toContain(
      'gateways.yaml (document 5): Gateway music/tls server https is skipped: port 443 already serves HTTP',
    );
    expect(table.warnings).toContain(
      'gateways.yaml (document 7): Gateway music/second server https is skipped: duplicate host names dup.example.com on port 9443',
    );
    expect(table.gatewayPorts.map((p) => [p.port, p.protocol, p.chains.map((c) => c.routeName)])).toEqual([
      [443, 'HTTP', ['http.443']],
      [9443, 'HTTPS', ['https.9443.https.first.music']],
    ]);
  });
});

describe('Secrets and Gateway TLS settings as manifests (refused by name where not implemented)', () => {
  const parse = (yaml: string) => buildTopology(parseYaml('s.yaml', yaml));
  const secret = (body: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata: { name: s, namespace: istio-system }\n${body}`;

  it('refuses Secret types, bad base64 and a kubernetes.io/tls Secret without its keys, naming the field', () => {
    expect(() => parse(secret('type: kubernetes.io/dockerconfigjson\n'))).toThrow(
      's.yaml: type: type kubernetes.io/dockerconfigjson is not supported by the local runtime (supported: Opaque, kubernetes.io/tls)',
    );
    expect(() => parse(secret('data: { tls.crt: "not base64!" }\n'))).toThrow('data.tls.crt');
    expect(() => parse(secret('type: kubernetes.io/tls\nstringData: { tls.crt: x }\n'))).toThrow(
      'a kubernetes.io/tls Secret needs the key tls.key',
    );
  });

  it('reads base64 data wrapped over lines, as kustomize renders generated Secrets', () => {
    const wrapped = Buffer.from('postgres://music:secret@postgres:5432/music').toString('base64');
    const lines = wrapped.replace(/(.{20})/g, '$1\n    ');
    const topology = parse(secret(`data:\n  url: |\n    ${lines}\n`));
    expect(topology.secrets[0]?.data.get('url')?.toString()).toBe(
      'postgres://music:secret@postgres:5432/music',
    );
  });

  it('never shows a Secret’s values: JSON, inspect and warnings carry its keys only', () => {
    const topology = parse(secret('stringData: { cert: TOP-SECRET-CERT, key: TOP-SECRET-KEY }\n'));
    const shown = [JSON.stringify(topology), inspect(topology, { depth: 10 })].join('\n');
    expect(shown).toContain('cert');
    expect(shown).not.toContain('TOP-SECRET');
    const table = compile(
      join(
        gateway(
          'g',
          '[{ port: { number: 443, name: https, protocol: HTTPS }, hosts: ["*"], tls: { mode: SIMPLE, credentialName: s } }]',
        ),
        secret('stringData: { cert: TOP-SECRET-CERT, key: TOP-SECRET-KEY }\n'),
      ),
    );
    expect(table.warnings.join('\n')).toContain('Secret istio-system/s holds no usable certificate and key');
    expect(table.warnings.join('\n')).not.toContain('TOP-SECRET');
  });

  it('refuses TLS modes other than SIMPLE, PASSTHROUGH by omission, `~` hosts and TCP servers, as Istio’s validation words them', () => {
    const server = (body: string) => parse(gateway('g', `[${body}]`));
    expect(() =>
      server(
        '{ port: { number: 443, name: https, protocol: HTTPS }, hosts: ["*"], tls: { credentialName: c } }',
      ),
    ).toThrow(
      'spec.servers[0].tls.mode: is PASSTHROUGH when omitted, which the local runtime does not support yet: write mode: SIMPLE',
    );
    expect(() =>
      server(
        '{ port: { number: 443, name: https, protocol: HTTPS }, hosts: ["*"], tls: { mode: MUTUAL, credentialName: c } }',
      ),
    ).toThrow('mode MUTUAL is not supported by the local runtime yet (SIMPLE is)');
    expect(() => server('{ port: { number: 443, name: https, protocol: HTTPS }, hosts: ["*"] }')).toThrow(
      'server must have TLS settings for HTTPS/TLS protocols',
    );
    expect(() =>
      server('{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["~/a.example.com"] }'),
    ).toThrow('invalid namespace value "~" in gateway');
    expect(() => server('{ port: { number: 31400, name: tcp, protocol: TCP }, hosts: ["*"] }')).toThrow(
      'protocol TCP is not supported by the local runtime yet',
    );
  });
});
