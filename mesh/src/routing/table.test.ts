import { describe, expect, it } from 'vitest';
import { buildTopology, parseYaml } from '../manifests/load.ts';
import type { RequestFacts } from './match.ts';
import { compileRoutingTable } from './table.ts';

const services = ['front', 'back', 'admin']
  .map(
    (name) =>
      `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: music }\nspec: { selector: { app: ${name} }, ports: [{ port: 8080 }] }\n`,
  )
  .join('---\n');

const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: music-gateway, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
`;

function table(virtualServices: string) {
  return compileRoutingTable(
    buildTopology(parseYaml('test.yaml', `${services}---${gateway}---\n${virtualServices}`)),
  );
}

function request(path: string, authority = 'localhost'): RequestFacts {
  const query = path.indexOf('?');
  return {
    authority,
    host: authority,
    port: 80,
    path,
    pathname: query === -1 ? path : path.slice(0, query),
    method: 'GET',
    scheme: 'http',
    headers: { host: authority },
  };
}

const tutorial = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-gw-virtualservice, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - match: [{ uri: { prefix: /back } }]
      route: [{ destination: { host: back } }]
    - match: [{ uri: { prefix: / } }]
      route: [{ destination: { host: front.music.svc.cluster.local } }]
`;

describe('routing table', () => {
  it('sends /back to back and everything else to front, first match winning', () => {
    const routes = table(tutorial);
    expect(routes.lookup(request('/back/api/tracks'))?.destinations[0]?.service).toBe(
      'back.music.svc.cluster.local',
    );
    expect(routes.lookup(request('/'))?.destinations[0]?.service).toBe('front.music.svc.cluster.local');
    expect(routes.lookup(request('/api/account'))?.name).toBe('back-gw-virtualservice.music/1');
  });

  it('matches a prefix as a plain string prefix, as Envoy does (/backup goes to back)', () => {
    expect(table(tutorial).lookup(request('/backup'))?.destinations[0]?.service).toBe(
      'back.music.svc.cluster.local',
    );
  });

  it('matches exact paths without their query string, and nothing else', () => {
    const routes = table(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: exact, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music/music-gateway]
  http:
    - name: health
      match: [{ uri: { exact: /health } }]
      route: [{ destination: { host: admin } }]
`);
    expect(routes.lookup(request('/health'))?.name).toBe('exact.music/health');
    expect(routes.lookup(request('/health?verbose=1'))?.name).toBe('exact.music/health');
    expect(routes.lookup(request('/health/more'))).toBeUndefined();
    expect(routes.lookup(request('/'))).toBeUndefined();
  });

  it('resolves short destination hosts in the VirtualService namespace, FQDNs as written', () => {
    const routes = table(tutorial);
    expect(routes.warnings).toEqual([]);
    expect(routes.lookup(request('/back'))?.destinations[0]?.service).toBe('back.music.svc.cluster.local');
    expect(routes.lookup(request('/'))?.destinations[0]?.service).toBe('front.music.svc.cluster.local');
  });

  it('warns about a destination that names no Service, and still routes it', () => {
    const routes = table(tutorial.replace('host: back', 'host: missing'));
    expect(routes.warnings).toEqual(['test.yaml (document 5): destination host missing matches no Service']);
    expect(routes.lookup(request('/back'))?.destinations[0]?.service).toBe('missing.music.svc.cluster.local');
  });

  it('ignores VirtualServices not bound to the ingress gateway (mesh-only rules)', () => {
    const routes = table(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-virtualservice, namespace: music }
spec:
  hosts: [back]
  http: [{ route: [{ destination: { host: back } }] }]
`);
    expect(routes.lookup(request('/back'))).toBeUndefined();
  });

  it('picks the most specific virtual host and does not fall back to a wider one', () => {
    const vs = (name: string, host: string, target: string, prefix: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: music }
spec:
  hosts: ["${host}"]
  gateways: [music-gateway]
  http: [{ match: [{ uri: { prefix: ${prefix} } }], route: [{ destination: { host: ${target} } }] }]
`;
    const routes = table(
      [
        vs('any', '*', 'front', '/'),
        vs('wild', '*.example.com', 'back', '/'),
        vs('admin', 'admin.example.com', 'admin', '/admin'),
      ].join('---'),
    );
    expect(routes.lookup(request('/', 'music.example.com'))?.name).toBe('wild.music/0');
    expect(routes.lookup(request('/admin', 'admin.example.com'))?.name).toBe('admin.music/0');
    expect(routes.lookup(request('/', 'admin.example.com'))).toBeUndefined();
    expect(routes.lookup(request('/', 'localhost'))?.name).toBe('any.music/0');
  });
});
