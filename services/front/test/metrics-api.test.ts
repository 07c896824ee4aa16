import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../src/metrics/prometheus-text.ts';
import { ADMIN_PASSWORD, type RunningFront, startFront } from './front-server.ts';

interface ServiceFigures {
  name: string;
  health: string;
  requestsTotal: number;
  requestRate: number;
  clientErrorRate: number;
  errorRate: number;
  resetAt: string | null;
  replicasSeen: number | null;
  windowSeconds: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  sampledAt: string;
}

/**
 * A stand-in for back's management endpoints behind its Service: each scrape reaches one of
 * `replicas` processes, in turn. Every scrape of a replica finds 10 more requests there: 8 × 200 (5
 * under 10 ms, 3 under 100 ms) and 2 × 500 (under 100 ms), so any window shows a 0.2 error share, a
 * 10 ms median (rank 5 closes the first bucket) and a p99 of 10 + 90 · 4.9/5 = 98.2 ms. The second
 * replica starts with 1,000 requests already served.
 */
let replicas = 1;
const scrapesOf = [0, 100];
let backHealth: 'UP' | 'DOWN' = 'UP';
let turn = 0;
const back: Server = createServer((request, response) => {
  if (request.url === '/back/management/prometheus') {
    const replica = turn++ % replicas;
    scrapesOf[replica] = (scrapesOf[replica] ?? 0) + 1;
    response.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    response.end(backMetrics(scrapesOf[replica] ?? 0, replica));
  } else if (request.url === '/back/management/health') {
    response.statusCode = backHealth === 'UP' ? 200 : 503;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ status: backHealth }));
  } else {
    response.statusCode = 404;
    response.end();
  }
});

function backMetrics(n: number, replica: number): string {
  const series = (status: string, count: number, under10ms: number) => {
    const labels = `method="GET",route="/back/api/tracks",status="${status}"`;
    return [
      `http_server_requests_total{${labels},app="back",version="v1"} ${count}`,
      `http_server_request_duration_seconds_bucket{le="0.01",${labels},app="back",version="v1"} ${under10ms}`,
      `http_server_request_duration_seconds_bucket{le="0.1",${labels},app="back",version="v1"} ${count}`,
      `http_server_request_duration_seconds_bucket{le="+Inf",${labels},app="back",version="v1"} ${count}`,
      `http_server_request_duration_seconds_sum{${labels},app="back",version="v1"} ${count * 0.02}`,
      `http_server_request_duration_seconds_count{${labels},app="back",version="v1"} ${count}`,
    ];
  };
  return [
    '# HELP http_server_requests_total HTTP requests served, by method, route template and status.',
    '# TYPE http_server_requests_total counter',
    ...series('200', 8 * n, 5 * n),
    ...series('500', 2 * n, 0),
    'process_cpu_seconds_total 0.5',
    `process_start_time_seconds{app="back",version="v1"} ${1_700_000_000 + replica}`,
    '',
  ].join('\n');
}

let front: RunningFront;
let token: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => back.listen(0, '127.0.0.1', resolve));
  const address = back.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  front = await startFront({ BACK_URL: `http://127.0.0.1:${port}` }, { metricsIntervalMs: 100 });
  token = await front.signIn('admin', ADMIN_PASSWORD);
});

afterAll(async () => {
  await front?.close();
  back.closeAllConnections();
  await new Promise((resolve) => back.close(resolve));
});

async function services(): Promise<Record<string, ServiceFigures>> {
  const response = await front.call('/api/metrics', {}, token);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { services: ServiceFigures[] };
  return Object.fromEntries(body.services.map((s) => [s.name, s]));
}

async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('GET /api/metrics', () => {
  it("computes back's rate, error share and latency quantiles from two scrapes of its Prometheus text", async () => {
    const { back: figures } = await eventually(services, (s) => (s.back?.requestRate ?? 0) > 0);
    expect(figures).toMatchObject({
      name: 'back',
      source: 'endpoint',
      health: 'UP',
      clientErrorRate: 0,
      errorRate: 0.2,
      latencyP50Ms: 10,
      latencyP99Ms: 98.2,
    });
    expect(figures?.requestsTotal).toBeGreaterThanOrEqual(20);
    expect((figures?.requestsTotal ?? 0) % 10).toBe(0);
    // 10 requests per 100 ms scrape interval, give or take the timer's jitter.
    expect(figures?.requestRate).toBeGreaterThan(20);
    expect(figures?.requestRate).toBeLessThan(200);
    expect(Date.now() - Date.parse(figures?.sampledAt ?? '')).toBeLessThan(2_000);
  });

  it("sums back's replicas when its Service answers each scrape from one, and the total never falls", async () => {
    replicas = 2;
    await eventually(services, (s) => s.back?.replicasSeen === 2);
    const totals: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { back: figures } = await services();
      expect(figures).toMatchObject({ replicasSeen: 2, resetAt: null, errorRate: 0.2 });
      totals.push(figures?.requestsTotal ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    // Both replicas' counters: the second's 1,000 at start and more.
    expect(totals[0]).toBeGreaterThan(1_000);
    replicas = 1;
  });

  it("reports front's own health and requests from its registry", async () => {
    const { front: figures } = await eventually(services, (s) => (s.front?.requestsTotal ?? 0) >= 2);
    expect(figures).toMatchObject({ name: 'front', source: 'self', health: 'UP', errorRate: 0 });
    expect(figures?.requestsTotal).toBeGreaterThanOrEqual(2);
  });

  it('shows back DOWN when its health check says so, and when it stops answering', async () => {
    backHealth = 'DOWN';
    expect((await eventually(services, (s) => s.back?.health === 'DOWN')).back?.health).toBe('DOWN');
    backHealth = 'UP';
    expect((await eventually(services, (s) => s.back?.health === 'UP')).back?.health).toBe('UP');

    back.closeAllConnections();
    await new Promise((resolve) => back.close(resolve));
    const gone = await eventually(services, (s) => s.back?.health === 'DOWN' && s.back.requestRate === 0);
    expect(gone.back).toMatchObject({ health: 'DOWN', requestRate: 0, latencyP50Ms: null });
  });

  it('states the window and where the mesh console is', async () => {
    const body = (await (await front.call('/api/metrics', {}, token)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ windowSeconds: 60, consoleUrl: 'http://localhost:20001/console/' });
  });

  it('answers 401 without a token', async () => {
    expect((await front.call('/api/metrics')).status).toBe(401);
  });
});

describe('management', () => {
  it('answers health and readiness from the database without a token', async () => {
    const health = await front.call('/management/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'UP', components: { db: { status: 'UP' } } });
    expect(await (await front.call('/management/health/readiness')).json()).toEqual({ status: 'UP' });
    expect((await front.call('/management/health/liveness')).status).toBe(200);
  });

  it('serves Prometheus text counting requests per route template', async () => {
    await front.call('/api/admin/users/nobody', {}, token);
    const text = await (await front.call('/management/prometheus')).text();
    const samples = parsePrometheusText(text).filter((s) => s.name === 'http_server_requests_total');
    expect(samples).toContainEqual({
      name: 'http_server_requests_total',
      labels: { method: 'GET', route: '/api/admin/users/:login', status: '404', app: 'front', version: 'v1' },
      value: 1,
    });
  });
});
