import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, logIn } from './support/browser.ts';
import { login, type RunningMusic, removeDataDir, startMusic } from './support/music.ts';
import { applyStep, routeBackTo, waitForEndpoints } from './support/rollout.ts';

/**
 * The Angular app during back's canary, on the local mesh runtime: deploy/steps/2-canary-v2 brings
 * up back-v2 next to back-v1 (one database), and the ingress gateway's /back route is pointed at
 * one version at a time (instead of the step's 90/10), so each list comes from the version the
 * test chooses.
 */
let music: RunningMusic;
let browser: Browser;

beforeAll(async () => {
  [music, browser] = await Promise.all([startMusic(), launchChromium()]);
  await applyStep(music.runtime, '2-canary-v2');
  await waitForEndpoints(music.runtime, 'back', 2);
  await routeBackTo(music.runtime, 'v2');
});

afterAll(async () => {
  await browser?.close();
  await music?.stop();
  if (music) await removeDataDir(music.dataDir);
});

async function createTracks(titles: string[]) {
  const token = await login(music.url, 'admin', 'admin');
  for (const title of titles) {
    const response = await fetch(`${music.url}/back/api/tracks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title, artist: 'Radiohead', album: 'OK Computer' }),
    });
    expect(response.status).toBe(201);
  }
}

/**
 * For polls that wait on an answer through the mesh: vitest's default limit (1 s) is shorter than
 * a cold first answer (ingress, back, front's keys) plus rendering on a loaded machine.
 */
const answered = { timeout: 10_000 };

describe('the tracks page across back versions', () => {
  it('searches and rates on back-v2, degrades to a hint on back-v1, and recovers on back-v2', async () => {
    await createTracks(['Karma Police', 'Lucky', 'No Surprises']);
    const page = await browser.newPage({ baseURL: music.url });
    await logIn(page, 'admin', 'admin');
    const titles = () => page.getByTestId('track-title').allTextContents();
    const search = page.getByTestId('track-search');

    await expect.poll(() => page.getByTestId('served-by').textContent(), answered).toContain('back-v2');
    await search.fill('KARMA');
    await expect.poll(titles, answered).toEqual(['Karma Police']);
    expect(await page.getByTestId('search-unavailable').count()).toBe(0);
    const karma = page.getByTestId('track-row').filter({ hasText: 'Karma Police' });
    expect(await karma.getByTestId('track-rating').textContent()).toContain('no ratings');
    await karma.getByTestId('rate-4').click();
    await expect
      .poll(() => karma.getByTestId('track-rating').textContent(), answered)
      .toMatch(/4\.0 ★\s*\(1\)/);
    expect(await karma.getByTestId('rate-4').getAttribute('aria-pressed')).toBe('true');

    await routeBackTo(music.runtime, 'v1');
    await search.fill('lucky');
    await expect.poll(() => page.getByTestId('served-by').textContent(), answered).toContain('back-v1');
    await page.getByTestId('search-unavailable').waitFor();
    expect(await page.getByTestId('search-unavailable').textContent()).toMatch(
      /search arrives with back v2/i,
    );
    await expect
      .poll(async () => (await titles()).sort(), answered)
      .toEqual(['Karma Police', 'Lucky', 'No Surprises']);
    expect(await page.getByTestId('track-rating').count()).toBe(0);
    expect(await page.locator('[role=alert]').count()).toBe(0);

    await routeBackTo(music.runtime, 'v2');
    await search.fill('police');
    await expect.poll(titles, answered).toEqual(['Karma Police']);
    await page.getByTestId('search-unavailable').waitFor({ state: 'detached' });
    expect(await karma.getByTestId('rate-4').getAttribute('aria-pressed')).toBe('true');
    await page.close();
  });

  it('names the version that sent the list in its hint, not the one that answered a later call', async () => {
    await routeBackTo(music.runtime, 'v2');
    const page = await browser.newPage({ baseURL: music.url });
    await logIn(page, 'admin', 'admin');
    const lucky = page.getByTestId('track-row').filter({ hasText: 'Lucky' });
    await lucky.getByTestId('rate-3').waitFor(answered);

    // The list came from back-v2; a rating answered by back-v1 (404: no ratings there) changes the
    // last answer but not the list, so no "came from back-v1" hint appears and search stays offered.
    await routeBackTo(music.runtime, 'v1');
    await lucky.getByTestId('rate-3').click();
    await expect.poll(() => page.getByTestId('served-by').textContent(), answered).toContain('back-v1');
    await page.getByText('Ratings arrive with back v2').waitFor(answered);
    expect(await page.getByTestId('search-unavailable').count()).toBe(0);
    await page.close();
  });
});
