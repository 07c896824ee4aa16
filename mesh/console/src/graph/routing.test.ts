import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { AppliedObject } from '../config-source.ts';
import { serviceRouting } from './routing.ts';

/** The repository's manifests as the runtime holds them: each object with its file and line. */
function applied(...files: string[]): AppliedObject[] {
  const byKey = new Map<string, AppliedObject>();
  for (const file of files) {
    const counter = new LineCounter();
    const text = readFileSync(new URL(`../../../../${file}`, import.meta.url), 'utf8');
    for (const document of parseAllDocuments(text, { lineCounter: counter })) {
      const manifest = document.toJS() as Record<string, unknown> | null;
      if (!manifest) continue;
      const metadata = manifest.metadata as { name: string; namespace?: string };
      const object: AppliedObject = {
        kind: String(manifest.kind),
        name: metadata.name,
        namespace: metadata.namespace ?? 'music',
        manifest,
        file,
        line: counter.linePos(document.contents?.range[0] ?? 0).line,
      };
      // A later file applies over an earlier one, as `mesh apply` does.
      byKey.set(`${object.kind}/${object.namespace}/${object.name}`, object);
    }
  }
  return [...byKey.values()];
}

const kubernetes = ['deploy/kubernetes/back-v1.yaml', 'deploy/kubernetes/front.yaml'];
const canary = [
  ...kubernetes,
  'deploy/istio/destination-rules.yaml',
  'deploy/istio/gateway.yaml',
  'deploy/steps/2-canary-v2/back-destination-rule.yaml',
  'deploy/steps/2-canary-v2/back-v2.yaml',
  'deploy/steps/2-canary-v2/back-gw-virtualservice.yaml',
  'deploy/steps/2-canary-v2/back-virtualservice.yaml',
];
const mirror = [
  ...canary,
  'deploy/steps/3-mirror-v3/back-destination-rule.yaml',
  'deploy/steps/3-mirror-v3/back-v3.yaml',
  'deploy/steps/3-mirror-v3/back-gw-virtualservice.yaml',
  'deploy/steps/3-mirror-v3/back-virtualservice.yaml',
];

describe('the routing behind a Service (GET /api/routing)', () => {
  it('finds the canary’s 90/10 split on the gateway’s VirtualService, with where it was applied from', () => {
    const routing = serviceRouting(applied(...canary), 'music', 'back');
    const gateway = routing.routes.find((route) => route.virtualService.name === 'back-gw-virtualservice');
    expect(gateway).toMatchObject({
      virtualService: {
        namespace: 'music',
        file: 'deploy/steps/2-canary-v2/back-gw-virtualservice.yaml',
        line: expect.any(Number),
      },
      index: 0,
      name: 'back',
      gateways: ['music-gateway'],
      match: 'uri prefix /back',
      destinations: [
        { host: 'back', subset: 'v1', port: 8080, weight: 90, toService: true },
        { host: 'back', subset: 'v2', port: 8080, weight: 10, toService: true },
      ],
      mirror: undefined,
    });
    // The route to front (http[1]) sends nothing to back.
    expect(
      routing.routes.filter((route) => route.virtualService.name === 'back-gw-virtualservice'),
    ).toHaveLength(1);
    const mesh = routing.routes.find((route) => route.virtualService.name === 'back-virtualservice');
    expect(mesh?.gateways).toEqual(['mesh']);
  });

  it('names each subset’s labels and the Deployments whose pods they select', () => {
    const routing = serviceRouting(applied(...mirror), 'music', 'back');
    expect(routing.destinationRules).toHaveLength(1);
    expect(routing.destinationRules[0]).toMatchObject({
      name: 'back',
      host: 'back',
      file: 'deploy/steps/3-mirror-v3/back-destination-rule.yaml',
      subsets: [
        { name: 'v1', labels: { version: 'v1' }, workloads: ['back-v1'] },
        { name: 'v2', labels: { version: 'v2' }, workloads: ['back-v2'] },
        { name: 'v3', labels: { version: 'v3' }, workloads: ['back-v3'] },
      ],
    });
    // front's Deployment has version v1 too, but Service back does not select it.
    expect(routing.workloads).toEqual(['back-v1', 'back-v2', 'back-v3']);
  });

  it('reads the mirror and its percentage (all requests when none is written)', () => {
    const routing = serviceRouting(applied(...mirror), 'music', 'back');
    const gateway = routing.routes.find((route) => route.virtualService.name === 'back-gw-virtualservice');
    expect(gateway?.destinations).toEqual([
      { host: 'back', subset: 'v2', port: 8080, weight: 100, toService: true },
    ]);
    expect(gateway?.mirror).toMatchObject({ host: 'back', subset: 'v3', percentage: 100, toService: true });
  });

  it('takes every spelling of the host and reads timeouts, retries, faults and matches', () => {
    const objects: AppliedObject[] = [
      {
        kind: 'VirtualService',
        name: 'edge',
        namespace: 'other',
        file: 'edge.yaml',
        line: 1,
        manifest: {
          spec: {
            hosts: ['back.music.svc.cluster.local'],
            http: [
              {
                match: [
                  { uri: { exact: '/a' }, method: { exact: 'GET' } },
                  { headers: { 'x-canary': { exact: '1' } } },
                ],
                route: [{ destination: { host: 'back.music.svc.cluster.local' } }],
                timeout: '2s',
                retries: { attempts: 3, perTryTimeout: '500ms' },
                fault: { abort: { httpStatus: 503, percentage: { value: 10 } }, delay: { fixedDelay: '1s' } },
                mirror: { host: 'back.music' },
                mirrorPercentage: { value: 5 },
              },
              // `back` in namespace other is another Service.
              { route: [{ destination: { host: 'back' } }] },
            ],
          },
        },
      },
    ];
    const [route, ...others] = serviceRouting(objects, 'music', 'back').routes;
    expect(others).toEqual([]);
    expect(route).toMatchObject({
      match: 'uri exact /a and method exact GET or header x-canary exact 1',
      timeout: '2s',
      retries: { attempts: 3, perTryTimeout: '500ms' },
      fault: 'delay 1s for 100%; abort 503 for 10%',
      mirror: { host: 'back.music', percentage: 5, toService: true },
      destinations: [{ host: 'back.music.svc.cluster.local', weight: 100, toService: true }],
    });
    expect(serviceRouting(objects, 'other', 'back').routes.map((r) => r.index)).toEqual([1]);
  });
});
