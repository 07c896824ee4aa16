import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerContext } from '../src/proxy/listener.ts';
import {
  eventually,
  gateway,
  get,
  type Mesh,
  services,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

// pilot/pkg/networking/core/route/route.go GetDestinationCluster: a destination without port
// takes the Service's only port, else the port the request came in on (the gateway server's
// at a gateway); a cluster for a port the Service does not have exists nowhere: 503 NC.

const multiPort = `---
apiVersion: v1
kind: Service
metadata: { name: multi, namespace: music }
spec:
  selector: { app: multi }
  ports: [{ name: http, port: 8080 }, { name: http-admin, port: 9090 }]
`;

const routes = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ports, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: no-port
      match: [{ uri: { prefix: /no-port } }]
      route: [{ destination: { host: multi } }]
    - name: named-port
      match: [{ uri: { prefix: /named-port } }]
      route: [{ destination: { host: multi, port: { number: 9090 } } }]
    - name: absent-port
      match: [{ uri: { prefix: /absent-port } }]
      route: [{ destination: { host: multi, port: { number: 7070 } } }]
    - name: single
      match: [{ uri: { prefix: /single } }]
      route: [{ destination: { host: one } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: multi, namespace: music }
spec:
  hosts: [multi]
  http: [{ name: mesh, route: [{ destination: { host: multi } }] }]
`;

const sidecar: ListenerContext = {
  kind: 'mesh',
  source: Object.freeze({ workload: 'front', namespace: 'music', app: 'front', version: 'v1' }),
};

describe('destination ports', () => {
  let up: Upstream;
  let ingress: Mesh;
  let mesh: Mesh;
  beforeAll(async () => {
    up = await startUpstream('multi');
    const yaml = `${services('one')}${multiPort}---${gateway}${routes}`;
    const endpoints = [
      { name: 'multi-0', app: 'multi', origin: up.origin },
      { name: 'one-0', app: 'one', origin: up.origin },
    ];
    ingress = await startMesh(yaml, endpoints);
    mesh = await startMesh(yaml, endpoints, sidecar);
  });
  afterAll(async () => {
    await ingress.close();
    await mesh.close();
    await up.close();
  });

  const ask = async (target: Mesh, path: string, host?: string) => {
    target.records.length = 0;
    const res = await get(`${target.listener.url}${path}`, host ? { host } : {});
    await eventually(() => expect(target.records.length).toBeGreaterThan(0));
    const record = target.records[0];
    return { status: res.status, flags: record?.responseFlags, cluster: record?.upstreamCluster };
  };

  it('answers 503 NC at the gateway when the destination names no port and the Service has several', async () => {
    expect(await ask(ingress, '/no-port')).toMatchObject({ status: 503, flags: 'NC' });
    expect(ingress.routing.table.warnings).toContain(
      "test.yaml (document 4): Service multi has several ports and the destination names none: the gateway's port 80 is none of them (503 NC)",
    );
  });

  it('routes to the port the destination names, and answers 503 NC for one the Service lacks', async () => {
    expect(await ask(ingress, '/named-port')).toMatchObject({
      status: 200,
      cluster: 'outbound|9090||multi.music.svc.cluster.local',
    });
    expect(await ask(ingress, '/absent-port')).toMatchObject({ status: 503, flags: 'NC' });
  });

  it("takes a single-port Service's only port", async () => {
    expect(await ask(ingress, '/single')).toMatchObject({
      status: 200,
      cluster: 'outbound|8080||one.music.svc.cluster.local',
    });
  });

  it('in the mesh, takes the port the request was sent to', async () => {
    expect(await ask(mesh, '/x', 'multi:9090')).toMatchObject({
      status: 200,
      cluster: 'outbound|9090||multi.music.svc.cluster.local',
    });
    expect(await ask(mesh, '/x', 'multi:8080')).toMatchObject({
      status: 200,
      cluster: 'outbound|8080||multi.music.svc.cluster.local',
    });
    expect(await ask(mesh, '/x', 'multi:7070')).toMatchObject({ status: 503, flags: 'NC' });
  });
});
