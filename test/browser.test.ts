import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, logIn } from './support/browser.ts';
import { type RunningMusic, removeDataDir, startMusic } from './support/music.ts';

let music: RunningMusic;
let browser: Browser;

beforeAll(async () => {
  [music, browser] = await Promise.all([startMusic(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await music?.stop();
  if (music) await removeDataDir(music.dataDir);
});

const newPage = () => browser.newPage({ baseURL: music.url });

describe('the Music app in a browser', () => {
  it('lets admin log in, create, list, edit and delete a track', async () => {
    const page = await newPage();
    await logIn(page, 'admin', 'admin');
    await expect.poll(() => page.getByTestId('served-by').textContent()).toContain('back-v1');

    await page.getByTestId('track-create').click();
    await page.locator('input[name="title"]').fill('Everything In Its Right Place');
    await page.locator('input[name="artist"]').fill('Radiohead');
    await page.locator('input[name="album"]').fill('Kid A');
    await page.locator('input[name="durationMs"]').fill('4:11');
    await page.getByTestId('track-save').click();
    await page.waitForURL(/\/tracks$/);
    const row = page.getByTestId('track-row').filter({ hasText: 'Everything In Its Right Place' });
    await row.waitFor();
    expect(await row.textContent()).toContain('4:11');

    await row.getByTestId('track-edit').click();
    await page.locator('input[name="title"]').fill('Everything In Its Right Place (Live)');
    await page.getByTestId('track-save').click();
    await page.waitForURL(/\/tracks$/);
    const edited = page.getByTestId('track-row').filter({ hasText: 'Everything In Its Right Place (Live)' });
    await edited.waitFor();

    await edited.getByTestId('track-delete').click();
    await page.getByTestId('confirm-delete').click();
    await edited.waitFor({ state: 'detached' });
    await page.close();
  });

  it('keeps the edit form closed to typing until the track has loaded', async () => {
    const page = await newPage();
    await logIn(page, 'admin', 'admin');
    await page.getByTestId('track-create').click();
    await page.locator('input[name="title"]').fill('Idioteque');
    await page.locator('input[name="artist"]').fill('Radiohead');
    await page.getByTestId('track-save').click();
    await page.waitForURL(/\/tracks$/);
    const row = page.getByTestId('track-row').filter({ hasText: 'Idioteque' });
    await row.waitFor();

    // The track's GET is held until the form has been looked at: on a slow link, what a user typed
    // before it arrived used to be overwritten by the loaded values, and the old title saved.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(/\/back\/api\/tracks\/[^/?]+$/, async (route) => {
      if (route.request().method() === 'GET') await held;
      await route.continue();
    });
    await row.getByTestId('track-edit').click();
    const title = page.locator('input[name="title"]');
    await title.waitFor();
    expect(await title.isEditable()).toBe(false);
    release();
    await expect.poll(() => title.inputValue()).toBe('Idioteque');
    expect(await title.isEditable()).toBe(true);
    await page.close();
  });

  it('shows the server error next to the field it is about', async () => {
    const page = await newPage();
    await logIn(page, 'admin', 'admin');
    await page.getByTestId('track-create').click();
    await page.locator('input[name="title"]').fill('   ');
    await page.locator('input[name="artist"]').fill('Nobody');
    await page.getByTestId('track-save').click();
    const error = page
      .locator('mat-form-field')
      .filter({ has: page.locator('input[name="title"]') })
      .locator('mat-error');
    await expect.poll(() => error.textContent()).toMatch(/blank/);
    await page.close();
  });

  it('keeps user administration away from user/user', async () => {
    const page = await newPage();
    await logIn(page, 'user', 'user');
    expect(await page.getByTestId('nav-users').count()).toBe(0);
    await page.goto('/admin/users');
    await page.getByTestId('access-denied').waitFor();
    expect(await page.getByTestId('user-row').count()).toBe(0);
    await page.close();
  });

  it('lets admin see the user list', async () => {
    const page = await newPage();
    await logIn(page, 'admin', 'admin');
    await page.getByTestId('nav-users').click();
    await page.getByTestId('user-row').filter({ hasText: 'admin' }).first().waitFor();
    expect(await page.getByTestId('user-row').count()).toBeGreaterThanOrEqual(2);
    await page.close();
  });
});
