import { describe, expect, it } from 'vitest';
import type { GraphAnswer } from './graph-api';
import { graphView } from './graph-view';
import { metricsUrl, panelTarget, requestsUrl, routingUrl } from './panel-target';

// The versioned-app graph of the tutorial's canary with a mirror: gateway → back → v1/v2, gateway ⇢ v3.
const answer: GraphAnswer = {
  timestamp: 1_700_000_000,
  duration: 60,
  measuredDuration: 60,
  graphType: 'versionedApp',
  elements: {
    nodes: [
      {
        data: {
          id: 'gw',
          nodeType: 'app',
          namespace: 'istio-system',
          app: 'istio-ingressgateway',
          workload: 'istio-ingressgateway',
          version: 'latest',
          isGateway: {},
          isRoot: true,
          traffic: [{ protocol: 'http', rates: { httpOut: '10.00' } }],
        },
      },
      {
        data: {
          id: 'svc',
          nodeType: 'service',
          namespace: 'music',
          service: 'back',
          hasVS: {},
          hasTrafficShifting: true,
          traffic: [{ protocol: 'http', rates: { httpIn: '10.00', httpOut: '10.00' } }],
        },
      },
      ...(['v1', 'v2', 'v3'] as const).map((version) => ({
        data: {
          id: version,
          nodeType: 'app' as const,
          namespace: 'music',
          app: 'back',
          version,
          workload: `back-${version}`,
          destServices: [{ namespace: 'music', name: 'back' }],
          traffic: [{ protocol: 'http', rates: { httpIn: '5.00' } }],
        },
      })),
    ],
    edges: [
      { data: { id: 'gw-svc', source: 'gw', target: 'svc', traffic: { protocol: 'http' } } },
      { data: { id: 'svc-v1', source: 'svc', target: 'v1', traffic: { protocol: 'http' } } },
      { data: { id: 'svc-v2', source: 'svc', target: 'v2', traffic: { protocol: 'http' } } },
      { data: { id: 'gw-v3', source: 'gw', target: 'v3', isMirror: true, traffic: { protocol: 'http' } } },
    ],
  },
};
const view = graphView(answer);

describe('what the side panel asks about the selected node or edge', () => {
  it('reads an edge from back’s service to back v2 as v2’s requests addressed to back, and its subset', () => {
    const target = panelTarget(view, { kind: 'edge', id: 'svc-v2' });
    expect(target).toMatchObject({
      title: 'back → back v2',
      metrics: { service: 'back', destination: 'back-v2' },
      metricsNote: 'requests back v2 received',
      requests: { workload: 'back-v2' },
      routing: { service: 'back', workload: 'back-v2', labels: { app: 'back', version: 'v2' } },
    });
    expect(metricsUrl('music', target?.metrics ?? {}, '5m')).toBe(
      '/api/metrics?namespaces=music&destination=back-v2&service=back&duration=5m&step=15s',
    );
  });

  it('reads the gateway’s edge to the service as what the gateway sent to back', () => {
    expect(panelTarget(view, { kind: 'edge', id: 'gw-svc' })).toMatchObject({
      title: 'istio-ingressgateway latest → back',
      metrics: { source: 'istio-ingressgateway', service: 'back' },
      metricsNote: 'requests istio-ingressgateway latest sent',
      requests: { workload: 'istio-ingressgateway' },
      routing: { service: 'back' },
    });
  });

  it('reads a mirror edge as the copies the shadow workload received from the caller', () => {
    expect(panelTarget(view, { kind: 'edge', id: 'gw-v3' })).toMatchObject({
      title: 'istio-ingressgateway latest → back v3 (mirror)',
      metrics: { source: 'istio-ingressgateway', destination: 'back-v3' },
      routing: { service: 'back', workload: 'back-v3' },
    });
  });

  it('charts what a node received, or what a root sent, and a service through its workloads', () => {
    expect(panelTarget(view, { kind: 'node', id: 'v2' })?.metrics).toEqual({ destination: 'back-v2' });
    expect(panelTarget(view, { kind: 'node', id: 'gw' })).toMatchObject({
      metrics: { source: 'istio-ingressgateway' },
      routing: undefined,
    });
    const service = panelTarget(view, { kind: 'node', id: 'svc' });
    expect(service).toMatchObject({
      metrics: { service: 'back' },
      requests: { service: 'back', workloads: ['back-v1', 'back-v2'] },
    });
    expect(service?.node?.flags).toEqual(['virtual service', 'traffic shifting']);
    expect(requestsUrl('logs', 'music', { workload: 'back-v2' })).toBe(
      '/api/logs?namespaces=music&workload=back-v2&limit=20',
    );
    expect(requestsUrl('traces', 'music', { service: 'back', workloads: [] })).toBe(
      '/api/traces?namespaces=music&limit=100',
    );
    expect(routingUrl('music', 'back')).toBe('/api/routing?namespaces=music&service=back');
  });

  it('finds nothing for an element the graph no longer has', () => {
    expect(panelTarget(view, { kind: 'edge', id: 'gone' })).toBeUndefined();
    expect(panelTarget(view, { kind: 'node', id: 'gw-svc' })).toBeUndefined();
  });
});
