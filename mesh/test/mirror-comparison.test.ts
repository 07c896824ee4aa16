// Mirror comparison: whether the shadow answers like the primary, per route, with examples.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole } from '../console/src/server.ts';
import type { RouteComparisonSummary } from '../src/telemetry/mirror-comparison.ts';
import { poll } from './support/processes.ts';
import { backGatewayRoutes, startVersionedBack, type VersionedBack } from './support/versioned-back.ts';

const routes = backGatewayRoutes(`    - name: tracks
      route: [{ destination: { host: back, subset: v2 } }]
      mirror: { host: back, subset: v3 }
`);

describe('mirror comparison: the shadow’s answers against the primary’s', () => {
  let back: VersionedBack;

  beforeAll(async () => {
    // v3 answers /same as v2 does (in two chunks), /other with another body, /broken with a
    // 500, and breaks off /cut halfway through its body.
    back = await startVersionedBack(['v2', 'v3'], routes, (version, req, res) => {
      const path = req.url ?? '/';
      if (version === 'v3' && path.startsWith('/cut')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '16' });
        res.write('{"tra', () => res.socket?.destroy());
        return;
      }
      if (version === 'v3' && path.startsWith('/broken')) {
        res.writeHead(500).end('{"error":"v3 cannot"}');
        return;
      }
      const body = version === 'v3' && path.startsWith('/other') ? '{"tracks":[1,2,3]}' : '{"tracks":[1,2]}';
      res.writeHead(200, { 'content-type': 'application/json' });
      // v3 sends /same in two chunks, v2 in one: the same bytes must hash alike.
      if (version === 'v3' && path.startsWith('/same')) {
        res.write(body.slice(0, 5));
        setTimeout(() => res.end(body.slice(5)), 5);
      } else res.end(body);
    });
    await back.send(4, '/same');
    await back.send(2, '/other');
    await back.send(1, '/broken');
    await back.send(1, '/cut');
  });

  afterAll(() => back?.close());

  const summary = async (): Promise<RouteComparisonSummary[]> => {
    const res = await request(new URL('/stats/mirrors', back.telemetry.url));
    return ((await res.body.json()) as { routes: RouteComparisonSummary[] }).routes;
  };

  it('counts per route how often the shadow’s status and body differ, with the differing requests', async () => {
    const [route] = await poll(
      'all 8 mirrored requests compared',
      summary,
      (routes) => routes[0]?.total === 8,
    );
    expect(route).toMatchObject({
      namespace: 'music',
      primaryCluster: 'outbound|8080|v2|back.music.svc.cluster.local',
      shadowCluster: 'outbound|8080|v3|back.music.svc.cluster.local',
      total: 8,
      statusDiffers: 1,
      bodyDiffers: 3,
      // The cut copy: its body cannot be compared, so it is counted apart, not as differing.
      incomplete: 1,
    });
    expect(route?.examples.map((example) => `${example.path} ${example.primary.status}`)).toEqual([
      '/other 200',
      '/other 200',
      '/broken 200',
      '/cut 200',
    ]);
    expect(route?.examples.at(-1)?.shadow.bodyHash).toBeUndefined();
    expect([route?.examples[0]?.primary.workload, route?.examples[0]?.shadow.workload]).toEqual([
      'back-v2',
      'back-v3',
    ]);
    expect(route?.examples[0]?.shadow.bodyHash).not.toBe(route?.examples[0]?.primary.bodyHash);
  });

  it('is what the console shows for the namespace', async () => {
    const console = await startConsole({
      statsUrl: back.telemetry.url,
      port: 0,
      scrapeIntervalMs: 3_600_000,
    });
    try {
      const res = await request(`${console.url}/api/mirrors?namespaces=music`);
      expect(res.statusCode).toBe(200);
      const { routes } = (await res.body.json()) as { routes: RouteComparisonSummary[] };
      expect(routes.map((route) => [route.route, route.total, route.bodyDiffers])).toEqual([
        [expect.stringContaining('tracks'), 8, 3],
      ]);
      const other = await request(`${console.url}/api/mirrors?namespaces=shop`);
      expect(((await other.body.json()) as { routes: unknown[] }).routes).toEqual([]);
    } finally {
      await console.close();
    }
  });
});
