// The console's graph page in a real browser over real traffic: a gateway listener, back in three
// versions (90/10 between v1 and v2, mirrored to v3, /fail answered 503 by v2), the runtime's
// metrics, the console scraping them and serving its built pages.
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/browser.ts';
import type { Upstream } from '../../test/support/mesh-harness.ts';
import { poll } from '../../test/support/processes.ts';
import {
  backGatewayRoutes,
  startVersionedBack,
  type VersionedBack,
} from '../../test/support/versioned-back.ts';
import { type Console, startConsole } from '../src/server.ts';
import { buildCommand } from '../src/static.ts';

const routes = backGatewayRoutes(`    - match: [{ uri: { prefix: /fail } }]
      route: [{ destination: { host: back, subset: v2 } }]
    - route:
        - { destination: { host: back, subset: v1 }, weight: 90 }
        - { destination: { host: back, subset: v2 }, weight: 10 }
      mirror: { host: back, subset: v3 }
`);

describe('the console’s graph page', () => {
  let back: VersionedBack;
  let console: Console;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(new URL('../dist/browser/index.html', import.meta.url)))
      throw new Error(`the console's pages are not built: run \`${buildCommand}\` (npm test does)`);
    back = await startVersionedBack(['v1', 'v2', 'v3'], routes, (version, req, res) => {
      const failing = version === 'v2' && req.url?.startsWith('/fail');
      res.writeHead(failing ? 503 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    console = await startConsole({
      statsUrl: back.telemetry.url,
      port: 0,
      scrapeIntervalMs: 3_600_000,
      pages: { ingressUrl: back.mesh.listener.url, namespace: 'music' },
    });
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await console?.close();
    await back?.close();
  });

  const text = async (selector: string) =>
    ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const nodeNames = async () => (await page.locator('table.nodes tbody th .name').allTextContents()).sort();
  const edgeRow = (from: string, to: string, traffic = 'HTTP') =>
    page
      .locator('table.edges tbody tr')
      .filter({ has: page.locator('th', { hasText: new RegExp(`^${from}$`) }) })
      .filter({ has: page.locator('td', { hasText: new RegExp(`^${to}$`) }) })
      .filter({ has: page.locator('td', { hasText: new RegExp(`^${traffic}$`) }) });

  async function trafficScraped(): Promise<void> {
    // Mirrored copies are fire-and-forget: wait until v3 has seen them all before scraping.
    await poll(
      'v3 saw every mirrored copy',
      () => (back.upstreams[2] as Upstream).seen.length,
      (n) => n >= 200,
    );
    await console.telemetry?.scrape();
  }

  it('lands from Kiali’s address and says where to send requests while there is no traffic', async () => {
    await page.goto(`${console.url}/kiali/console/`);
    expect(new URL(page.url()).pathname).toBe('/console/');
    await expect
      .poll(() => text('.empty'), { timeout: 10_000 })
      .toBe(`No traffic in the last 1m — send some requests to ${back.mesh.listener.url}`);
  });

  it('draws the gateway, back’s service and its versions and lists them with their figures', async () => {
    await back.send(200, '/tracks');
    await trafficScraped();
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await expect
      .poll(nodeNames, { timeout: 10_000 })
      .toEqual(['back', 'back v1', 'back v2', 'back v3', 'istio-ingressgateway latest']);
    // The cytoscape canvas is drawn and describes what it shows.
    await expect
      .poll(() => page.locator('mc-graph-canvas .graph').getAttribute('aria-label'), { timeout: 10_000 })
      .toBe('Traffic graph: 5 nodes and 4 edges, listed in the table below.');
    const canvas = await page.locator('mc-graph-canvas .graph canvas').first().boundingBox();
    expect(canvas?.width).toBeGreaterThan(100);
    expect(await text('.status')).toMatch(/^Rates over the last \d+ s/);
    expect(await edgeRow('istio-ingressgateway latest', 'back v3', 'HTTP mirror').count()).toBe(1);
    expect(await edgeRow('back', 'back v2').getAttribute('data-health')).toBe('healthy');
  });

  it('marks an edge answering 5xx as failing and its callers’ edge degraded, without reloading', async () => {
    await page.evaluate(() => {
      (globalThis as { notReloaded?: boolean }).notReloaded = true;
    });
    const layouts = await page.locator('mc-graph-canvas .graph').getAttribute('data-layouts');
    await back.send(20, '/fail');
    await console.telemetry?.scrape();
    await page.getByRole('button', { name: 'Refresh now' }).click();
    // 20 of v2's ~40 requests failed: a failure; 20 of the gateway's 220, 9%: degraded.
    await expect
      .poll(() => edgeRow('back', 'back v2').getAttribute('data-health'), { timeout: 10_000 })
      .toBe('failure');
    expect(await edgeRow('back', 'back v2').locator('td').nth(6).textContent()).toContain('Failure');
    expect(await edgeRow('istio-ingressgateway latest', 'back').getAttribute('data-health')).toBe('degraded');
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The same nodes: figures and colours change in place, nothing moves.
    expect(await page.locator('mc-graph-canvas .graph').getAttribute('data-layouts')).toBe(layouts);
  });

  it('shows the workload graph when the graph type changes', async () => {
    const layouts = Number(await page.locator('mc-graph-canvas .graph').getAttribute('data-layouts'));
    await page.getByLabel('Graph type').selectOption('workload');
    await expect
      .poll(nodeNames, { timeout: 10_000 })
      .toEqual(['back', 'back-v1', 'back-v2', 'back-v3', 'istio-ingressgateway']);
    expect(new URL(page.url()).searchParams.get('graphType')).toBe('workload');
    expect(await edgeRow('back', 'back-v2').getAttribute('data-health')).toBe('failure');
    // Other nodes: laid out again.
    expect(Number(await page.locator('mc-graph-canvas .graph').getAttribute('data-layouts'))).toBe(
      layouts + 1,
    );
  });

  it('keeps the edge labels the user picked in the URL, across a reload', async () => {
    await page.getByLabel('Edge labels').selectOption('p95');
    await expect
      .poll(() => new URL(page.url()).searchParams.get('edgeLabels'), { timeout: 10_000 })
      .toBe('p95');
    await page.reload();
    await expect.poll(() => page.getByLabel('Edge labels').inputValue(), { timeout: 10_000 }).toBe('p95');
    // The graph type chosen before stays too.
    expect(new URL(page.url()).searchParams.get('graphType')).toBe('workload');
  });

  it('keeps the traffic still for a user who prefers reduced motion', async () => {
    const still = await browser.newPage({ reducedMotion: 'reduce' });
    try {
      await still.goto(`${console.url}/console/`);
      const animation = still.getByRole('checkbox', { name: /Traffic animation/ });
      await expect.poll(() => animation.isDisabled(), { timeout: 10_000 }).toBe(true);
      expect(await animation.isChecked()).toBe(false);
    } finally {
      await still.close();
    }
  });
});
