/**
 * DestinationRule `trafficPolicy.connectionPool.tcp.connectTimeout` is the cluster's
 * connect_timeout (istio cluster_traffic_policy.go applyConnectionPool): an endpoint whose connect
 * hangs is given up on after it, with Envoy's local reply (503, `UF`, "reset reason: connection
 * timeout"), not after meshconfig's 10 s default and never by hanging. The endpoint is a real
 * process that stopped accepting, its accept queue full, so that the kernel drops the SYNs.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerContext } from '../src/proxy/listener.ts';
import {
  eventually,
  get,
  type Mesh,
  startMesh,
  startUnacceptingOrigin,
  type UnacceptingOrigin,
} from './support/mesh-harness.ts';

const connectTimeoutMs = 500;

const yaml = `
apiVersion: v1
kind: Service
metadata: { name: hung, namespace: music }
spec: { selector: { app: hung }, ports: [{ name: http, port: 8080 }, { name: tcp-db, port: 9000 }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: hung, namespace: music }
spec:
  host: hung
  trafficPolicy: { connectionPool: { tcp: { connectTimeout: ${connectTimeoutMs}ms } } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: hung, namespace: music }
spec:
  hosts: [hung]
  http:
    - match: [{ uri: { prefix: /once } }]
      retries: { attempts: 0 }
      route: [{ destination: { host: hung, port: { number: 8080 } } }]
    - route: [{ destination: { host: hung, port: { number: 8080 } } }]
`;

const sidecar: ListenerContext = {
  kind: 'mesh',
  source: Object.freeze({ workload: 'a-v1', namespace: 'music', app: 'a', version: 'v1' }),
};

let hung: UnacceptingOrigin;
let mesh: Mesh;

beforeAll(async () => {
  hung = await startUnacceptingOrigin();
  mesh = await startMesh(yaml, [{ name: 'hung-v1-0', app: 'hung', origin: hung.origin }], sidecar);
});

afterAll(async () => {
  await mesh.close();
  await hung.close();
});

describe('an endpoint whose connect never completes', () => {
  // The connect that hangs is the endpoint's own sidecar's, to its app (inbound.ts): that side
  // answers, flagged UF; the caller's side reports a 503 it was answered (no flag).
  it("answers 503 UF with Envoy's connection timeout reply after the DestinationRule's connectTimeout", async () => {
    const res = await get(`${mesh.listener.url}/once`, { host: 'hung.music.svc.cluster.local:8080' });
    expect(res.status).toBe(503);
    expect(res.text).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: connection timeout',
    );
    expect(res.ms).toBeGreaterThanOrEqual(connectTimeoutMs - 50);
    // Well short of meshconfig's 10 s default: the DestinationRule's timeout is the one applied.
    expect(res.ms).toBeLessThan(5_000);
    await eventually(() =>
      expect(mesh.inbound.at(-1)).toMatchObject({ path: '/once', status: 503, responseFlags: 'UF' }),
    );
    await eventually(() =>
      expect(mesh.records.at(-1)).toMatchObject({ path: '/once', status: 503, responseFlags: '-' }),
    );
  });

  // Istio's default retryOn has no 503 answer in it: the inbound side's reply is not retried.
  it("is tried once under Istio's default retry policy, the destination's 503 passed on", async () => {
    const before = mesh.inbound.length;
    const res = await get(`${mesh.listener.url}/again`, { host: 'hung.music.svc.cluster.local:8080' });
    expect(res.status).toBe(503);
    expect(res.text).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: connection timeout',
    );
    await eventually(() => expect(mesh.records.at(-1)?.path).toBe('/again'));
    expect(mesh.inbound.slice(before).map((record) => record.responseFlags)).toEqual(['UF']);
  });

  it('ends a TCP tunnel to it after the connectTimeout: the CONNECT is answered 503 and counted UF', async () => {
    const started = performance.now();
    const socket = connect(mesh.listener.port, '127.0.0.1');
    socket.write('CONNECT hung.music.svc.cluster.local:9000 HTTP/1.1\r\nhost: hung:9000\r\n\r\n');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    await once(socket, 'close');
    const ms = performance.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(ms).toBeGreaterThanOrEqual(connectTimeoutMs - 50);
    expect(ms).toBeLessThan(5_000);
    await eventually(() =>
      expect(mesh.connections.find((c) => c.authority.startsWith('hung.'))).toMatchObject({
        reporter: 'source',
        responseFlags: 'UF',
        closed: true,
      }),
    );
  });
});
