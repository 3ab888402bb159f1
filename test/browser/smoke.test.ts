/** Every role signs in through the real page and reaches its screen, live. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { axeSerious, launchChromium, newDesk, signIn, startBrowserApp, type BrowserApp } from './support.js';

let app: BrowserApp;
let browser: Browser;
beforeAll(async () => {
  [app, browser] = await Promise.all([startBrowserApp(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

it('signs in as the front desk and as a manager, each to their own screen, live', async () => {
  for (const role of ['front_desk', 'manager'] as const) {
    const ctx = await newDesk(browser);
    const page = await ctx.newPage();
    await signIn(page, app.url, await app.createUser(role));
    await expect.poll(() => page.getByRole('status', { name: 'Connection: Live' }).count(), { timeout: 10_000 }).toBe(1);
    if (role === 'manager') await page.getByRole('img', { name: 'No-show rate by month' }).waitFor();
    await ctx.close();
  }
});

it('warns a minute before the idle sign-out, and "Stay signed in" keeps the session', async () => {
  // 65 s idle timeout: the one-minute warning comes after 5 s without input.
  const shortIdle = await startBrowserApp({ sessionIdleMs: 65_000 });
  try {
    const ctx = await newDesk(browser);
    const page = await ctx.newPage();
    await signIn(page, shortIdle.url, await shortIdle.createUser('front_desk'));
    const dialog = page.getByRole('dialog', { name: 'Still there?' });
    await dialog.waitFor({ timeout: 20_000 });
    expect(await dialog.textContent()).toMatch(/signed out in \d+ seconds/);
    // The warning is a modal dialog a keyboard or screen-reader user must be able to answer.
    expect(await axeSerious(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Stay signed in' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    await ctx.close();
  } finally {
    await shortIdle.close();
  }
});
