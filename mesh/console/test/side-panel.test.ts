// The graph page's side panel in a real browser over real traffic: a runtime running back in three
// versions (90/10 between v1 and v2, mirrored to v3) from a small profile, with its admin API and
// data directory, so the console reads the routing behind an edge as well as the traffic.
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/browser.ts';
import { type Runtime, startRuntime } from '../../src/index.ts';
import { defaultTiming } from '../../src/workloads/replica.ts';
import { poll, temporaryDataDir } from '../../test/support/processes.ts';
import { type Console, startConsole } from '../src/server.ts';
import { buildCommand } from '../src/static.ts';

const profile = fileURLToPath(new URL('./fixtures/side-panel/profile.yaml', import.meta.url));

describe('the graph page’s side panel', () => {
  let dataDir: string;
  let runtime: Runtime;
  let console: Console;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(new URL('../dist/browser/index.html', import.meta.url)))
      throw new Error(`the console's pages are not built: run \`${buildCommand}\` (npm test does)`);
    dataDir = await temporaryDataDir('music-mesh-side-panel-');
    runtime = await startRuntime({
      profile,
      port: 0,
      adminPort: 0,
      statsPort: 0,
      dataDir,
      timing: { ...defaultTiming, backoffMs: { initial: 100, max: 1_000 }, stopGraceMs: 3_000 },
      readyTimeoutMs: 30_000,
    });
    console = await startConsole({
      statsUrl: runtime.statsUrl,
      runtimeDataDir: dataDir,
      port: 0,
      scrapeIntervalMs: 3_600_000,
      pages: { ingressUrl: runtime.url, namespace: 'music' },
    });
    // The runtime answers once back has an endpoint; the mirror needs v3's too.
    await poll(
      'back v1, v2 and v3 ready',
      () => runtime.pods().filter((pod) => pod.ready).length,
      (n) => n === 3,
    );
    for (let i = 0; i < 100; i++) await (await fetch(`${runtime.url}/tracks?i=${i}`)).arrayBuffer();
    // Mirrored copies are fire-and-forget: wait until v3 has answered them all before scraping.
    await poll(
      'back-v3 answered every mirrored copy',
      async () =>
        (
          (await (
            await fetch(`${console.url}/api/logs?namespaces=music&workload=back-v3&limit=2000`)
          ).json()) as {
            lines: { reporter: string }[];
          }
        ).lines.filter((line) => line.reporter === 'destination').length,
      (n) => n >= 100,
    );
    await console.telemetry?.scrape();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await console?.close();
    await runtime?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const text = async (selector: string) =>
    ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const panel = () => page.getByRole('complementary');
  const heading = () => panel().getByRole('heading', { level: 2 });

  it('opens an edge’s panel from the table: the route and subset behind it, its chart, log and traces', async () => {
    await page.goto(`${console.url}/console/`);
    const details = page.getByRole('button', { name: 'Details of back → back v2' });
    await details.click({ timeout: 20_000 });
    await expect
      .poll(async () => (await heading().textContent())?.replace(/\s+/g, ' ').trim())
      .toBe('Edge back → back v2');
    expect(new URL(page.url()).searchParams.get('edge')).toMatch(/^[0-9a-f]{64}$/);
    // Focus moved into the panel, for a screen reader to read its title.
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('side-panel-title');

    const routing = panel().locator('section.routing li');
    await expect.poll(() => routing.count(), { timeout: 20_000 }).toBe(1);
    expect(((await routing.textContent()) ?? '').replace(/\s+/g, ' ')).toContain(
      'VirtualService back · http[0] (canary) · weight 10% → subset v2 (DestinationRule back: version=v2)',
    );
    expect(await routing.getByRole('link', { name: 'VirtualService back' }).getAttribute('href')).toBe(
      '/console/config?kind=VirtualService&name=back',
    );

    await expect
      .poll(async () => Number(await panel().locator('[data-points]').getAttribute('data-points')), {
        timeout: 20_000,
      })
      .toBeGreaterThan(5);
    expect(await panel().locator('svg path.line-2xx').getAttribute('d')).toMatch(/^M/);
    expect(await text('mc-side-panel .figures')).toMatch(
      /^Latest step: [\d.]+ rps · p50 \d+ ms · p95 \d+ ms/,
    );

    const lines = panel().locator('section.log .line[data-workload="back-v2"]');
    await expect.poll(() => lines.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await lines.first().textContent()).toContain('"GET /tracks');

    const firstTrace = panel().locator('section.traces tbody tr').first();
    await expect.poll(() => firstTrace.count(), { timeout: 20_000 }).toBe(1);
    const explain = new URL(
      (await firstTrace.getByRole('link', { name: 'Explain' }).getAttribute('href')) ?? '',
      console.url,
    );
    expect(explain.pathname).toBe('/console/explain');
    expect(explain.searchParams.get('url')).toMatch(/^\/tracks\?i=\d+$/);
    expect(explain.searchParams.get('method')).toBe('GET');
    await firstTrace.getByRole('button', { name: 'Hops' }).click();
    const hops = panel().locator('mc-trace-waterfall li.hop');
    await expect.poll(() => hops.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const hopTexts = (await hops.allTextContents()).map((hop) => hop.replace(/\s+/g, ' '));
    expect(
      hopTexts.some((hop) => /istio-ingressgateway → back-v2 · source proxy · status 200/.test(hop)),
    ).toBe(true);
    expect(
      hopTexts.some((hop) => /istio-ingressgateway → back-v2 · destination proxy · status 200/.test(hop)),
    ).toBe(true);
  });

  it('keeps the panel open across a reload and closes it with Escape, focus back on its button', async () => {
    await page.reload();
    await expect
      .poll(async () => (await heading().textContent())?.replace(/\s+/g, ' ').trim(), { timeout: 20_000 })
      .toBe('Edge back → back v2');
    await page.keyboard.press('Escape');
    await expect.poll(() => panel().count(), { timeout: 10_000 }).toBe(0);
    expect(new URL(page.url()).searchParams.get('edge')).toBeNull();
    await expect
      .poll(() => page.locator(':focus').getAttribute('aria-label'))
      .toBe('Details of back → back v2');
  });

  it('opens a node’s and an edge’s panel from a click on the graph', async () => {
    const graph = page.locator('mc-graph-canvas .graph');
    const positionOf = async (name: string) => {
      const positions = JSON.parse((await graph.getAttribute('data-positions')) ?? '{}') as Record<
        string,
        [number, number]
      >;
      return positions[name];
    };
    await expect.poll(() => positionOf('back v2'), { timeout: 10_000 }).toBeDefined();
    const box = await graph.boundingBox();
    const [x, y] = (await positionOf('back v2')) as [number, number];
    await page.mouse.click((box?.x ?? 0) + x, (box?.y ?? 0) + y);
    await expect
      .poll(async () => (await heading().textContent())?.replace(/\s+/g, ' ').trim(), { timeout: 10_000 })
      .toBe('Node back v2');
    expect(new URL(page.url()).searchParams.get('node')).toMatch(/^[0-9a-f]{64}$/);
    await expect
      .poll(() => panel().locator('dl.facts dd').allTextContents(), { timeout: 10_000 })
      .toContain('back-v2');
    await expect
      .poll(() => text('mc-side-panel section.routing li'), { timeout: 20_000 })
      .toContain('weight 10% → subset v2');

    // The panel narrowed the graph: the positions were noted again.
    await expect.poll(() => positionOf('back → back v1'), { timeout: 10_000 }).toBeDefined();
    const after = await graph.boundingBox();
    const [ex, ey] = (await positionOf('back → back v1')) as [number, number];
    await page.mouse.click((after?.x ?? 0) + ex, (after?.y ?? 0) + ey);
    await expect
      .poll(async () => (await heading().textContent())?.replace(/\s+/g, ' ').trim(), { timeout: 10_000 })
      .toBe('Edge back → back v1');
    await page.getByRole('button', { name: 'Close details' }).click();
    await expect.poll(() => panel().count(), { timeout: 10_000 }).toBe(0);
  });

  it('shows a failed call as an error and keeps its last answer on screen', async () => {
    await page.getByRole('button', { name: 'Details of back → back v2' }).click();
    const routing = panel().locator('section.routing li');
    await expect.poll(() => routing.count(), { timeout: 20_000 }).toBe(1);
    // Without admin.json the console cannot reach the runtime's admin API: 502.
    const admin = join(dataDir, 'admin.json');
    await rename(admin, `${admin}.away`);
    try {
      await page.getByRole('button', { name: 'Refresh now' }).click();
      await expect
        .poll(() => text('mc-side-panel [role="alert"]'), { timeout: 20_000 })
        .toMatch(/^Routing: no mesh runtime found/);
      expect(await routing.count()).toBe(1);
    } finally {
      await rename(`${admin}.away`, admin);
    }
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await expect.poll(() => panel().locator('[role="alert"]').count(), { timeout: 20_000 }).toBe(0);
  });

  it('says so when the selected edge leaves the graph, keeping its last reading', async () => {
    await page.getByLabel('Graph type').selectOption('workload');
    await expect
      .poll(() => text('mc-side-panel .gone'), { timeout: 20_000 })
      .toBe('back → back v2 is no longer in the graph over the last 1m: what is below is its last reading.');
    expect(await panel().locator('section.routing li').count()).toBe(1);
    await page.keyboard.press('Escape');
  });

  it('polls with the graph’s refresh interval while a panel is open, and not at all without one', async () => {
    const timed = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await timed.clock.install();
      const asked: string[] = [];
      timed.on('request', (request) => {
        const path = new URL(request.url()).pathname;
        if (['/api/metrics', '/api/logs', '/api/traces', '/api/routing'].includes(path)) asked.push(path);
      });
      await timed.goto(`${console.url}/console/?refresh=5s`);
      const details = timed.getByRole('button', { name: 'Details of back → back v2' });
      await details.waitFor({ timeout: 20_000 });
      await timed.clock.runFor(20_000);
      expect(asked).toEqual([]);
      await details.click();
      await expect
        .poll(() => asked.filter((path) => path === '/api/metrics').length, { timeout: 10_000 })
        .toBe(1);
      expect([...asked].sort()).toEqual(['/api/logs', '/api/metrics', '/api/routing', '/api/traces']);
      await timed.clock.runFor(5_000);
      await expect
        .poll(() => asked.filter((path) => path === '/api/metrics').length, { timeout: 10_000 })
        .toBe(2);
      await timed.keyboard.press('Escape');
      await timed.clock.runFor(20_000);
      expect(asked.filter((path) => path === '/api/metrics')).toHaveLength(2);
    } finally {
      await timed.close();
    }
  });

  it('says so when the selected element is not in the graph', async () => {
    await page.goto(`${console.url}/console/?edge=0000`);
    await expect
      .poll(() => text('mc-side-panel .gone'), { timeout: 20_000 })
      .toBe('This edge is not in the graph over the last 1m (no traffic, or another graph type).');
  });

  it('answers /api/routing for the Service and refuses a bad query as a problem naming the field', async () => {
    const answer = await fetch(`${console.url}/api/routing?namespaces=music&service=back`);
    const body = (await answer.json()) as {
      services: { destinationRules: { subsets: { name: string; workloads: string[] }[] }[] }[];
    };
    expect(body.services[0]?.destinationRules[0]?.subsets).toEqual([
      { name: 'v1', labels: { version: 'v1' }, workloads: ['back-v1'] },
      { name: 'v2', labels: { version: 'v2' }, workloads: ['back-v2'] },
      { name: 'v3', labels: { version: 'v3' }, workloads: ['back-v3'] },
    ]);
    const bad = await fetch(`${console.url}/api/routing?namespaces=music&service=Back_1`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(((await bad.json()) as { detail: string }).detail).toBe('service: "Back_1" is not a Service name');
    const prometheusLike = await startConsole({ statsUrl: runtime.statsUrl, port: 0 });
    try {
      const refused = await fetch(`${prometheusLike.url}/api/routing?namespaces=music&service=back`);
      expect(refused.status).toBe(501);
    } finally {
      await prometheusLike.close();
    }
  });
});
