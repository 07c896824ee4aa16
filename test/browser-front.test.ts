import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, logIn } from './support/browser.ts';
import { login, type RunningMusic, removeDataDir, startMusic } from './support/music.ts';

/** The front's pages as a new user finds them, on the whole app as `npm start` runs it. */
let music: RunningMusic;
let browser: Browser;
let token: string;

beforeAll(async () => {
  [music, browser] = await Promise.all([startMusic(), launchChromium()]);
  token = await login(music.url, 'admin', 'admin');
});

afterAll(async () => {
  await browser?.close();
  await music?.stop();
  if (music) await removeDataDir(music.dataDir);
});

/** Answers through the mesh and rendering on a loaded machine take longer than vitest's 1 s. */
const answered = { timeout: 10_000 };

const newPage = () => browser.newPage({ baseURL: music.url });

function back(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  return fetch(`${music.url}/back/api${path}`, { ...init, headers });
}

async function createTrack(title: string, durationMs?: number): Promise<string> {
  const response = await back('/tracks', {
    method: 'POST',
    body: JSON.stringify({ title, artist: 'Portishead', album: 'Dummy', durationMs }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

interface Card {
  rate: number;
  /** The seconds the rates cover: 60, or less while the window fills. */
  window: number;
  clientErrors: string;
  total: number;
  source: string;
}

/** A card's figures as the page shows them ("1,234" and "0.2 req/s" read back as numbers). */
async function card(page: Page, name: string): Promise<Card> {
  const root = page.locator(`[data-testid="metrics-service"][data-service="${name}"]`);
  const text = async (id: string) => (await root.getByTestId(id).textContent())?.trim() ?? '';
  const number = (value: string) => Number(value.replace(/[^\d.]/g, ''));
  const filling = root.getByTestId('metrics-filling');
  const window = (await filling.count()) > 0 ? number((await filling.textContent()) ?? '') : 60;
  return {
    rate: number(await text('metrics-rate')),
    window,
    clientErrors: await text('metrics-4xx'),
    total: number(await text('metrics-total')),
    source: await text('metrics-source'),
  };
}

describe("the front's pages", () => {
  it('shows rates over a stated window, 4xx, totals that never fall, and links to the mesh console', async () => {
    const page = await newPage();
    await logIn(page, 'admin', 'admin');
    await page.getByTestId('nav-metrics').click();
    expect(await page.getByTestId('metrics-window').textContent()).toContain('over the last 60 s');
    expect(await page.getByTestId('console-link').getAttribute('href')).toBe(
      'http://localhost:20001/console/',
    );

    // 20 lists and 10 unknown tracks (404) from back-v1.
    for (let i = 0; i < 20; i++) expect((await back('/tracks')).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      expect((await back('/tracks/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    }
    await expect
      .poll(async () => (await card(page, 'back')).clientErrors, { timeout: 20_000 })
      .not.toBe('0%');

    const seen: Record<'front' | 'back', Card[]> = { front: [], back: [] };
    // Four refreshes of the page, each after 5 more lists.
    for (let i = 0; i < 4; i++) {
      for (const name of ['front', 'back'] as const) seen[name].push(await card(page, name));
      const before = seen.back.at(-1)?.total ?? 0;
      for (let j = 0; j < 5; j++) expect((await back('/tracks')).status).toBe(200);
      await expect
        .poll(async () => (await card(page, 'back')).total, { timeout: 20_000 })
        .toBeGreaterThan(before);
    }
    for (const [name, cards] of Object.entries(seen)) {
      expect(
        cards.every((c) => c.source === 'Istio metrics, all replicas'),
        name,
      ).toBe(true);
      const totals = cards.map((c) => c.total);
      expect(totals, name).toEqual([...totals].sort((a, b) => a - b));
      // Over its window, a card cannot count more requests than its total ever saw.
      for (const c of cards) expect(c.rate * c.window, name).toBeLessThanOrEqual(c.total + 1);
    }
    expect(seen.back.at(-1)?.total).toBeGreaterThanOrEqual(30);
    await page.close();
  });

  it('shows a duration with milliseconds as m:ss in the list and keeps it exactly through an edit', async () => {
    const id = await createTrack('Glory Box', 193_382);
    const page = await newPage();
    await logIn(page, 'admin', 'admin');
    const row = page.getByTestId('track-row').filter({ hasText: 'Glory Box' });
    await row.waitFor(answered);
    expect(await row.textContent()).toContain('3:13');
    expect(await row.textContent()).not.toContain('193382');

    await row.getByTestId('track-edit').click();
    const duration = page.locator('input[name="durationMs"]');
    await expect.poll(() => duration.inputValue(), answered).toBe('3:13.382');
    await page.locator('input[name="album"]').fill('Dummy (1994)');
    await page.getByTestId('track-save').click();
    await page.waitForURL(/\/tracks$/);
    const saved = (await (await back(`/tracks/${id}`)).json()) as { album: string; durationMs: number };
    expect(saved).toMatchObject({ album: 'Dummy (1994)', durationMs: 193_382 });
    await page.close();
  });

  it('edits a seeded account without an email, and offers no Delete on the admin’s own row', async () => {
    const page = await newPage();
    await logIn(page, 'admin', 'admin');
    await page.getByTestId('nav-users').click();
    const own = page
      .getByTestId('user-row')
      .filter({ has: page.getByTestId('user-login').getByText('admin', { exact: true }) });
    const other = page
      .getByTestId('user-row')
      .filter({ has: page.getByTestId('user-login').getByText('user', { exact: true }) });
    await other.waitFor(answered);
    expect(await own.getByTestId('user-delete').count()).toBe(0);
    expect(await other.getByTestId('user-delete').count()).toBe(1);

    await other.getByTestId('user-edit').click();
    await expect.poll(() => page.locator('input[name="login"]').inputValue(), answered).toBe('user');
    expect(await page.locator('input[name="email"]').inputValue()).toBe('');
    await page.locator('input[name="firstName"]').fill('Uma');
    await page.getByTestId('user-save').click();
    await page.waitForURL(/\/admin\/users$/);
    await expect.poll(() => other.textContent(), answered).toContain('Uma');
    await page.close();
  });

  it('keeps paging and sort in the URL, through a reload and Back', async () => {
    for (let i = 1; i <= 12; i++) await createTrack(`Paged ${String(i).padStart(2, '0')}`);
    const pageOf = async (page: number) =>
      ((await (await back(`/tracks?page=${page}&size=10&sort=title,asc`)).json()) as { title: string }[]).map(
        (t) => t.title,
      );
    const [first, second] = [await pageOf(0), await pageOf(1)];
    expect(second.length).toBeGreaterThan(0);

    const page = await newPage();
    // The page's own clock, so the search box's 300 ms settling can be run through, not waited for.
    await page.clock.install();
    await logIn(page, 'admin', 'admin');
    const titles = () => page.getByTestId('track-title').allTextContents();
    await page.getByRole('button', { name: 'Title' }).click();
    await page.waitForURL(/[?&]sort=title,asc/);
    // A link someone shared on its second page stays there once the empty search box settles.
    await page.goto('/tracks?sort=title,asc&size=10&page=1');
    await expect.poll(titles, answered).toEqual(second);
    await page.clock.runFor(1_000);
    expect(new URL(page.url()).searchParams.get('page')).toBe('1');
    await expect.poll(titles, answered).toEqual(second);
    // The same link on its first page.
    await page.goto('/tracks?sort=title,asc&size=10');
    await expect.poll(titles, answered).toEqual(first);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForURL(/[?&]page=1/);
    await expect.poll(titles, answered).toEqual(second);

    await page.reload();
    await expect.poll(titles, answered).toEqual(second);

    await page.goBack();
    await page.waitForURL((url) => !url.searchParams.has('page'));
    await expect.poll(titles, answered).toEqual(first);
    expect(page.url()).toMatch(/sort=title,asc/);
    await page.close();
  });
});
