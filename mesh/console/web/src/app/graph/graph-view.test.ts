import { describe, expect, it } from 'vitest';
import type { GraphAnswer } from './graph-api';
import { cytoscapeElements, edgeLabel, graphView } from './graph-view';

// The versioned-app graph of a gateway, back's service and back v1/v2 boxed, with a mirror to v3,
// as the API answers it (ids shortened).
const answer: GraphAnswer = {
  timestamp: 1_700_000_000,
  duration: 60,
  measuredDuration: 12,
  graphType: 'versionedApp',
  elements: {
    nodes: [
      { data: { id: 'box', nodeType: 'app', namespace: 'music', app: 'back', isBox: 'app' } },
      {
        data: {
          id: 'gw',
          nodeType: 'app',
          namespace: 'istio-system',
          app: 'istio-ingressgateway',
          workload: 'istio-ingressgateway',
          version: 'latest',
          isGateway: { ingressInfo: {} },
          isOutside: true,
          isRoot: true,
          traffic: [{ protocol: 'http', rates: { httpOut: '18.33' } }],
        },
      },
      {
        data: {
          id: 'svc',
          nodeType: 'service',
          namespace: 'music',
          service: 'back',
          hasTrafficShifting: true,
          hasMirroring: true,
          traffic: [{ protocol: 'http', rates: { httpIn: '18.33', httpIn5xx: '1.67', httpOut: '18.33' } }],
        },
      },
      {
        data: {
          id: 'v1',
          parent: 'box',
          nodeType: 'app',
          namespace: 'music',
          app: 'back',
          version: 'v1',
          workload: 'back-v1',
          traffic: [{ protocol: 'http', rates: { httpIn: '15.00' } }],
        },
      },
      {
        data: {
          id: 'v2',
          parent: 'box',
          nodeType: 'app',
          namespace: 'music',
          app: 'back',
          version: 'v2',
          workload: 'back-v2',
          traffic: [{ protocol: 'http', rates: { httpIn: '3.33', httpIn5xx: '1.67' } }],
        },
      },
      {
        data: { id: 'v3', parent: 'box', nodeType: 'app', namespace: 'music', app: 'back', version: 'v3' },
      },
    ],
    edges: [
      {
        data: {
          id: 'gw-svc',
          source: 'gw',
          target: 'svc',
          responseTime: '12',
          traffic: {
            protocol: 'http',
            rates: { http: '18.33', http5xx: '1.67', httpPercentErr: '9.1', httpPercentReq: '100.0' },
          },
        },
      },
      {
        data: {
          id: 'svc-v1',
          source: 'svc',
          target: 'v1',
          responseTime: '4',
          throughput: '3840',
          traffic: { protocol: 'http', rates: { http: '15.00', httpPercentReq: '81.8' } },
        },
      },
      {
        data: {
          id: 'svc-v2',
          source: 'svc',
          target: 'v2',
          responseTime: '1250',
          traffic: {
            protocol: 'http',
            rates: { http: '3.33', http5xx: '1.67', httpPercentErr: '50.0', httpPercentReq: '18.2' },
          },
        },
      },
      {
        data: {
          id: 'gw-v3',
          source: 'gw',
          target: 'v3',
          isMirror: true,
          traffic: { protocol: 'http', rates: { http: '16.67' } },
        },
      },
    ],
  },
};

describe('the graph API’s answer as the page shows it', () => {
  const view = graphView(answer);
  const node = (id: string) => view.nodes.find((n) => n.id === id);
  const edge = (id: string) => view.edges.find((e) => e.id === id);

  it('names nodes as Kiali does and writes only the version inside an app’s box', () => {
    expect(view.nodes.map((n) => [n.kind, n.name, n.label])).toEqual([
      ['box', 'back', 'back'],
      ['app', 'istio-ingressgateway latest', 'istio-ingressgateway latest'],
      ['service', 'back', 'back'],
      ['app', 'back v1', 'v1'],
      ['app', 'back v2', 'v2'],
      ['app', 'back v3', 'v3'],
    ]);
    expect(node('gw')).toMatchObject({ gateway: true, outside: true, outRate: 18.33, health: 'healthy' });
    expect(node('svc')?.routing).toEqual(['traffic shifting', 'mirroring']);
  });

  it('reads an edge’s throughput where the API gives one', () => {
    expect(edge('svc-v1')?.throughput).toBe(3840);
    expect(edge('gw-svc')?.throughput).toBeUndefined();
  });

  it('colours nodes by the requests they received and edges by their own', () => {
    expect(node('svc')).toMatchObject({ health: 'degraded', inRate: 18.33 });
    expect(node('svc')?.errorPercent).toBeCloseTo(9.1, 1);
    expect(node('v1')?.health).toBe('healthy');
    expect(node('v2')?.health).toBe('failure');
    expect(node('v3')?.health).toBe('idle');
    expect(view.edges.map((e) => [e.id, e.health])).toEqual([
      ['gw-svc', 'degraded'],
      ['svc-v1', 'healthy'],
      ['svc-v2', 'failure'],
      ['gw-v3', 'healthy'],
    ]);
  });

  it('labels edges with the rate, the share of the source’s requests, the errors and p95', () => {
    expect(edge('svc-v2')?.label).toBe('3.33 rps · 18%\n50% err · p95 1.25 s');
    expect(edge('svc-v1')?.label).toBe('15.0 rps · 82%\np95 4 ms');
    expect(edge('gw-svc')?.label).toBe('18.3 rps\n9.1% err · p95 12 ms');
    expect(edge('gw-v3')?.label).toBe('16.7 rps · mirror');
    expect(edge('svc-v1')).toMatchObject({
      sourceName: 'back',
      targetName: 'back v1',
      share: 81.8,
      errorPercent: 0,
    });
  });

  it('writes TCP edges in bytes per second', () => {
    const tcp = { source: 'a', target: 'b', sourceName: 'a', targetName: 'b', mirror: false } as const;
    expect(
      edgeLabel({
        ...tcp,
        id: 't',
        protocol: 'tcp',
        rate: 2048,
        share: undefined,
        errorPercent: undefined,
        p95Ms: undefined,
        throughput: undefined,
        health: 'healthy',
      }),
    ).toBe('2.0 kB/s');
  });

  it('gives cytoscape the boxes as parents and the health, kind and mirror as classes', () => {
    const elements = cytoscapeElements(view);
    const byId = new Map(elements.map((e) => [e.data.id, e]));
    expect(byId.get('v2')).toEqual({
      group: 'nodes',
      data: { id: 'v2', parent: 'box', label: 'v2', name: 'back v2' },
      classes: 'kind-app health-failure',
    });
    expect(byId.get('gw')?.classes).toBe('kind-app health-healthy gateway outside');
    expect(byId.get('box')?.classes).toBe('kind-box health-idle');
    expect(byId.get('gw-v3')).toMatchObject({
      group: 'edges',
      data: { source: 'gw', target: 'v3' },
      classes: 'health-healthy http mirror',
    });
    expect(elements.filter((e) => e.group === 'edges')).toHaveLength(4);
  });

  it('writes on the edges only the figure the user picked, or nothing', () => {
    const labels = (mode: Parameters<typeof cytoscapeElements>[1]) =>
      Object.fromEntries(
        cytoscapeElements(view, mode)
          .filter((e) => e.group === 'edges')
          .map(({ data: { id, label } }) => [id, label]),
      );
    expect(labels('rate')['svc-v1']).toBe('15.0 rps');
    expect(labels('share')['svc-v1']).toBe('82%');
    expect(labels('p95')['svc-v2']).toBe('1.25 s');
    expect(labels('throughput')).toMatchObject({ 'svc-v1': '3.8 kB/s', 'gw-svc': '' });
    expect(Object.values(labels('none'))).toEqual(['', '', '', '']);
    expect(labels('all')['svc-v1']).toBe(edge('svc-v1')?.label);
  });
});
