import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gateway,
  type Mesh,
  services,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

// An upstream may answer before it has read the request body (a 413 from a body limit, a 401
// before the upload ends). The proxy must pass that answer on at once, not wait for a body the
// upstream will never read: a Fastify 413 through the ingress once hung about one time in three.
describe('an upstream that answers before reading the whole body', () => {
  let mesh: Mesh;
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream('limited', (req, res) => {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 64 * 1024 && !res.headersSent) {
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
          res.end('{"code":"PAYLOAD_TOO_LARGE"}');
          req.destroy();
        }
      });
      req.on('end', () => {
        if (!res.headersSent) res.end('{"code":"OK"}');
      });
    });
    const routes = `
    - route: [{ destination: { host: limited } }]
`;
    mesh = await startMesh(
      `${services('limited')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: gw, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:${routes}`,
      [{ name: 'limited-0', app: 'limited', origin: upstream.origin }],
    );
  });

  afterAll(async () => {
    await mesh.close();
    await upstream.close();
  });

  it('passes a 413 on promptly, every time', async () => {
    const body = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${mesh.listener.url}/upload`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(5_000),
      });
      expect(response.status).toBe(413);
      expect(await response.text()).toContain('PAYLOAD_TOO_LARGE');
    }
  });
});

// back is Fastify: Node answers a head over its limit with a bare 431 and closes with the head's
// bytes unread, so the answer ends in a reset. Through the ingress that reset the client's connection.
describe('a Fastify upstream with a small body limit, through the ingress', () => {
  let mesh: Mesh;
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify({ bodyLimit: 64 * 1024 });
    app.post('/upload', async () => ({ code: 'OK' }));
    app.get('/ok', async () => ({ code: 'OK' }));
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    mesh = await startMesh(
      `${services('fastify')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: gw, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - route: [{ destination: { host: fastify } }]
`,
      [{ name: 'fastify-0', app: 'fastify', origin }],
    );
  });

  afterAll(async () => {
    await mesh.close();
    await app.close();
  });

  it('serves the request after a 431 from the upstream on a fresh connection', async () => {
    for (let i = 0; i < 5; i++) {
      const big = await fetch(`${mesh.listener.url}/ok`, {
        headers: { 'x-big': 'y'.repeat(20 * 1024) },
        signal: AbortSignal.timeout(15_000),
      });
      expect(big.status).toBe(431);
      await big.text();
      const next = await fetch(`${mesh.listener.url}/ok`, { signal: AbortSignal.timeout(15_000) });
      expect(next.status).toBe(200);
      await next.text();
    }
  });
  it("passes on the upstream's 413 for a body over its limit, and the next request succeeds", async () => {
    for (let i = 0; i < 5; i++) {
      const big = await fetch(`${mesh.listener.url}/upload`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x'.repeat(2_500_000),
        signal: AbortSignal.timeout(15_000),
      });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { code: string }).code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
      const next = await fetch(`${mesh.listener.url}/ok`, { signal: AbortSignal.timeout(15_000) });
      expect(next.status).toBe(200);
      await next.text();
    }
  });
});
