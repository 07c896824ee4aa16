// The console's Istio config page and its wizards in a real browser over the whole Music app: the
// runtime's admin API behind the console, front's login deciding who may apply, back v1 and v2
// answering the requests the wizard splits between them.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Console } from '../mesh/console/src/server.ts';
import { buildCommand } from '../mesh/console/src/static.ts';
import { connectToRuntime } from '../mesh/src/control/client.ts';
import { launchChromium } from './support/browser.ts';
import { createTestDatabase } from './support/database.ts';
import { type RunningMusic, removeDataDir, startMusic, startMusicConsole } from './support/music.ts';

const screenshots = new URL('../docs/screenshots/', import.meta.url);

// A canary route written before its subset: no DestinationRule of back defines v2 (IST0101).
const canaryBeforeItsSubset = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-canary, namespace: music }
spec:
  hosts: [back]
  http:
    - route: [{ destination: { host: back, subset: v2 } }]
`;

/** A token that looks like the app's (admin role, not expired) but that its keys do not sign. */
function forgedToken(): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return `${part({ alg: 'ES256', typ: 'JWT' })}.${part({ sub: 'admin', auth: 'ROLE_ADMIN', exp })}.${Buffer.from('not signed').toString('base64url')}`;
}

describe('the console’s Istio config page and wizards over Music', () => {
  let music: RunningMusic;
  let console: Console;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(new URL('../mesh/console/dist/browser/index.html', import.meta.url)))
      throw new Error(`the console's pages are not built: run \`${buildCommand}\` (npm test does)`);
    music = await startMusic({ databaseUrl: await createTestDatabase('console_pages') });
    const backV2 = new URL('../deploy/steps/2-canary-v2/back-v2.yaml', import.meta.url);
    await music.runtime.apply('deploy/steps/2-canary-v2/back-v2.yaml', await readFile(backV2, 'utf8'));
    const deadline = Date.now() + 60_000;
    while (music.runtime.endpoints('back').length < 2) {
      if (Date.now() > deadline) throw new Error('back-v2 never became ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console = await startMusicConsole(music, { scrapeIntervalMs: 60_000 });
    await mkdir(screenshots, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await console?.close();
    await music?.stop();
    if (music) await removeDataDir(music.dataDir);
  });

  const squeeze = (value: string | null) => (value ?? '').replace(/\s+/g, ' ').trim();
  const text = async (selector: string) => squeeze(await page.locator(selector).first().textContent());
  const card = (kind: string, name: string) => page.locator(`article#${kind.toLowerCase()}-music-${name}`);
  const backService = () => card('Service', 'back');
  const wizard = () => backService().locator('mc-wizard-panel');
  const loginDialog = () => page.getByRole('dialog', { name: "Log in with the app's admin account" });

  it('lists the objects by kind, each with its source file, and opens the one the URL names', async () => {
    await page.goto(`${console.url}/console/config`);
    const routes = card('VirtualService', 'back-gw-virtualservice');
    await expect
      .poll(() => routes.locator('h3').textContent(), { timeout: 20_000 })
      .toContain('back-gw-virtualservice');
    expect(await routes.locator('.source').textContent()).toMatch(/^deploy\/istio\/gateway\.yaml:\d+$/);
    const groups = await page.locator('section.group h2').allTextContents();
    expect(groups.map((heading) => heading.replace(/ \(\d+\)$/, ''))).toEqual([
      'Gateways',
      'VirtualServices',
      'DestinationRules',
      'Deployments',
      'Services',
    ]);
    // Reading needs no login on localhost.
    expect(await text('mc-session-bar .session')).toContain('Not logged in');

    // The graph's side panel links like this: the object's YAML is open and on screen.
    await page.goto(`${console.url}/console/config?kind=VirtualService&name=back-gw-virtualservice`);
    await expect.poll(() => routes.locator('details').getAttribute('open'), { timeout: 20_000 }).toBe('');
    expect(await routes.locator('pre.yaml').textContent()).toContain('prefix: /back');
    expect(await page.locator('section.group h2').allTextContents()).toEqual(['VirtualServices (1)']);
    await expect
      .poll(() => routes.evaluate((element) => element.getBoundingClientRect().top), { timeout: 10_000 })
      .toBeLessThan(200);
  });

  it('shows a broken VirtualService’s finding next to it and in the summary', async () => {
    const runtime = await connectToRuntime(music.dataDir);
    await runtime.apply([{ file: 'back-canary.yaml', text: canaryBeforeItsSubset }]);
    await page.goto(`${console.url}/console/config`);
    const finding = card('VirtualService', 'back-canary').locator('.finding');
    await expect.poll(() => finding.count(), { timeout: 20_000 }).toBe(1);
    expect(await finding.locator('.level').textContent()).toBe('Error');
    expect(await finding.locator('.code').textContent()).toBe('IST0101');
    expect(await finding.locator('.message').textContent()).toBe(
      'Referenced host+subset in destinationrule not found: "back+v2"',
    );
    expect(await finding.locator('.hint').textContent()).toContain(
      'No DestinationRule for host back defines subset v2',
    );
    expect(await text('.summary h2')).toMatch(/^Analysis: 1 error, \d+ warnings?$/);
    const link = page.locator('.summary li.level-error a');
    expect(await link.textContent()).toBe('VirtualService back-canary');
    await page.screenshot({ path: new URL('console-config.png', screenshots).pathname, fullPage: false });

    await link.click();
    await expect
      .poll(() => new URL(page.url()).searchParams.get('name'), { timeout: 10_000 })
      .toBe('back-canary');
    expect(await card('VirtualService', 'back-canary').getAttribute('class')).toContain('target');
  });

  it('previews the traffic-shifting wizard for back at 50/50, subsets from the rule and the Deployments', async () => {
    await page.goto(`${console.url}/console/config?kind=Service&name=back`);
    await backService().getByRole('button', { name: 'Traffic shifting' }).click();
    const v1 = wizard().getByLabel('Weight of v1');
    const v2 = wizard().getByLabel('Weight of v2');
    await expect.poll(() => v2.inputValue(), { timeout: 10_000 }).toBe('50');
    expect(await v1.inputValue()).toBe('50');
    expect(await text('mc-wizard-panel .sum')).toBe('Total: 100 of 100');
    await wizard().getByRole('button', { name: 'Preview' }).click();
    const outcome = wizard().locator('.outcome');
    await expect.poll(() => outcome.getAttribute('data-applied'), { timeout: 20_000 }).toBe('false');
    const yaml = (await outcome.locator('pre.yaml').textContent()) ?? '';
    expect(yaml.match(/weight: 50/g)?.length).toBeGreaterThanOrEqual(4);
    expect(yaml).toContain('name: back-gw-virtualservice');
    expect(yaml).toContain('name: back-canary');
    // A preview applies nothing and offers nothing to save.
    expect(await outcome.getByRole('link', { name: 'Download .yaml' }).count()).toBe(0);
  });

  it('names the field at fault: weights adding up to 90 before sending, a bad delay from the API', async () => {
    await wizard().getByLabel('Weight of v2').fill('40');
    expect(await text('mc-wizard-panel .sum')).toBe(
      'Total: 90 of 100 — weights: must add up to 100 (they add up to 90)',
    );
    expect(await wizard().getByLabel('Weight of v2').getAttribute('aria-invalid')).toBe('true');
    await wizard().getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(async () => squeeze(await wizard().getByRole('alert').textContent()), { timeout: 10_000 })
      .toBe('Not sent: weights: must add up to 100 (they add up to 90)');
    expect(await loginDialog().isVisible()).toBe(false);

    const faults = card('Service', 'back');
    await faults.getByRole('button', { name: 'Fault injection' }).click();
    await wizard().getByLabel('Fixed delay').fill('two seconds');
    await wizard().getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(async () => squeeze(await wizard().getByRole('alert').textContent()), { timeout: 10_000 })
      .toBe('The wizard was refused: delay.fixedDelay: must be a duration such as 500ms or 2s');
  });

  it('asks for the login on Apply, shows a wrong password’s error, then applies as admin', async () => {
    await backService().getByRole('button', { name: 'Traffic shifting' }).click();
    await expect.poll(() => wizard().getByLabel('Weight of v2').inputValue(), { timeout: 10_000 }).toBe('50');
    await wizard().getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => loginDialog().isVisible(), { timeout: 10_000 }).toBe(true);
    await loginDialog().getByLabel('Username').fill('admin');
    await loginDialog().getByLabel('Password').fill('wrong');
    await loginDialog().getByRole('button', { name: 'Log in' }).click();
    await expect
      .poll(async () => squeeze(await loginDialog().getByRole('alert').textContent()), { timeout: 10_000 })
      .toBe('The login failed: Wrong username or password.');

    await loginDialog().getByLabel('Password').fill('admin');
    await loginDialog().getByRole('button', { name: 'Log in' }).click();
    const outcome = wizard().locator('.outcome');
    await expect.poll(() => outcome.getAttribute('data-applied'), { timeout: 20_000 }).toBe('true');
    expect(await loginDialog().isVisible()).toBe(false);
    expect(await text('mc-session-bar .session')).toContain('Logged in as admin');
    const results = await outcome
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) => [...row.children].map((cell) => cell.textContent?.trim()).join(' ')),
      );
    expect(results).toEqual(
      expect.arrayContaining([
        'destinationrule.networking.istio.io/back configured',
        'virtualservice.networking.istio.io/back-gw-virtualservice configured',
        'virtualservice.networking.istio.io/back-canary configured',
      ]),
    );
    // The Download link is the applied YAML itself, made in the page.
    const link = outcome.getByRole('link', { name: 'Download .yaml' });
    expect(await link.getAttribute('download')).toBe('music-back-traffic-shifting.yaml');
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toMatch(/^blob:/);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('music-back-traffic-shifting.yaml');
    const saved = await readFile(await download.path(), 'utf8');
    expect(saved).toBe(await outcome.locator('pre.yaml').textContent());
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: console.url });
    await outcome.getByRole('button', { name: 'Copy' }).click();
    await expect
      .poll(() => outcome.getByRole('status').textContent(), { timeout: 10_000 })
      .toBe('Copied to the clipboard.');
    type Clipboard = { navigator: { clipboard: { readText(): Promise<string> } } };
    expect(
      await page.evaluate(() => (globalThis as unknown as Clipboard).navigator.clipboard.readText()),
    ).toBe(saved);
    await outcome.scrollIntoViewIfNeeded();
    await wizard().screenshot({ path: new URL('console-wizard.png', screenshots).pathname });
  });

  it('shows the new weights and no finding after the apply, and back v1 and v2 share the requests', async () => {
    const routes = card('VirtualService', 'back-gw-virtualservice');
    await page.goto(`${console.url}/console/config?kind=VirtualService`);
    await expect
      .poll(async () => (await routes.locator('pre.yaml').textContent())?.match(/weight: 50/g)?.length, {
        timeout: 20_000,
      })
      .toBe(2);
    expect(await card('VirtualService', 'back-canary').locator('.finding').count()).toBe(0);
    expect(await text('.summary h2')).not.toContain('error');

    const served: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const response = await fetch(`${music.url}/back/management/health/liveness`);
      expect(response.status).toBe(200);
      const by = response.headers.get('x-served-by') ?? '?';
      served[by] = (served[by] ?? 0) + 1;
    }
    // Binomial(200, 0.5): σ ≈ 7; 50 each is 7σ below the mean, and a route left at v1 has 0.
    expect(served['back-v1']).toBeGreaterThan(50);
    expect(served['back-v2']).toBeGreaterThan(50);
  });

  it('keeps the login for the tab, asks again when the API refuses the token held, and logs out', async () => {
    await page.reload();
    await expect
      .poll(() => text('mc-session-bar .session'), { timeout: 20_000 })
      .toContain('Logged in as admin');
    await page.evaluate((token) => sessionStorage.setItem('mesh-console.token', token), forgedToken());
    await page.goto(`${console.url}/console/config?kind=Service&name=back`);
    await backService().getByRole('button', { name: 'Request timeouts and retries' }).click();
    await wizard().getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => loginDialog().isVisible(), { timeout: 20_000 }).toBe(true);
    // The API's words for the token it refused: its signature, or a key the app does not publish.
    expect(await loginDialog().textContent()).toMatch(
      /the token(’s signature does not verify| was signed by a key)/,
    );
    await loginDialog().getByLabel('Username').fill('admin');
    await loginDialog().getByLabel('Password').fill('admin');
    await loginDialog().getByRole('button', { name: 'Log in' }).click();
    await expect
      .poll(() => wizard().locator('.outcome').getAttribute('data-applied'), { timeout: 20_000 })
      .toBe('true');
    expect(await wizard().locator('pre.yaml').textContent()).toContain('timeout: 3s');

    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => text('mc-session-bar .session'), { timeout: 10_000 }).toContain('Not logged in');
    expect(await page.evaluate(() => sessionStorage.getItem('mesh-console.token'))).toBeNull();
  });

  it('bound beyond localhost, asks for the login before reading and then sends the token on every call', async () => {
    const exposed = await startMusicConsole(music, { host: '0.0.0.0', scrapeIntervalMs: 60_000 });
    const fresh = await browser.newPage();
    try {
      await fresh.goto(`http://127.0.0.1:${new URL(exposed.url).port}/console/config`);
      const dialog = fresh.getByRole('dialog', { name: "Log in with the app's admin account" });
      await expect.poll(() => dialog.isVisible(), { timeout: 20_000 }).toBe(true);
      expect(await dialog.textContent()).toContain('changing configuration needs a token of the admin role');
      await dialog.getByLabel('Username').fill('admin');
      await dialog.getByLabel('Password').fill('admin');
      await dialog.getByRole('button', { name: 'Log in' }).click();
      await expect
        .poll(() => fresh.locator('article#virtualservice-music-back-gw-virtualservice').count(), {
          timeout: 20_000,
        })
        .toBe(1);
      expect(await fresh.getByRole('alert').count()).toBe(0);

      // A page that only reads asks too (another tab: no token yet), and then reads with it.
      const graph = await browser.newPage();
      try {
        await graph.goto(`http://127.0.0.1:${new URL(exposed.url).port}/console/`);
        const login = graph.getByRole('dialog', { name: "Log in with the app's admin account" });
        await expect.poll(() => login.isVisible(), { timeout: 20_000 }).toBe(true);
        expect(await login.textContent()).toContain('reading it needs the admin login');
        await login.getByLabel('Username').fill('admin');
        await login.getByLabel('Password').fill('admin');
        await login.getByRole('button', { name: 'Log in' }).click();
        await graph.getByRole('button', { name: 'Refresh now' }).click();
        await expect
          .poll(async () => (await graph.locator('p.status').textContent())?.trim(), { timeout: 20_000 })
          .toMatch(/^Rates over the last/);
        expect(await graph.locator('mc-session-bar .session').textContent()).toContain('Logged in as admin');
      } finally {
        await graph.close();
      }
    } finally {
      await fresh.close();
      await exposed.close();
    }
  });
});
