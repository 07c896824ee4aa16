import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../src/errors.ts';
import {
  compile,
  eventually,
  gateway,
  get,
  type Mesh,
  refusedOrigin,
  services,
  sleep,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

const vs = (name: string, http: string, extra = '') => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
${extra}  http:
${http}`;

describe('matching', () => {
  let mesh: Mesh;
  let a: Upstream;
  let b: Upstream;
  beforeAll(async () => {
    [a, b] = await Promise.all([startUpstream('a'), startUpstream('b')]);
    const routes = `
    - name: header-exact
      match: [{ headers: { x-user: { exact: jason } } }]
      route: [{ destination: { host: b } }]
    - name: header-prefix
      match: [{ headers: { x-team: { prefix: mu } }, uri: { prefix: /t } }]
      route: [{ destination: { host: b } }]
    - name: header-regex
      match: [{ headers: { x-id: { regex: "[0-9]+" } } }]
      route: [{ destination: { host: b } }]
    - name: method
      match: [{ method: { exact: DELETE } }]
      route: [{ destination: { host: b } }]
    - name: authority
      match: [{ authority: { prefix: admin.example } }]
      route: [{ destination: { host: b } }]
    - name: query
      match: [{ queryParams: { debug: { exact: "1" } } }, { queryParams: { trace: {} } }]
      route: [{ destination: { host: b } }]
    - name: regex
      match: [{ uri: { regex: "/tracks/[0-9]+" } }]
      route: [{ destination: { host: b } }]
    - name: exact
      match: [{ uri: { exact: /exact } }]
      route: [{ destination: { host: b } }]
    - name: first
      match: [{ uri: { prefix: /both } }]
      route: [{ destination: { host: a } }]
    - name: second
      match: [{ uri: { prefix: /both } }]
      route: [{ destination: { host: b } }]
    - name: rest
      match: [{ uri: { prefix: /a } }]
      route: [{ destination: { host: a } }]
`;
    mesh = await startMesh(`${services('a', 'b')}---${gateway}${vs('m', routes)}`, [
      { name: 'a-v1-0', app: 'a', origin: a.origin },
      { name: 'b-v1-0', app: 'b', origin: b.origin },
    ]);
  });
  afterAll(async () => {
    await mesh.close();
    await Promise.all([a.close(), b.close()]);
  });

  const route = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const res = await get(`${mesh.listener.url}${path}`, headers, method);
    await eventually(() => expect(mesh.records.length).toBeGreaterThan(0));
    const record = mesh.records.pop();
    mesh.records.length = 0;
    return { status: res.status, route: record?.routeName, served: res.headers['x-served-by'] };
  };

  it('matches header exact, prefix (with uri) and regex (whole value)', async () => {
    expect((await route('/z', { 'x-user': 'jason' })).route).toBe('m.music/header-exact');
    expect((await route('/z', { 'x-user': 'jasonx' })).status).toBe(404);
    expect((await route('/tracks', { 'x-team': 'music' })).route).toBe('m.music/header-prefix');
    expect((await route('/other', { 'x-team': 'music' })).status).toBe(404);
    expect((await route('/z', { 'x-id': '42' })).route).toBe('m.music/header-regex');
    expect((await route('/z', { 'x-id': '42a' })).status).toBe(404);
  });

  it('matches method, authority and query parameters (any match block may match)', async () => {
    expect((await route('/z', {}, 'DELETE')).route).toBe('m.music/method');
    expect((await route('/z', { host: 'admin.example.com' })).route).toBe('m.music/authority');
    expect((await route('/z?debug=1')).route).toBe('m.music/query');
    expect((await route('/z?x=1&trace')).route).toBe('m.music/query');
    expect((await route('/z?debug=2')).status).toBe(404);
  });

  it('matches a uri regex against the WHOLE path, without the query string', async () => {
    expect((await route('/tracks/12?x=1')).route).toBe('m.music/regex');
    expect((await route('/tracks/12/more')).status).toBe(404);
    expect((await route('/x/tracks/12')).status).toBe(404);
    expect((await route('/exact?q=1')).route).toBe('m.music/exact');
  });

  it('takes the first matching route', async () => {
    const first = await route('/both');
    expect(first.route).toBe('m.music/first');
    expect(first.served).toBe('a');
    expect((await route('/a/x')).route).toBe('m.music/rest');
  });

  it('refuses at apply time a regex RE2 refuses (backreference, lookahead)', () => {
    for (const regex of ['(a)\\\\1', '/x(?=y)']) {
      expect(() =>
        compile(
          `${services('a')}---${gateway}${vs('bad', `    - match: [{ uri: { regex: "${regex}" } }]\n      route: [{ destination: { host: a } }]\n`)}`,
        ),
      ).toThrow(ManifestError);
    }
  });
});

describe('destinations, subsets and failures', () => {
  let mesh: Mesh;
  const ups: Record<string, Upstream> = {};
  beforeAll(async () => {
    for (const name of ['v1', 'v2', 'other']) ups[name] = await startUpstream(name);
    const dr = `---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
    - { name: v9, labels: { version: v9 } }
`;
    const routes = `
    - name: weighted
      match: [{ uri: { prefix: /weighted } }]
      route:
        - { destination: { host: back, subset: v1 }, weight: 90 }
        - { destination: { host: back, subset: v2 }, weight: 10 }
    - name: undefined-subset
      match: [{ uri: { prefix: /nc } }]
      route: [{ destination: { host: back, subset: v3 } }]
    - name: empty-subset
      match: [{ uri: { prefix: /uh } }]
      route: [{ destination: { host: back, subset: v9 } }]
    - name: refused
      match: [{ uri: { prefix: /refused } }]
      route: [{ destination: { host: refused } }]
    - name: all
      match: [{ uri: { prefix: /all } }]
      route: [{ destination: { host: back } }]
`;
    mesh = await startMesh(`${services('back', 'refused')}---${gateway}${dr}${vs('back-gw', routes)}`, [
      { name: 'back-v1-0', app: 'back', version: 'v1', origin: (ups.v1 as Upstream).origin },
      { name: 'back-v2-0', app: 'back', version: 'v2', origin: (ups.v2 as Upstream).origin },
      { name: 'refused-0', app: 'refused', origin: await refusedOrigin() },
    ]);
  });
  afterAll(async () => {
    await mesh.close();
    await Promise.all(Object.values(ups).map((u) => u.close()));
  });

  it('splits 90/10 by weight within a binomial bound (N=2000, ±4σ)', async () => {
    const n = 2000;
    let v2 = 0;
    const batch = 50;
    for (let i = 0; i < n; i += batch) {
      const results = await Promise.all(
        Array.from({ length: batch }, () => get(`${mesh.listener.url}/weighted`)),
      );
      for (const r of results) if (r.headers['x-served-by'] === 'v2') v2++;
    }
    const sigma = Math.sqrt(n * 0.1 * 0.9);
    expect(Math.abs(v2 - n * 0.1)).toBeLessThan(4 * sigma);
    mesh.records.length = 0;
  });

  it('answers 503 NC for a subset no DestinationRule defines', async () => {
    const res = await get(`${mesh.listener.url}/nc`);
    expect(res.status).toBe(503);
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('NC'));
    mesh.records.length = 0;
  });

  it('answers 503 UH "no healthy upstream" for a subset without ready endpoints', async () => {
    const res = await get(`${mesh.listener.url}/uh`);
    expect(res.status).toBe(503);
    expect(res.text).toBe('no healthy upstream');
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('UH'));
    expect(mesh.records.at(-1)?.upstreamCluster).toBe('outbound|8080|v9|back.music.svc.cluster.local');
    mesh.records.length = 0;
  });

  // Two proxies per hop: the app's inbound side answers its refusal 503 UF, so the caller sees a
  // 503 answer, which Istio's default policy (no retriable status code) does not retry. The body is
  // router.cc onUpstreamReset's, with connection_impl.cc's transport failure reason (strerror).
  it("answers 503 UF from the refusing app's inbound side, not retried by the default policy", async () => {
    mesh.inbound.length = 0;
    const res = await get(`${mesh.listener.url}/refused`);
    expect(res.status).toBe(503);
    expect(res.text).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused',
    );
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('-'));
    expect(mesh.records.at(-1)?.status).toBe(503);
    await eventually(() => expect(mesh.inbound.map((r) => r.responseFlags)).toEqual(['UF']));
    expect(mesh.inbound[0]).toMatchObject({
      status: 503,
      upstreamCluster: expect.stringMatching(/^inbound\|\d+\|\|$/),
    });
    mesh.records.length = 0;
  });

  it('sends a subset-less destination to every endpoint of the Service', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 40; i++)
      served.add(String((await get(`${mesh.listener.url}/all`)).headers['x-served-by']));
    expect(served).toEqual(new Set(['v1', 'v2']));
    mesh.records.length = 0;
  });

  it('publishes a RequestRecord with source, destination, cluster, route and flags', async () => {
    await get(`${mesh.listener.url}/weighted`, { 'x-request-id': 'rid-1', 'user-agent': 'test-agent' });
    await eventually(() => expect(mesh.records.length).toBe(1));
    const record = mesh.records[0];
    expect(record).toMatchObject({
      method: 'GET',
      path: '/weighted',
      status: 200,
      responseFlags: '-',
      requestId: 'rid-1',
      userAgent: 'test-agent',
      routeName: 'back-gw.music/weighted',
      mirror: false,
      source: { workload: 'istio-ingressgateway', namespace: 'istio-system' },
      destination: {
        app: 'back',
        namespace: 'music',
        service: 'back.music.svc.cluster.local',
        serviceName: 'back',
      },
    });
    expect(record?.upstreamCluster).toMatch(/^outbound\|8080\|v[12]\|back\.music\.svc\.cluster\.local$/);
    expect(record?.destination?.workload).toMatch(/^back-v[12]$/);
    expect(record?.upstreamServiceTimeMs).toBeGreaterThanOrEqual(0);
    mesh.records.length = 0;
  });
});

describe('retries and timeouts', () => {
  let mesh: Mesh;
  let flaky: Upstream;
  let slow: Upstream;
  let failing: Upstream;
  beforeAll(async () => {
    flaky = await startUpstream('flaky', (req, res, count) => {
      // Fails the first request of each test path, then answers.
      const fail = count % 2 === 1;
      res.writeHead(fail ? 503 : 200, {
        'x-served-by': 'flaky',
        'x-attempt': String(req.headers['x-envoy-attempt-count']),
      });
      res.end(fail ? 'unavailable' : 'ok');
    });
    slow = await startUpstream('slow', (req, res) => {
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
      setTimeout(() => {
        res.writeHead(200, { 'x-served-by': 'slow' });
        res.end('late');
      }, delay);
    });
    failing = await startUpstream('failing', (_req, res) => {
      res.writeHead(503);
      res.end('down');
    });
    const routes = `
    - name: retry-5xx
      match: [{ uri: { prefix: /retry } }]
      route: [{ destination: { host: flaky } }]
      retries: { attempts: 2, retryOn: 5xx }
    - name: default-retry
      match: [{ uri: { prefix: /default } }]
      route: [{ destination: { host: failing } }]
    - name: exhausted
      match: [{ uri: { prefix: /exhausted } }]
      route: [{ destination: { host: failing } }]
      retries: { attempts: 2, retryOn: "gateway-error" }
    - name: per-try
      match: [{ uri: { prefix: /per-try } }]
      route: [{ destination: { host: slow } }]
      retries: { attempts: 1, perTryTimeout: 100ms, retryOn: "5xx" }
    - name: timeout
      match: [{ uri: { prefix: /timeout } }]
      route: [{ destination: { host: slow } }]
      timeout: 0.2s
`;
    mesh = await startMesh(`${services('flaky', 'slow', 'failing')}---${gateway}${vs('r', routes)}`, [
      { name: 'flaky-0', app: 'flaky', origin: flaky.origin },
      { name: 'slow-0', app: 'slow', origin: slow.origin },
      { name: 'failing-0', app: 'failing', origin: failing.origin },
    ]);
  });
  afterAll(async () => {
    await mesh.close();
    await Promise.all([flaky.close(), slow.close(), failing.close()]);
  });

  it('retries a 503 with retryOn 5xx and succeeds on the second attempt, with x-envoy-attempt-count', async () => {
    const res = await get(`${mesh.listener.url}/retry`);
    expect(res.status).toBe(200);
    expect(res.headers['x-attempt']).toBe('2');
    expect(flaky.seen.map((s) => s.headers['x-envoy-attempt-count'])).toEqual(['1', '2']);
  });

  it('does not retry a 503 under the default policy (Istio ≥1.24: no retriable status codes)', async () => {
    const before = failing.seen.length;
    const res = await get(`${mesh.listener.url}/default`);
    expect(res.status).toBe(503);
    expect(failing.seen.length - before).toBe(1);
  });

  it('flags URX when every attempt got a retriable status', async () => {
    mesh.records.length = 0;
    const before = failing.seen.length;
    const res = await get(`${mesh.listener.url}/exhausted`);
    expect(res.status).toBe(503);
    expect(failing.seen.length - before).toBe(3);
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('URX'));
  });

  it('answers 504 UT when every per-try timeout expires', async () => {
    mesh.records.length = 0;
    const before = slow.seen.length;
    const res = await get(`${mesh.listener.url}/per-try?ms=400`);
    expect(res.status).toBe(504);
    expect(res.text).toBe('upstream request timeout');
    expect(slow.seen.length - before).toBe(2);
    expect(res.ms).toBeLessThan(380);
    // Envoy prints flags in the order it set them: the retry limit, then the last try's timeout.
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('URX,UT'));
  });

  it('answers 504 UT "upstream request timeout" when the route timeout expires', async () => {
    mesh.records.length = 0;
    const res = await get(`${mesh.listener.url}/timeout?ms=1000`);
    expect(res.status).toBe(504);
    expect(res.text).toBe('upstream request timeout');
    expect(res.ms).toBeLessThan(800);
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('UT'));
    const fast = await get(`${mesh.listener.url}/timeout?ms=10`);
    expect(fast.status).toBe(200);
  });
});

describe('faults', () => {
  let mesh: Mesh;
  let up: Upstream;
  beforeAll(async () => {
    up = await startUpstream('f');
    const routes = `
    - name: abort-all
      match: [{ uri: { prefix: /abort-all } }]
      route: [{ destination: { host: f } }]
      fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }
    - name: abort-half
      match: [{ uri: { prefix: /abort-half } }]
      route: [{ destination: { host: f } }]
      fault: { abort: { httpStatus: 500, percentage: { value: 50 } } }
    - name: abort-unset
      match: [{ uri: { prefix: /abort-unset } }]
      route: [{ destination: { host: f } }]
      fault: { abort: { httpStatus: 500 } }
    - name: delay
      match: [{ uri: { prefix: /delay } }]
      route: [{ destination: { host: f } }]
      fault: { delay: { fixedDelay: 300ms, percentage: { value: 100 } } }
`;
    mesh = await startMesh(`${services('f')}---${gateway}${vs('fault', routes)}`, [
      { name: 'f-0', app: 'f', origin: up.origin },
    ]);
  });
  afterAll(async () => {
    await mesh.close();
    await up.close();
  });

  it('aborts with the given status and flag FI', async () => {
    const res = await get(`${mesh.listener.url}/abort-all`);
    expect(res.status).toBe(418);
    expect(res.text).toBe('fault filter abort');
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('FI'));
  });

  it('aborts about the given percentage (N=400, 50% ± 4σ)', async () => {
    const results = await Promise.all(
      Array.from({ length: 400 }, () => get(`${mesh.listener.url}/abort-half`)),
    );
    const aborted = results.filter((r) => r.status === 500).length;
    expect(Math.abs(aborted - 200)).toBeLessThan(4 * Math.sqrt(400 * 0.25));
  });

  it('injects nothing when the percentage is omitted', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => get(`${mesh.listener.url}/abort-unset`)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
  });

  it('delays with flag DI', async () => {
    mesh.records.length = 0;
    const res = await get(`${mesh.listener.url}/delay`);
    expect(res.status).toBe(200);
    expect(res.ms).toBeGreaterThanOrEqual(290);
    await eventually(() => expect(mesh.records.at(-1)?.responseFlags).toBe('DI'));
  });
});

describe('mirror', () => {
  let mesh: Mesh;
  let primary: Upstream;
  let slowMirror: Upstream;
  let sampled: Upstream;
  beforeAll(async () => {
    primary = await startUpstream('primary');
    slowMirror = await startUpstream('mirror', (_req, res) => {
      setTimeout(() => {
        res.writeHead(200);
        res.end('mirror');
      }, 2_000);
    });
    sampled = await startUpstream('sampled');
    const dr = `---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }, { name: v3, labels: { version: v3 } }]
`;
    const routes = `
    - name: slow-mirror
      match: [{ uri: { prefix: /slow } }]
      route: [{ destination: { host: back, subset: v1 } }]
      mirror: { host: back, subset: v2 }
    - name: down-mirror
      match: [{ uri: { prefix: /down } }]
      route: [{ destination: { host: back, subset: v1 } }]
      mirror: { host: down }
    - name: sampled
      match: [{ uri: { prefix: /sampled } }]
      route: [{ destination: { host: back, subset: v1 } }]
      mirror: { host: back, subset: v3 }
      mirrorPercentage: { value: 25 }
    - name: none
      match: [{ uri: { prefix: /none } }]
      route: [{ destination: { host: back, subset: v1 } }]
`;
    mesh = await startMesh(`${services('back', 'down')}---${gateway}${dr}${vs('mirror', routes)}`, [
      { name: 'back-v1-0', app: 'back', version: 'v1', origin: primary.origin },
      { name: 'back-v2-0', app: 'back', version: 'v2', origin: slowMirror.origin },
      { name: 'back-v3-0', app: 'back', version: 'v3', origin: sampled.origin },
      { name: 'down-0', app: 'down', origin: await refusedOrigin() },
    ]);
  });
  afterAll(async () => {
    await mesh.close();
    await Promise.all([primary.close(), slowMirror.close(), sampled.close()]);
  });

  const median = async (path: string) => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await get(`${mesh.listener.url}${path}`, { host: 'music.example.com' });
      expect(res.status).toBe(200);
      times.push(res.ms);
    }
    return times.sort((x, y) => x - y)[10] as number;
  };

  it('keeps the primary as fast when the mirror target takes 2 s, and sends it the -shadow authority', async () => {
    const baseline = await median('/none');
    const mirrored = await median('/slow');
    expect(mirrored).toBeLessThan(baseline + 20);
    await eventually(() => expect(slowMirror.seen.length).toBeGreaterThan(0));
    expect(slowMirror.seen[0]?.headers.host).toBe('music.example.com-shadow');
    expect(primary.seen.at(-1)?.headers.host).toBe('music.example.com');
  });

  it('keeps the primary answering when the mirror target is down', async () => {
    const baseline = await median('/none');
    const mirrored = await median('/down');
    expect(mirrored).toBeLessThan(baseline + 20);
  });

  it('mirrors about mirrorPercentage of requests (N=400, 25% ± 4σ), and records them as mirror', async () => {
    mesh.records.length = 0;
    for (let i = 0; i < 400; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => get(`${mesh.listener.url}/sampled`)));
    }
    await sleep(100);
    expect(Math.abs(sampled.seen.length - 100)).toBeLessThan(4 * Math.sqrt(400 * 0.25 * 0.75));
    // The copies are recorded by the mirror target's inbound side, never by the caller.
    await eventually(() =>
      expect(mesh.inbound.filter((r) => r.mirror && r.path === '/sampled').length).toBe(sampled.seen.length),
    );
    expect(mesh.records.filter((r) => r.mirror)).toEqual([]);
  });
});

describe('rewrite, redirect and headers', () => {
  let mesh: Mesh;
  let up: Upstream;
  beforeAll(async () => {
    up = await startUpstream('h', (req, res) => {
      res.writeHead(200, { 'x-served-by': 'h', 'x-upstream-secret': 's', 'x-kept': 'k' });
      res.end(JSON.stringify({ url: req.url }));
    });
    const routes = `
    - name: rewrite
      match: [{ uri: { prefix: /old } }]
      rewrite: { uri: /new, authority: internal.music }
      route: [{ destination: { host: h } }]
    - name: regex-rewrite
      match: [{ uri: { prefix: /v1/ } }]
      rewrite: { uriRegexRewrite: { match: "^/v1/(.*)$", rewrite: "/api/\\\\1" } }
      route: [{ destination: { host: h } }]
    - name: redirect
      match: [{ uri: { exact: /moved } }]
      redirect: { uri: /elsewhere, authority: new.example.com }
    - name: headers
      match: [{ uri: { prefix: /headers } }]
      headers:
        request: { set: { x-set: route }, add: { x-added: one }, remove: [x-remove-me] }
        response: { set: { x-resp: route }, remove: [x-upstream-secret] }
      route:
        - destination: { host: h }
          headers: { request: { set: { x-dest: dest } }, response: { add: { x-dest-resp: yes } } }
`;
    mesh = await startMesh(`${services('h')}---${gateway}${vs('rw', routes)}`, [
      { name: 'h-0', app: 'h', origin: up.origin },
    ]);
  });
  afterAll(async () => {
    await mesh.close();
    await up.close();
  });

  it('rewrites the matched prefix and the authority', async () => {
    const res = await get(`${mesh.listener.url}/old/path?q=1`);
    expect(JSON.parse(res.text)).toEqual({ url: '/new/path?q=1' });
    expect(up.seen.at(-1)?.headers.host).toBe('internal.music');
  });

  it('rewrites with uriRegexRewrite (RE2 substitution)', async () => {
    const res = await get(`${mesh.listener.url}/v1/tracks?x=2`);
    expect(JSON.parse(res.text)).toEqual({ url: '/api/tracks?x=2' });
  });

  it('redirects with 301 and a Location built from the request', async () => {
    const res = await get(`${mesh.listener.url}/moved?x=1`);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('http://new.example.com/elsewhere?x=1');
  });

  it('sets, adds and removes request and response headers at route and destination level', async () => {
    const res = await get(`${mesh.listener.url}/headers`, { 'x-set': 'client', 'x-remove-me': '1' });
    const seen = up.seen.at(-1)?.headers;
    expect(seen?.['x-set']).toBe('route');
    expect(seen?.['x-added']).toBe('one');
    expect(seen?.['x-dest']).toBe('dest');
    expect(seen?.['x-remove-me']).toBeUndefined();
    expect(seen?.['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(res.headers['x-resp']).toBe('route');
    expect(res.headers['x-dest-resp']).toBe('yes');
    expect(res.headers['x-kept']).toBe('k');
    expect(res.headers['x-upstream-secret']).toBeUndefined();
    expect(Number(res.headers['x-envoy-upstream-service-time'])).toBeGreaterThanOrEqual(0);
  });

  it('keeps an incoming traceparent', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await get(`${mesh.listener.url}/headers`, { traceparent });
    expect(up.seen.at(-1)?.headers.traceparent).toBe(traceparent);
  });
});

describe('connection pool and outlier detection', () => {
  let mesh: Mesh;
  let slow: Upstream;
  let bad: Upstream;
  let good: Upstream;
  beforeAll(async () => {
    slow = await startUpstream('slow', (_req, res) => {
      setTimeout(() => {
        res.writeHead(200);
        res.end('ok');
      }, 300);
    });
    bad = await startUpstream('bad', (_req, res) => {
      res.writeHead(500, { 'x-served-by': 'bad' });
      res.end('bad');
    });
    good = await startUpstream('good');
    const rules = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: limited, namespace: music }
spec:
  host: limited
  trafficPolicy:
    connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: pair, namespace: music }
spec:
  host: pair
  trafficPolicy:
    loadBalancer: { simple: ROUND_ROBIN }
    outlierDetection: { consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50 }
`;
    const routes = `
    - name: limited
      match: [{ uri: { prefix: /limited } }]
      route: [{ destination: { host: limited } }]
    - name: pair
      match: [{ uri: { prefix: /pair } }]
      route: [{ destination: { host: pair } }]
`;
    mesh = await startMesh(`${services('limited', 'pair')}---${gateway}${rules}${vs('cp', routes)}`, [
      { name: 'limited-0', app: 'limited', origin: slow.origin },
      { name: 'pair-bad-0', app: 'pair', origin: bad.origin },
      { name: 'pair-good-0', app: 'pair', origin: good.origin },
    ]);
  });
  afterAll(async () => {
    await mesh.close();
    await Promise.all([slow.close(), bad.close(), good.close()]);
  });

  it('answers overflow with 503 UO and x-envoy-overloaded: true', async () => {
    mesh.records.length = 0;
    const results = await Promise.all(Array.from({ length: 5 }, () => get(`${mesh.listener.url}/limited`)));
    const ok = results.filter((r) => r.status === 200);
    const overflow = results.filter((r) => r.status === 503);
    expect(ok.length).toBe(2);
    expect(overflow.length).toBe(3);
    expect(overflow[0]?.headers['x-envoy-overloaded']).toBe('true');
    await eventually(() => expect(mesh.records.filter((r) => r.responseFlags === 'UO').length).toBe(3));
  });

  it('ejects a replica after consecutive 5xx and sends everything to the healthy one', async () => {
    const served: string[] = [];
    for (let i = 0; i < 20; i++)
      served.push(String((await get(`${mesh.listener.url}/pair`)).headers['x-served-by']));
    expect(served.filter((s) => s === 'bad').length).toBe(2);
    expect(served.slice(-10).every((s) => s === 'good')).toBe(true);
  });
});
