import { describe, expect, it } from 'vitest';
import type { Explanation } from './explain-api';
import { explainSteps, sourcesOf } from './explain-steps';

// What the runtime answers for GET /back/tracks through the ingress: the canary route's header
// does not hold, the tracks route splits 90/10 between v1 and v2 and mirrors to v3.
const routed: Explanation = {
  context: 'gateway',
  source: null,
  authority: 'localhost:8080',
  path: '/back/tracks',
  method: 'GET',
  gatewayPort: 80,
  gateways: ['music/music-gateway'],
  virtualHost: { name: 'localhost', virtualServices: ['music/back'] },
  matched: true,
  responseFlag: null,
  reason: null,
  routes: [
    { name: 'back.music/canary', matched: false, failedCondition: 'header x-canary exact true' },
    { name: 'back.music/tracks', matched: true, failedCondition: null },
  ],
  route: {
    name: 'back.music/tracks',
    virtualService: 'music/back',
    action: 'route',
    destinations: ['v1', 'v2'].map((subset, i) => ({
      host: 'back',
      service: 'back.music.svc.cluster.local',
      subset,
      port: 8080,
      weight: i === 0 ? 90 : 10,
      percent: i === 0 ? 90 : 10,
      cluster: `outbound|8080|${subset}|back.music.svc.cluster.local`,
      subsetLabels: { version: subset },
      destinationRule: 'music/back',
      loadBalancer: 'LEAST_REQUEST',
      endpoints: i === 0 ? ['back-v1-0'] : [],
      problem: null,
    })),
    timeout: '5000ms',
    retries: { attempts: 2, retryOn: '5xx', perTryTimeoutMs: 200 },
    fault: { delayMs: 0, delayPercent: 0, abortStatus: 503, abortPercent: 10 },
    mirrors: [
      { host: 'back', subset: 'v3', cluster: 'outbound|8080|v3|back.music.svc.cluster.local', percent: 100 },
    ],
    redirect: null,
    directResponse: null,
    stages: [
      'destination: back subset v1 90%, back subset v2 10%',
      'mirror: back subset v3 100% (fire and forget)',
    ],
  },
};

const sources = sourcesOf([
  {
    kind: 'VirtualService',
    namespace: 'music',
    name: 'back',
    file: 'deploy/istio/back.yaml (document 2)',
    line: 14,
  },
  { kind: 'Gateway', namespace: 'music', name: 'music-gateway', file: 'deploy/istio/gateway.yaml', line: 1 },
  { kind: 'DestinationRule', namespace: 'music', name: 'back', file: 'deploy/istio/rules.yaml' },
]);

describe('explainSteps', () => {
  it('walks a routed request from the gateway to the endpoints, naming each object and its file', () => {
    const steps = explainSteps(routed, sources);
    expect(steps.map((s) => [s.id, s.summary, s.outcome])).toEqual([
      ['listener', 'GET localhost:8080/back/tracks arrives at the ingress gateway, Gateway port 80', 'ok'],
      ['host', 'virtual host localhost, from music/back', 'ok'],
      ['routes', 'back.music/tracks matched, after 1 that did not', 'ok'],
      ['route', 'back.music/tracks of VirtualService music/back: route', 'ok'],
      ['destinations', 'back subset v1 90%, back subset v2 10%, split by weight', 'ok'],
      ['mirror', 'a copy to back subset v3 (100% of requests), its answer dropped', 'ok'],
      ['fault', 'abort with 503 for 10% of requests', 'ok'],
      ['policy', 'timeout 5000ms, retries up to 2 on 5xx', 'ok'],
      ['endpoints', 'a destination has no ready endpoint: answered 503 UH', 'failed'],
      ['stages', '2 stages', 'ok'],
    ]);
    const step = (id: string) => steps.find((s) => s.id === id);
    expect(step('listener')?.refs).toEqual([
      { kind: 'Gateway', name: 'music/music-gateway', source: 'deploy/istio/gateway.yaml:1' },
    ]);
    expect(step('host')?.refs).toEqual([
      { kind: 'VirtualService', name: 'music/back', source: 'deploy/istio/back.yaml:14 (document 2)' },
    ]);
    expect(step('routes')?.items).toEqual([
      '✘ back.music/canary: header x-canary exact true does not hold',
      '✔ back.music/tracks',
    ]);
    expect(step('destinations')?.items[0]).toBe(
      'back subset v1 port 8080: 90% (weight 90) · cluster outbound|8080|v1|back.music.svc.cluster.local · pods labelled version=v1 · load balancer LEAST_REQUEST',
    );
    // A file without a line is named alone.
    expect(step('destinations')?.refs).toEqual([
      { kind: 'DestinationRule', name: 'music/back', source: 'deploy/istio/rules.yaml' },
    ]);
    expect(step('policy')?.items).toEqual(['each try times out after 200 ms']);
    expect(step('endpoints')?.items).toEqual(['back subset v1: back-v1-0', 'back subset v2: none ready']);
  });

  it('stops at the reason and flag of a request that is not routed', () => {
    const steps = explainSteps({
      ...routed,
      authority: 'other.example.com',
      path: '/',
      virtualHost: null,
      matched: false,
      responseFlag: 'NR',
      reason: 'no VirtualService bound to music/music-gateway has a host matching other.example.com',
      routes: [],
      route: null,
    });
    expect(steps.map((s) => [s.id, s.outcome, s.flag])).toEqual([
      ['listener', 'ok', undefined],
      ['host', 'failed', undefined],
      ['unrouted', 'failed', 'NR'],
    ]);
    expect(steps[1]?.summary).toBe('no virtual host for other.example.com');
    expect(steps[2]?.summary).toBe(
      'no VirtualService bound to music/music-gateway has a host matching other.example.com',
    );
    // Without the config page's objects, no file is named.
    expect(steps[0]?.refs).toEqual([{ kind: 'Gateway', name: 'music/music-gateway', source: undefined }]);
  });

  it('tells a mesh request by its workload, and a Service’s default route without VirtualService', () => {
    const route = routed.route;
    if (!route) throw new Error('routed has a route');
    const steps = explainSteps({
      ...routed,
      context: 'mesh',
      source: { workload: 'front', namespace: 'music' },
      authority: 'back:8080',
      path: '/tracks',
      gatewayPort: null,
      gateways: ['mesh'],
      virtualHost: { name: 'back.music.svc.cluster.local', virtualServices: [] },
      routes: [{ name: 'default', matched: true, failedCondition: null }],
      route: { ...route, name: 'default', virtualService: null, mirrors: [], fault: null, retries: null },
    });
    expect(steps.map((s) => s.summary).slice(0, 4)).toEqual([
      'GET back:8080/tracks leaves music/front through its sidecar (mesh)',
      'virtual host back.music.svc.cluster.local (no VirtualService)',
      'default matched',
      'default (no VirtualService: the Service’s default route): route',
    ]);
    expect(steps[0]?.refs).toEqual([]);
    expect(steps.find((s) => s.id === 'policy')?.summary).toBe('timeout 5000ms, no retries');
  });
});
