import { afterAll, beforeAll, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, newDesk, signIn, startBrowserApp, screenshot, type BrowserApp } from './support.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';

let app: BrowserApp;
let browser: Browser;
beforeAll(async () => {
  [app, browser] = await Promise.all([startBrowserApp(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});
it('debug', async () => {
  const k = app.db.knex;
  const a = await createProvider(k, { name: 'Dr Ada Lovelace' });
  const p = await createPatient(k, { name: 'Maria Garcia', dob: '1970-01-02' });
  await insertAppointment(k, { patientId: p, providerId: a, scheduledAt: '2027-04-06T09:00:00-04:00' });
  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, await app.createUser('front_desk'), '/?date=2027-04-06');
  await page.getByRole('grid').waitFor();
  await page.waitForTimeout(1000);
  console.log(await page.getByRole('grid').ariaSnapshot().then((s) => s.split('\n').filter((l) => l.includes('button')).join('\n')));
  await page.getByRole('gridcell', { name: /^Dr Ada Lovelace, 10:00, free/ }).click();
  await page.getByLabel('Find patient (name or date of birth)').fill('Zoe Keyboard');
  await page.getByRole('button', { name: 'Register new patient' }).click();
  await page.getByLabel('Date of birth').focus();
  await page.keyboard.type('01022999');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(1000);
  await screenshot(page, '_dbg1');
  await page.getByLabel('Date of birth').fill('');
  await page.getByLabel('Date of birth').focus();
  await page.keyboard.type('03041988');
  console.log('value', await page.getByLabel('Date of birth').inputValue());
  await page.keyboard.press('Enter');
  await page.waitForTimeout(1000);
  await screenshot(page, '_dbg2');
});
