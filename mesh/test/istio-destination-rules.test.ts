import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
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

const deploy = join(import.meta.dirname, '../../deploy');

/** The documents of a file under deploy/, those of `kind` only when given. */
function deployed(file: string, kind?: string): string {
  const text = readFileSync(join(deploy, file), 'utf8');
  return parseAllDocuments(text)
    .filter((doc) => kind === undefined || doc.get('kind') === kind)
    .map((doc) => doc.toString())
    .join('---\n');
}

const rule = (name: string, namespace: string, spec: string, metadata = '') => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${name}, namespace: ${namespace}${metadata} }
spec:
${spec}`;

const sidecar = (namespace: string): ListenerContext => ({
  kind: 'mesh',
  source: Object.freeze({ workload: 'client', namespace, app: 'client', version: 'v1' }),
});

/** back v1 and v2, front: the replicas of step 2 of the tutorial. */
async function replicas() {
  const [v1, v2, front] = await Promise.all([
    startUpstream('back-v1'),
    startUpstream('back-v2'),
    startUpstream('front'),
  ]);
  return {
    upstreams: [v1, v2, front] as Upstream[],
    endpoints: [
      { name: 'back-v1-0', app: 'back', version: 'v1', origin: v1.origin },
      { name: 'back-v2-0', app: 'back', version: 'v2', origin: v2.origin },
      { name: 'front-0', app: 'front', origin: front.origin },
    ],
  };
}

// pilot/pkg/model/destination_rule.go mergeDestinationRule and its destination_rule_test.go:
// rules of one namespace for one host merge, subsets concatenated oldest first.
describe('two DestinationRules for back beside the tutorial', () => {
  let mesh: Mesh;
  let upstreams: Upstream[];
  beforeAll(async () => {
    const started = await replicas();
    upstreams = started.upstreams;
    // The tutorial's own files: its Services, its DestinationRules (back has only v1), its
    // Gateway and step 2's 90/10 canary; a user adds v2 in a second DestinationRule.
    const yaml = [
      deployed('kubernetes/back-v1.yaml'),
      deployed('kubernetes/front.yaml'),
      deployed('istio/destination-rules.yaml'),
      deployed('istio/gateway.yaml', 'Gateway'),
      deployed('steps/2-canary-v2/back-gw-virtualservice.yaml'),
    ].join('---\n');
    mesh = await startMesh(
      `${yaml}${rule('back-canary', 'music', '  host: back\n  subsets: [{ name: v2, labels: { version: v2 } }]\n')}`,
      started.endpoints,
    );
  });
  afterAll(async () => {
    await mesh.close();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it('keeps the 90/10 canary with no 5xx: the subsets of both rules apply (N=2000, ±4σ)', async () => {
    const n = 2000;
    const served: Record<string, number> = {};
    let failed = 0;
    for (let i = 0; i < n; i += 50) {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => get(`${mesh.listener.url}/back/api/tracks`)),
      );
      for (const r of results) {
        if (r.status >= 500) failed++;
        const by = String(r.headers['x-served-by']);
        served[by] = (served[by] ?? 0) + 1;
      }
    }
    expect(failed).toBe(0);
    expect((served['back-v1'] ?? 0) + (served['back-v2'] ?? 0)).toBe(n);
    expect(Math.abs((served['back-v2'] ?? 0) - n * 0.1)).toBeLessThan(4 * Math.sqrt(n * 0.1 * 0.9));
    expect(mesh.routing.table.warnings).toEqual([]);
    mesh.records.length = 0;
  });

  it('names both rules on the cluster, the older first', () => {
    const clusters = mesh.routing.table.view({ namespace: 'istio-system' }).clusters;
    expect(clusters.get('outbound|8080|v2|back.music.svc.cluster.local')?.destinationRules).toEqual([
      'music/back',
      'music/back-canary',
    ]);
  });
});

// destination_rule_test.go "merge with same subset": the older subset stays; the top-level
// trafficPolicy is the oldest rule's, whole (push_context.go sortConfigBySelectorAndCreationTime).
describe('merged rules: the oldest one wins what both set', () => {
  let mesh: Mesh;
  let upstreams: Upstream[];
  beforeAll(async () => {
    const started = await replicas();
    upstreams = started.upstreams;
    // Applied first but created later: creationTimestamp decides which rule is older.
    const younger = rule(
      'back-young',
      'music',
      `  host: back
  trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } } }
  subsets: [{ name: v1, labels: { version: v2 } }]
`,
      ', creationTimestamp: "2024-06-01T00:00:00Z"',
    );
    const older = rule(
      'back-old',
      'music',
      `  host: back.music.svc.cluster.local
  trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN } }
  subsets: [{ name: v1, labels: { version: v1 } }]
`,
      ', creationTimestamp: "2024-05-01T00:00:00Z"',
    );
    const vs = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-gw, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http: [{ route: [{ destination: { host: back, subset: v1 } }] }]
`;
    mesh = await startMesh(
      `${services('back', 'front')}---${gateway}${younger}${older}${vs}`,
      started.endpoints,
    );
  });
  afterAll(async () => {
    await mesh.close();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it("serves subset v1 with the older rule's labels, and says the younger one's is dropped", async () => {
    const served = new Set<string>();
    for (let i = 0; i < 20; i++)
      served.add(String((await get(`${mesh.listener.url}/x`)).headers['x-served-by']));
    expect(served).toEqual(new Set(['back-v1']));
    expect(mesh.routing.table.warnings).toContain(
      'test.yaml (document 4): Duplicate subset v1 found while merging destination rules for back.music.svc.cluster.local (DestinationRule music/back-young; the one of music/back-old is kept)',
    );
  });

  it("takes the older rule's trafficPolicy whole: no connection limit from the younger one", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => get(`${mesh.listener.url}/x`)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(mesh.routing.table.warnings).toContain(
      'test.yaml (document 4): the trafficPolicy of DestinationRule music/back-young is ignored: music/back-old, older, also sets one for back.music.svc.cluster.local',
    );
    const cluster = mesh.routing.table.view({ namespace: 'istio-system' }).clusters;
    expect(cluster.get('outbound|8080|v1|back.music.svc.cluster.local')).toMatchObject({
      loadBalancer: 'ROUND_ROBIN',
      limits: { maxConnections: 2 ** 32 - 1 },
      destinationRules: ['music/back-old', 'music/back-young'],
    });
  });
});

const musicBackRule = rule(
  'back',
  'music',
  '  host: back\n  subsets: [{ name: v1, labels: { version: v1 } }]\n',
);

// push_context.go destinationRule: the client's namespace first, then the Service's namespace
// (what it exports to the client), then the root namespace; rules elsewhere are never seen.
describe('which namespace’s DestinationRule a client applies', () => {
  let upstreams: Upstream[];
  const meshes: Mesh[] = [];
  let yaml: string;
  let endpoints: Awaited<ReturnType<typeof replicas>>['endpoints'];
  beforeAll(async () => {
    const started = await replicas();
    upstreams = started.upstreams;
    endpoints = started.endpoints;
    const canary = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back, namespace: music }
spec:
  hosts: [back]
  http: [{ route: [{ destination: { host: back, subset: v2 } }] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-gw, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http: [{ route: [{ destination: { host: back, subset: v2 } }] }]
`;
    yaml = [
      `${services('back', 'front')}---${gateway}${canary}`,
      // The Service's namespace defines v1 only...
      musicBackRule,
      // ...a client namespace defines v2 for itself...
      rule(
        'back',
        'shop',
        '  host: back.music.svc.cluster.local\n  subsets: [{ name: v2, labels: { version: v2 } }]\n',
      ),
      // ...and a third namespace's rule concerns its own clients only.
      rule(
        'back',
        'elsewhere',
        '  host: back.music.svc.cluster.local\n  subsets: [{ name: v2, labels: { version: v2 } }]\n',
      ),
    ].join('');
  });
  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await Promise.all(upstreams.map((u) => u.close()));
  });

  const call = async (context: ListenerContext, extra = '', musicRule = true) => {
    const base = musicRule ? yaml : yaml.replace(musicBackRule, '');
    const mesh = await startMesh(base + extra, endpoints, context);
    meshes.push(mesh);
    const res = await get(`${mesh.listener.url}/api`, { host: 'back.music:8080' });
    await eventually(() => expect(mesh.records.length).toBeGreaterThan(0));
    return {
      status: res.status,
      served: res.headers['x-served-by'],
      flags: mesh.records.at(-1)?.responseFlags,
    };
  };

  it("uses the client namespace's own rule before the Service's", async () => {
    expect(await call(sidecar('shop'))).toMatchObject({ status: 200, served: 'back-v2' });
  });

  it("uses the Service namespace's rule for a client whose namespace has none: v2 is undefined there (NC)", async () => {
    expect(await call(sidecar('music'))).toMatchObject({ status: 503, flags: 'NC' });
  });

  it('never applies a rule of a third namespace', async () => {
    expect(await call(sidecar('other'))).toMatchObject({ status: 503, flags: 'NC' });
  });

  it('hides a rule exported only to its own namespace (exportTo ".") from the ingress gateway', async () => {
    const local = rule(
      'back-v2',
      'music',
      '  host: back\n  exportTo: ["."]\n  subsets: [{ name: v2, labels: { version: v2 } }]\n',
    );
    expect(await call(sidecar('music'), local)).toMatchObject({ status: 200, served: 'back-v2' });
    expect(await call({ kind: 'gateway' }, local)).toMatchObject({ status: 503, flags: 'NC' });
  });

  it('applies a rule the root namespace (istio-system) exports when neither the client nor the Service namespace has one', async () => {
    const root = rule(
      'back',
      'istio-system',
      '  host: back.music.svc.cluster.local\n  subsets: [{ name: v2, labels: { version: v2 } }]\n',
    );
    expect(await call(sidecar('other'), root, false)).toMatchObject({ status: 200, served: 'back-v2' });
    // With music's rule (v1 only) present, the Service's namespace comes first.
    expect(await call(sidecar('other'), root)).toMatchObject({ status: 503, flags: 'NC' });
  });
});
