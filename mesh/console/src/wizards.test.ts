import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { IstioObject } from './graph/istio-details.ts';
import { WizardError, wizardManifests } from './wizards.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** The tutorial's step 1 plus back-v2's Deployment: what a reader has when they open the wizard. */
function objects(files: readonly string[]): IstioObject[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(`${repo}${file}`, 'utf8'))
      .map((doc) => doc.toJS() as Record<string, { name: string; namespace?: string }> & { kind: string })
      .filter(Boolean)
      .map((manifest) => ({
        kind: manifest.kind,
        name: (manifest.metadata as { name: string }).name,
        namespace: (manifest.metadata as { namespace?: string }).namespace ?? 'default',
        manifest,
      })),
  );
}

const step1 = objects([
  'deploy/kubernetes/back-v1.yaml',
  'deploy/steps/2-canary-v2/back-v2.yaml',
  'deploy/istio/destination-rules.yaml',
  'deploy/steps/1-v1/back-gw-virtualservice.yaml',
  'deploy/steps/1-v1/back-virtualservice.yaml',
]);

type Route = {
  route: { destination: { host: string; subset: string; port?: unknown }; weight: number }[];
  mirror?: unknown;
};
const routesOf = (manifest: Record<string, unknown>) =>
  (manifest.spec as { http: (Route & { name?: string })[] }).http;

describe('the traffic wizards, as Kiali’s but for every route to the service', () => {
  it('shifts traffic on the gateway’s route and the mesh’s, adding the subset from the Deployment', () => {
    const applied = wizardManifests(step1, {
      wizard: 'traffic-shifting',
      namespace: 'music',
      service: 'back',
      weights: { v1: 90, v2: 10 },
    });
    expect(applied.map((m) => `${m.kind}/${(m.metadata as { name: string }).name}`)).toEqual([
      'DestinationRule/back',
      'VirtualService/back-gw-virtualservice',
      'VirtualService/back-virtualservice',
    ]);
    const rule = applied[0] as { spec: { subsets: { name: string }[] } };
    const subsets = rule.spec.subsets.map((s) => s.name);
    expect(subsets).toEqual(['v1', 'v2']);
    const back = routesOf(applied[1] as Record<string, unknown>).find(
      (route) => route.name === 'back',
    ) as Route;
    expect(back.route).toEqual([
      { destination: { host: 'back', subset: 'v1', port: { number: 8080 } }, weight: 90 },
      { destination: { host: 'back', subset: 'v2', port: { number: 8080 } }, weight: 10 },
    ]);
    // front's route on the same VirtualService is left as it was.
    const front = routesOf(applied[1] as Record<string, unknown>).find(
      (route) => route.name === 'front',
    ) as Route;
    expect(front.route).toEqual([{ destination: { host: 'front', port: { number: 8080 } } }]);
  });

  it('sets a mirror with its percentage, and takes it away when the wizard has none', () => {
    const mirrored = wizardManifests(step1, {
      wizard: 'traffic-shifting',
      namespace: 'music',
      service: 'back',
      weights: { v1: 100 },
      mirror: { subset: 'v2', percentage: 25 },
    });
    const route = routesOf(mirrored.at(-1) as Record<string, unknown>)[0] as Route & {
      mirrorPercentage?: unknown;
    };
    expect(route.mirror).toMatchObject({ host: 'back', subset: 'v2' });
    expect(route.mirrorPercentage).toEqual({ value: 25 });
  });

  it('creates the mesh VirtualService when there is none, named after the service', () => {
    const withoutMesh = step1.filter((object) => object.name !== 'back-virtualservice');
    const applied = wizardManifests(withoutMesh, {
      wizard: 'request-timeouts',
      namespace: 'music',
      service: 'back',
      timeout: '2s',
      retries: { attempts: 3, perTryTimeout: '500ms', retryOn: '5xx' },
    });
    const created = applied.at(-1) as Record<string, unknown>;
    expect(created).toMatchObject({
      kind: 'VirtualService',
      metadata: { name: 'back', namespace: 'music' },
      spec: { hosts: ['back'] },
    });
    expect(routesOf(created)[0]).toMatchObject({
      timeout: '2s',
      retries: { attempts: 3, perTryTimeout: '500ms', retryOn: '5xx' },
    });
  });

  it('injects faults on every route to the service', () => {
    const applied = wizardManifests(step1, {
      wizard: 'fault-injection',
      namespace: 'music',
      service: 'back',
      abort: { httpStatus: 503, percentage: 10 },
      delay: { fixedDelay: '2s', percentage: 5 },
    });
    for (const vs of applied) {
      const route = routesOf(vs).find((r) => r.route.some((d) => d.destination.host === 'back')) as Route & {
        fault?: unknown;
      };
      expect(route.fault).toEqual({
        delay: { fixedDelay: '2s', percentage: { value: 5 } },
        abort: { httpStatus: 503, percentage: { value: 10 } },
      });
    }
  });

  it('refuses weights that do not add up, a version with no pods, and a bad percentage, naming the field', () => {
    const shift = (weights: Record<string, number>, mirror?: { subset: string; percentage: number }) => () =>
      wizardManifests(step1, {
        wizard: 'traffic-shifting',
        namespace: 'music',
        service: 'back',
        weights,
        mirror,
      });
    expect(shift({ v1: 90, v2: 20 })).toThrow(
      new WizardError('weights: must add up to 100 (they add up to 110)'),
    );
    expect(shift({ v1: 50, v3: 50 })).toThrow(
      'weights.v3: the DestinationRule of back has no subset v3, and no Deployment of back has version v3',
    );
    expect(shift({ v1: 100 }, { subset: 'v2', percentage: 120 })).toThrow(
      'mirror.percentage: must be a number from 0 to 100',
    );
  });
});
