import { describe, expect, it } from 'vitest';
import { decorateNodes, type IstioObject } from './istio-details.ts';
import type { NodeData } from './kiali-graph.ts';

const object = (kind: string, name: string, spec: unknown, namespace = 'music'): IstioObject => ({
  kind,
  name,
  namespace,
  manifest: { spec },
});

const node = (data: Partial<NodeData>): NodeData => ({
  id: data.service ?? data.workload ?? 'x',
  nodeType: 'service',
  cluster: 'Kubernetes',
  namespace: 'music',
  healthData: null,
  ...data,
});

describe("the nodes' configuration flags, as Kiali's istio_details appender sets them", () => {
  const config = {
    objects: [
      object('VirtualService', 'back', {
        hosts: ['back'],
        http: [
          {
            route: [
              { destination: { host: 'back', subset: 'v1' }, weight: 100 },
              { destination: { host: 'back.music.svc.cluster.local', subset: 'v2' }, weight: 0 },
            ],
            mirror: { host: 'back', subset: 'v3' },
            timeout: '2s',
          },
        ],
      }),
      object('VirtualService', 'gateway', {
        hosts: ['*'],
        gateways: ['music-gateway'],
        http: [{ match: [{ uri: { prefix: '/back' } }], route: [{ destination: { host: 'back.music' } }] }],
      }),
      object('DestinationRule', 'back', {
        host: 'back',
        subsets: [
          {
            name: 'v1',
            labels: { version: 'v1' },
            trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } },
          },
        ],
      }),
      object('DestinationRule', 'front', {
        host: 'front',
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      }),
      object('Gateway', 'music-gateway', {
        servers: [{ port: { number: 80 }, hosts: ['music.example.com', '*'] }],
      }),
    ],
  };

  it('flags a service routed to by VirtualServices: hosts, routing, timeout, shifting (whatever the weights), mirroring', () => {
    const back = node({ service: 'back' });
    const front = node({ service: 'front' });
    decorateNodes([back, front], config);
    expect(back).toMatchObject({
      hasVS: { hostnames: ['back', '*'] },
      hasRequestRouting: true,
      hasRequestTimeout: true,
      hasTrafficShifting: true,
      hasMirroring: true,
      hasCB: true,
    });
    expect(back.hasFaultInjection).toBeUndefined();
    expect(front.hasVS).toBeUndefined();
    expect(front.hasCB).toBeUndefined();
  });

  it("leaves nodes outside the namespaces and workload nodes alone, and gives the gateway its servers' hosts", () => {
    const outside = node({ service: 'back', isOutside: true });
    const workload = node({ nodeType: 'app', workload: 'back-v1', app: 'back' });
    const gateway = node({
      nodeType: 'app',
      workload: 'istio-ingressgateway',
      isGateway: { ingressInfo: {} },
    });
    decorateNodes([outside, workload, gateway], config);
    expect(outside.hasVS).toBeUndefined();
    expect(workload.hasVS).toBeUndefined();
    expect(gateway.isGateway).toEqual({ ingressInfo: { hostnames: ['music.example.com', '*'] } });
  });
});
