import { describe, expect, it } from 'vitest';
import type { ResourceItem } from '../control/client.ts';
import type { PodStatus } from '../workloads/supervisor.ts';
import { resourceTable } from './format.ts';

const now = 1_000_000;
const vs = (namespace: string, name: string) =>
  ({
    kind: 'VirtualService',
    apiVersion: 'networking.istio.io/v1',
    namespace,
    name,
    file: 'x.yaml',
    manifest: { spec: { hosts: ['back'], gateways: ['mesh'] } },
    createdAt: now - 5_000,
  }) as ResourceItem;

describe('mesh get tables', () => {
  it('put NAMESPACE first with -A, as kubectl', () => {
    expect(
      resourceTable('VirtualService', [vs('music', 'back'), vs('shop', 'cart')], {
        now,
        allNamespaces: true,
      }),
    ).toBe(
      [
        'NAMESPACE   NAME   GATEWAYS   HOSTS      AGE',
        'music       back   ["mesh"]   ["back"]   5s',
        'shop        cart   ["mesh"]   ["back"]   5s',
      ].join('\n'),
    );
    const pod = {
      name: 'back-v1-0',
      namespace: 'music',
      ready: true,
      phase: 'Running',
      restarts: 0,
      createdAt: now,
      address: 'http://127.0.0.1:4000',
    } as PodStatus;
    expect(resourceTable('Pod', [pod], { now, allNamespaces: true }).split('\n')[0]).toBe(
      'NAMESPACE   NAME        READY   STATUS    RESTARTS   AGE   ADDRESS',
    );
  });

  it('have no NAMESPACE column for one namespace, nor for Namespaces', () => {
    expect(resourceTable('VirtualService', [vs('music', 'back')], { now }).split('\n')[0]).toBe(
      'NAME   GATEWAYS   HOSTS      AGE',
    );
    const namespace = { ...vs('', 'music'), kind: 'Namespace', manifest: {} } as ResourceItem;
    expect(resourceTable('Namespace', [namespace], { now, allNamespaces: true })).toBe(
      'NAME    AGE\nmusic   5s',
    );
  });
});
