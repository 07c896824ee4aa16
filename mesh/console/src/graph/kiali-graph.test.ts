import { describe, expect, it } from 'vitest';
import type { SeriesIncrease, TrafficWindow } from '../telemetry/scraped.ts';
import { buildGraph } from './kiali-graph.ts';

const identity = (side: 'source' | 'destination', workload: string, app: string, version = 'v1') => ({
  [`${side}_workload`]: workload,
  [`${side}_workload_namespace`]: 'shop',
  [`${side}_canonical_service`]: app,
  [`${side}_canonical_revision`]: version,
});

const tcp = (reporter: string, bytes: number): SeriesIncrease => ({
  labels: {
    reporter,
    ...identity('source', 'orders-v1', 'orders'),
    ...identity('destination', 'ledger-v1', 'ledger'),
    destination_service: 'ledger.shop.svc.cluster.local',
    destination_service_name: 'ledger',
    destination_service_namespace: 'shop',
    request_protocol: 'tcp',
    response_flags: '-',
  },
  requests: bytes,
  durations: [],
});

const window = (tcpSeries: SeriesIncrease[]): TrafficWindow => ({
  seconds: 10,
  at: 0,
  bounds: [],
  series: [],
  tcp: tcpSeries,
});

describe('TCP edges, as Kiali draws them', () => {
  it('draws bytes per second on a tcp edge, each connection counted once though both proxies report it', () => {
    const graph = buildGraph(window([tcp('destination', 5_000), tcp('source', 5_000)]), {
      namespaces: ['shop'],
      graphType: 'workload',
      durationSeconds: 10,
      injectServiceNodes: false,
      responseTimePercentile: 95,
    });
    expect(graph.elements.edges.map((edge) => edge.data.traffic)).toEqual([
      {
        protocol: 'tcp',
        rates: { tcp: '500.00' },
        responses: { '-': { flags: { '-': '100.0' }, hosts: { 'ledger.shop.svc.cluster.local': '100.0' } } },
      },
    ]);
    const ledger = graph.elements.nodes.find((node) => node.data.workload === 'ledger-v1');
    expect(ledger?.data.traffic).toEqual([{ protocol: 'tcp', rates: { tcpIn: '500.00' } }]);
    const orders = graph.elements.nodes.find((node) => node.data.workload === 'orders-v1');
    expect(orders?.data.isRoot).toBe(true);
  });
});
