// The mesh console through the tutorial's canary and mirror steps, in a real browser: the whole
// Music app on the local runtime, deploy/steps applied as `npm run demo` applies them, the load
// generator's traffic, and the console scraping the runtime's metrics.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectToRuntime } from '@music/mesh';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Console } from '../mesh/console/src/server.ts';
import { runLoad } from '../tools/load/src/load.ts';
import { binomialTolerance } from '../tools/load/src/split.ts';
import { launchChromium, saveScreenshot } from './support/browser.ts';
import { createTestDatabase } from './support/database.ts';
import { type RunningMusic, removeDataDir, startMusic, startMusicConsole } from './support/music.ts';

const steps = fileURLToPath(new URL('../deploy/steps/', import.meta.url));

describe('the mesh console through the canary and the mirror', () => {
  let music: RunningMusic;
  let console: Console;
  let browser: Browser;
  let page: Page;

  /** Applies a tutorial step's YAML and waits until its Deployments are ready. */
  async function applyStep(folder: string): Promise<void> {
    const dir = join(steps, folder);
    const files = (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
    const deployments: string[] = [];
    for (const file of files)
      for (const change of await music.runtime.apply(
        `deploy/steps/${folder}/${file}`,
        await readFile(join(dir, file), 'utf8'),
      ))
        if (change.kind === 'Deployment') deployments.push(change.name);
    const admin = await connectToRuntime(music.dataDir);
    await expect
      .poll(
        async () => {
          const { items } = (await admin.get('deployments')) as {
            items: { name: string; status?: { ready: number; desired: number } }[];
          };
          return deployments.filter((name) => {
            const status = items.find((item) => item.name === name)?.status;
            return !status || status.ready < status.desired;
          });
        },
        { timeout: 120_000, interval: 250 },
      )
      .toEqual([]);
  }

  const edgeRow = (from: string, to: string, traffic = 'HTTP') =>
    page
      .locator('table.edges tbody tr')
      .filter({ has: page.locator('th', { hasText: new RegExp(`^${from}$`) }) })
      .filter({ has: page.locator('td', { hasText: new RegExp(`^${to}$`) }) })
      .filter({ has: page.locator('td', { hasText: new RegExp(`^${traffic}$`) }) });
  /** The edges table's "Share of source" of an edge, percent. */
  const share = async (from: string, to: string) => {
    const text = (await edgeRow(from, to).locator('td').nth(3).textContent()) ?? '';
    return Number(/[\d.]+/.exec(text)?.[0] ?? Number.NaN);
  };

  beforeAll(async () => {
    music = await startMusic({ databaseUrl: await createTestDatabase('console_story') });
    // Scraped by the test when it has sent its traffic.
    console = await startMusicConsole(music, { scrapeIntervalMs: 3_600_000 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await console?.close();
    await music?.stop();
    if (music) await removeDataDir(music.dataDir);
  });

  it('shows back v1 and v2 sharing the load generator’s traffic 90/10, within a binomial bound', async () => {
    await applyStep('2-canary-v2');
    await console.telemetry?.scrape();
    const report = await runLoad({ url: music.url, rps: 40, durationS: 10, users: 4, seed: 2 });
    const v1 = report.split.v1 ?? 0;
    const v2 = report.split.v2 ?? 0;
    expect(v1 + v2).toBeGreaterThan(200);
    await console.telemetry?.scrape();

    await page.goto(`${console.url}/kiali/console/`);
    await expect.poll(() => edgeRow('back', 'back v2').count(), { timeout: 20_000 }).toBe(1);
    const [toV1, toV2] = [await share('back', 'back v1'), await share('back', 'back v2')];
    // Every request to back lands on one version: the two shares make the whole.
    expect(toV1 + toV2).toBeCloseTo(100, 0);
    // 4σ of a binomial with the load's count of back requests (front's own calls add a few).
    const n = v1 + v2;
    expect(Math.abs(toV2 / 100 - 0.1)).toBeLessThanOrEqual(binomialTolerance(n, 0.1) / n);
    // The console and the load generator's X-Served-By tell the same split.
    expect(Math.abs(toV2 - (100 * v2) / n)).toBeLessThan(2);
    expect(await edgeRow('back', 'back v2').getAttribute('data-health')).toBe('healthy');
  });

  it('draws the mirrored copies to v3 as their own edge after the mirror step', async () => {
    await applyStep('3-mirror-v3');
    await console.telemetry?.scrape();
    await runLoad({ url: music.url, rps: 20, durationS: 5, users: 2, seed: 3 });
    await expect
      .poll(
        async () => {
          await console.telemetry?.scrape();
          await page.getByRole('button', { name: 'Refresh now' }).click();
          return edgeRow('istio-ingressgateway latest', 'back v3', 'HTTP mirror').count();
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toBe(1);
    // Mirrored copies are extra requests: v1 and v2 still share the real ones.
    expect(await edgeRow('back', 'back v1').count()).toBe(1);
    await saveScreenshot(page, 'console-graph');
  });

  it('follows one request through its hops, the mirrored copy to v3 beside it, from an edge’s panel', async () => {
    // A few of the browser's requests just before, so that they are among the newest traces.
    await runLoad({ url: music.url, rps: 10, durationS: 2, users: 1, seed: 4 });
    await page.getByRole('button', { name: 'Details of back → back v2' }).click({ timeout: 20_000 });
    const panel = page.locator('mc-side-panel');
    const routing = panel.locator('section.routing li');
    await expect
      .poll(async () => ((await routing.allTextContents()).join(' ') || '').replace(/\s+/g, ' '), {
        timeout: 20_000,
      })
      .toContain('VirtualService back-gw-virtualservice');
    // The tracks' JSON bodies, per second (Kiali's throughput).
    expect(((await panel.locator('dl.facts').textContent()) ?? '').replace(/\s+/g, ' ')).toMatch(
      /Throughput ?[\d.]+ k?B\/s of responses/,
    );
    // The step-3 route sends every browser request to v2 and mirrors it to v3 (front's own calls
    // to back's health are traced here too).
    const trace = panel.locator('section.traces tbody tr').filter({ hasText: '/back/api/' }).first();
    await expect.poll(() => trace.count(), { timeout: 20_000 }).toBe(1);
    await trace.getByRole('button', { name: 'Hops' }).click();
    const hops = panel.locator('mc-trace-waterfall li.hop');
    await expect.poll(() => hops.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const texts = (await hops.allTextContents()).map((hop) => hop.replace(/\s+/g, ' '));
    expect(texts.some((hop) => /istio-ingressgateway → back-v2 · source proxy · status 200/.test(hop))).toBe(
      true,
    );
    expect(texts.some((hop) => /istio-ingressgateway → back-v3 mirror copy/.test(hop))).toBe(true);
    // The destination's side names its cluster after the port back's pod declares, as Istio does.
    expect(
      texts.some((hop) =>
        /istio-ingressgateway → back-v2 · destination proxy .*cluster inbound\|8080\|\|/.test(hop),
      ),
    ).toBe(true);
    await saveScreenshot(page, 'console-side-panel');
  });
});
