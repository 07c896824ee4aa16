import { describe, expect, it } from 'vitest';
import { explainRequest } from '../src/proxy/explain.ts';
import { addFlag, Flags, formatFlags } from '../src/proxy/flags.ts';
import { normalizePath } from '../src/proxy/resolve.ts';
import { defaultMeshSettings } from '../src/proxy/settings.ts';
import {
  eventually,
  gateway,
  get,
  type Mesh,
  services,
  startMesh,
  startUpstream,
} from './support/mesh-harness.ts';

const front = Object.freeze({ workload: 'front-v1', namespace: 'music', app: 'front', version: 'v1' });

const routes = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: public
      match: [{ uri: { prefix: /public } }]
      route: [{ destination: { host: back, subset: v1 } }]
    - name: back
      match: [{ uri: { prefix: /back } }]
      route: [{ destination: { host: back, subset: v2 } }]
    - name: exact
      match: [{ uri: { exact: /exact } }]
      route: [{ destination: { host: back, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back, namespace: music }
spec:
  hosts: [back]
  http:
    - name: v2-header
      match: [{ headers: { x-v2: { exact: "1" } } }]
      route: [{ destination: { host: back, subset: v2 } }]
    - name: v1
      route: [{ destination: { host: back, subset: v1 } }]
`;

async function startPair(yaml: string): Promise<{ edge: Mesh; mesh: Mesh; close(): Promise<void> }> {
  const v1 = await startUpstream('v1');
  const v2 = await startUpstream('v2');
  const endpoints = [
    { name: 'back-v1-0', app: 'back', version: 'v1', origin: v1.origin },
    { name: 'back-v2-0', app: 'back', version: 'v2', origin: v2.origin },
  ];
  const edge = await startMesh(yaml, endpoints);
  const mesh = await startMesh(yaml, endpoints, { kind: 'mesh', source: front });
  return {
    edge,
    mesh,
    close: async () => {
      await Promise.all([edge.close(), mesh.close()]);
      await Promise.all([v1.close(), v2.close()]);
    },
  };
}

describe('explain and the data plane resolve through the same function', () => {
  // Each row: the context, the Host, the target as the client writes it, extra headers.
  const table: [kind: 'gateway' | 'mesh', host: string, target: string, headers: Record<string, string>][] = [
    ['gateway', 'music.example.com', '/back/tracks', {}],
    ['gateway', 'music.example.com', '/static/../back/tracks', {}],
    ['gateway', 'music.example.com', '/public/../admin', {}],
    ['gateway', 'music.example.com', '/public/%2e%2e/back/x?q=/../y', {}],
    ['gateway', 'music.example.com', '/public/./a', {}],
    ['gateway', 'MUSIC.example.com', '/exact', {}],
    ['gateway', 'music.example.com', '/exact/', {}],
    ['gateway', 'music.example.com', '/a\\..\\exact', {}],
    ['gateway', 'music.example.com', '/nothing', {}],
    ['mesh', 'back:8080', '/api/tracks', {}],
    ['mesh', 'back:8080', '/api/../tracks', { 'x-v2': '1' }],
    ['mesh', 'back.music:8080', '/x', { 'x-v2': '2' }],
    ['mesh', 'back.music.svc.cluster.local:8080', '/./y', {}],
  ];

  it('agrees with the listener on route, status and the path the upstream receives, row by row', async () => {
    const pair = await startPair(`${services('back')}---${gateway}${routes}`);
    try {
      for (const [kind, host, target, headers] of table) {
        const listener = kind === 'gateway' ? pair.edge : pair.mesh;
        listener.records.length = 0;
        const res = await get(`${listener.listener.url}${target}`, { host, ...headers });
        await eventually(() => expect(listener.records).toHaveLength(1));
        const record = listener.records[0];
        const explained = explainRequest(listener.routing.table, {
          context: kind === 'gateway' ? { kind } : { kind, source: front },
          url: `http://${host}${target}`,
          headers,
        });
        const row = `${kind} ${host}${target}`;
        expect(explained.route?.name ?? null, row).toBe(record?.routeName ?? null);
        expect(explained.matched, row).toBe(res.status === 200);
        expect(explained.path, row).toBe(record?.path);
        if (res.status === 200) expect(JSON.parse(res.text).url, row).toBe(explained.path);
        else expect(explained.responseFlag, row).toBe(record?.responseFlags);
      }
    } finally {
      await pair.close();
    }
  });
});

describe('path normalization (Istio BASE: Envoy normalize_path)', () => {
  // Cases from Envoy's test/common/http/path_utility_test.cc (NormalizeValidPaths, NormalizeCasePath).
  it.each([
    ['/a/b/../c', '/a/c'],
    ['/a/b/./c', '/a/b/c'],
    ['/a/b/../../../../c', '/c'],
    ['/a/..\\c', '/c'],
    ['/%c0%af', '/%c0%af'],
    ['/%5c%25', '/%5c%25'],
    ['/a/b/%2E%2E/c', '/a/c'],
    ['/a/b/%2e./c', '/a/c'],
    ['/a/%2F%2f/c', '/a/%2F%2f/c'],
    ['/A/B/C', '/A/B/C'],
    ['/../a/b', '/a/b'],
    ['/a//b', '/a//b'],
    ['/a/b/../c?x=/../y', '/a/c?x=/../y'],
    ['/static/app.js', '/static/app.js'],
  ])('normalizes %s to %s', (input, output) => {
    expect(normalizePath(input, 'BASE')).toBe(output);
  });

  it('refuses an encoded NUL, as Envoy (400)', () => {
    expect(normalizePath('/xyz/.%00../abc', 'BASE')).toBeUndefined();
  });

  it('keeps /public/../admin from matching the /public route, and sends the upstream /admin', async () => {
    const up = await startUpstream('admin');
    const mesh = await startMesh(
      `${services('back')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: public
      match: [{ uri: { prefix: /public } }]
      route: [{ destination: { host: back } }]
`,
      [{ name: 'back-0', app: 'back', origin: up.origin }],
    );
    try {
      expect((await get(`${mesh.listener.url}/public/../admin`)).status).toBe(404);
      expect((await get(`${mesh.listener.url}/public/./x/../y`)).status).toBe(200);
      expect(up.seen.map((s) => s.url)).toEqual(['/public/y']);
      expect((await get(`${mesh.listener.url}/public/%00`)).status).toBe(400);
    } finally {
      await mesh.close();
      await up.close();
    }
  });
});

describe("Envoy's details", () => {
  it('prints response flags in the order Envoy set them (stream_info/utility.cc): URX,UF and DI,FI', () => {
    expect(formatFlags(addFlag(addFlag(0, Flags.URX), Flags.UF))).toBe('URX,UF');
    expect(formatFlags(addFlag(addFlag(0, Flags.UF), Flags.URX))).toBe('UF,URX');
    expect(formatFlags(addFlag(addFlag(addFlag(0, Flags.DI), Flags.FI), Flags.DI))).toBe('DI,FI');
    expect(formatFlags(0)).toBe('-');
  });

  it('answers a delayed then aborted request 503 with flags DI,FI, the delay outside the route timeout', async () => {
    const up = await startUpstream('back');
    const mesh = await startMesh(
      `${services('back')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: abort
      match: [{ uri: { prefix: /abort } }]
      fault:
        delay: { fixedDelay: 50ms, percentage: { value: 100 } }
        abort: { httpStatus: 503, percentage: { value: 100 } }
      route: [{ destination: { host: back } }]
    - name: slow-start
      match: [{ uri: { prefix: /delayed } }]
      timeout: 200ms
      fault: { delay: { fixedDelay: 400ms, percentage: { value: 100 } } }
      route: [{ destination: { host: back } }]
`,
      [{ name: 'back-0', app: 'back', origin: up.origin }],
    );
    try {
      const aborted = await get(`${mesh.listener.url}/abort`);
      expect(aborted.status).toBe(503);
      expect(aborted.text).toBe('fault filter abort');
      await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('DI,FI'));
      // route.go setTimeout; Envoy's router starts the timer after the fault filter let the request go.
      const delayed = await get(`${mesh.listener.url}/delayed`);
      expect(delayed.status).toBe(200);
      expect(delayed.ms).toBeGreaterThanOrEqual(390);
      await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('DI'));
    } finally {
      await mesh.close();
      await up.close();
    }
  });

  it('applies header operations in Envoy order: set before add in a list; destination wins alone, the route wins when weighted', async () => {
    const v1 = await startUpstream('v1');
    const v2 = await startUpstream('v2');
    const mesh = await startMesh(
      `${services('back')}---${gateway}${routes.split('---\napiVersion: networking.istio.io/v1\nkind: VirtualService')[0]}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: single
      match: [{ uri: { prefix: /single } }]
      headers: { request: { set: { x-level: route }, add: { x-list: added } } }
      route:
        - destination: { host: back, subset: v1 }
          headers: { request: { set: { x-level: destination, x-list: set }, remove: [x-level] } }
    - name: weighted
      match: [{ uri: { prefix: /weighted } }]
      headers: { request: { set: { x-level: route } }, response: { set: { x-answer: route } } }
      route:
        - destination: { host: back, subset: v1 }
          weight: 50
          headers: { request: { set: { x-level: destination } }, response: { set: { x-answer: destination } } }
        - destination: { host: back, subset: v2 }
          weight: 50
          headers: { request: { set: { x-level: destination } }, response: { set: { x-answer: destination } } }
`,
      [
        { name: 'back-v1-0', app: 'back', version: 'v1', origin: v1.origin },
        { name: 'back-v2-0', app: 'back', version: 'v2', origin: v2.origin },
      ],
    );
    try {
      // processDestination: one list, removes first, then route set/add, then destination set/add.
      await get(`${mesh.listener.url}/single`, { 'x-level': 'client', 'x-list': 'client' });
      const single = v1.seen.at(-1)?.headers;
      expect(single?.['x-level']).toBe('destination');
      expect(single?.['x-list']).toBe('set');
      // processWeightedDestination: the cluster's operations run first, the route's after them.
      const weighted = await get(`${mesh.listener.url}/weighted`);
      const hits = [...v1.seen, ...v2.seen].filter((seen) => seen.url === '/weighted');
      expect(hits.map((seen) => seen.headers['x-level'])).toEqual(['route']);
      expect(weighted.headers['x-answer']).toBe('route');
    } finally {
      await mesh.close();
      await Promise.all([v1.close(), v2.close()]);
    }
  });

  it('answers server: envoy from a sidecar and istio-envoy from the gateway', async () => {
    const pair = await startPair(`${services('back')}---${gateway}${routes}`);
    try {
      expect((await get(`${pair.edge.listener.url}/back/x`)).headers.server).toBe('istio-envoy');
      expect((await get(`${pair.edge.listener.url}/nothing`)).headers.server).toBe('istio-envoy');
      expect((await get(`${pair.mesh.listener.url}/x`, { host: 'back:8080' })).headers.server).toBe('envoy');
    } finally {
      await pair.close();
    }
  });

  it('retries a per-try timeout only when retryOn asks (retry_state_impl.cc: a timeout is a reset)', async () => {
    const slow = await startUpstream('slow', (_req, res) => {
      setTimeout(() => res.end('late'), 400);
    });
    const mesh = await startMesh(
      `${services('back')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: connect-only
      match: [{ uri: { prefix: /connect-only } }]
      retries: { attempts: 2, perTryTimeout: 100ms, retryOn: connect-failure }
      route: [{ destination: { host: back } }]
    - name: reset
      match: [{ uri: { prefix: /reset } }]
      retries: { attempts: 2, perTryTimeout: 100ms, retryOn: reset }
      route: [{ destination: { host: back } }]
`,
      [{ name: 'back-0', app: 'back', origin: slow.origin }],
    );
    try {
      const once = await get(`${mesh.listener.url}/connect-only`);
      expect(once.status).toBe(504);
      expect(slow.seen).toHaveLength(1);
      await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('UT'));
      const thrice = await get(`${mesh.listener.url}/reset`);
      expect(thrice.status).toBe(504);
      expect(slow.seen).toHaveLength(4);
      await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('URX,UT'));
    } finally {
      await mesh.close();
      await slow.close();
    }
  });

  it('mirrors with or without the -shadow suffix, as the mesh setting says (deploy/istio-install keeps it)', async () => {
    expect(defaultMeshSettings.shadowHostSuffix).toBe(true);
    const primary = await startUpstream('primary');
    const copy = await startUpstream('copy');
    const yaml = `${services('back', 'shadow')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - route: [{ destination: { host: back } }]
      mirror: { host: shadow }
`;
    const endpoints = [
      { name: 'back-0', app: 'back', origin: primary.origin },
      { name: 'shadow-0', app: 'shadow', origin: copy.origin },
    ];
    const withSuffix = await startMesh(yaml, endpoints);
    const without = await startMesh(
      yaml,
      endpoints,
      { kind: 'gateway' },
      { ...defaultMeshSettings, shadowHostSuffix: false },
    );
    try {
      await get(`${withSuffix.listener.url}/x`, { host: 'music.example.com' });
      await eventually(() => expect(copy.seen).toHaveLength(1));
      await get(`${without.listener.url}/x`, { host: 'music.example.com' });
      await eventually(() => expect(copy.seen).toHaveLength(2));
      expect(copy.seen.map((s) => s.headers.host)).toEqual(['music.example.com-shadow', 'music.example.com']);
    } finally {
      await Promise.all([withSuffix.close(), without.close()]);
      await Promise.all([primary.close(), copy.close()]);
    }
  });
});

describe('the inbound side of each workload', () => {
  it("reports reporter=destination with the caller as source and the endpoint's inbound cluster", async () => {
    const pair = await startPair(`${services('back')}---${gateway}${routes}`);
    try {
      pair.mesh.inbound.length = 0;
      expect((await get(`${pair.mesh.listener.url}/x`, { host: 'back:8080' })).status).toBe(200);
      await eventually(() => expect(pair.mesh.inbound.length).toBeGreaterThanOrEqual(1));
      const inbound = pair.mesh.inbound.find((r) => r.source.workload === 'front-v1');
      expect(inbound).toMatchObject({
        reporter: 'destination',
        status: 200,
        responseFlags: '-',
        path: '/x',
        authority: 'back:8080',
        routeName: 'default',
        upstreamCluster: expect.stringMatching(/^inbound\|\d+\|\|$/),
        destination: { workload: 'back-v1', service: 'back.music.svc.cluster.local' },
      });
    } finally {
      await pair.close();
    }
  });
});
