import { describe, expect, it } from 'vitest';
import type { ConfigObject, Finding } from './config-api';
import {
  findingsSummary,
  groupObjects,
  objectId,
  routedServices,
  sourceOf,
  subsetsFor,
  wizardServices,
} from './config-view';

const object = (
  kind: string,
  name: string,
  spec: unknown = {},
  findings: readonly Finding[] = [],
): ConfigObject => ({
  kind,
  namespace: 'music',
  name,
  file: 'deploy/x.yaml',
  line: 1,
  yaml: '',
  manifest: { spec },
  findings,
});

const missingSubset: Finding = {
  code: 'IST0101',
  level: 'Error',
  message: 'Referenced host+subset in destinationrule not found: "back+v9"',
};
const noService: Finding = { code: 'IST0174', level: 'Warning', message: 'no Service' };

const gatewayRoutes = object('VirtualService', 'back-gw-virtualservice', {
  gateways: ['music-gateway'],
  http: [
    { name: 'back', route: [{ destination: { host: 'back', port: { number: 8080 } } }] },
    { name: 'front', route: [{ destination: { host: 'front.music.svc.cluster.local' } }] },
  ],
});
const objects = [
  object('Service', 'front'),
  object('Service', 'back'),
  gatewayRoutes,
  object(
    'VirtualService',
    'broken',
    { http: [{ route: [{ destination: { host: 'back', subset: 'v9' } }] }] },
    [missingSubset],
  ),
  object('DestinationRule', 'back', { host: 'back', subsets: [{ name: 'v1' }] }),
  object('DestinationRule', 'client', { host: 'client' }, [noService]),
  object('Deployment', 'back-v2', { template: { metadata: { labels: { app: 'back', version: 'v2' } } } }),
  object('Deployment', 'back-v1', { template: { metadata: { labels: { app: 'back', version: 'v1' } } } }),
  object('Deployment', 'front-v1', { template: { metadata: { labels: { app: 'front', version: 'v1' } } } }),
  object('Gateway', 'music-gateway'),
];

describe('the config page’s objects', () => {
  it('groups them by kind in a request’s order, sorted by name, and filters by kind and name', () => {
    const groups = groupObjects(objects);
    expect(groups.map((g) => `${g.label}: ${g.objects.map((o) => o.name).join(' ')}`)).toEqual([
      'Gateways: music-gateway',
      'VirtualServices: back-gw-virtualservice broken',
      'DestinationRules: back client',
      'Deployments: back-v1 back-v2 front-v1',
      'Services: back front',
    ]);
    expect(groupObjects(objects, { kind: 'Deployment', name: 'BACK' }).map((g) => g.objects.length)).toEqual([
      2,
    ]);
    expect(groupObjects(objects, { name: 'nothing' })).toEqual([]);
  });

  it('sums the findings in words and lists the objects concerned, worst first', () => {
    const summary = findingsSummary(objects);
    expect(summary.text).toBe('1 error, 1 warning');
    expect(summary.concerned.map((c) => `${c.level} ${c.kind} ${c.name}`)).toEqual([
      'Error VirtualService broken',
      'Warning DestinationRule client',
    ]);
    expect(findingsSummary([object('Service', 'x', {}, [noService, noService])]).text).toBe('2 warnings');
    expect(findingsSummary([]).text).toBe('No findings');
  });

  it('says where an object comes from as file:line, the line picking the document', () => {
    expect(sourceOf({ file: 'deploy/istio/gateway.yaml (document 2)', line: 23 })).toBe(
      'deploy/istio/gateway.yaml:23',
    );
    expect(sourceOf({ file: 'console:traffic-shifting', line: undefined })).toBe('console:traffic-shifting');
  });

  it('names an object’s element by kind, namespace and name', () => {
    expect(objectId(gatewayRoutes)).toBe('virtualservice-music-back-gw-virtualservice');
  });
});

describe('what the wizards are offered for', () => {
  it('offers them on a Service and on the Services a VirtualService routes to, whatever the host’s form', () => {
    expect(routedServices(gatewayRoutes)).toEqual(['back', 'front']);
    expect(wizardServices(gatewayRoutes, objects)).toEqual(['back', 'front']);
    expect(wizardServices(object('Service', 'back'), objects)).toEqual(['back']);
    expect(wizardServices(object('DestinationRule', 'back'), objects)).toEqual([]);
    // A host with no Service (a typo) gets no wizard.
    const typo = object('VirtualService', 't', { http: [{ route: [{ destination: { host: 'bak' } }] }] });
    expect(wizardServices(typo, objects)).toEqual([]);
  });

  it('offers the DestinationRule’s subsets, then the versions of the Service’s Deployments', () => {
    expect(subsetsFor(objects, 'music', 'back')).toEqual(['v1', 'v2']);
    expect(subsetsFor(objects, 'music', 'front')).toEqual(['v1']);
    expect(subsetsFor(objects, 'other', 'back')).toEqual([]);
  });
});
