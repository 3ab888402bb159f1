/** Every role signs in through the real page and reaches its screen, live. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, newDesk, signIn, startBrowserApp, type BrowserApp } from './support.js';

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
