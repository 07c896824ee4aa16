import { describe, expect, it } from 'vitest';
import { linesOf, routingLines, type ServiceRouting, tracesOf } from './panel-api';

const routing: ServiceRouting = {
  service: { namespace: 'music', name: 'back' },
  workloads: ['back-v1', 'back-v2', 'back-v3'],
  routes: [
    {
      virtualService: { name: 'back-gw', namespace: 'music', file: 'deploy/gw.yaml', line: 3 },
      index: 1,
      name: 'back',
      gateways: ['music-gateway'],
      match: 'uri prefix /back',
      destinations: [
        { host: 'back', subset: 'v1', port: 8080, weight: 90, toService: true },
        { host: 'back', subset: 'v2', port: 8080, weight: 10, toService: true },
      ],
      mirror: { host: 'back', subset: 'v3', percentage: 100, toService: true },
      timeout: '2s',
      retries: { attempts: 3, perTryTimeout: '1s' },
    },
  ],
  destinationRules: [
    {
      name: 'back-dr',
      namespace: 'music',
      file: 'deploy/dr.yaml',
      line: 1,
      host: 'back',
      subsets: [
        { name: 'v1', labels: { version: 'v1' }, workloads: ['back-v1'] },
        { name: 'v2', labels: { version: 'v2' }, workloads: ['back-v2'] },
        { name: 'v3', labels: { version: 'v3' }, workloads: [] },
      ],
    },
  ],
};

describe('the routing behind an edge, as the side panel writes it', () => {
  it('keeps, for a version, the destinations whose subset selects its workload', () => {
    expect(routingLines(routing, { service: 'back', workload: 'back-v2' })).toEqual([
      {
        virtualService: 'back-gw',
        namespace: 'music',
        where: 'deploy/gw.yaml:3',
        route: 'http[1] (back)',
        match: 'uri prefix /back',
        gateways: 'music-gateway',
        share: 'weight 10%',
        to: 'subset v2',
        rule: 'DestinationRule back-dr: version=v2',
        ruleName: 'back-dr',
        policies: ['timeout 2s', 'retries 3 × 1s'],
      },
    ]);
  });

  it('matches a subset by the node’s labels when the runtime names no workload for it', () => {
    const lines = routingLines(routing, { service: 'back', workload: 'back-v3', labels: { version: 'v3' } });
    expect(lines.map((line) => [line.share, line.to])).toEqual([['mirror 100%', 'subset v3']]);
  });

  it('keeps every destination to the Service for the service itself', () => {
    expect(routingLines(routing, { service: 'back' }).map((line) => line.share)).toEqual([
      'weight 90%',
      'weight 10%',
      'mirror 100%',
    ]);
  });

  it('keeps a Service’s log lines and traces to its workloads', () => {
    const line = (workload: string) => ({
      seq: 1,
      reporter: 'destination' as const,
      workload,
      line: workload,
    });
    expect(linesOf([line('front-v1'), line('back-v1')], { service: 'back', workloads: ['back-v1'] })).toEqual(
      [line('back-v1')],
    );
    const trace = (service: string) => ({
      requestId: service,
      startTime: 0,
      durationMs: 1,
      status: 200,
      hops: [
        {
          reporter: 'source' as const,
          source: 'istio-ingressgateway',
          service,
          method: 'GET',
          path: '/',
          status: 200,
          responseFlags: '-',
          startOffsetMs: 0,
          durationMs: 1,
          mirror: false,
        },
      ],
    });
    expect(tracesOf([trace('front'), trace('back')], { service: 'back', workloads: [] })).toEqual([
      trace('back'),
    ]);
  });
});
