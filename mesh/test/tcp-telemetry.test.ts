/**
 * Traffic to a Service's TCP port is reported as Istio reports a tcp_proxy's connections
 * (istio/proxy istio_stats.cc, the network filter): istio_tcp_connections_opened/closed_total and
 * istio_tcp_received/sent_bytes_total under both reporters, and Envoy's access log line for a TCP
 * listener; never as HTTP requests. Real sockets throughout: a plain TCP echo server behind a
 * `tcp-` port, the sidecar's listener, the telemetry server's /stats/prometheus.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../console/src/graph/kiali-graph.ts';
import { ScrapedTelemetry } from '../console/src/telemetry/scraped.ts';
import type { ListenerContext } from '../src/proxy/listener.ts';
import { startTelemetry, type Telemetry } from '../src/telemetry/server.ts';
import {
  eventually,
  get,
  type Mesh,
  refusedOrigin,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

const yaml = `
apiVersion: v1
kind: Service
metadata: { name: db, namespace: music }
spec: { selector: { app: db }, ports: [{ name: tcp-echo, port: 9000 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: music }
spec: { selector: { app: web }, ports: [{ name: tcp-web, port: 9100 }] }
---
apiVersion: v1
kind: Service
metadata: { name: idle, namespace: music }
spec: { selector: { app: idle }, ports: [{ name: tcp-idle, port: 9200 }] }
---
apiVersion: v1
kind: Service
metadata: { name: down, namespace: music }
spec: { selector: { app: down }, ports: [{ name: tcp-down, port: 9300 }] }
`;

const sidecar: ListenerContext = {
  kind: 'mesh',
  source: Object.freeze({ workload: 'a-v1', namespace: 'music', app: 'a', version: 'v1' }),
  labels: Object.freeze({ app: 'a', version: 'v1' }),
};

let echo: Server;
let web: Upstream;
let mesh: Mesh;
let telemetry: Telemetry;
const accessLog: string[] = [];

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  web = await startUpstream('web');
  const echoOrigin = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  telemetry = await startTelemetry({
    statsPort: 0,
    host: '127.0.0.1',
    accessLog: (line) => accessLog.push(line),
  });
  mesh = await startMesh(
    yaml,
    [
      { name: 'db-v1-0', app: 'db', origin: echoOrigin },
      { name: 'web-v1-0', app: 'web', origin: web.origin },
      { name: 'down-v1-0', app: 'down', origin: await refusedOrigin() },
    ],
    sidecar,
  );
});

afterAll(async () => {
  await mesh.close();
  await telemetry.close();
  await web.close();
  echo.close();
});

/** A CONNECT tunnel through the sidecar, as `fetch` with HTTP_PROXY opens one; resolves once established. */
async function tunnel(authority: string): Promise<{ socket: Socket; received: () => Buffer }> {
  const socket = connect(mesh.listener.port, '127.0.0.1');
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
  });
  const established = 'HTTP/1.1 200 Connection Established\r\n\r\n';
  await eventually(() => expect(buffered.toString('latin1')).toMatch(/^HTTP\/1\.1 \d{3}/), 10_000);
  expect(buffered.toString('latin1')).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\n/);
  return { socket, received: () => buffered.subarray(established.length) };
}

async function scrape(): Promise<string> {
  return (await get(telemetry.url)).text;
}

/** The series of `name` whose labels include all of `labels`: their label text and value. */
function samples(
  text: string,
  name: string,
  labels: Record<string, string>,
): { labels: string; value: number }[] {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const found: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(name.length + 1, close);
    if (wanted.every((pair) => labelText.split(',').includes(pair)))
      found.push({ labels: labelText, value: Number(line.slice(close + 2)) });
  }
  return found;
}

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const found = samples(text, name, labels);
  return found.length === 0 ? undefined : found.reduce((sum, s) => sum + s.value, 0);
}

const db = { destination_service: 'db.music.svc.cluster.local' };

describe('a connection to a TCP port, tunnelled to a TCP endpoint', () => {
  it('counts its bytes both ways while open and at close, opened and closed once, under both reporters', async () => {
    const { socket, received } = await tunnel('db.music.svc.cluster.local:9000');
    socket.write('ping\n');
    await eventually(() => expect(received().toString()).toBe('ping\n'), 10_000);
    for (const reporter of ['source', 'destination']) {
      const labels = { ...db, reporter };
      await poll(async () => {
        const text = await scrape();
        expect(value(text, 'istio_tcp_connections_opened_total', labels)).toBe(1);
        expect(value(text, 'istio_tcp_connections_closed_total', labels)).toBe(0);
        expect(value(text, 'istio_tcp_received_bytes_total', labels)).toBe(5);
        expect(value(text, 'istio_tcp_sent_bytes_total', labels)).toBe(5);
      });
    }

    socket.write(Buffer.alloc(100_000, 'x'));
    await eventually(() => expect(received().length).toBe(100_005), 10_000);
    socket.end();
    await once(socket, 'close');
    await poll(async () => {
      const text = await scrape();
      for (const reporter of ['source', 'destination']) {
        const labels = { ...db, reporter };
        expect(value(text, 'istio_tcp_connections_opened_total', labels)).toBe(1);
        expect(value(text, 'istio_tcp_connections_closed_total', labels)).toBe(1);
        expect(value(text, 'istio_tcp_received_bytes_total', labels)).toBe(100_005);
        expect(value(text, 'istio_tcp_sent_bytes_total', labels)).toBe(100_005);
      }
    });
  });

  it("labels it as Istio's TCP metrics: request_protocol tcp, no response code, the endpoint's workload", async () => {
    const text = await scrape();
    const [source] = samples(text, 'istio_tcp_connections_opened_total', { ...db, reporter: 'source' });
    expect(source?.labels).toBe(
      [
        'reporter="source"',
        'source_workload="a-v1"',
        'source_canonical_service="a"',
        'source_canonical_revision="v1"',
        'source_workload_namespace="music"',
        'source_principal="unknown"',
        'source_app="a"',
        'source_version="v1"',
        'source_cluster="Kubernetes"',
        'destination_workload="db-v1"',
        'destination_workload_namespace="music"',
        'destination_principal="unknown"',
        'destination_app="db"',
        'destination_version="v1"',
        'destination_service="db.music.svc.cluster.local"',
        'destination_canonical_service="db"',
        'destination_canonical_revision="v1"',
        'destination_service_name="db"',
        'destination_service_namespace="music"',
        'destination_cluster="Kubernetes"',
        'request_protocol="tcp"',
        'response_flags="-"',
        'connection_security_policy="unknown"',
      ].join(','),
    );
    const [destination] = samples(text, 'istio_tcp_connections_opened_total', {
      ...db,
      reporter: 'destination',
    });
    expect(destination?.labels).toContain('connection_security_policy="none"');
    expect(samples(text, 'istio_requests_total', db)).toEqual([]);
  });

  it("writes Envoy's TCP access log line on each side at close", async () => {
    await eventually(() => expect(accessLog.filter((line) => line.includes('|db.music'))).toHaveLength(1));
    const [outbound] = accessLog.filter((line) => line.includes('outbound|9000||db.music.svc.cluster.local'));
    expect(outbound).toMatch(
      /^\[\S+Z\] "- - -" 0 - - - "-" 100005 100005 \d+ - "-" "-" "-" "-" "127\.0\.0\.1:\d+" outbound\|9000\|\|db\.music\.svc\.cluster\.local 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ - -$/,
    );
    const port = (echo.address() as AddressInfo).port;
    const inbound = accessLog.filter((line) => line.includes(` inbound|${port}|| `));
    expect(inbound).toHaveLength(1);
    expect(inbound[0]).toMatch(/"- - -" 0 - - - "-" 100005 100005 /);
  });
});

describe('a connection to a TCP port that reaches no endpoint', () => {
  it('is closed at once and counted UH at the source, with no destination series', async () => {
    const socket = connect(mesh.listener.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('CONNECT idle.music.svc.cluster.local:9200 HTTP/1.1\r\nhost: idle:9200\r\n\r\n');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    await once(socket, 'close');
    expect(answer).toBe('');
    const idle = { destination_service: 'idle.music.svc.cluster.local' };
    await poll(async () => {
      const text = await scrape();
      expect(
        value(text, 'istio_tcp_connections_opened_total', {
          ...idle,
          reporter: 'source',
          response_flags: 'UH',
        }),
      ).toBe(1);
      expect(
        value(text, 'istio_tcp_connections_closed_total', {
          ...idle,
          reporter: 'source',
          response_flags: 'UH',
        }),
      ).toBe(1);
      expect(
        value(text, 'istio_tcp_connections_opened_total', { ...idle, reporter: 'destination' }),
      ).toBeUndefined();
    });
  });

  it('answers the CONNECT 503 when the endpoint refuses, counted UF', async () => {
    const socket = connect(mesh.listener.port, '127.0.0.1');
    socket.write('CONNECT down.music.svc.cluster.local:9300 HTTP/1.1\r\nhost: down:9300\r\n\r\n');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    await once(socket, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    const down = { destination_service: 'down.music.svc.cluster.local' };
    await poll(async () => {
      const text = await scrape();
      expect(
        value(text, 'istio_tcp_connections_closed_total', {
          ...down,
          reporter: 'source',
          response_flags: 'UF',
        }),
      ).toBe(1);
      expect(
        value(text, 'istio_tcp_connections_opened_total', { ...down, reporter: 'destination' }),
      ).toBeUndefined();
    });
    expect(
      accessLog.some((line) =>
        /"- - -" 0 UF .* outbound\|9300\|\|down\.music\.svc\.cluster\.local /.test(line),
      ),
    ).toBe(true);
  });
});

describe('an HTTP request sent to a TCP port in absolute form', () => {
  it('reaches the endpoint and is counted as one TCP connection, not as an HTTP request', async () => {
    const res = await get(`${mesh.listener.url}/x`, { host: 'web.music.svc.cluster.local:9100' });
    expect(res.status).toBe(200);
    expect(res.headers['x-served-by']).toBe('web');
    const labels = { destination_service: 'web.music.svc.cluster.local' };
    await poll(async () => {
      const text = await scrape();
      for (const reporter of ['source', 'destination']) {
        expect(value(text, 'istio_tcp_connections_closed_total', { ...labels, reporter })).toBe(1);
        // The request head and the response's head and body, as they crossed the port.
        expect(value(text, 'istio_tcp_received_bytes_total', { ...labels, reporter })).toBeGreaterThan(40);
        expect(value(text, 'istio_tcp_sent_bytes_total', { ...labels, reporter })).toBeGreaterThan(
          res.text.length,
        );
      }
      expect(samples(text, 'istio_requests_total', labels)).toEqual([]);
    });
    expect(mesh.records.filter((record) => record.authority.startsWith('web.'))).toEqual([]);
  });
});

/** Retries `check` until it passes: records arrive after the sockets close. */
async function poll(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('TCP traffic in the mesh console', () => {
  it('is a tcp edge with bytes per second, as Kiali draws it', async () => {
    const console = new ScrapedTelemetry({ url: telemetry.url });
    await console.scrape();
    const { socket, received } = await tunnel('db.music.svc.cluster.local:9000');
    const payload = 'x'.repeat(1_000);
    socket.write(payload);
    await eventually(() => expect(received().length).toBe(1_000), 10_000);
    socket.end();
    await once(socket, 'close');
    // Both sides count the bytes as they flow; the scrape after the close sees all of them.
    await poll(async () => {
      await console.scrape();
      const graph = buildGraph(console.window(600), {
        namespaces: ['music'],
        graphType: 'workload',
        durationSeconds: 600,
        injectServiceNodes: false,
        responseTimePercentile: 95,
      });
      const edge = graph.elements.edges.find((e) => e.data.traffic.protocol === 'tcp');
      expect(Math.round(Number(edge?.data.traffic.rates?.tcp) * graph.measuredDuration)).toBe(1_000);
    });
  });
});
