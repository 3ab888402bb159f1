/**
 * Scheduling the way a clinic works, at the front desk, in a real Chromium against the real
 * server and database, by accessible names only: "first available" for a provider and for a
 * specialty, booking outside working hours with a reason, an audited overbook, and the live
 * waitlist (add, listed and announced on a second desk without reload, a freed slot offered to both desks
 * and booked in one step; the second desk is told it was taken, and hears that she is off the list). Screenshots of the new
 * states go to docs/screenshots/scheduling-*.png; each new state is scanned with axe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { axeSerious, launchChromium, newDesk, recordAnnouncements, screenshot, serverError, signIn, startBrowserApp, type AxeViolation, type BrowserApp } from './support.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import type { StaffFixture } from '../support/staff.js';
import { asStaff } from '../../server/db/index.js';

let app: BrowserApp;
let browser: Browser;
let desk: StaffFixture;
const contexts: BrowserContext[] = [];
const axeFindings: { state: string; violations: AxeViolation[] }[] = [];
const DAY = '2027-04-06'; // a Tuesday, in the future (EDT, UTC-4)
const at = (hhmm: string) => `${DAY}T${hhmm}:00-04:00`;
const ADA = 'Dr Ada Lovelace';
const BEN = 'Dr Ben Carson';
const CLEO = 'Dr Cleo Park';
let ada: number;
let ben: number;
let cleo: number;
let benAfternoon: number;

beforeAll(async () => {
  [app, browser] = await Promise.all([startBrowserApp(), launchChromium()]);
  const k = app.db.knex;
  ada = await createProvider(k, { name: ADA, specialty: 'Family medicine' });
  ben = await createProvider(k, { name: BEN, specialty: 'Cardiology' });
  cleo = await createProvider(k, { name: CLEO, specialty: 'Cardiology' });
  for (const id of [ada, ben, cleo]) for (let d = 1; d <= 7; d++) await k.raw(`INSERT INTO provider_working_hours VALUES (?, ?, '08:00', '17:00')`, [id, d]);
  await createPatient(k, { name: 'Fiona First', dob: '1980-03-04' });
  await createPatient(k, { name: 'Otto Outside', dob: '1975-05-06' });
  await createPatient(k, { name: 'Uma Urgent', dob: '1990-07-08' });
  await createPatient(k, { name: 'Wanda Waitlist', dob: '1966-09-10' });
  const busy = await createPatient(k, { name: 'Bea Busy', dob: '1950-01-01' });
  // Ada is busy 08:00-09:00, Ben 08:00-08:30 and 10:00-10:30; Ben's 14:00 is cancelled later (the waitlist).
  await insertAppointment(k, { patientId: busy, providerId: ada, scheduledAt: at('08:00'), durationMin: 60 });
  await insertAppointment(k, { patientId: await createPatient(k, { name: 'Carl Cardio' }), providerId: ben, scheduledAt: at('08:00'), durationMin: 30 });
  await insertAppointment(k, { patientId: await createPatient(k, { name: 'Omar Other' }), providerId: ben, scheduledAt: at('10:00'), durationMin: 30 });
  benAfternoon = await insertAppointment(k, { patientId: await createPatient(k, { name: 'Cass Cancels' }), providerId: ben, scheduledAt: at('14:00'), durationMin: 30 });
  desk = await app.createUser('front_desk');
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
});

async function openDesk(): Promise<Page> {
  const ctx = await newDesk(browser);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signIn(page, app.url, desk, `/?date=${DAY}`);
  await page.getByRole('grid').waitFor();
  await expect.poll(() => page.getByRole('status', { name: 'Connection: Live' }).count()).toBe(1);
  return page;
}

const cell = (page: Page, provider: string, time: string) => page.getByRole('gridcell', { name: new RegExp(`^${provider}, ${time}, free`) });
const bookingForm = (page: Page) => page.getByRole('form', { name: 'New appointment' });
const waitlist = (page: Page) => page.getByRole('region', { name: /^Waitlist/ });

async function scan(page: Page, state: string): Promise<void> {
  axeFindings.push({ state, violations: await axeSerious(page) });
}

async function choosePatient(scope: Locator, query: string, option: RegExp): Promise<void> {
  await scope.getByLabel('Find patient (name or date of birth)').fill(query);
  await scope.getByRole('option', { name: option }).click();
}

async function appointmentAt(providerId: number, hhmm: string): Promise<{ patient: string; overbook_reason: string | null; outside_hours_reason: string | null }[]> {
  const { rows } = await app.db.knex.raw(
    `SELECT p.name AS patient, a.overbook_reason, a.outside_hours_reason FROM appointments a JOIN patients p USING (patient_id)
     WHERE a.provider_id = ? AND a.scheduled_at = ? AND a.status <> 'cancelled' ORDER BY a.appointment_id`,
    [providerId, at(hhmm)],
  );
  return rows;
}

describe('first available', () => {
  it("lists the provider's next free times in clinic time, and choosing one fills the form and moves on to the patient", async () => {
    const page = await openDesk();
    await cell(page, ADA, '12:00').click();
    const form = bookingForm(page);
    await form.getByRole('button', { name: `First available with ${ADA}` }).click();
    const times = form.getByRole('list', { name: `Free times with ${ADA}` });
    await times.waitFor();
    // Ada is busy until 09:00 that day: the first free 30 minutes are 09:00-09:30.
    const first = times.getByRole('button').first();
    expect(await first.textContent()).toBe(`Tue, Apr 6 09:00–09:30, ${ADA}`);
    expect(await times.getByRole('button').count()).toBe(5);
    await screenshot(page, 'scheduling-first-available');
    await scan(page, 'first available');
    await first.click();
    expect(await form.getByLabel('Start time').inputValue()).toBe('09:00');
    expect(await form.getByLabel('Date', { exact: true }).inputValue()).toBe(DAY);
    // The list went away with the time chosen: the focus is on what comes next, finding the patient.
    await expect
      .poll(() => page.evaluate(() => (document.activeElement === document.body ? 'the page' : (document.activeElement?.closest('label')?.firstChild?.textContent?.trim() ?? ''))))
      .toBe('Find patient (name or date of birth)');
    await choosePatient(form, 'Fiona', /Fiona First/);
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    await page.getByRole('button', { name: /^09:00–09:30 Fiona First/ }).waitFor();
    expect(await appointmentAt(ada, '09:00')).toEqual([{ patient: 'Fiona First', overbook_reason: null, outside_hours_reason: null }]);
  });

  it('searches the whole specialty, and choosing a slot of another provider switches the provider', async () => {
    const page = await openDesk();
    await cell(page, BEN, '12:00').click();
    const form = bookingForm(page);
    await form.getByRole('button', { name: 'First available in Cardiology' }).click();
    const times = form.getByRole('list', { name: 'Free times in Cardiology' });
    await times.waitFor();
    // Ben is busy at 08:00; Cleo is free: the first cardiology slot is Cleo's 08:00.
    const first = times.getByRole('button').first();
    expect(await first.textContent()).toBe(`Tue, Apr 6 08:00–08:30, ${CLEO}`);
    await first.click();
    expect(await form.getByLabel('Provider').inputValue()).toBe(String(cleo));
    expect(await form.getByLabel('Start time').inputValue()).toBe('08:00');
  });
});

describe('first available, asked and then changed', () => {
  it('drops an answer that arrives after the length was changed (its slots were for the old length)', async () => {
    const page = await openDesk();
    await cell(page, ADA, '12:00').click();
    const form = bookingForm(page);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let asked = 0;
    await page.route('**/api/slots?**', async (route) => {
      asked++;
      await held;
      await route.continue().catch(() => undefined); // the page may have given up on it
    });
    await form.getByRole('button', { name: `First available with ${ADA}` }).click();
    await expect.poll(() => asked).toBe(1);
    const givenUp = page.waitForEvent('requestfailed', { predicate: (r) => r.url().includes('/api/slots?'), timeout: 10_000 });
    await form.getByLabel('Duration').selectOption({ label: '60 min' });
    // The page gives up on the 30-minute question, so its answer is never listed under the 60-minute form.
    await givenUp;
    release();
    expect(await form.getByRole('list', { name: `Free times with ${ADA}` }).count()).toBe(0);
    await page.unroute('**/api/slots?**');
    // Asked again, the list is for 60 minutes.
    await form.getByRole('button', { name: `First available with ${ADA}` }).click();
    const first = await form.getByRole('list', { name: `Free times with ${ADA}` }).getByRole('button').first().textContent();
    const [, from, to] = /^Tue, Apr 6 (\d\d:\d\d)–(\d\d:\d\d), /.exec(first!)!;
    const min = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
    expect(min(to!) - min(from!)).toBe(60);
  });
});

describe('the exceptions the rules allow, only where they refused', () => {
  it('offers booking outside working hours with a required reason, stored with the appointment', async () => {
    const page = await openDesk();
    const form = bookingForm(page);
    await page.getByRole('gridcell', { name: `${ADA}, 07:30, free, outside working hours` }).click();
    await choosePatient(form, 'Otto', /Otto Outside/);
    // No reason field before the rules refuse.
    expect(await form.getByLabel('Reason for booking outside working hours').count()).toBe(0);
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    await form.getByRole('alert').filter({ hasText: `is outside ${ADA}'s working hours` }).waitFor();
    const reason = form.getByLabel('Reason for booking outside working hours');
    await form.getByRole('button', { name: 'Book outside working hours' }).click();
    await form.getByText('Give the reason, at least 5 characters.').waitFor();
    expect(await appointmentAt(ada, '07:30')).toEqual([]);
    await reason.fill('Works night shifts; only early mornings');
    await screenshot(page, 'scheduling-outside-hours');
    await scan(page, 'outside working hours reason');
    await form.getByRole('button', { name: 'Book outside working hours' }).click();
    await page.getByRole('button', { name: /^07:30–08:00 Otto Outside/ }).waitFor();
    expect(await appointmentAt(ada, '07:30')).toEqual([{ patient: 'Otto Outside', overbook_reason: null, outside_hours_reason: 'Works night shifts; only early mornings' }]);
  });

  it('offers an overbook with a required reason when the slot is taken; the overbook is audited and shown as one', async () => {
    const page = await openDesk();
    const form = bookingForm(page);
    await cell(page, BEN, '11:00').click();
    await choosePatient(form, 'Uma', /Uma Urgent/);
    await form.getByLabel('Start time').fill('10:00');
    expect(await form.getByLabel('Overbook reason').count()).toBe(0);
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    await form.getByRole('alert').filter({ hasText: 'already has an appointment' }).waitFor();
    await form.getByRole('button', { name: 'Book as overbook' }).click();
    await form.getByText('Give the reason, at least 10 characters.').waitFor();
    await form.getByLabel('Overbook reason').fill('Urgent: chest pain follow-up');
    expect(await form.getByText('Audited with high severity and shown as an overbook on every screen.').count()).toBe(1);
    await screenshot(page, 'scheduling-overbook');
    await scan(page, 'overbook reason');
    await form.getByRole('button', { name: 'Book as overbook' }).click();
    // The new appointment opens, marked as an overbook with its reason.
    await page.getByText('Overbooked (audited): Urgent: chest pain follow-up').waitFor();
    // In the grid, the overbook says so in words (not by its border alone); the booking under it does not.
    await page.getByRole('button', { name: /^10:00–10:30 Uma Urgent.*, overbook$/ }).waitFor();
    expect(await page.getByRole('button', { name: /^10:00–10:30 Omar Other.*Scheduled$/ }).count()).toBe(1);
    // Both blocks of the slot are reachable by keyboard: Tab goes from the first to the overbook on it.
    await page.getByRole('button', { name: /^10:00–10:30 Omar Other/ }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^10:00–10:30 Uma Urgent/);
    expect(await appointmentAt(ben, '10:00')).toEqual([
      { patient: 'Omar Other', overbook_reason: null, outside_hours_reason: null },
      { patient: 'Uma Urgent', overbook_reason: 'Urgent: chest pain follow-up', outside_hours_reason: null },
    ]);
    const { rows } = await app.db.knex.raw(
      `SELECT count(*)::int AS n FROM audit_log WHERE table_name = 'appointments' AND severity = 'high' AND action = 'insert' AND actor_user_id = ?`,
      [desk.userId],
    );
    expect(rows[0].n).toBe(1);
  });
});

describe('the waitlist, live', () => {
  it('adds a patient, lists them on another desk without a reload, offers the freed slot to both desks, and books it in one step', async () => {
    const a = await openDesk();
    const b = await openDesk();
    await waitlist(b).getByText('Nobody is on the waitlist.').waitFor();
    const [saidA, saidB] = await Promise.all([recordAnnouncements(a), recordAnnouncements(b)]);

    await waitlist(a).getByRole('button', { name: 'Add to waitlist' }).click();
    const add = a.getByRole('form', { name: 'Add to waitlist' });
    await choosePatient(add, 'Wanda', /Wanda Waitlist/);
    await add.getByLabel('Wait for').selectOption({ label: `${BEN} — Cardiology` });
    await add.getByLabel('Earliest date').fill(DAY);
    await add.getByLabel('Earliest time').fill('13:00');
    await add.getByLabel('Latest date').fill(DAY);
    await add.getByLabel('Latest time').fill('17:00');
    await add.getByLabel('Note for the desk (optional)').fill('Prefers afternoons');
    await scan(a, 'add to waitlist');
    await add.getByRole('button', { name: 'Add patient to waitlist' }).click();
    await waitlist(a).getByRole('list', { name: 'Waiting patients, longest-waiting first' }).getByText('Wanda Waitlist', { exact: true }).waitFor();
    expect(await waitlist(a).getByText('Tue, Apr 6 13:00 to 17:00', { exact: false }).count()).toBe(1);
    // The other desk's list follows live (waitlist:changed), no reload.
    await waitlist(b).getByRole('button', { name: 'Remove Wanda Waitlist from the waitlist' }).waitFor();
    // Said on the other desk, as well as shown; the desk that added her said it once, in its own words.
    await expect.poll(() => saidB.said()).toContain('Wanda Waitlist was added to the waitlist.');
    expect(await saidA.said()).toContain('Added Wanda Waitlist to the waitlist.');
    expect(await saidA.said()).not.toContain('Wanda Waitlist was added to the waitlist.');
    await screenshot(a, 'scheduling-waitlist');

    // Ben's 14:00 is cancelled elsewhere: both desks are offered the slot with Wanda as the candidate.
    await asStaff(app.db.appKnex, { userId: desk.userId, role: 'front_desk' }, (trx) => trx('appointments').update({ status: 'cancelled' }).where('appointment_id', benAfternoon));
    const offerName = `Freed slot: ${BEN}, Tue, Apr 6 14:00–14:30`;
    for (const page of [a, b]) await waitlist(page).getByRole('group', { name: offerName }).getByRole('button', { name: 'Book Wanda Waitlist' }).waitFor();
    await screenshot(a, 'scheduling-waitlist-offer');
    await scan(a, 'waitlist offer');

    // Desk B's re-read of the list is slow (held): its offer still shows Wanda when desk A books her in one step.
    let releaseB!: () => void;
    const heldB = new Promise<void>((r) => (releaseB = r));
    await b.route((u) => u.pathname === '/api/waitlist', async (route) => (await heldB, route.continue()));
    await waitlist(a).getByRole('group', { name: offerName }).getByRole('button', { name: 'Book Wanda Waitlist' }).click();
    await a.getByRole('button', { name: /^14:00–14:30 Wanda Waitlist/ }).waitFor();
    expect(await appointmentAt(ben, '14:00')).toEqual([{ patient: 'Wanda Waitlist', overbook_reason: null, outside_hours_reason: null }]);
    const left = await app.db.knex.raw('SELECT count(*)::int AS n FROM waitlist_entries');
    expect(left.rows[0].n).toBe(0);
    // Desk B presses Book before its list caught up: told she was taken, and the focus goes on to Dismiss with her button gone.
    await waitlist(b).getByRole('group', { name: offerName }).getByRole('button', { name: 'Book Wanda Waitlist' }).click();
    await waitlist(b).getByRole('alert').filter({ hasText: 'Wanda Waitlist was already booked or taken off the waitlist' }).waitFor();
    expect(await appointmentAt(ben, '14:00')).toHaveLength(1);
    await expect.poll(() => b.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Dismiss this offer');
    await scan(b, 'waitlist offer taken elsewhere');
    // Its list catches up: she is off it, and desk B hears so (desk A booked her, and said that in its own words).
    releaseB();
    await waitlist(b).getByText('Nobody is on the waitlist.').waitFor();
    await expect.poll(() => saidB.said()).toContain('Wanda Waitlist is off the waitlist.');
    expect(await saidA.said()).not.toContain('Wanda Waitlist is off the waitlist.');
  });

  it('takes a patient off the waitlist, the keyboard focus following each control that goes away', async () => {
    const page = await openDesk();
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return 'the page';
        return (el.matches('input, select') ? el.closest('label')?.firstChild?.textContent : el.textContent)?.trim() ?? '';
      });
    await waitlist(page).getByRole('button', { name: 'Add to waitlist' }).click();
    const add = page.getByRole('form', { name: 'Add to waitlist' });
    // The form replaces its button: the focus starts in it.
    await expect.poll(focused).toBe('Find patient (name or date of birth)');
    await choosePatient(add, 'Fiona', /Fiona First/);
    await add.getByLabel('Wait for').selectOption({ label: 'Any provider in Cardiology' });
    await add.getByRole('button', { name: 'Add patient to waitlist' }).click();
    await expect.poll(focused).toBe('Add to waitlist');
    // A Cardiology slot frees up: she is offered it.
    const freed = await insertAppointment(app.db.knex, { patientId: await createPatient(app.db.knex, { name: 'Fred Frees' }), providerId: cleo, scheduledAt: at('15:00'), durationMin: 30 });
    await asStaff(app.db.appKnex, { userId: desk.userId, role: 'front_desk' }, (trx) => trx('appointments').update({ status: 'cancelled' }).where('appointment_id', freed));
    const offer = waitlist(page).getByRole('group', { name: `Freed slot: ${CLEO}, Tue, Apr 6 15:00–15:30` });
    await offer.getByRole('button', { name: 'Book Fiona First' }).waitFor();
    const remove = waitlist(page).getByRole('button', { name: 'Remove Fiona First from the waitlist' });
    await remove.click();
    await waitlist(page).getByText('Nobody is on the waitlist.').waitFor();
    await expect.poll(focused).toBe('Waitlist (0)');
    // Off the waitlist, off the offer too: nobody left to book into the freed slot.
    await offer.getByText('Nobody on the waitlist fits it any more.').waitFor();
    expect(await offer.getByRole('button', { name: 'Book Fiona First' }).count()).toBe(0);
    expect((await app.db.knex.raw('SELECT count(*)::int AS n FROM waitlist_entries')).rows[0].n).toBe(0);
  });
});

describe('the waitlist, when its re-read fails', () => {
  it('keeps the list as last read and says it could not be brought up to date; Retry brings it', async () => {
    const page = await openDesk();
    await expect.poll(() => waitlist(page).getByText('Loading the waitlist…').count()).toBe(0);
    const gail = await createPatient(app.db.knex, { name: 'Gail Gone', dob: '1944-04-04' });
    const failing = (u: URL) => u.pathname === '/api/waitlist';
    await page.route(failing, (route) => (route.request().method() === 'GET' ? route.fulfill(serverError('The waitlist is unavailable.')) : route.continue()));
    // Another desk puts Gail on the list: this desk's re-read fails.
    const other = await openDesk();
    const status = await other.evaluate(
      async (body) => (await fetch('/api/waitlist', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status,
      { patientId: gail, providerId: ben, earliest: at('08:00'), latest: at('17:00'), durationMin: 30 },
    );
    expect(status).toBe(201);
    const stale = waitlist(page).getByRole('alert').filter({ hasText: 'The waitlist could not be brought up to date; below is the list as last read.' });
    await stale.waitFor();
    expect(await stale.textContent()).toContain('The waitlist is unavailable.');
    await page.unroute(failing);
    await stale.getByRole('button', { name: 'Retry' }).click();
    await waitlist(page).getByRole('button', { name: 'Remove Gail Gone from the waitlist' }).waitFor();
    expect(await stale.count()).toBe(0);
    await waitlist(page).getByRole('button', { name: 'Remove Gail Gone from the waitlist' }).click();
    await waitlist(page).getByText('Nobody is on the waitlist.').waitFor();
  });
});

describe('the form and the day shown', () => {
  it('keeps what was typed while the desk looks at other days, and a booking on another day opens that day with the appointment', async () => {
    await createPatient(app.db.knex, { name: 'Gina Later', dob: '1988-08-08' });
    const page = await openDesk();
    await cell(page, ADA, '13:00').click();
    const form = bookingForm(page);
    await choosePatient(form, 'Gina', /Gina Later/);
    // Looking at the next day does not throw the form away.
    await page.getByRole('button', { name: 'Next day' }).click();
    await page.getByRole('heading', { name: 'Wednesday, April 7, 2027' }).waitFor();
    await form.getByText('Patient: Gina Later, born 1988-08-08').waitFor();
    expect(await form.getByLabel('Start time').inputValue()).toBe('13:00');
    // Booked for the day after: the desk is taken to that day, with the new appointment open.
    await form.getByLabel('Date', { exact: true }).fill('2027-04-08');
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    await page.getByRole('heading', { name: 'Thursday, April 8, 2027' }).waitFor();
    await page.getByRole('region', { name: 'Gina Later' }).waitFor();
    // The confirmation is what a screen reader hears, not talked over by the change of day.
    await expect.poll(() => page.getByTestId('announcer').textContent()).toMatch(/^Booked Gina Later with Dr Ada Lovelace at 13:00/);
    await page.getByRole('button', { name: /^13:00–13:30 Gina Later, born 1988-08-08/ }).waitFor();
    expect(await page.getByText(/is no longer on/).count()).toBe(0);
    const { rows } = await app.db.knex.raw(
      `SELECT to_char(a.scheduled_at AT TIME ZONE 'America/New_York', 'YYYY-MM-DD HH24:MI') AS at FROM appointments a JOIN patients p USING (patient_id) WHERE p.name = 'Gina Later'`,
    );
    expect(rows).toEqual([{ at: '2027-04-08 13:00' }]);
  });
});

describe('accessibility', () => {
  it('axe finds no serious or critical violation in any new state', () => {
    expect(axeFindings.length).toBeGreaterThanOrEqual(6);
    expect(axeFindings.filter((f) => f.violations.length > 0)).toEqual([]);
  });
});

describe('first available across a daylight-saving switch', () => {
  it('labels each free time with its own zone when the browser is elsewhere', async () => {
    const k = app.db.knex;
    // Dr Dee works weekend afternoons only: Saturday 2027-03-13 is EST, Sunday 2027-03-14 EDT.
    const dee = await createProvider(k, { name: 'Dr Dee Saving', specialty: 'Sleep medicine' });
    for (const d of [6, 7]) await k.raw(`INSERT INTO provider_working_hours VALUES (?, ?, '16:00', '17:00')`, [dee, d]);
    const ctx = await newDesk(browser, { timezoneId: 'UTC' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await signIn(page, app.url, desk, '/?date=2027-03-13');
    await page.getByRole('grid').waitFor();
    await page.getByRole('button', { name: 'New appointment' }).click();
    const form = bookingForm(page);
    await form.getByLabel('Provider').selectOption({ label: 'Dr Dee Saving — Sleep medicine' });
    await form.getByRole('button', { name: 'First available with Dr Dee Saving' }).click();
    const list = form.getByRole('list', { name: 'Free times with Dr Dee Saving' });
    await list.waitFor();
    const times = await list.getByRole('button').allTextContents();
    expect(times.some((t) => t.startsWith('Sat, Mar 13 '))).toBe(true);
    expect(times.some((t) => t.startsWith('Sun, Mar 14 '))).toBe(true);
    for (const t of times) expect(t).toMatch(t.startsWith('Sat, Mar 13 ') ? /^Sat, Mar 13 1\d:\d\d–1\d:\d\d \(EST\), Dr Dee Saving$/ : /^Sun, Mar 14 1\d:\d\d–1\d:\d\d \(EDT\), Dr Dee Saving$/);
    // The waitlist's two-week window from that Saturday ends on the other side of the switch too.
    await waitlist(page).getByRole('button', { name: 'Add to waitlist' }).click();
    await waitlist(page).getByText('Times are clinic time; the window is 08:00 (EST) on Sat, Mar 13 to 18:00 (EDT) on Fri, Mar 26 (14 days).').waitFor();
  });
});
