import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EndpointRegistry } from '../src/endpoints/registry.ts';
import { type Ingress, RoutingState, startIngress } from '../src/ingress/server.ts';
import { buildTopology, parseYaml } from '../src/manifests/load.ts';
import { compileRoutingTable } from '../src/routing/table.ts';
import { type RequestRecord, requestChannel } from '../src/telemetry/record.ts';

const manifests = `
apiVersion: v1
kind: Service
metadata: { name: front, namespace: music }
spec: { selector: { app: front }, ports: [{ name: http, port: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: back, namespace: music }
spec: { selector: { app: back }, ports: [{ name: http, port: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: refused, namespace: music }
spec: { selector: { app: refused }, ports: [{ name: http, port: 8080 }] }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: music-gateway, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-gw-virtualservice, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: back
      match: [{ uri: { prefix: /back } }]
      route: [{ destination: { host: back, port: { number: 8080 } } }]
    - name: refused
      match: [{ uri: { prefix: /refused } }]
      route: [{ destination: { host: refused.music.svc.cluster.local } }]
    - name: front
      match: [{ uri: { prefix: /front } }, { uri: { exact: / } }]
      route: [{ destination: { host: front } }]
`;

interface Echo {
  readonly name: string;
  readonly server: Server;
  readonly origin: string;
  readonly seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
}

/** An upstream that answers who it is and what it saw; POST /echo streams the body back. */
async function startEcho(name: string): Promise<Echo> {
  const seen: Echo['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url?.endsWith('/echo')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-served-by': name });
      req.pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name, connection: 'keep-alive' });
    res.end(JSON.stringify({ name, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { name, server, origin: `http://127.0.0.1:${port}`, seen };
}

/** A port nothing listens on: bound once to learn a free number, then closed. */
async function refusedOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('ingress', () => {
  const topology = buildTopology(parseYaml('test.yaml', manifests));
  const endpoints = new EndpointRegistry(topology.services);
  const records: RequestRecord[] = [];
  let ingress: Ingress;
  let front: Echo;
  let back: Echo;

  const endpoint = (name: string, app: string, origin: string) => ({
    name,
    namespace: 'music',
    origin,
    labels: { app },
  });

  beforeAll(async () => {
    [front, back] = await Promise.all([startEcho('front-0'), startEcho('back-v1-0')]);
    endpoints.add(endpoint('front-0', 'front', front.origin));
    endpoints.add(endpoint('back-v1-0', 'back', back.origin));
    endpoints.add(endpoint('refused-0', 'refused', await refusedOrigin()));
    ingress = await startIngress({
      port: 0,
      host: '127.0.0.1',
      routing: new RoutingState(compileRoutingTable(topology)),
      endpoints,
      onRequestEnd: (record) => records.push(record),
    });
  });

  afterEach(() => {
    records.length = 0;
  });

  afterAll(async () => {
    await ingress.close();
    await endpoints.close();
    for (const echo of [front, back]) echo.server.close();
  });

  it('routes /back to Service back with the prefix kept, and / to front', async () => {
    const toBack = await request(`${ingress.url}/back/api/tracks?page=1`);
    expect(toBack.statusCode).toBe(200);
    expect(await toBack.body.json()).toEqual({ name: 'back-v1-0', url: '/back/api/tracks?page=1' });

    const toFront = await request(`${ingress.url}/`);
    expect(toFront.headers['x-served-by']).toBe('front-0');
    await toFront.body.dump();
    expect(records.map((r) => [r.routeName, r.destination?.workload, r.status])).toEqual([
      ['back-gw-virtualservice.music/back', 'back-v1', 200],
      ['back-gw-virtualservice.music/front', 'front', 200],
    ]);
  });

  it('answers 404 with an empty body, flag NR, when no route matches (exact / does not match /other)', async () => {
    const res = await request(`${ingress.url}/other`);
    expect(res.statusCode).toBe(404);
    expect(await res.body.text()).toBe('');
    expect(records[0]?.responseFlags).toBe('NR');
  });

  // Envoy's path and prefix matchers never match CONNECT (only a connect_matcher does), so a
  // CONNECT to an ordinary route is the route-not-found reply: 404, empty body, flag NR.
  it('answers CONNECT to a service route 404 with an empty body, flag NR, and keeps serving', async () => {
    const socket = connect(Number(new URL(ingress.url).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.write('CONNECT back:8080 HTTP/1.1\r\nHost: back:8080\r\n\r\n');
    await vi.waitFor(() => expect(answer).toContain('\r\n\r\n'), { timeout: 10_000 });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(answer).toMatch(/content-length: 0\r\n/i);
    await vi.waitFor(
      () => expect(records[0]).toMatchObject({ status: 404, responseFlags: 'NR', method: 'CONNECT' }),
      {
        timeout: 10_000,
      },
    );
    const next = await request(`${ingress.url}/`);
    expect(next.statusCode).toBe(200);
    await next.body.dump();
  });

  it('answers a request smuggling both Content-Length and Transfer-Encoding 400, closes, and logs it with flag DPE', async () => {
    const socket = connect(Number(new URL(ingress.url).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.write(
      'POST /back/api/tracks HTTP/1.1\r\nHost: music\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    await once(socket, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('connection: close');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      status: 400,
      responseFlags: 'DPE',
      method: '-',
      destination: undefined,
    });
  });

  it('answers 503 no healthy upstream when the Service has no ready endpoint', async () => {
    endpoints.remove('front-0');
    try {
      const res = await request(`${ingress.url}/front/page`);
      expect(res.statusCode).toBe(503);
      expect(await res.body.text()).toBe('no healthy upstream');
      expect(records[0]?.responseFlags).toBe('UH');
    } finally {
      endpoints.add(endpoint('front-0', 'front', front.origin));
    }
  });

  it("answers 503 from the refusing app's inbound side (UF there), once: the default policy retries no status", async () => {
    const inboundSide: RequestRecord[] = [];
    const onRecord = (message: unknown) => {
      if ((message as RequestRecord).reporter === 'destination') inboundSide.push(message as RequestRecord);
    };
    requestChannel.subscribe(onRecord);
    try {
      const res = await request(`${ingress.url}/refused`);
      expect(res.statusCode).toBe(503);
      expect(res.headers.server).toBe('istio-envoy');
      expect(await res.body.text()).toMatch(/^upstream connect error/);
      expect(records).toEqual([expect.objectContaining({ status: 503, responseFlags: '-' })]);
      expect(records[0]?.destination?.workload).toBe('refused');
      expect(inboundSide).toEqual([expect.objectContaining({ status: 503, responseFlags: 'UF' })]);
    } finally {
      requestChannel.unsubscribe(onRecord);
    }
  });

  it('adds x-request-id, x-forwarded-for and x-forwarded-proto, keeps the Host and drops hop-by-hop headers', async () => {
    // node:http rather than undici: undici keeps the Connection header to itself.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(`${ingress.url}/back/x`, {
        headers: {
          host: 'music.example.com',
          'x-custom': 'kept',
          connection: 'x-custom-hop',
          'x-custom-hop': '1',
        },
      });
      req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode)));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const seen = back.seen.at(-1)?.headers;
    expect(seen?.['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen?.['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen?.['x-forwarded-proto']).toBe('http');
    expect(seen?.host).toBe('music.example.com');
    expect(seen?.['x-custom']).toBe('kept');
    expect(seen?.['x-custom-hop']).toBeUndefined();
    expect(records[0]?.requestId).toBe(seen?.['x-request-id']);
  });

  it('appends the socket address to a forged x-forwarded-for and sets x-envoy-external-address, replacing the client’s', async () => {
    const res = await request(`${ingress.url}/back/x`, {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-envoy-external-address': '203.0.113.9' },
    });
    await res.body.dump();
    const seen = back.seen.at(-1)?.headers;
    // The last hop is the one the ingress saw: what the app must key login throttling on.
    expect(seen?.['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(seen?.['x-envoy-external-address']).toBe('127.0.0.1');
  });

  it('answers CONNECT to a service as Envoy does: 404 with an empty body, recorded as NR', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(ingress.url).port), '127.0.0.1', () =>
        socket.write('CONNECT back:8080 HTTP/1.1\r\nHost: back:8080\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
    });
    expect(answer).toBe(
      'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nserver: istio-envoy\r\nconnection: close\r\n\r\n',
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      method: 'CONNECT',
      authority: 'back:8080',
      status: 404,
      responseFlags: 'NR',
    });
  });

  it('keeps an x-request-id the client sent', async () => {
    const res = await request(`${ingress.url}/back/x`, { headers: { 'x-request-id': 'abc-123' } });
    await res.body.dump();
    expect(back.seen.at(-1)?.headers['x-request-id']).toBe('abc-123');
  });

  it('gives every request its own version 4 x-request-id and traceparent, well past one batch of ids', async () => {
    const before = back.seen.length;
    for (let i = 0; i < 150; i++) await (await request(`${ingress.url}/back/x`)).body.dump();
    const sent = back.seen.slice(before).map((seen) => seen.headers);
    const ids = sent.map((headers) => headers['x-request-id']);
    const traces = sent.map((headers) => headers.traceparent);
    expect(new Set(ids).size).toBe(150);
    expect(new Set(traces).size).toBe(150);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const trace of traces) expect(trace).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('streams a large body both ways without changing a byte', async () => {
    const chunk = randomBytes(1024 * 1024);
    const chunks = 32;
    const expected = createHash('sha256');
    for (let i = 0; i < chunks; i++) expected.update(chunk);
    const res = await request(`${ingress.url}/back/echo`, {
      method: 'POST',
      body: Readable.from(
        (function* () {
          for (let i = 0; i < chunks; i++) yield chunk;
        })(),
      ),
    });
    expect(res.statusCode).toBe(200);
    const received = createHash('sha256');
    let length = 0;
    for await (const part of res.body) {
      received.update(part as Buffer);
      length += (part as Buffer).length;
    }
    expect(length).toBe(chunk.length * chunks);
    expect(received.digest('hex')).toBe(expected.digest('hex'));
  });

  it('spreads requests over the ready endpoints of a Service (LEAST_REQUEST, the Istio default)', async () => {
    const second = await startEcho('back-v1-1');
    endpoints.add(endpoint('back-v1-1', 'back', second.origin));
    try {
      const servedBy: string[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await request(`${ingress.url}/back/x`);
        servedBy.push(String(res.headers['x-served-by']));
        await res.body.dump();
      }
      // Power of two choices among idle endpoints is random: both get a share (P(miss) = 2^-39).
      expect(new Set(servedBy)).toEqual(new Set(['back-v1-0', 'back-v1-1']));
    } finally {
      endpoints.remove('back-v1-1');
      second.server.close();
    }
  });
});
