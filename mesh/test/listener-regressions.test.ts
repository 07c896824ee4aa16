import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gateway,
  get,
  type Mesh,
  services,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

// Exact inputs that once ended the whole runtime: an 'error' on a request body nobody listened
// to. Each one must be contained in its connection, and the ingress must go on serving.
const regressions: Record<string, string> = {
  'chunk size -3':
    'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n',
  'chunk size past 64 bits':
    'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n',
  'chunk data without its CRLF':
    'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n',
};

/** Sends `bytes`, then returns what came back until the server closed (or `limitMs` passed). */
function exchange(port: number, bytes: string | Buffer, limitMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, limitMs);
    socket.on('error', done);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', done);
    socket.on('connect', () => socket.write(bytes));
  });
}

describe('the ingress after input that once ended the runtime', () => {
  let mesh: Mesh;
  let upstream: Upstream;
  let port: number;

  beforeAll(async () => {
    // An upstream that streams the body back, so that the proxy forwards it as it arrives.
    upstream = await startUpstream('echo', (req, res) => {
      if (req.method === 'GET') {
        res.end('{"ok":true}');
        return;
      }
      req.on('error', () => {});
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
    });
    mesh = await startMesh(
      `${services('echo')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: gw, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - route: [{ destination: { host: echo } }]
`,
      [{ name: 'echo-0', app: 'echo', origin: upstream.origin }],
    );
    port = Number(new URL(mesh.listener.url).port);
  });

  afterAll(async () => {
    await mesh.close();
    await upstream.close();
  });

  for (const [name, bytes] of Object.entries(regressions)) {
    it(`answers a malformed body (${name}) with 400 or a close, and serves the next request`, async () => {
      const answer = await exchange(port, bytes);
      if (answer !== '') expect(answer).toMatch(/^HTTP\/1\.1 (200|400) /);
      expect((await get(`${mesh.listener.url}/after`)).status).toBe(200);
    });
  }

  it('survives a 2 MB body whose client closes before it is read, and serves the next request', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 120);
    const head = `POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length * 2}\r\n\r\n`;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(head);
        socket.write(body, () => socket.destroy());
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
    });
    expect((await get(`${mesh.listener.url}/after`)).status).toBe(200);
  });
});
