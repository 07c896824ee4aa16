// The console's two data sources over the same traffic: the runtime's stats scraped by the console,
// and a real Prometheus (Debian's) scraping the same stats endpoint, as on a cluster.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll } from '../../test/support/processes.ts';
import { hasPrometheus, type Prometheus, startPrometheus } from '../../test/support/prometheus.ts';
import {
  backGatewayRoutes,
  startVersionedBack,
  type VersionedBack,
} from '../../test/support/versioned-back.ts';
import { buildGraph, type KialiGraph } from '../src/graph/kiali-graph.ts';
import { startConsole } from '../src/server.ts';
import { PrometheusTelemetry } from '../src/telemetry/prometheus.ts';
import { ScrapedTelemetry, type TrafficWindow } from '../src/telemetry/scraped.ts';

if (!hasPrometheus)
  process.stderr.write('mesh/console/test/prometheus-source.test.ts skipped: no prometheus on PATH\n');

const routes = backGatewayRoutes(`    - match: [{ uri: { prefix: /fail } }]
      route: [{ destination: { host: back, subset: v2 } }]
    - route:
        - { destination: { host: back, subset: v1 }, weight: 80 }
        - { destination: { host: back, subset: v2 }, weight: 20 }
`);

/**
 * Requests (or their responses' body bytes) per (reporter, source, destination, code) in a
 * window: what both sources must agree on.
 */
function counts(
  window: TrafficWindow,
  what: 'requests' | 'responseBytes' = 'requests',
): Record<string, number> {
  const result: Record<string, number> = {};
  for (const series of window.series) {
    const { labels } = series;
    const key = `${labels.reporter} ${labels.source_workload} > ${labels.destination_workload} ${labels.response_code}`;
    result[key] = (result[key] ?? 0) + (series[what] ?? 0);
  }
  return result;
}

/** Each edge's request count (rate × the seconds it was measured over), by node names. */
function edgeCounts(graph: KialiGraph): Record<string, number> {
  const name = new Map(
    graph.elements.nodes.map(({ data }) => [
      data.id,
      data.workload ?? data.service ?? data.app ?? data.nodeType,
    ]),
  );
  return Object.fromEntries(
    graph.elements.edges.map(({ data }) => [
      `${name.get(data.source)} > ${name.get(data.target)}`,
      Math.round(Number(data.traffic.rates?.http ?? 0) * graph.measuredDuration),
    ]),
  );
}

describe.skipIf(!hasPrometheus)('the console over a real Prometheus and over its own scrapes', () => {
  let back: VersionedBack;
  let prometheus: Prometheus;
  let local: ScrapedTelemetry;
  const query = async (promql: string) => {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    return Number(body.data.result[0]?.value[1] ?? Number.NaN);
  };
  const destinationTotal = () => query('sum(istio_requests_total{reporter="destination"})');
  const send = (n: number, path: string) => back.send(n, path);

  beforeAll(async () => {
    back = await startVersionedBack(['v1', 'v2'], routes, (version, req, res) => {
      res.writeHead(version === 'v2' && req.url?.startsWith('/fail') ? 503 : 200);
      res.end('{}');
    });
    const stats = new URL(back.telemetry.url);
    prometheus = await startPrometheus([stats.host], stats.pathname);
    local = new ScrapedTelemetry({ url: back.telemetry.url });
  }, 90_000);

  afterAll(async () => {
    await prometheus?.close();
    await back?.close();
  });

  it('counts the same requests per edge from both sources for the same traffic', async () => {
    // A first burst creates the series; both sources read it before the measured traffic starts.
    await send(10, '/tracks');
    await poll('Prometheus has the first burst', destinationTotal, (total) => total === 10);
    await local.scrape();
    const quietFrom = Date.now();
    await poll(
      'Prometheus scraped after the first burst',
      () => query('max(timestamp(up{job="mesh"}))'),
      (at) => at * 1000 > quietFrom,
    );

    await send(100, '/tracks');
    await send(10, '/fail');
    await poll('Prometheus has the measured traffic', destinationTotal, (total) => total === 120);
    await local.scrape();
    const seconds = (Date.now() - quietFrom) / 1000;
    const fromPrometheus = await new PrometheusTelemetry({ url: prometheus.url }).window(seconds);
    const fromScrapes = local.window(seconds);

    expect(counts(fromPrometheus)).toEqual(counts(fromScrapes));
    const total = Object.entries(counts(fromScrapes))
      .filter(([key]) => key.startsWith('destination'))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(total).toBe(110);
    // The bodies' bytes too (Kiali's throughput): two a response.
    expect(counts(fromPrometheus, 'responseBytes')).toEqual(counts(fromScrapes, 'responseBytes'));
    expect(counts(fromScrapes, 'responseBytes')['destination istio-ingressgateway > back-v1 200']).toBe(
      2 * (counts(fromScrapes)['destination istio-ingressgateway > back-v1 200'] ?? Number.NaN),
    );

    const options = {
      namespaces: ['music'],
      graphType: 'versionedApp',
      durationSeconds: 60,
      injectServiceNodes: true,
      responseTimePercentile: 95,
    } as const;
    const viaPrometheus = edgeCounts(buildGraph(fromPrometheus, options));
    expect(viaPrometheus).toEqual(edgeCounts(buildGraph(fromScrapes, options)));
    expect(viaPrometheus['istio-ingressgateway > back']).toBe(110);
  });

  it('answers the graph API from PROMETHEUS_URL, and a Prometheus that is gone as 502 problem+json', async () => {
    const console = await startConsole({
      statsUrl: 'http://127.0.0.1:1/unused',
      prometheusUrl: prometheus.url,
      port: 0,
    });
    try {
      const res = await request(
        `${console.url}/api/namespaces/graph?namespaces=music&graphType=workload&duration=5m`,
      );
      expect(res.statusCode).toBe(200);
      const graph = (await res.body.json()) as KialiGraph;
      expect(graph.elements.nodes.map((node) => node.data.workload).sort()).toEqual([
        'back-v1',
        'back-v2',
        'istio-ingressgateway',
      ]);
      const metrics = await request(
        `${console.url}/api/metrics?namespaces=music&destination=back-v2&duration=60s&step=10s`,
      );
      const { points } = (await metrics.body.json()) as {
        points: { rates: Record<string, number>; seconds: number }[];
      };
      expect(points).toHaveLength(6);
      // The 10 failing requests of the first test, somewhere in the last minute.
      expect(
        Math.round(points.reduce((sum, point) => sum + (point.rates['503'] ?? 0) * point.seconds, 0)),
      ).toBe(10);
      const traces = await request(`${console.url}/api/traces?namespaces=music`);
      expect(traces.statusCode).toBe(501);
      await traces.body.dump();
    } finally {
      await console.close();
    }
    const gone = await startConsole({
      statsUrl: 'http://127.0.0.1:1/unused',
      prometheusUrl: 'http://127.0.0.1:1',
      port: 0,
    });
    try {
      const res = await request(`${gone.url}/api/namespaces/graph?namespaces=music`);
      expect(res.statusCode).toBe(502);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(((await res.body.json()) as { detail: string }).detail).toMatch(
        /^Prometheus at http:\/\/127\.0\.0\.1:1 did not answer/,
      );
    } finally {
      await gone.close();
    }
  });
});
