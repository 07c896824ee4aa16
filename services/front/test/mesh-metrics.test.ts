import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type RunningFront, startFront } from './front-server.ts';

interface Row {
  name: string;
  source: string | null;
  requestsTotal: number;
  requestRate: number;
  clientErrorRate: number;
  errorRate: number;
  latencyP50Ms: number | null;
}

/**
 * A stand-in for the mesh's /stats/prometheus. Each scrape finds, at the server side, 9 more requests
 * to back-v1 (all 200 under 5 ms), 1 more to back-v2 (a 503 under 50 ms) and 4 more to front (one of
 * them a 404); the source-side copies and another namespace's workload must not count.
 */
let scrapes = 0;
const stats: Server = createServer((_request, response) => {
  scrapes += 1;
  const n = scrapes;
  const series = (
    reporter: string,
    workload: string,
    namespace: string,
    code: string,
    count: number,
    le: string,
  ) => {
    const app = workload.replace(/-v\d+$/, '');
    const labels = `reporter="${reporter}",destination_workload="${workload}",destination_workload_namespace="${namespace}",destination_canonical_service="${app}",response_code="${code}"`;
    return [
      `istio_requests_total{${labels}} ${count}`,
      `istio_request_duration_milliseconds_bucket{${labels},le="${le}"} ${count}`,
      `istio_request_duration_milliseconds_bucket{${labels},le="+Inf"} ${count}`,
    ];
  };
  response.end(
    [
      ...series('destination', 'back-v1', 'music', '200', 9 * n, '5'),
      ...series('destination', 'back-v2', 'music', '503', n, '50'),
      ...series('destination', 'front', 'music', '200', 3 * n, '5'),
      ...series('destination', 'front', 'music', '404', n, '5'),
      // A version that joins after a few scrapes, serves 7 requests at once, then none.
      ...(n > 3 ? series('destination', 'back-v3', 'music', '200', 7, '5') : []),
      ...series('source', 'back-v1', 'music', '200', 100 * n, '5'),
      ...series('destination', 'elsewhere', 'other', '200', 7 * n, '5'),
      '',
    ].join('\n'),
  );
});

let front: RunningFront;
let token: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
  const address = stats.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  front = await startFront(
    { MESH_METRICS_URL: `http://127.0.0.1:${port}/stats/prometheus` },
    { metricsIntervalMs: 100 },
  );
  token = await front.signIn('admin', ADMIN_PASSWORD);
});

afterAll(async () => {
  await front?.close();
  stats.closeAllConnections();
  await new Promise((resolve) => stats.close(resolve));
});

describe('GET /api/metrics with the mesh metrics', () => {
  it("adds a row per workload of the namespace, from Istio's server-side metrics", async () => {
    let rows: Record<string, Row> = {};
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      const body = (await (await front.call('/api/metrics', {}, token)).json()) as { services: Row[] };
      rows = Object.fromEntries(body.services.map((row) => [row.name, row]));
      if ((rows['back-v2']?.requestRate ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(Object.keys(rows).slice(0, 4)).toEqual(['front', 'back', 'back-v1', 'back-v2']);
    for (const row of Object.values(rows)) expect(row.source).toBe('mesh');
    expect(rows['back-v1']).toMatchObject({ errorRate: 0 });
    expect(rows['back-v2']).toMatchObject({ errorRate: 1 });
    // Nine times as many requests reach v1 as v2, whatever the timer's jitter did to the interval.
    const ratio = (rows['back-v1']?.requestRate ?? 0) / (rows['back-v2']?.requestRate ?? 1);
    expect(ratio).toBeCloseTo(9, 0);
    expect(rows['back-v1']?.latencyP50Ms).toBeLessThanOrEqual(5);
    expect(rows['back-v2']?.latencyP50Ms).toBeGreaterThan(5);
  });

  it('counts the first requests of a workload that joins after front started reading the mesh', async () => {
    let row: (Row & { windowSeconds: number }) | undefined;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      const body = (await (await front.call('/api/metrics', {}, token)).json()) as {
        services: (Row & { windowSeconds: number })[];
      };
      row = body.services.find((r) => r.name === 'back-v3');
      if ((row?.requestRate ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(row?.requestsTotal).toBe(7);
    expect((row?.requestRate ?? 0) * (row?.windowSeconds ?? 0)).toBeCloseTo(7, 0);
  });

  it("gives front one card, the mesh's front workload, and back the sum of its versions", async () => {
    let rows: Record<string, Row> = {};
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      const body = (await (await front.call('/api/metrics', {}, token)).json()) as { services: Row[] };
      rows = Object.fromEntries(body.services.map((row) => [row.name, row]));
      if ((rows.front?.requestRate ?? 0) > 0 && (rows.back?.requestRate ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // front's own counters never mix in: its total is the mesh's, 4 per scrape, and its rate is
    // the mesh's scrapes apart (4 per 100 ms), not two sources' counters read a moment apart.
    expect((rows.front?.requestsTotal ?? 0) % 4).toBe(0);
    expect(rows.front?.clientErrorRate).toBe(0.25);
    expect(rows.front?.requestRate).toBeLessThan(200);
    const versions = ['back-v1', 'back-v2', 'back-v3'].map((name) => rows[name]?.requestsTotal ?? 0);
    expect(rows.back?.requestsTotal).toBe(versions.reduce((a, b) => a + b));
    // v2's 503s among all versions' requests: a tenth of v1 and v2's, less with v3's burst.
    expect(rows.back?.errorRate).toBeGreaterThan(0.05);
    expect(rows.back?.errorRate).toBeLessThanOrEqual(0.1);
  });
});
