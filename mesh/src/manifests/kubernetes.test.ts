import { describe, expect, it } from 'vitest';
import { buildTopology, parseYaml } from './load.ts';

const deployment = (container: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
        - name: api
          image: shop/api:1
${container.replace(/^/gm, '          ')}
`;

const topology = (yaml: string) => buildTopology(parseYaml('api.yaml', yaml));

describe('containers', () => {
  it('reads command, args, envFrom and every env source the runtime has', () => {
    const container = topology(
      deployment(`
command: [python3, server.py]
args: ["--port", "$(PORT)", ""]
envFrom:
  - { configMapRef: { name: settings }, prefix: CFG_ }
  - { secretRef: { name: keys, optional: true } }
env:
  - { name: A, valueFrom: { configMapKeyRef: { name: settings, key: a, optional: true } } }
  - { name: B, valueFrom: { secretKeyRef: { name: keys, key: b } } }
  - { name: C, valueFrom: { fieldRef: { apiVersion: v1, fieldPath: "metadata.labels['app']" } } }`),
    ).deployments[0]?.containers[0];
    expect(container).toMatchObject({
      command: ['python3', 'server.py'],
      args: ['--port', '$(PORT)', ''],
      envFrom: [
        { kind: 'ConfigMap', name: 'settings', prefix: 'CFG_', optional: false },
        { kind: 'Secret', name: 'keys', prefix: '', optional: true },
      ],
      env: [
        { name: 'A', configMapKeyRef: { name: 'settings', key: 'a', optional: true } },
        { name: 'B', secretKeyRef: { name: 'keys', key: 'b', optional: false } },
        { name: 'C', fieldRef: { fieldPath: "metadata.labels['app']" } },
      ],
    });
  });

  it('refuses, by name, the downward API fields and env sources a local replica does not have', () => {
    expect(() =>
      topology(deployment('env: [{ name: N, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }]')),
    ).toThrow(
      "api.yaml: spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: spec.nodeName is not supported locally (supported: metadata.name, metadata.namespace, metadata.labels['<key>'], status.podIP)",
    );
    expect(() =>
      topology(deployment('env: [{ name: N, valueFrom: { resourceFieldRef: { resource: limits.cpu } } }]')),
    ).toThrow(
      'api.yaml: spec.template.spec.containers[0].env[0].valueFrom.resourceFieldRef: is not supported locally (supported: secretKeyRef, configMapKeyRef, fieldRef)',
    );
    expect(() => topology(deployment('envFrom: [{ prefix: X_ }]'))).toThrow(
      'api.yaml: spec.template.spec.containers[0].envFrom[0]: needs exactly one of configMapRef, secretRef',
    );
    expect(() => topology(deployment('args: [--port, 8080]'))).toThrow(
      'api.yaml: spec.template.spec.containers[0].args[1]: must be a string (quote numbers)',
    );
  });
});

describe('ConfigMap', () => {
  it('keeps its data as strings', () => {
    const maps = topology(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: shop }\ndata: { a: "1", b.c: x }\n',
    ).configMaps;
    expect(maps.map((map) => [map.namespace, map.name, map.data])).toEqual([
      ['shop', 'settings', { a: '1', 'b.c': 'x' }],
    ]);
  });

  it('refuses numbers, bad keys and what the runtime does not implement', () => {
    const map = (body: string) => () =>
      topology(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: m }\n${body}\n`);
    expect(map('data: { a: 1 }')).toThrow('api.yaml: data.a: must be a string');
    expect(map('data: { "a b": x }')).toThrow(
      'api.yaml: data.a b: keys must consist of letters, digits, `-`, `_` or `.`',
    );
    expect(map('binaryData: { a: eA== }')).toThrow(
      'api.yaml: binaryData: is not supported locally (supported: data)',
    );
  });
});
