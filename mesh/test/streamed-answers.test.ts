// The upstream pool reads every connection into one shared buffer (proxy/upstream/pool.ts), so
// whatever the proxy cannot write to a client at once must be copied out of it first: a queued
// write that still pointed into the buffer would send another answer's bytes.
import { createHash, randomBytes } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gateway,
  type Mesh,
  services,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

const size = 24 * 1024 * 1024;
const bodies = { a: randomBytes(size), b: randomBytes(size) };

const routes = `${services('a', 'b')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - match: [{ uri: { prefix: /a } }]
      route: [{ destination: { host: a } }]
    - route: [{ destination: { host: b } }]
`;

let upstreams: Upstream[];
let mesh: Mesh;

beforeAll(async () => {
  upstreams = await Promise.all(
    (['a', 'b'] as const).map((name) =>
      startUpstream(name, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
        res.end(bodies[name]);
      }),
    ),
  );
  mesh = await startMesh(
    routes,
    upstreams.map((upstream) => ({
      name: `${upstream.name}-0`,
      app: upstream.name,
      origin: upstream.origin,
    })),
  );
});

afterAll(async () => {
  await mesh?.close();
  await Promise.all(upstreams?.map((upstream) => upstream.close()) ?? []);
});

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The answer's status and the SHA-256 of its body; read only once `readAfter` settles, so that
 * until then the proxy holds what it could not write to this client.
 */
function download(
  path: string,
  readAfter: Promise<unknown> = Promise.resolve(),
): Promise<{ status: number | undefined; bytes: number; hash: string }> {
  return new Promise((resolve, reject) => {
    httpGet(new URL(path, mesh.listener.url), (res) => {
      res.pause();
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode, bytes, hash: hash.digest('hex') }));
      res.on('error', reject);
      void readAfter.then(() => res.resume());
    }).on('error', reject);
  });
}

describe('answers streamed through the proxy', () => {
  it("arrive byte for byte while another upstream's answer streams past a client that is not reading", async () => {
    const b = download('/b');
    const a = await download('/a', b);
    expect(a).toEqual({ status: 200, bytes: size, hash: sha256(bodies.a) });
    expect(await b).toEqual({ status: 200, bytes: size, hash: sha256(bodies.b) });
  });
});
