import pg from 'pg';
import type { Browser, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, logIn } from './support/browser.ts';
import { type RunningMusic, removeDataDir, startMusic } from './support/music.ts';
import { applyStep, routeBackTo, waitForEndpoints } from './support/rollout.ts';

/**
 * The Angular app on back-v3, on the local mesh runtime: deploy/steps/2-canary-v2 and 3-mirror-v3
 * bring up back-v2 and back-v3 with client and spotify-sandbox (one database), and the ingress
 * gateway's /back route is pointed at one version at a time (without the step's mirror), as in
 * browser-v2.test.ts.
 */
let music: RunningMusic;
let browser: Browser;

beforeAll(async () => {
  [music, browser] = await Promise.all([startMusic(), launchChromium()]);
  await applyStep(music.runtime, '2-canary-v2');
  await applyStep(music.runtime, '3-mirror-v3');
  await waitForEndpoints(music.runtime, 'spotify-sandbox', 1);
  await waitForEndpoints(music.runtime, 'client', 1);
  await waitForEndpoints(music.runtime, 'back', 3);
  await routeBackTo(music.runtime, 'v3');
});

afterAll(async () => {
  await browser?.close();
  await music?.stop();
  if (music) await removeDataDir(music.dataDir);
});

/**
 * For polls that wait on an answer through the mesh (ingress, back-v3, client, sandbox). back
 * answers within its deadline for client (CLIENT_TIMEOUT_MS, 5 s), with tracks or its own 504;
 * a loaded browser may take as long again to render it. vitest's default limit (1 s) is shorter
 * than that chain's first, cold answer on a busy machine.
 */
const answered = { timeout: 10_000 };

/** An answer to the page's list of tracks, whatever its status. */
const tracksAnswer = (response: Response) => new URL(response.url()).pathname === '/back/api/tracks';

/** The rows of back's tracks table, straight from the database. */
async function savedTracks(): Promise<{ title: string; spotify_id: string }[]> {
  const client = new pg.Client({ connectionString: music.runtime.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ title: string; spotify_id: string }>(
      'SELECT title, spotify_id FROM back.tracks',
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('the tracks page on back-v3', () => {
  it('shows Spotify tracks with album art, saves one to the library and rates it, and copes with back-v2', async () => {
    const page = await browser.newPage({ baseURL: music.url });
    // The list loads as the login lands on /tracks: wait for that answer, however long the cold
    // chain takes, then check who sent it.
    const firstList = page.waitForResponse(tracksAnswer);
    await logIn(page, 'admin', 'admin');
    const titles = () => page.getByTestId('track-title').allTextContents();

    expect((await firstList).headers()['x-served-by']).toBe('back-v3');
    await expect.poll(() => page.getByTestId('served-by').textContent(), answered).toContain('back-v3');
    await expect.poll(() => page.getByTestId('from-spotify').count(), answered).toBeGreaterThan(5);
    const art = page.getByTestId('album-art').first();
    await art.waitFor();
    // The sandbox links its art through the gateway's /images/ route.
    expect(await art.getAttribute('src')).toContain(`${music.url}/images/`);
    const loaded = (img: unknown) => {
      const image = img as { complete: boolean; naturalWidth: number };
      return image.complete && image.naturalWidth > 0;
    };
    await expect.poll(() => art.evaluate(loaded), answered).toBe(true);
    expect(await page.getByTestId('from-spotify').first().isVisible()).toBe(true);

    await page.getByTestId('track-search').fill('creep radiohead');
    await expect.poll(titles, answered).toEqual(['Creep']);
    const creep = page.getByTestId('track-row').filter({ hasText: 'Creep' });
    expect(await creep.getByTestId('track-rating').count()).toBe(0);
    await creep.getByTestId('save-to-library').click();
    await creep.getByTestId('in-library').waitFor();
    expect(await creep.getByTestId('save-to-library').count()).toBe(0);
    expect(await savedTracks()).toEqual([
      { title: 'Creep', spotify_id: expect.stringMatching(/^[0-9A-Za-z]{22}$/) },
    ]);

    expect(await creep.getByTestId('track-rating').textContent()).toContain('no ratings');
    await creep.getByTestId('rate-5').click();
    await expect
      .poll(() => creep.getByTestId('track-rating').textContent(), answered)
      .toMatch(/5\.0 ★\s*\(1\)/);

    await page.getByTestId('source-library').click();
    await page.getByTestId('track-search').fill('creep');
    await expect.poll(() => page.getByTestId('from-spotify').count(), answered).toBe(0);
    await expect.poll(titles, answered).toEqual(['Creep']);
    const saved = page.getByTestId('track-row').filter({ hasText: 'Creep' });
    await saved.getByTestId('track-edit').waitFor();
    expect(await saved.getByTestId('from-spotify').count()).toBe(0);
    expect(await saved.getByTestId('album-art').count()).toBe(1);
    expect(await saved.getByTestId('rate-5').getAttribute('aria-pressed')).toBe('true');

    await routeBackTo(music.runtime, 'v2');
    await page.getByTestId('track-search').fill('cree');
    await expect.poll(() => page.getByTestId('served-by').textContent(), answered).toContain('back-v2');
    await expect.poll(titles, answered).toEqual(['Creep']);
    await page.getByTestId('track-source').waitFor({ state: 'detached' });
    expect(await page.getByTestId('from-spotify').count()).toBe(0);
    expect(await page.getByTestId('album-art').count()).toBe(0);
    expect(await page.getByTestId('track-edit').count()).toBe(1);
    expect(await page.locator('[role=alert]').count()).toBe(0);
    await page.close();
  });
});
