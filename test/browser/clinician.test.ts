/**
 * The clinician's screen in a real browser against the real server: an arrival checked in
 * on the front desk's day grid (its own page) is announced within a second in an aria-live region; the visit is
 * completed through the form (ICD-10 search, a prescription, a note) and the patient panel
 * then shows it; a prescription that ends before it starts is refused with the field named
 * and nothing saved; the day moves by previous/next and the date picker; break-the-glass opens a patient outside
 * her care with a reason and a time limit shown in a banner; axe finds nothing serious. In a
 * browser outside the clinic's zone, her times carry the clinic's zone.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeSerious, launchChromium, newDesk, refuseFirstWatch, screenshot, serverError, signIn, startBrowserApp, TEST_PASSWORD, type BrowserApp } from './support.js';
import { createMedication, createPatient, createProvider, insertAppointment, onClinicMorning } from '../support/clinic.js';
import type { StaffFixture } from '../support/staff.js';

let app: BrowserApp;
let browser: Browser;
beforeAll(async () => {
  [app, browser] = await Promise.all([startBrowserApp(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const clinicDay = (t: number, zone: string) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(t));
const longDay = (day: string) => new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(`${day}T12:00:00Z`));

/** An instant later today, on the minute (the test runs in the clinic's morning: the day has room). */
const laterToday = (minutes: number) => new Date(Math.ceil(Date.now() / 60_000) * 60_000 + minutes * 60_000).toISOString();

async function expectNoSeriousAxe(page: Page, where: string) {
  const v = await axeSerious(page);
  expect(v, `${where}: ${JSON.stringify(v.map((x) => [x.id, x.help, x.nodes.slice(0, 2)]))}`).toEqual([]);
}

it('announces an arrival, completes the visit through the form, and shows it in the patient panel', async () => {
  // The clinic's today, at any hour the suite runs: the clinic moves to where it is now mid-morning.
  await onClinicMorning(app.db.knex, ({ timeZone }) => arrivalToPanel(timeZone));
});

it('offers Retry when her emergency access grants fail to load, and when the live watch of her day is refused, and comes back live', async () => {
  await onClinicMorning(app.db.knex, () => refusedWatch());
});

it("labels her times with the clinic's zone when her browser is in another", async () => {
  await onClinicMorning(app.db.knex, ({ timeZone, soon }) => zoneLabels(timeZone, soon));
});

/** A provider with her clinician account and a new patient; with `arrivedFor`, the patient booked then and checked in. */
async function clinicianAndPatient(provider: string, patient: string, arrivedFor?: string) {
  const k = app.db.knex;
  const providerId = await createProvider(k, { name: provider });
  const patientId = await createPatient(k, { name: patient });
  let checkedInAt: Date | undefined;
  if (arrivedFor) {
    const apptId = await insertAppointment(k, { patientId, providerId, scheduledAt: arrivedFor });
    const { rows } = await k.raw("UPDATE appointments SET status = 'checked_in' WHERE appointment_id = ? RETURNING checked_in_at", [apptId]);
    checkedInAt = rows[0].checked_in_at;
  }
  return { providerId, patientId, checkedInAt, clinician: await app.createUser('clinician', { providerId }) };
}

async function zoneLabels(timeZone: string, soon: string): Promise<void> {
  const { clinician, checkedInAt } = await clinicianAndPatient('Dr Zoe Zone', 'Zack Zone', soon);
  // Her browser is not in the clinic's zone (the morning zone is a fixed offset, never UTC itself).
  const ctx = await newDesk(browser, { timezoneId: timeZone === 'UTC' ? 'Asia/Tokyo' : 'UTC' });
  const page = await ctx.newPage();
  await signIn(page, app.url, clinician);
  const at = (t: string | Date) => {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).formatToParts(new Date(t));
    const part = (type: string) => parts.find((p) => p.type === type)!.value;
    return `${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
  };
  const waiting = page.getByRole('list', { name: 'Waiting now, longest first' });
  await expect.poll(() => waiting.textContent()).toContain(`Zack Zone — booked ${at(soon)}, arrived ${at(checkedInAt!)}`);
  await page.getByRole('button', { name: 'Complete visit: Zack Zone' }).click();
  await page.getByRole('dialog', { name: 'Complete visit: Zack Zone' }).getByText(`at ${at(soon)}. Everything below`).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Zack Zone', exact: true }).click();
  const history = page.getByRole('dialog', { name: 'Patient chart: Zack Zone' }).getByRole('table', { name: 'Appointment history, newest first' });
  await expect.poll(() => history.locator('tbody tr').first().textContent()).toContain(at(soon));
  await ctx.close();
}

it("keeps a refused prescription's error on that prescription when another one is removed, and keeps the keyboard focus in the form", async () => {
  await onClinicMorning(app.db.knex, ({ soon }) => rxErrorsFollowTheirPrescription(soon));
});

async function rxErrorsFollowTheirPrescription(soon: string): Promise<void> {
  const k = app.db.knex;
  const { clinician } = await clinicianAndPatient('Dr Rex Rx', 'Rita Rx', soon);
  await createMedication(k, { name: 'Amoxicillin', form: 'capsule', strength: '500 mg' });
  await createMedication(k, { name: 'Ibuprofen', form: 'tablet', strength: '400 mg' });
  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, clinician);
  await page.getByRole('button', { name: 'Complete visit: Rita Rx' }).click();
  const dialog = page.getByRole('dialog', { name: 'Complete visit: Rita Rx' });
  const focusedLabel = () => page.evaluate(() => (document.activeElement?.closest('label')?.firstChild?.textContent ?? document.activeElement?.tagName ?? '').trim());
  for (const [q, name] of [['amox', 'Amoxicillin capsule 500 mg'], ['ibup', 'Ibuprofen tablet 400 mg']] as const) {
    await dialog.getByLabel('Search the formulary').fill(q);
    // Chosen by keyboard: the result list goes away and the focus is back in the search box.
    await dialog.getByRole('button', { name: `Add ${name}` }).focus();
    await page.keyboard.press('Enter');
    await dialog.getByRole('group', { name }).waitFor();
    expect(await focusedLabel()).toBe('Search the formulary');
    await dialog.getByRole('group', { name }).getByLabel('Dosage').fill('as directed');
  }
  // The first prescription ends before it starts: refused, its End date marked.
  const amox = dialog.getByRole('group', { name: 'Amoxicillin capsule 500 mg' });
  const ibup = dialog.getByRole('group', { name: 'Ibuprofen tablet 400 mg' });
  const start = await amox.getByLabel('Start date').inputValue();
  await amox.getByLabel('End date').fill(new Date(Date.parse(`${start}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10));
  await dialog.getByRole('button', { name: 'Complete visit', exact: true }).click();
  await dialog.getByRole('alert').filter({ hasText: 'End date of Amoxicillin capsule 500 mg' }).waitFor();
  expect(await amox.getByLabel('End date').getAttribute('aria-invalid')).toBe('true');
  expect(await ibup.getByLabel('End date').getAttribute('aria-invalid')).toBeNull();
  // Removing it takes its error with it: the other prescription is not marked in its place.
  await amox.getByRole('button', { name: 'Remove Amoxicillin capsule 500 mg' }).focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => amox.count()).toBe(0);
  // Its Remove button went with it: the focus is back in the formulary search, not lost to the page.
  expect(await focusedLabel()).toBe('Search the formulary');
  expect(await ibup.getByLabel('End date').getAttribute('aria-invalid')).toBeNull();
  expect(await ibup.textContent()).not.toContain('End date:');
  await ctx.close();
}

it('tells a screen reader when her day changes elsewhere: a booking, a cancellation', async () => {
  await onClinicMorning(app.db.knex, ({ soon }) => dayChangesSaid(soon));
});

async function dayChangesSaid(soon: string): Promise<void> {
  const k = app.db.knex;
  const { providerId, patientId, clinician } = await clinicianAndPatient('Dr Ned News', 'Nora News');
  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, clinician);
  await expect.poll(() => page.getByRole('status', { name: 'Connection: Live' }).count(), { timeout: 10_000 }).toBe(1);
  await page.getByText('No appointments on this day.').waitFor();
  const announcer = page.getByTestId('announcer');
  const apptId = await insertAppointment(k, { patientId, providerId, scheduledAt: soon });
  await page.getByRole('row').filter({ hasText: 'Nora News' }).waitFor();
  await expect.poll(() => announcer.textContent()).toMatch(/^Nora News, \d\d:\d\d.*: booked\.$/);
  await k.raw("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [apptId]);
  await expect.poll(() => announcer.textContent()).toMatch(/^Nora News, \d\d:\d\d.*: cancelled\.$/);
  await ctx.close();
}

async function refusedWatch(): Promise<void> {
  const k = app.db.knex;
  const providerId = await createProvider(k, { name: 'Dr Rhea Retry' });
  const clinician = await app.createUser('clinician', { providerId });
  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  // The server's first answer to the watch of her day becomes a refusal.
  await refuseFirstWatch(page, /^42(\d+)\["schedule:watch",/, 'The day could not be loaded; retry.');
  // Her emergency access grants failing to load say so (a banner must not silently vanish).
  const grantsList = /\/api\/break-glass$/;
  await page.route(grantsList, (route) => route.fulfill(serverError('The grants could not be read.')));
  await signIn(page, app.url, clinician);
  const grantsFailed = page.getByRole('alert').filter({ hasText: 'Your emergency access grants could not be loaded. The grants could not be read.' });
  await grantsFailed.waitFor();
  await page.unroute(grantsList);
  await grantsFailed.getByRole('button', { name: 'Retry' }).click();
  await expect.poll(() => grantsFailed.count()).toBe(0);
  const paused = page.getByRole('alert').filter({ hasText: 'Live updates are paused. The day could not be loaded; retry.' });
  await paused.waitFor();
  await paused.getByRole('button', { name: 'Retry' }).click();
  await expect.poll(() => paused.count()).toBe(0);
  // Live again: a booking made elsewhere appears on her day.
  const patientId = await createPatient(k, { name: 'Rita Retry' });
  await insertAppointment(k, { patientId, providerId, scheduledAt: laterToday(45) });
  await page.getByRole('row').filter({ hasText: 'Rita Retry' }).waitFor({ timeout: 5_000 });
  await ctx.close();
}

async function arrivalToPanel(zone: string): Promise<void> {
  const k = app.db.knex;
  const providerId = await createProvider(k, { name: 'Dr Clara Chen' });
  const patientId = await createPatient(k, { name: 'Alice Arrival', email: 'alice.arrival@example.org' });
  const other = await createPatient(k, { name: 'Bruno Later' });
  await createMedication(k, { name: 'Metformin', form: 'tablet', strength: '500 mg' });
  await createMedication(k, { name: 'Metoprolol', form: 'tablet', strength: '25 mg' });
  const apptId = await insertAppointment(k, { patientId, providerId, scheduledAt: laterToday(20) });
  await insertAppointment(k, { patientId: other, providerId, scheduledAt: laterToday(60) });
  const clinician: StaffFixture = await app.createUser('clinician', { providerId });
  const desk = await app.createUser('front_desk');

  const cctx = await newDesk(browser);
  const page = await cctx.newPage();
  // The clinic's clock reaches this page 1.5 s after the server read it (a loaded machine):
  // the page's estimate of server time lags by that much, and no count may show more for it.
  await page.route(/\/api\/clinic$/, async (route) => {
    const response = await route.fetch();
    await new Promise((r) => setTimeout(r, 1500));
    await route.fulfill({ response });
  });
  await signIn(page, app.url, clinician);
  await expect.poll(() => page.getByRole('status', { name: 'Connection: Live' }).count(), { timeout: 10_000 }).toBe(1);
  const today = clinicDay(Date.now(), zone);
  await page.getByRole('heading', { name: `My day · ${longDay(today)}` }).waitFor();
  const row = page.getByRole('row').filter({ hasText: 'Alice Arrival' });
  await expect.poll(() => row.textContent()).toContain('Scheduled');
  await expectNoSeriousAxe(page, 'clinician day');

  // The front desk checks her in from its own signed-in page.
  const dctx = await newDesk(browser);
  const deskPage = await dctx.newPage();
  await signIn(deskPage, app.url, desk);
  const notice = page.getByRole('status', { name: 'Arrival notifications' });
  expect(await notice.getAttribute('aria-live')).toBe('polite');
  // On the front desk's day grid: open her appointment and check her in.
  await deskPage.getByRole('button', { name: /Alice Arrival, born 1980-05-17, 30 min, Scheduled/ }).click();
  const checkedIn = deskPage.waitForResponse((r) => r.url().endsWith(`/api/appointments/${apptId}/check-in`));
  await deskPage.getByRole('button', { name: 'Check in' }).click();
  expect((await checkedIn).status()).toBe(200);
  const t0 = Date.now();
  await notice.filter({ hasText: 'Alice Arrival has checked in' }).waitFor({ timeout: 1000 });
  // Said once: the notice is itself a polite live region, so the page's announcer stays quiet about it.
  expect(await page.getByTestId('announcer').textContent()).not.toContain('Alice Arrival has checked in');
  expect(Date.now() - t0).toBeLessThan(1000);
  await dctx.close();

  // Waiting list (longest first) and the day row with arrival time.
  await page.getByRole('list', { name: 'Waiting now, longest first' }).filter({ hasText: 'Alice Arrival' }).waitFor();
  await expect.poll(() => row.textContent()).toContain('Checked in');
  await screenshot(page, 'clinician-day');

  // Complete the visit: a prescription ending before it starts is refused, nothing saved.
  await page.getByRole('button', { name: 'Complete visit: Alice Arrival' }).click();
  const dialog = page.getByRole('dialog', { name: 'Complete visit: Alice Arrival' });
  await dialog.getByLabel('Search ICD-10-CM (code or words)').fill('type 2 diab');
  await dialog.getByRole('button', { name: 'Add E11.9 Type 2 diabetes mellitus without complications' }).waitFor();
  // Enter in the search box goes to the results; it does not complete a half-written visit (which cannot be reopened).
  await dialog.getByRole('searchbox', { name: 'Search ICD-10-CM (code or words)' }).press('Enter');
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(/^Add E11/);
  expect(await dialog.count()).toBe(1);
  await dialog.getByRole('button', { name: 'Add E11.9 Type 2 diabetes mellitus without complications' }).click();
  await dialog.getByRole('list', { name: 'Diagnoses added' }).filter({ hasText: 'E11.9' }).waitFor();
  await dialog.getByLabel('Search the formulary').fill('metf');
  await dialog.getByRole('button', { name: 'Add Metformin tablet 500 mg' }).click();
  await dialog.getByLabel('Dosage').fill('500 mg twice daily with food');
  await dialog.getByLabel('Dosage').press('Enter');
  const yesterday = new Date(Date.parse(`${today}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  await dialog.getByLabel('Start date').fill(today);
  await dialog.getByLabel('End date').fill(yesterday);
  await dialog.getByText('Hint: this ends before it starts').waitFor();
  await dialog.getByLabel('Visit note (stored encrypted)').fill('Feels better; continue metformin.');
  // Escape by mistake: the draft is not thrown away without asking.
  await page.keyboard.press('Escape');
  const discard = page.getByRole('dialog', { name: 'Discard this visit?' });
  await discard.waitFor();
  await discard.getByRole('button', { name: 'Keep it' }).click();
  await expect.poll(() => discard.count()).toBe(0);
  expect(await dialog.getByLabel('Visit note (stored encrypted)').inputValue()).toBe('Feels better; continue metformin.');
  await dialog.getByRole('list', { name: 'Diagnoses added' }).filter({ hasText: 'E11.9' }).waitFor();
  await expectNoSeriousAxe(page, 'complete-visit form');
  await screenshot(page, 'clinician-complete-visit');
  await dialog.getByRole('button', { name: 'Complete visit', exact: true }).click();
  const alert = dialog.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toMatch(/^Nothing was saved\. End date of Metformin tablet 500 mg: .*endDate/);
  expect(await dialog.getByLabel('End date').getAttribute('aria-invalid')).toBe('true');
  const saved = async () => (await k.raw('SELECT count(*)::int AS n FROM visits WHERE appointment_id = ?', [apptId])).rows[0].n;
  expect(await saved()).toBe(0);
  expect((await k.raw('SELECT status FROM appointments WHERE appointment_id = ?', [apptId])).rows[0].status).toBe('checked_in');

  // Open-ended instead: saved, and the panel shows it.
  await dialog.getByLabel('End date').fill('');
  await dialog.getByRole('button', { name: 'Complete visit', exact: true }).click();
  const panel = page.getByRole('dialog', { name: 'Patient chart: Alice Arrival' });
  await panel.waitFor();
  expect(await saved()).toBe(1);
  await panel.getByText('E11.9 Type 2 diabetes mellitus without complications').waitFor();
  await panel.getByRole('cell', { name: 'Metformin tablet 500 mg' }).waitFor();
  await panel.getByRole('cell', { name: '500 mg twice daily with food' }).waitFor();
  await panel.getByRole('button', { name: `Show note of the visit on ${longDay(today)}` }).click();
  await panel.getByText('Feels better; continue metformin.').waitFor();
  // The Show note button made way for the note: the focus is on the note, not lost to the page.
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Feels better; continue metformin.');
  // Demographics, the prescription in force and the appointment history, completed.
  await panel.getByText('alice.arrival@example.org').waitFor();
  const active = panel.getByRole('table', { name: 'Active prescriptions' }).getByRole('row').filter({ hasText: 'Metformin tablet 500 mg' });
  expect(await active.textContent()).toContain('open-ended');
  const history = panel.getByRole('table', { name: 'Appointment history, newest first' }).getByRole('row').filter({ hasText: 'Dr Clara Chen' });
  expect(await history.textContent()).toContain('Completed');
  await expectNoSeriousAxe(page, 'patient panel');
  await screenshot(page, 'clinician-panel');
  await panel.getByRole('button', { name: 'Close' }).click();
  // The chart opened by itself after the visit was saved (its Complete visit button is gone): closing it leaves the focus on her row.
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Alice Arrival');
  await expect.poll(() => row.textContent()).toContain('Completed');

  // Any day: next and previous, in clinic time. While the next day loads, and when its load
  // fails, today's patients are not shown under its heading (nor offered to complete).
  const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const tomorrowsSchedule = new RegExp(`/api/providers/${providerId}/schedule\\?date=${tomorrow}$`);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route(tomorrowsSchedule, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole('button', { name: 'Next day' }).click();
  await page.getByRole('heading', { name: `My day · ${longDay(tomorrow)}` }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor();
  expect(await row.count()).toBe(0);
  release();
  await page.getByText('No appointments on this day.').waitFor();
  await page.unroute(tomorrowsSchedule);
  await page.getByRole('button', { name: 'Previous day' }).click();
  await page.getByRole('heading', { name: `My day · ${longDay(today)}` }).waitFor();
  await row.waitFor();
  await page.route(tomorrowsSchedule, (route) =>
    route.fulfill(serverError('The schedule could not be read.')),
  );
  await page.getByRole('button', { name: 'Next day' }).click();
  await page.getByRole('alert').filter({ hasText: 'Your day could not be loaded. The schedule could not be read.' }).waitFor();
  expect(await row.count()).toBe(0);
  await page.unroute(tomorrowsSchedule);
  await page.getByRole('button', { name: 'Retry' }).click();
  await page.getByText('No appointments on this day.').waitFor();
  // Today's schedule failing: the waiting list says it is unknown, not that nobody is waiting.
  const todaysSchedule = new RegExp(`/api/providers/${providerId}/schedule\\?date=${today}$`);
  await page.route(todaysSchedule, (route) =>
    route.fulfill(serverError('The schedule could not be read.')),
  );
  await page.getByRole('button', { name: 'Previous day' }).click();
  await page.getByRole('heading', { name: `My day · ${longDay(today)}` }).waitFor();
  const arrivals = page.getByRole('region', { name: 'Arrivals' });
  await arrivals.getByText('The waiting list is unavailable until your day loads.').waitFor();
  expect(await arrivals.getByText('Nobody is waiting.').count()).toBe(0);
  await page.unroute(todaysSchedule);
  await page.getByRole('button', { name: 'Retry' }).click();
  await row.waitFor();
  // Any date through the picker: a booking on a fixed future day, in clinic time; then back to today.
  const { rows: future1030 } = await k.raw(`SELECT ('2027-04-06 10:30'::timestamp AT TIME ZONE clinic_time_zone()) AS at`);
  await insertAppointment(k, { patientId: other, providerId, scheduledAt: (future1030[0].at as Date).toISOString() });
  await page.getByLabel('Date', { exact: true }).fill('2027-04-06');
  await page.getByRole('heading', { name: `My day · ${longDay('2027-04-06')}` }).waitFor();
  const future = page.getByRole('row').filter({ hasText: 'Bruno Later' });
  await expect.poll(() => future.textContent()).toMatch(/^10:30.*Bruno Later.*Scheduled/);
  expect(await page.getByRole('table', { name: `Appointments on ${longDay('2027-04-06')}` }).locator('tbody tr').count()).toBe(1);
  await page.getByRole('button', { name: 'Today' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `My day · ${longDay(today)}` }).waitFor();
  // Today has nothing left to do, and says so, but keeps the keyboard focus (a disabled button drops it to the page).
  expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Today');
  expect(await page.getByRole('button', { name: 'Today' }).getAttribute('aria-disabled')).toBe('true');

  // Break the glass for a patient outside her care: reason, time limit, a banner while in force.
  const otherProvider = await createProvider(k, { name: 'Dr Otto Other' });
  const gina = await createPatient(k, { name: 'Gina Glass' });
  await insertAppointment(k, { patientId: gina, providerId: otherProvider, scheduledAt: laterToday(90) });
  await page.getByText('Emergency access (break the glass)').click();
  await page.getByLabel('Patient number').fill(String(gina));
  await page.getByLabel('Reason for emergency access').fill('short');
  await page.getByRole('button', { name: 'Break the glass' }).click();
  await page.getByText('Give the reason in at least 10 characters.').waitFor();
  await page.getByLabel('Reason for emergency access').fill('Collapsed in the waiting room, own doctor away');
  await page.getByLabel('For how long').selectOption('30');
  // Pressed twice while the grant is on its way: one grant, one high-severity audit row, not two.
  let releaseGrant!: () => void;
  const grantHeld = new Promise<void>((r) => (releaseGrant = r));
  const grantUrl = (u: URL) => u.pathname === `/api/patients/${gina}/break-glass`;
  const posts: string[] = [];
  page.on('request', (r) => grantUrl(new URL(r.url())) && posts.push(r.method()));
  await page.route(grantUrl, async (route) => (await grantHeld, route.continue()));
  await page.getByRole('button', { name: 'Break the glass' }).click();
  await page.getByRole('button', { name: 'Granting…' }).waitFor();
  // The button kept the focus while busy: a second press reaches it, and does nothing.
  await page.keyboard.press('Enter');
  releaseGrant();
  const banner = page.getByRole('region', { name: 'Emergency access in force' });
  await banner.filter({ hasText: 'Emergency access to Gina Glass until' }).waitFor();
  expect(await banner.textContent()).toMatch(/\((29|30) min left\)/);
  expect(posts).toEqual(['POST']);
  expect((await k.raw('SELECT count(*)::int AS n FROM break_glass_grants WHERE patient_id = ?', [gina])).rows[0].n).toBe(1);
  await expectNoSeriousAxe(page, 'break the glass');
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'clinician-break-glass');
  await banner.getByRole('button', { name: 'Open chart of Gina Glass' }).click();
  await page.getByRole('dialog', { name: 'Patient chart: Gina Glass' }).getByText('Date of birth').waitFor();
  await cctx.close();
}

it('signs in again after her session really ends and returns to the day she was on', async () => {
  const k = app.db.knex;
  const providerId = await createProvider(k, { name: 'Dr Sia Session' });
  const clinician = await app.createUser('clinician', { providerId });
  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, clinician);
  await page.getByLabel('Date', { exact: true }).fill('2027-04-06');
  await page.getByRole('heading', { name: `My day · ${longDay('2027-04-06')}` }).waitFor();
  await k.raw('DELETE FROM http_sessions');
  await page.getByRole('button', { name: 'Next day' }).click();
  await page.getByText('Your session ended. Please sign in again.').waitFor();
  await page.getByLabel('Username').fill(clinician.username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: `My day · ${longDay('2027-04-07')}` }).waitFor();
  expect(await page.getByLabel('Date', { exact: true }).inputValue()).toBe('2027-04-07');
  await ctx.close();
});
