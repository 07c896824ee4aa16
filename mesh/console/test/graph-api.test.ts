// The console's graph API over real traffic: a gateway listener, three versions of back, Istio's
// metrics served by the runtime's stats endpoint, the console scraping it.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Upstream } from '../../test/support/mesh-harness.ts';
import { poll } from '../../test/support/processes.ts';
import {
  backGatewayRoutes,
  startVersionedBack,
  type VersionedBack,
} from '../../test/support/versioned-back.ts';
import type { EdgeData, KialiGraph, NodeData } from '../src/graph/kiali-graph.ts';
import type { SeriesPoint } from '../src/graph/series.ts';
import { type Console, startConsole } from '../src/server.ts';
import type { Trace } from '../src/traces.ts';

const routes = backGatewayRoutes(`    - match: [{ uri: { prefix: /fail } }]
      route: [{ destination: { host: back, subset: v2 } }]
    - route:
        - { destination: { host: back, subset: v1 }, weight: 90 }
        - { destination: { host: back, subset: v2 }, weight: 10 }
      mirror: { host: back, subset: v3 }
`);

describe('the console graph API (Kiali’s shape) over the runtime’s telemetry', () => {
  let back: VersionedBack;
  let console: Console;

  beforeAll(async () => {
    back = await startVersionedBack(['v1', 'v2', 'v3'], routes, (version, req, res) => {
      const failing = version === 'v2' && req.url?.startsWith('/fail');
      res.writeHead(failing ? 503 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    console = await startConsole({ statsUrl: back.telemetry.url, port: 0, scrapeIntervalMs: 3_600_000 });
    await back.send(200, '/tracks');
    await back.send(20, '/fail');
    // Mirrored copies are fire-and-forget: wait until v3 has seen them all before scraping.
    await poll(
      'v3 saw every mirrored copy',
      () => (back.upstreams[2] as Upstream).seen.length,
      (n) => n >= 200,
    );
    await console.telemetry?.scrape();
  });

  afterAll(async () => {
    await console?.close();
    await back?.close();
  });

  async function graph(query: string): Promise<KialiGraph> {
    const res = await request(`${console.url}/api/namespaces/graph?${query}`);
    expect(res.statusCode).toBe(200);
    return (await res.body.json()) as KialiGraph;
  }

  const find = (graph: KialiGraph, test: (node: NodeData) => boolean) =>
    graph.elements.nodes.find((n) => test(n.data))?.data;
  const edge = (graph: KialiGraph, from: NodeData | undefined, to: NodeData | undefined, mirror = false) =>
    graph.elements.edges.find(
      (e) => e.data.source === from?.id && e.data.target === to?.id && Boolean(e.data.isMirror) === mirror,
    )?.data as EdgeData;

  it('draws the gateway, the back service and its versions boxed as one app, with Kiali’s rates', async () => {
    const g = await graph('namespaces=music&graphType=versionedApp&injectServiceNodes=true&duration=60s');
    expect(g.graphType).toBe('versionedApp');
    const ingress = find(g, (n) => n.workload === 'istio-ingressgateway');
    const service = find(g, (n) => n.nodeType === 'service' && n.service === 'back');
    const box = find(g, (n) => n.isBox === 'app' && n.app === 'back');
    const [v1, v2, v3] = ['v1', 'v2', 'v3'].map((version) =>
      find(g, (n) => n.nodeType === 'app' && n.version === version),
    );
    expect(ingress?.isGateway).toEqual({ ingressInfo: {} });
    expect(ingress?.isOutside).toBe(true);
    expect(service?.isInjected).toBe(true);
    expect([v1?.parent, v2?.parent, v3?.parent]).toEqual([box?.id, box?.id, box?.id]);
    expect(v1?.workload).toBe('back-v1');

    const toService = edge(g, ingress, service);
    // The mirror's copies are not part of what the gateway sends: all of it goes to the service.
    expect(toService.traffic.rates?.httpPercentReq).toBe('100.0');
    const rate = (e: EdgeData, name: string) => Number(e.traffic.rates?.[name] ?? 0);
    // 220 requests over the window: rates are requests per second of the window Kiali names.
    expect(rate(toService, 'http') * g.measuredDuration).toBeCloseTo(220, -1);
    expect(rate(toService, 'http5xx') * g.measuredDuration).toBeCloseTo(20, 0);
    expect(Number(toService.traffic.rates?.httpPercentErr)).toBeCloseTo(9.1, 0);
    expect(toService.traffic.responses?.['503']?.flags).toEqual({ '-': expect.any(String) });
    expect(Object.keys(toService.traffic.responses?.['200']?.hosts ?? {})).toEqual([
      'back.music.svc.cluster.local',
    ]);
    const toV1 = edge(g, service, v1);
    const toV2 = edge(g, service, v2);
    // Of the service's 220 requests, 200 × 90% to v1, 200 × 10% + 20 failing to v2 (binomial: wide bounds).
    expect(Number(toV1.traffic.rates?.httpPercentReq)).toBeGreaterThan(70);
    expect(Number(toV2.traffic.rates?.httpPercentReq)).toBeLessThan(30);
    expect(toV2.traffic.rates?.http5xx).toBeDefined();
    expect(Number(toV1.responseTime)).toBeGreaterThanOrEqual(0);
  });

  it('draws the mirror’s shadow copies as their own edge, not as traffic through the service', async () => {
    const g = await graph('namespaces=music&graphType=versionedApp&injectServiceNodes=true&duration=60s');
    const ingress = find(g, (n) => n.workload === 'istio-ingressgateway');
    const service = find(g, (n) => n.nodeType === 'service' && n.service === 'back');
    const v3 = find(g, (n) => n.version === 'v3');
    const shadow = edge(g, ingress, v3, true);
    expect(Number(shadow.traffic.rates?.http) * g.measuredDuration).toBeCloseTo(200, -1);
    expect(edge(g, service, v3)).toBeUndefined();
  });

  it('puts the response bodies’ bytes per second on the edge into each version, as Kiali’s throughput', async () => {
    const query = 'namespaces=music&graphType=versionedApp&injectServiceNodes=true&duration=60s';
    const g = await graph(query);
    const ingress = find(g, (n) => n.workload === 'istio-ingressgateway');
    const service = find(g, (n) => n.nodeType === 'service' && n.service === 'back');
    const [v1, v2, v3] = ['v1', 'v2', 'v3'].map((version) => find(g, (n) => n.version === version));
    // Every answer is `{}`: two bytes a request, on the edge from the service node (Kiali's
    // appender), the mirror's copies on theirs; nothing on the gateway's edge into the service.
    for (const [from, to, mirror] of [
      [service, v1, false],
      [service, v2, false],
      [ingress, v3, true],
    ] as const) {
      const e = edge(g, from, to, mirror);
      expect(
        Math.abs(Number(e.throughput) - 2 * Number(e.traffic.rates?.http)),
        to?.version,
      ).toBeLessThanOrEqual(1);
    }
    expect(edge(g, ingress, service).throughput).toBeUndefined();
    // Requests' bodies (GETs have none), and an `appenders` list without it: no throughput.
    for (const other of ['throughputType=request', 'appenders=deadNode,responseTime']) {
      const without = await graph(`${query}&${other}`);
      expect(
        without.elements.edges.filter((e) => e.data.throughput !== undefined),
        other,
      ).toEqual([]);
    }
  });

  it('boxes each namespace’s nodes when asked (boxBy), as Kiali does: only with more than one to draw', async () => {
    const base = 'namespaces=music&graphType=versionedApp&injectServiceNodes=true&duration=60s';
    const g = await graph(`${base}&boxBy=namespace,app`);
    const music = find(g, (n) => n.isBox === 'namespace');
    expect(music?.namespace).toBe('music');
    // Parents first: the namespace's box, then the app's box inside it, then the nodes.
    expect(g.elements.nodes[0]?.data.id).toBe(music?.id);
    const appBox = find(g, (n) => n.isBox === 'app' && n.app === 'back');
    expect(appBox?.parent).toBe(music?.id);
    expect(find(g, (n) => n.nodeType === 'service' && n.service === 'back')?.parent).toBe(music?.id);
    expect(find(g, (n) => n.version === 'v1')?.parent).toBe(appBox?.id);
    // The gateway alone in istio-system: no box of one.
    expect(find(g, (n) => n.workload === 'istio-ingressgateway')?.parent).toBeUndefined();
    // One cluster: nothing to tell apart, no box; and none by default.
    for (const query of [`${base}&boxBy=cluster`, base])
      expect(
        (await graph(query)).elements.nodes.filter((n) => n.data.isBox && n.data.isBox !== 'app'),
        query,
      ).toEqual([]);
  });

  it('answers the workload, app and service graphs as Kiali names their nodes', async () => {
    const workloads = await graph('namespaces=music&graphType=workload');
    expect(workloads.elements.nodes.map((n) => n.data.workload ?? n.data.service).sort()).toEqual([
      'back-v1',
      'back-v2',
      'back-v3',
      'istio-ingressgateway',
    ]);
    const apps = await graph('namespaces=music&graphType=app');
    expect(
      apps.elements.nodes
        .filter((n) => n.data.nodeType === 'app')
        .map((n) => n.data.app)
        .sort(),
    ).toEqual(['back', 'istio-ingressgateway']);
    const servicesGraph = await graph('namespaces=music&graphType=service');
    // Kiali's service graph: the services, and the callers that are no service as roots.
    expect(
      servicesGraph.elements.nodes
        .map((n) => `${n.data.nodeType} ${n.data.service ?? n.data.workload}`)
        .sort(),
    ).toEqual(['service back', 'workload istio-ingressgateway']);
    const [toBack] = servicesGraph.elements.edges;
    expect(Number(toBack?.data.traffic.rates?.http) * servicesGraph.measuredDuration).toBeCloseTo(220, -1);
    expect(toBack?.data.traffic.rates?.httpPercentReq).toBe('100.0');
  });

  it('shows the last requests as traces: every hop of one request by its x-request-id, the mirror’s copy too', async () => {
    const res = await request(`${console.url}/api/traces?namespaces=music&workload=back-v3&limit=5`);
    expect(res.statusCode).toBe(200);
    const { traces } = (await res.body.json()) as { traces: Trace[] };
    expect(traces).toHaveLength(5);
    const [trace] = traces as [Trace];
    const hops = trace.hops.map(
      (hop) =>
        `${hop.reporter} ${hop.source} > ${hop.destination} ${hop.status}${hop.mirror ? ' mirror' : ''}`,
    );
    expect(hops).toHaveLength(3);
    expect(hops).toContain('destination istio-ingressgateway > back-v3 200 mirror');
    expect(hops.filter((hop) => hop.startsWith('source istio-ingressgateway > back-v'))).toHaveLength(1);
    expect(trace.hops[0]?.startOffsetMs).toBe(0);
    expect(trace.durationMs).toBeGreaterThanOrEqual(
      Math.max(...trace.hops.map((hop) => hop.durationMs)) - 0.001,
    );
    // Newest first.
    expect(traces.map((t) => t.startTime)).toEqual([...traces.map((t) => t.startTime)].sort((a, b) => b - a));
  });

  it('charts a workload’s requests per second by code and its percentiles, step by step', async () => {
    const res = await request(
      `${console.url}/api/metrics?namespaces=music&destination=back-v2&duration=60s&step=15s`,
    );
    expect(res.statusCode).toBe(200);
    const { step, points } = (await res.body.json()) as { step: number; points: SeriesPoint[] };
    expect(step).toBe(15);
    expect(points).toHaveLength(4);
    const last = points.at(-1) as SeriesPoint;
    expect(Math.round((last.rates['503'] ?? 0) * last.seconds)).toBe(20);
    expect(last.p50).toBeLessThanOrEqual(last.p95 as number);
    expect(last.p95).toBeLessThanOrEqual(last.p99 as number);
    // The steps before the console's first scrape have no traffic.
    expect(points[0]?.total).toBe(0);
  });

  it('shows a workload’s access-log lines in Istio’s format', async () => {
    const res = await request(`${console.url}/api/logs?namespaces=music&workload=back-v2&limit=3`);
    const { lines } = (await res.body.json()) as { lines: { workload: string; line: string }[] };
    expect(lines).toHaveLength(3);
    expect(
      lines.every((entry) =>
        /^\[\d{4}-\d{2}-\d{2}T[^\]]+\] "GET \/(fail|tracks) HTTP\/1\.1" \d{3} /.test(entry.line),
      ),
    ).toBe(true);
  });

  it('refuses a bad query with problem+json naming the parameter', async () => {
    for (const [query, detail, path] of [
      ['graphType=versionedApp', 'namespaces: is required (comma-separated names, e.g. music)'],
      ['namespaces=music&graphType=pods', 'graphType: must be one of versionedApp, app, workload, service'],
      ['namespaces=music&duration=1d', 'duration: must be a duration such as 60s, 5m or 1h'],
      ['namespaces=music&duration=2h', 'duration: must be at most 900s (the traffic the console keeps)'],
      ['namespaces=music&throughputType=both', 'throughputType: must be request or response'],
      [
        'namespaces=music&boxBy=app,pod',
        'boxBy: must be app, namespace, cluster or none, comma-separated (got pod)',
      ],
      ['namespaces=music&limit=0', 'limit: must be an integer from 1 to 500', '/api/traces'],
      ['namespaces=music&workload=Back_V1', 'workload: "Back_V1" is not a workload name', '/api/logs'],
    ] as [string, string, string?][]) {
      const res = await request(`${console.url}${path ?? '/api/namespaces/graph'}?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(((await res.body.json()) as { detail: string }).detail).toBe(detail);
    }
  });

  it('answers only for its own loopback Host (DNS rebinding)', async () => {
    const res = await request(`${console.url}/api/namespaces/graph?namespaces=music`, {
      headers: { host: 'attacker.example:20001' },
    });
    expect(res.statusCode).toBe(421);
    await res.body.dump();
  });
});
