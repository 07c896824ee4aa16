// What a client reads of an upstream's response head, byte for byte: Envoy's HTTP/1 codec keeps
// names in lower case and writes `name: value` (envoy source/common/http/http1/codec_impl.cc
// encodeHeaders), drops connection-level fields (RFC 9110 §7.6.1) and the ones `Connection`
// names, and adds its own x-envoy-upstream-service-time and server.
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway, type Mesh, services, startMesh } from './support/mesh-harness.ts';

const routes = `${services('raw')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - match: [{ uri: { prefix: /edited } }]
      route: [{ destination: { host: raw } }]
      headers: { response: { set: { x-edited: "yes" } } }
    - route: [{ destination: { host: raw } }]
`;

/** Each answer's head, by the request path's last segment; every body is `ok`. */
const answers: Record<string, string> = {
  canonical:
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: nginx\r\nConnection: keep-alive\r\n' +
    'Keep-Alive: timeout=5\r\nX-Custom: Mixed Case\r\nContent-Length: 2\r\n',
  spacing: 'HTTP/1.1 200 OK\r\nX-Tight:value\r\nX-Loose: \t spaced \t\r\ncontent-length: 2\r\n',
  nominated:
    'HTTP/1.1 200 OK\r\nConnection: X-Private\r\nX-Private: 1\r\nX-Public: 2\r\nContent-Length: 2\r\n',
  chunked: 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nETag: "a"\r\n',
};

let upstream: Server;
let mesh: Mesh;

beforeAll(async () => {
  upstream = createServer((socket) => {
    let pending = '';
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const path = pending.slice(pending.indexOf(' ') + 1, pending.indexOf(' HTTP/'));
        pending = pending.slice(end + 4);
        const head =
          answers[path.slice(path.lastIndexOf('/') + 1)] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n';
        socket.write(`${head}\r\n${head.includes('chunked') ? '2\r\nok\r\n0\r\n\r\n' : 'ok'}`);
      }
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  mesh = await startMesh(routes, [{ name: 'raw-0', app: 'raw', origin }]);
});

afterAll(async () => {
  await mesh?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

/** The head lines the client reads for `path` on one connection, the varying service time as `N`. */
async function headLines(path: string): Promise<string[]> {
  const socket = connect(mesh.listener.port, '127.0.0.1');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: music.example.com\r\n\r\n`);
  let received = '';
  for await (const chunk of socket) {
    received += (chunk as Buffer).toString('latin1');
    if (received.includes('\r\n\r\n')) break;
  }
  socket.destroy();
  return received
    .slice(0, received.indexOf('\r\n\r\n'))
    .split('\r\n')
    .map((line) => line.replace(/^(x-envoy-upstream-service-time: )\d+$/, '$1N'));
}

const envoyOwn = ['x-envoy-upstream-service-time: N', 'server: istio-envoy'];

describe('an upstream response head, as the client reads it', () => {
  it.each([
    [
      'keeps the fields in the order received, names in lower case, then adds Envoy’s own',
      '/canonical',
      [
        'HTTP/1.1 200 OK',
        'content-type: text/plain',
        'x-custom: Mixed Case',
        'content-length: 2',
        ...envoyOwn,
      ],
    ],
    [
      'writes each field with one space after the colon and no whitespace around the value',
      '/spacing',
      ['HTTP/1.1 200 OK', 'x-tight: value', 'x-loose: spaced', 'content-length: 2', ...envoyOwn],
    ],
    [
      'drops a field that Connection names',
      '/nominated',
      ['HTTP/1.1 200 OK', 'x-public: 2', 'content-length: 2', ...envoyOwn],
    ],
    [
      'frames an answer without a length in chunks of its own',
      '/chunked',
      ['HTTP/1.1 201 Created', 'etag: "a"', ...envoyOwn, 'transfer-encoding: chunked'],
    ],
    [
      'adds a header the route sets after the upstream’s fields',
      '/edited/canonical',
      [
        'HTTP/1.1 200 OK',
        'content-type: text/plain',
        'x-custom: Mixed Case',
        'content-length: 2',
        'x-edited: yes',
        ...envoyOwn,
      ],
    ],
  ])('%s', async (_behaviour, path, expected) => {
    expect(await headLines(path)).toEqual(expected);
  });
});

/** The head lines of each answer to `paths`, asked one after another on one keep-alive connection. */
async function headLinesInTurn(paths: string[]): Promise<string[][]> {
  const socket = connect(mesh.listener.port, '127.0.0.1');
  const heads: string[][] = [];
  let received = '';
  const reader = socket[Symbol.asyncIterator]();
  for (const path of paths) {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: music.example.com\r\n\r\n`);
    // Every answer asked for here is framed by `content-length: 2`.
    while (!(received.includes('\r\n\r\n') && received.length >= received.indexOf('\r\n\r\n') + 6)) {
      const { value, done } = await reader.next();
      if (done) throw new Error(`the connection closed before the answer to ${path}: ${received}`);
      received += (value as Buffer).toString('latin1');
    }
    const end = received.indexOf('\r\n\r\n');
    heads.push(
      received
        .slice(0, end)
        .split('\r\n')
        .map((line) => line.replace(/^(x-envoy-upstream-service-time: )\d+$/, '$1N')),
    );
    received = received.slice(end + 6);
  }
  socket.destroy();
  return heads;
}

describe('an upstream that repeats its response head', () => {
  it('gets each route’s own operations and each answer’s own fields', async () => {
    // An upstream connection hands on the same fields for a repeated head, and the text written
    // for it is kept: it must still follow the route that asked, and the head that came.
    const plain = [
      'HTTP/1.1 200 OK',
      'content-type: text/plain',
      'x-custom: Mixed Case',
      'content-length: 2',
    ];
    const edited = [...plain, 'x-edited: yes'];
    const spacing = ['HTTP/1.1 200 OK', 'x-tight: value', 'x-loose: spaced', 'content-length: 2'];
    const heads = await headLinesInTurn([
      '/canonical',
      '/canonical',
      '/canonical',
      '/edited/canonical',
      '/edited/canonical',
      '/canonical',
      '/spacing',
      '/spacing',
      '/canonical',
    ]);
    expect(heads).toEqual(
      [plain, plain, plain, edited, edited, plain, spacing, spacing, plain].map((head) => [
        ...head,
        ...envoyOwn,
      ]),
    );
  });
});
