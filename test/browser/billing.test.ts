/**
 * Billing's charges in a real browser against the real server: the charges of completed
 * visits with name, date of birth, date of service, provider and status; filters by status
 * and date; the CSV is exactly the table; axe finds nothing serious.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeSerious, launchChromium, newDesk, screenshot, signIn, startBrowserApp, type BrowserApp } from './support.js';
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

const CAPTION = /^Charges, newest date of service first/;
const rowsOf = (page: Page) =>
  page.getByRole('table', { name: CAPTION }).evaluate((t) => [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));

it('shows the charges of completed visits, filters them, and exports exactly the table', async () => {
  const k = app.db.knex;
  const providerId = await createProvider(k, { name: 'Dr Bill Able' });
  const complete = async (name: string, dob: string, at: string) => {
    const patientId = await createPatient(k, { name, dob });
    const a = await insertAppointment(k, { patientId, providerId, scheduledAt: at, status: 'checked_in' });
    await k.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [a, patientId]);
    await k.raw("UPDATE appointments SET status = 'completed' WHERE appointment_id = ?", [a]);
    return patientId;
  };
  await complete('Carla Claim', '1971-01-02', '2026-10-05T14:00:00Z');
  const paid = await complete('Dora Due', '1982-03-04', '2026-11-09T15:00:00Z');
  await k.raw("UPDATE charges SET amount_cents = 12000, payer = 'Acme Health', status = 'submitted' WHERE patient_id = ?", [paid]);
  // Not completed: no charge, never shown.
  const waiting = await createPatient(k, { name: 'Ed Unbilled' });
  await insertAppointment(k, { patientId: waiting, providerId, scheduledAt: '2030-01-07T15:00:00Z' });

  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, await app.createUser('billing'));
  await expect.poll(() => rowsOf(page)).toEqual([
    ['Dora Due', '1982-03-04', '2026-11-09', 'Dr Bill Able', '120.00 USD', 'Acme Health', 'submitted'],
    ['Carla Claim', '1971-01-02', '2026-10-05', 'Dr Bill Able', 'not priced', '—', 'pending'],
  ]);
  expect(await page.textContent('main')).not.toContain('Ed Unbilled');
  const v = await axeSerious(page);
  expect(v, JSON.stringify(v.map((x) => [x.id, x.help, x.nodes.slice(0, 2)]))).toEqual([]);
  await screenshot(page, 'billing');

  await page.getByLabel('Status').selectOption('pending');
  await expect.poll(() => rowsOf(page)).toEqual([['Carla Claim', '1971-01-02', '2026-10-05', 'Dr Bill Able', 'not priced', '—', 'pending']]);
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('Service from').fill('2026-11-01');
  await expect.poll(() => rowsOf(page)).toEqual([['Dora Due', '1982-03-04', '2026-11-09', 'Dr Bill Able', '120.00 USD', 'Acme Health', 'submitted']]);
  await page.getByLabel('Service from').fill('');

  await expect.poll(async () => (await rowsOf(page)).length).toBe(2);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV of the charges shown' }).click()]);
  const csv = readFileSync((await download.path())!, 'utf8');
  const header = await page.getByRole('table', { name: CAPTION }).evaluate((t) => [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? ''));
  expect(csv).toBe([header, ...(await rowsOf(page))].map((r) => r.join(',')).join('\r\n') + '\r\n');
  await ctx.close();
});

it('forgets the older pages of the previous filter: no "Load older charges" for the old list while the new one loads, nor under a contradictory date range', async () => {
  const k = app.db.knex;
  const providerId = await createProvider(k, { name: 'Dr Page Turner' });
  // More than a page (100) of charges: one submitted, the rest pending.
  for (let i = 0; i < 102; i++) {
    const patientId = await createPatient(k, { name: `Pat Pager ${i}` });
    const a = await insertAppointment(k, { patientId, providerId, scheduledAt: new Date(Date.UTC(2026, 5, 1) + i * 3_600_000).toISOString(), status: 'checked_in' });
    await k.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [a, patientId]);
    await k.raw("UPDATE appointments SET status = 'completed' WHERE appointment_id = ?", [a]);
    if (i === 0) await k.raw("UPDATE charges SET amount_cents = 5000, payer = 'Acme Health', status = 'submitted' WHERE patient_id = ?", [patientId]);
  }
  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, await app.createUser('billing'));
  const older = page.getByRole('button', { name: 'Load older charges' });
  await older.waitFor();

  // Hold the filtered list's first page until the check below has run.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route(/\/api\/billing\/charges\?.*status=submitted/, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByLabel('Status').selectOption('submitted');
  await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor();
  expect(await older.count()).toBe(0);
  release();
  // Only submitted charges (this test's, and any an earlier test left), none of the pending list's.
  await expect
    .poll(async () => {
      const rows = await rowsOf(page);
      return { statuses: [...new Set(rows.map((r) => r[6]))], pager: rows.map((r) => r[0] ?? '').filter((name) => name.startsWith('Pat Pager')) };
    })
    .toEqual({ statuses: ['submitted'], pager: ['Pat Pager 0'] });
  expect(await older.count()).toBe(0);

  // A contradictory date range: the error, and neither the previous list nor its next page.
  await page.getByLabel('Status').selectOption('');
  await older.waitFor();
  await page.getByLabel('Service from').fill('2026-07-01');
  await page.getByLabel('Service to').fill('2026-06-01');
  await page.getByText('"Service from" must not be after "Service to".').waitFor();
  expect(await older.count()).toBe(0);
  expect(await page.getByRole('table', { name: CAPTION }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Download CSV of the charges shown' }).isDisabled()).toBe(true);
  await ctx.close();
});
