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
