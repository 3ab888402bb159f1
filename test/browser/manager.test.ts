/**
 * The manager's analytics in a real browser against the real server: both charts draw
 * (non-blank canvases), their data tables equal the API's rows for the same filters, both
 * zoom to a window of months from the keyboard (tables and CSV follow), a no-show recorded at
 * a front-desk page redraws them live with the filters and zoom kept, the CSV equals the
 * table, and axe finds nothing serious.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeSerious, launchChromium, newDesk, screenshot, serverError, signIn, startBrowserApp, type BrowserApp } from './support.js';
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

const ZONE = 'America/New_York';
const thisMonth = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
const shift = (month: string, by: number) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + by, 1)).toISOString().slice(0, 7);
};
const FROM = shift(thisMonth, -12);
const TO = shift(thisMonth, -1);
/** 10:00 clinic time on the 10th of `month` (always EST/EDT-safe: -05:00 or -04:00 both land on the 10th). */
const on = (month: string, hour: number) => `${month}-10T${String(hour).padStart(2, '0')}:00:00-05:00`;

async function tableRows(page: Page, caption: string): Promise<string[][]> {
  return page.getByRole('table', { name: caption }).evaluate((t) =>
    [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')).filter((r) => r.length > 1),
  );
}

async function apiRows(page: Page, query: string) {
  return page.evaluate(async (q) => (await (await fetch(`/api/analytics/outcomes?${q}`)).json()).items, query) as Promise<
    { providerName: string; month: string; completed: number; noShows: number; cancelled: number; scheduled: number }[]
  >;
}

const pct = (n: number, c: number) => (n + c === 0 ? '—' : String(Math.round((10_000 * n) / (n + c)) / 100));

const canvasPixels = (page: Page, name: string) => page.getByRole('img', { name }).evaluate((c) => (c as HTMLCanvasElement).toDataURL());

async function canvasInked(page: Page, name: string): Promise<number> {
  return page.getByRole('img', { name }).evaluate((c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) inked++;
    return inked;
  });
}

it('draws both charts with tables equal to the API, zooms from the keyboard, redraws live on a no-show keeping the filters and zoom, and exports the table as CSV', async () => {
  const k = app.db.knex;
  const heart = await createProvider(k, { name: 'Dr Ada Heart', specialty: 'Cardiology' });
  const home = await createProvider(k, { name: 'Dr Ben Home', specialty: 'Family medicine' });
  const p = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => createPatient(k, { name: `Patient ${i}` })));
  const m2 = shift(thisMonth, -2);
  const m1 = shift(thisMonth, -1);
  await insertAppointment(k, { patientId: p[0]!, providerId: heart, scheduledAt: on(m2, 9), status: 'completed' });
  await insertAppointment(k, { patientId: p[1]!, providerId: heart, scheduledAt: on(m2, 10), status: 'completed' });
  await insertAppointment(k, { patientId: p[2]!, providerId: heart, scheduledAt: on(m2, 11), status: 'no_show' });
  await insertAppointment(k, { patientId: p[3]!, providerId: home, scheduledAt: on(m2, 9), status: 'completed' });
  await insertAppointment(k, { patientId: p[4]!, providerId: home, scheduledAt: on(m1, 9), status: 'cancelled' });
  const open = await insertAppointment(k, { patientId: p[5]!, providerId: heart, scheduledAt: on(m1, 14) });
  // A future booking: outside the default range, and never counted as past work.
  await insertAppointment(k, { patientId: p[0]!, providerId: heart, scheduledAt: on(shift(thisMonth, 1), 9) });

  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, await app.createUser('manager'));
  await expect.poll(() => page.getByRole('status', { name: 'Connection: Live' }).count(), { timeout: 10_000 }).toBe(1);
  expect(await page.getByLabel('From month').inputValue()).toBe(FROM);
  expect(await page.getByLabel('To month').inputValue()).toBe(TO);

  // Clinic-wide: the table is the sum of the API's rows per month.
  const clinic = 'No-show rate by month, all selected providers';
  await expect.poll(() => tableRows(page, clinic)).toEqual([[m2, '3', '1', '25']]);
  await expect.poll(() => tableRows(page, 'Appointments by outcome and month, all selected providers')).toEqual([
    [m2, '3', '1', '0', '0'],
    [m1, '0', '0', '1', '1'],
  ]);
  expect(await canvasInked(page, 'No-show rate by month, clinic-wide; the numbers are in the table below')).toBeGreaterThan(500);
  expect(await canvasInked(page, 'Appointments by month, stacked by outcome; the numbers are in the table below')).toBeGreaterThan(500);
  await page.getByRole('status', { name: 'Data freshness' }).filter({ hasText: 'Data as of' }).waitFor();

  // One line per provider, Cardiology only: the table equals the API's rows for the same filters.
  await page.getByRole('radio', { name: 'One line per provider' }).check();
  await page.getByLabel('Specialty').selectOption('Cardiology');
  const perProvider = 'No-show rate by provider and month';
  const expected = async () =>
    (await apiRows(page, `from=${FROM}&to=${TO}&specialty=Cardiology`))
      .filter((r) => r.completed + r.noShows > 0)
      .map((r) => [r.providerName, r.month, String(r.completed), String(r.noShows), pct(r.noShows, r.completed)]);
  await expect.poll(() => tableRows(page, perProvider)).toEqual([['Dr Ada Heart', m2, '2', '1', '33.33']]);
  expect(await tableRows(page, perProvider)).toEqual(await expected());
  const volume = 'Appointments by outcome, provider and month';
  expect(await tableRows(page, volume)).toEqual(
    (await apiRows(page, `from=${FROM}&to=${TO}&specialty=Cardiology`)).map((r) => [r.providerName, r.month, String(r.completed), String(r.noShows), String(r.cancelled), String(r.scheduled)]),
  );
  expect(await canvasInked(page, 'No-show rate by month, one line per provider; the numbers are in the table below')).toBeGreaterThan(500);
  await axeOk(page);
  await screenshot(page, 'manager');

  // Zoom both charts to the last month: the chart redraws, the tables keep only that month.
  const rateChart = 'No-show rate by month, one line per provider; the numbers are in the table below';
  const unzoomed = await canvasPixels(page, rateChart);
  const zoomState = page.getByRole('status', { name: 'Zoom' });
  expect(await zoomState.textContent()).toBe(`Showing all months, ${FROM} to ${TO}.`);
  await page.getByLabel('First month shown').selectOption(m1);
  await zoomState.filter({ hasText: `Showing ${m1} to ${m1} of ${FROM} to ${TO}.` }).waitFor();
  expect(await page.getByLabel('Last month shown').inputValue()).toBe(m1);
  await expect.poll(() => tableRows(page, perProvider)).toEqual([]);
  await page.getByRole('table', { name: perProvider }).getByText('No appointments for these filters.').waitFor();
  expect(await tableRows(page, volume)).toEqual([['Dr Ada Heart', m1, '0', '0', '0', '1']]);
  await expect.poll(() => canvasPixels(page, rateChart)).not.toBe(unzoomed);
  expect(await canvasInked(page, rateChart)).toBeGreaterThan(500);

  // A no-show recorded at a front-desk page elsewhere: the tables change, the filters stay.
  // Every text the freshness line shows from now on (a screen reader reads each one out).
  await page.evaluate(() => {
    const line = document.querySelector('[aria-label="Data freshness"]')!;
    const seen: string[] = [];
    (window as unknown as { __fresh: string[] }).__fresh = seen;
    new MutationObserver(() => seen.push(line.textContent ?? '')).observe(line, { childList: true, characterData: true, subtree: true });
  });
  const dctx = await newDesk(browser);
  const desk = await dctx.newPage();
  await signIn(desk, app.url, await app.createUser('front_desk'));
  expect(await desk.evaluate(async (id) => (await fetch(`/api/appointments/${id}/no-show`, { method: 'POST' })).status, open)).toBe(200);
  await dctx.close();
  // Still zoomed to the last month: only its new no-show shows.
  await expect.poll(() => tableRows(page, perProvider), { timeout: 10_000 }).toEqual([['Dr Ada Heart', m1, '0', '1', '100']]);
  expect(await zoomState.textContent()).toBe(`Showing ${m1} to ${m1} of ${FROM} to ${TO}.`);
  // The live redraw changed the line once, to its new time: no "Updating…" in between.
  const fresh = await page.evaluate(() => (window as unknown as { __fresh: string[] }).__fresh);
  expect(fresh.some((t) => t.startsWith('Data as of'))).toBe(true);
  expect(fresh).not.toContain('Updating…');
  expect(await page.getByLabel('Specialty').inputValue()).toBe('Cardiology');
  expect(await page.getByRole('radio', { name: 'One line per provider' }).isChecked()).toBe(true);

  // From the keyboard: zoom out one month each side (clamped to the range), then show all months.
  await page.getByRole('button', { name: 'Zoom out' }).focus();
  await page.keyboard.press('Enter');
  await zoomState.filter({ hasText: `Showing ${m2} to ${m1} of ${FROM} to ${TO}.` }).waitFor();
  await page.getByRole('button', { name: 'Show all months' }).focus();
  await page.keyboard.press('Space');
  await zoomState.filter({ hasText: `Showing all months, ${FROM} to ${TO}.` }).waitFor();
  // The button has nothing left to do, and says so, but keeps the keyboard focus (a disabled one drops it to the page).
  expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Show all months');
  expect(await page.getByRole('button', { name: 'Show all months' }).getAttribute('aria-disabled')).toBe('true');
  await expect.poll(() => tableRows(page, perProvider)).toEqual([
    ['Dr Ada Heart', m2, '2', '1', '33.33'],
    ['Dr Ada Heart', m1, '0', '1', '100'],
  ]);
  expect(await tableRows(page, perProvider)).toEqual(await expected());
  // Zoom in from the keyboard: a month off each end of the range.
  await page.getByRole('button', { name: 'Zoom in' }).focus();
  await page.keyboard.press('Enter');
  await zoomState.filter({ hasText: `Showing ${shift(FROM, 1)} to ${shift(TO, -1)} of ${FROM} to ${TO}.` }).waitFor();
  await expect.poll(() => tableRows(page, perProvider)).toEqual([['Dr Ada Heart', m2, '2', '1', '33.33']]);
  await axeOk(page);
  await page.getByRole('button', { name: 'Show all months' }).click();

  // The CSV is exactly the table.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download CSV: ${perProvider}` }).click()]);
  const csv = readFileSync((await download.path())!, 'utf8');
  const header = await page.getByRole('table', { name: perProvider }).evaluate((t) => [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? ''));
  expect(csv).toBe([header, ...(await tableRows(page, perProvider))].map((r) => r.join(',')).join('\r\n') + '\r\n');

  // By provider: all specialties, only Dr Ben Home ticked; the table is the API's rows for him.
  await page.getByLabel('Specialty').selectOption('');
  await page.getByText('Providers (all').click();
  await page.getByRole('checkbox', { name: 'Dr Ben Home (Family medicine)' }).check();
  await expect.poll(() => tableRows(page, volume)).toEqual([['Dr Ben Home', m2, '1', '0', '0', '0'], ['Dr Ben Home', m1, '0', '0', '1', '0']]);
  expect(await tableRows(page, volume)).toEqual(
    (await apiRows(page, `from=${FROM}&to=${TO}&providerId=${home}`)).map((r) => [r.providerName, r.month, String(r.completed), String(r.noShows), String(r.cancelled), String(r.scheduled)]),
  );
  await ctx.close();
});

async function axeOk(page: Page) {
  const v = await axeSerious(page);
  expect(v, JSON.stringify(v.map((x) => [x.id, x.help, x.nodes.slice(0, 2)]))).toEqual([]);
}

it("says the data's clinic time with the clinic's zone when the browser is elsewhere", async () => {
  const ctx = await newDesk(browser, { timezoneId: 'UTC' });
  const page = await ctx.newPage();
  await signIn(page, app.url, await app.createUser('manager'));
  const freshness = page.getByRole('status', { name: 'Data freshness' });
  await freshness.filter({ hasText: 'Data as of' }).waitFor();
  expect(await freshness.textContent()).toMatch(/^Data as of \d\d:\d\d:\d\d clinic time \(E[SD]T\);/);
  await ctx.close();
});

it("shows the error, not the last filters' numbers, when the analytics for new filters fail; Retry loads them", async () => {
  const k = app.db.knex;
  const skin = await createProvider(k, { name: 'Dr Dee Skin', specialty: 'Dermatology' });
  const patient = await createPatient(k, { name: 'Patient Skin' });
  await insertAppointment(k, { patientId: patient, providerId: skin, scheduledAt: on(shift(thisMonth, -2), 9), status: 'completed' });
  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, await app.createUser('manager'));
  const rate = page.getByRole('table', { name: 'No-show rate by month, all selected providers' });
  const volume = page.getByRole('table', { name: 'Appointments by outcome and month, all selected providers' });
  await rate.waitFor();
  const failing = /\/api\/analytics\/outcomes\?.*specialty=Dermatology/;
  await page.route(failing, (route) => route.fulfill(serverError('The counters could not be read.')));
  await page.getByLabel('Specialty').selectOption('Dermatology');
  await page.getByRole('alert').filter({ hasText: 'The analytics could not be loaded. The counters could not be read.' }).waitFor();
  // Every specialty's numbers must not stand under "Dermatology".
  expect(await rate.count()).toBe(0);
  expect(await volume.count()).toBe(0);
  await page.unroute(failing);
  await page.getByRole('button', { name: 'Retry' }).click();
  await expect.poll(() => tableRows(page, 'Appointments by outcome and month, all selected providers')).toEqual([[shift(thisMonth, -2), '1', '0', '0', '0']]);
  await ctx.close();
});
