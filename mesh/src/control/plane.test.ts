import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { parseYaml } from '../manifests/load.ts';
import type { Topology } from '../manifests/model.ts';
import { ControlPlane } from './plane.ts';

const vs = (name: string, prefix = '/') => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http: [{ match: [{ uri: { prefix: ${prefix} } }], route: [{ destination: { host: front } }] }]
`;

function plane() {
  const installed: Topology[] = [];
  const control = new ControlPlane({
    compile: (topology) => ({ warnings: [], topology }),
    install: (table) => installed.push(table.topology),
    log: silentLogger,
  });
  return { control, installed };
}

describe('ControlPlane', () => {
  it('says created, unchanged, configured like kubectl, and installs a new table each time', async () => {
    const { control, installed } = plane();
    expect((await control.apply(parseYaml('a.yaml', vs('one'))))[0]).toMatchObject({
      display: 'virtualservice.networking.istio.io/one',
      action: 'created',
    });
    expect((await control.apply(parseYaml('a.yaml', vs('one'))))[0]?.action).toBe('unchanged');
    expect((await control.apply(parseYaml('a.yaml', vs('one', '/x'))))[0]?.action).toBe('configured');
    expect(installed.map((t) => t.virtualServices[0]?.http[0]?.match[0]?.uri)).toEqual([
      { prefix: '/' },
      { prefix: '/' },
      { prefix: '/x' },
    ]);
  });

  it('applies nothing of a batch with one invalid document, naming file, document and field', async () => {
    const { control, installed } = plane();
    const batch = parseYaml('batch.yaml', `${vs('good')}---${vs('bad').replace('prefix: /', 'prefx: /')}`);
    await expect(control.apply(batch)).rejects.toThrow(
      'batch.yaml (document 2): unknown field "spec.http[0].match[0].uri.prefx"; did you mean "prefix"?',
    );
    expect(control.resources()).toEqual([]);
    expect(installed).toEqual([]);
  });

  it('refuses unknown kinds and wrong apiVersions', async () => {
    const { control } = plane();
    await expect(
      control.apply(
        parseYaml(
          'x.yaml',
          'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: { name: s }',
        ),
      ),
    ).rejects.toThrow('x.yaml: kind: kind HorizontalPodAutoscaler is not supported by the local runtime');
    await expect(
      control.apply(parseYaml('x.yaml', vs('v').replace('networking.istio.io/v1', 'networking.istio.io/v2'))),
    ).rejects.toThrow(
      'VirtualService needs apiVersion networking.istio.io/v1alpha3, networking.istio.io/v1beta1, networking.istio.io/v1 (got networking.istio.io/v2)',
    );
  });

  it('deletes what exists and reports what does not', async () => {
    const { control } = plane();
    await control.apply(parseYaml('a.yaml', vs('one')));
    const { results, missing } = await control.delete([
      { kind: 'VirtualService', namespace: 'music', name: 'one' },
      { kind: 'VirtualService', namespace: 'music', name: 'two' },
    ]);
    expect(results.map((r) => `${r.display} ${r.action}`)).toEqual([
      'virtualservice.networking.istio.io/one deleted',
    ]);
    expect(missing.map((r) => r.name)).toEqual(['two']);
    expect(control.topology.virtualServices).toEqual([]);
  });
});
