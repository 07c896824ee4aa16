// The console's Explain and Mirror comparison pages in a real browser over a real runtime: back in
// three versions as local programs (the tracks route 90/10 between v1 and v2, the canary route
// all to v2, both mirrored to v3, which answers /broken with a 500), its admin API for explain and
// its stats for the mirror comparison; then the same runtime stopped, and a console reading a
// Prometheus.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, saveScreenshot } from '../../../test/support/browser.ts';
import { type Runtime, startRuntime } from '../../src/index.ts';
import { defaultTiming } from '../../src/workloads/replica.ts';
import { get } from '../../test/support/mesh-harness.ts';
import { poll, temporaryDataDir } from '../../test/support/processes.ts';
import { type Console, startConsole } from '../src/server.ts';
import { buildCommand } from '../src/static.ts';

const versions = ['v1', 'v2', 'v3'];

const deployment = (version: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: back-${version}, namespace: music, labels: { app: back, version: ${version} } }
spec:
  replicas: 1
  selector: { matchLabels: { app: back, version: ${version} } }
  template:
    metadata: { labels: { app: back, version: ${version} } }
    spec:
      containers:
        - name: back
          image: test/back:1
          ports: [{ name: http, containerPort: 8080 }]
          env:
            - name: APP_VERSION
              valueFrom: { fieldRef: { fieldPath: "metadata.labels['version']" } }
`;

const manifests = `apiVersion: v1
kind: Service
metadata: { name: back, namespace: music, labels: { app: back } }
spec:
  selector: { app: back }
  ports: [{ name: http, port: 8080, targetPort: http }]
---${versions.map(deployment).join('---')}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: music-gateway, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets: [${versions.map((v) => `{ name: ${v}, labels: { version: ${v} } }`).join(', ')}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back, namespace: music }
spec:
  hosts: [localhost]
  gateways: [music-gateway]
  http:
    - name: canary
      match: [{ headers: { x-canary: { exact: "true" } }, uri: { prefix: /back/ } }]
      rewrite: { uri: / }
      route: [{ destination: { host: back, subset: v2 } }]
      mirror: { host: back, subset: v3 }
    - name: tracks
      match: [{ uri: { prefix: /back/ } }]
      rewrite: { uri: / }
      route:
        - { destination: { host: back, subset: v1 }, weight: 90 }
        - { destination: { host: back, subset: v2 }, weight: 10 }
      mirror: { host: back, subset: v3 }
      timeout: 5s
      retries: { attempts: 2, retryOn: 5xx }
`;

// Every version answers alike, but v3 answers /broken with a 500, a little later.
const server = `import { createServer } from 'node:http';
const version = process.env.APP_VERSION;
createServer((req, res) => {
  const broken = version === 'v3' && req.url.startsWith('/broken');
  setTimeout(() => {
    res.writeHead(broken ? 500 : 200, { 'content-type': 'application/json' });
    res.end(broken ? '{"error":"v3 cannot"}' : '{"tracks":[1,2]}');
  }, version === 'v3' ? 15 : 0);
}).listen(Number(process.env.PORT), process.env.HOST);
`;

describe('the console’s explain and mirror comparison pages', () => {
  let dir: string;
  let runtime: Runtime;
  let ingressUrl: string;
  let console: Console;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(new URL('../dist/browser/index.html', import.meta.url)))
      throw new Error(`the console's pages are not built: run \`${buildCommand}\` (npm test does)`);
    dir = await temporaryDataDir('console-explain-');
    await mkdir(join(dir, 'deploy'));
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'deploy', 'back.yaml'), manifests);
    await writeFile(join(dir, 'back.mjs'), server);
    await writeFile(
      join(dir, 'profile.yaml'),
      `kind: LocalProfile
name: Explain
manifests: [deploy]
namespace: music
workingDir: .
programs:
  test/back:
    command: [${JSON.stringify(process.execPath)}, back.mjs]
`,
    );
    runtime = await startRuntime({
      profile: join(dir, 'profile.yaml'),
      port: 0,
      adminPort: 0,
      statsPort: 0,
      dataDir: join(dir, 'data'),
      timing: { ...defaultTiming, backoffMs: { initial: 100, max: 1_000 }, stopGraceMs: 3_000 },
      readyTimeoutMs: 30_000,
    });
    // The VirtualService's host: the ingress as a browser on this machine names it.
    ingressUrl = `http://localhost:${new URL(runtime.url).port}`;
    console = await startConsole({
      statsUrl: runtime.statsUrl,
      runtimeDataDir: join(dir, 'data'),
      port: 0,
      scrapeIntervalMs: 3_600_000,
      pages: { ingressUrl, namespace: 'music' },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await console?.close();
    await runtime?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // What a user reads: a step's heading and its lines apart, as laid out (textContent runs them together).
  const text = async (locator: ReturnType<Page['locator']>) =>
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted
    (await locator.innerText()).replace(/\s+/g, ' ').trim();
  const step = (id: string) => page.locator(`ol.steps > li[data-step="${id}"]`);
  const stepText = (id: string) => text(step(id));
  const alert = () => page.getByRole('alert');

  it('explains a path-only link from a trace on the ingress: the VirtualService, its routes and subsets', async () => {
    await page.goto(`${console.url}/console/explain?url=/back/tracks&method=GET`);
    await expect
      .poll(() => page.getByLabel('URL').inputValue(), { timeout: 20_000 })
      .toBe(`${ingressUrl}/back/tracks`);
    await expect
      .poll(() => text(page.getByRole('status')), { timeout: 20_000 })
      .toBe(`Explained GET ${ingressUrl}/back/tracks`);
    expect(await stepText('listener')).toContain('Gateway music/music-gateway');
    const host = await stepText('host');
    expect(host).toContain('virtual host localhost, from music/back');
    // Where the VirtualService was written, with its line.
    expect(host).toMatch(/VirtualService music\/back from \S*deploy\/back\.yaml:\d+ \(document \d+\)/);
    expect(await stepText('routes')).toContain(
      '✘ back.music/canary: header x-canary exact true does not hold ✔ back.music/tracks',
    );
    expect(await stepText('route')).toContain('back.music/tracks of VirtualService music/back: route');
    const destination = await stepText('destinations');
    expect(destination).toContain('back subset v1 90%, back subset v2 10%, split by weight');
    expect(destination).toContain('back subset v1 port 8080: 90% (weight 90)');
    expect(destination).toContain('DestinationRule music/back');
    expect(await stepText('mirror')).toContain('a copy to back subset v3 (100% of requests)');
    expect(await stepText('policy')).toContain('timeout 5000ms, retries up to 2 on 5xx');
    expect(await stepText('endpoints')).toContain('back subset v1: back-v1-0 back subset v2: back-v2-0');
    expect(await alert().count()).toBe(0);
    await saveScreenshot(page, 'console-explain');
    // The raw answer, behind its disclosure.
    await page.getByText('Raw JSON').click();
    expect(await page.locator('details pre').textContent()).toContain(
      '"cluster": "outbound|8080|v1|back.music.svc.cluster.local"',
    );
  });

  it('keeps the form in the URL: a header takes the canary route, and a reload explains it again', async () => {
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.getByLabel('Header 1 name').fill('x-canary');
    await page.getByLabel('Header 1 value').fill('true');
    await page.getByLabel('Method').selectOption('POST');
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    await expect.poll(() => stepText('routes'), { timeout: 20_000 }).toContain('back.music/canary matched');
    const query = new URL(page.url()).searchParams;
    expect([query.get('url'), query.get('method'), query.getAll('h')]).toEqual([
      `${ingressUrl}/back/tracks`,
      'POST',
      ['x-canary:true'],
    ]);
    await page.reload();
    await expect.poll(() => stepText('destinations'), { timeout: 20_000 }).toContain('back subset v2 100%');
    expect(await page.getByLabel('Method').inputValue()).toBe('POST');
    expect(await page.getByLabel('Header 1 name').inputValue()).toBe('x-canary');
    expect(await page.getByLabel('Header 1 value').inputValue()).toBe('true');
    expect(await text(page.getByRole('status'))).toBe(`Explained POST ${ingressUrl}/back/tracks`);
  });

  it('shows NR and the reason for a host no VirtualService serves', async () => {
    await page.getByRole('button', { name: 'Remove header 1' }).click();
    await page.getByLabel('URL').fill('http://other.example.com/back/tracks');
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    await expect
      .poll(() => stepText('unrouted'), { timeout: 20_000 })
      .toBe(
        'Not routed NR no VirtualService bound to music/music-gateway has a host matching other.example.com',
      );
    expect(await step('unrouted').getAttribute('class')).toContain('failed');
    expect(await stepText('host')).toContain('no virtual host for other.example.com');
    expect(new URL(page.url()).searchParams.getAll('h')).toEqual([]);
  });

  it('explains a request from a workload inside the mesh, and names what is wrong in an alert', async () => {
    await page.goto(
      `${console.url}/console/explain?url=${encodeURIComponent('http://back:8080/tracks')}&from=back-v1`,
    );
    await expect
      .poll(() => stepText('listener'), { timeout: 20_000 })
      .toContain('GET back:8080/tracks leaves music/back-v1 through its sidecar (mesh)');
    expect(await page.getByLabel(/From workload/).inputValue()).toBe('back-v1');

    await page.getByLabel(/From workload/).fill('nobody');
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    await expect.poll(() => text(alert()), { timeout: 20_000 }).toBe('deployments.apps "nobody" not found');
    expect(await page.locator('ol.steps').count()).toBe(0);

    await page.goto(`${console.url}/console/explain?url=localhost:8080/back&method=GET`);
    await expect
      .poll(() => text(alert()), { timeout: 20_000 })
      .toBe(
        'URL: needs its scheme, http:// or https:// (got localhost:8080/back; e.g. http://localhost:8080/back)',
      );
    await page.goto(`${console.url}/console/explain?url=/back/tracks&method=FROB`);
    await expect
      .poll(() => text(alert()), { timeout: 20_000 })
      .toBe('Method: FROB is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
    // The link's method stays on show until another is picked.
    expect(await page.getByLabel('Method').inputValue()).toBe('FROB');
    await page.getByLabel('Method').selectOption('GET');
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    await expect
      .poll(() => text(page.getByRole('status')), { timeout: 20_000 })
      .toBe(`Explained GET ${ingressUrl}/back/tracks`);
    expect(await alert().count()).toBe(0);
  });

  it('says how to mirror while nothing is mirrored, then compares the shadow’s answers every 10 s', async () => {
    await page.clock.install();
    await page.goto(`${console.url}/console/mirrors`);
    await expect
      .poll(() => text(page.locator('.empty')), { timeout: 20_000 })
      .toBe(
        `No mirrored request in music yet. Mirroring is set with mirror: on a VirtualService route, e.g. mirror: { host: back, subset: v3 } beside its route:; then send requests through it to ${ingressUrl}.`,
      );
    expect(await text(page.getByRole('status'))).toMatch(/^Refreshed every 10 s · updated \d\d:\d\d:\d\d$/);

    // The canary route: 40 requests to v2, mirrored to v3, 10 of which v3 answers 500.
    for (let i = 0; i < 30; i++)
      await get(`${runtime.url}/back/tracks`, { host: 'localhost', 'x-canary': 'true' });
    for (let i = 0; i < 10; i++)
      await get(`${runtime.url}/back/broken`, { host: 'localhost', 'x-canary': 'true' });
    await poll(
      'all 40 mirrored requests compared',
      async () => {
        const res = await fetch(`${console.url}/api/mirrors?namespaces=music`);
        return ((await res.json()) as { routes: { total: number }[] }).routes[0]?.total;
      },
      (total) => total === 40,
    );
    await page.clock.runFor(10_000);
    const row = page.locator('table.routes tbody tr[data-route="canary"]');
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    const cells = await row.locator('th, td').allTextContents();
    expect(cells.map((cell) => cell.replace(/\s+/g, ' ').trim())).toEqual([
      'music/back canary',
      'back v2 → back v3',
      '40',
      '10 (25%)',
      '10 (25%)',
      expect.stringMatching(/^[\d.]+ ms \/ [\d.]+ ms \([+−][\d.]+ ms\)$/),
      'status differs in 25% (10 of 40), body in 25% (10 of 40)',
    ]);
    expect(await page.locator('.empty').count()).toBe(0);

    const examples = page.locator('details.examples[data-route="canary"]');
    await examples.locator('summary').click();
    const first = examples.locator('tbody tr').first();
    const example = (await first.locator('th, td').allTextContents()).map((cell) => cell.trim());
    expect(example.slice(0, 2)).toEqual(['GET /back/broken', '200']);
    expect(example[4]).toBe('500');
    expect(example[7]).toMatch(/^[0-9a-f-]{36}$/);
    expect(example[3]).not.toBe(example[6]);
    expect(await examples.locator('tbody tr').count()).toBe(10);
    await saveScreenshot(page, 'console-mirrors');
  });

  it('shows the console’s problem when the runtime is down, keeping the last comparison', async () => {
    await runtime.stop();
    await page.clock.runFor(10_000);
    await expect
      .poll(() => text(alert()), { timeout: 20_000 })
      .toMatch(/^The mirror comparison could not be read: the runtime's mirrors: /);
    expect(await page.locator('table.routes tbody tr').count()).toBe(1);

    await page.goto(`${console.url}/console/explain?url=/back/tracks`);
    await expect.poll(() => text(alert()), { timeout: 20_000 }).toMatch(/^no mesh runtime found: /);
    expect(await page.locator('ol.steps').count()).toBe(0);
  });

  it('shows the API’s 501 on a console that reads a Prometheus', async () => {
    const prometheus = await startConsole({
      statsUrl: runtime.statsUrl,
      prometheusUrl: 'http://127.0.0.1:9',
      port: 0,
      pages: { ingressUrl, namespace: 'music' },
    });
    try {
      await page.goto(`${prometheus.url}/console/mirrors`);
      await expect
        .poll(() => text(alert()), { timeout: 20_000 })
        .toBe('The mirror comparison could not be read: the mirror comparison comes from the local runtime');
      await page.goto(`${prometheus.url}/console/explain?url=/back/tracks`);
      await expect
        .poll(() => text(alert()), { timeout: 20_000 })
        .toBe('configuration comes from the local runtime; this console reads a Prometheus');
    } finally {
      await prometheus.close();
    }
  });
});
