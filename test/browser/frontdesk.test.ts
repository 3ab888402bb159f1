/**
 * The front desk's workstation in a real Chromium against the real server and database,
 * found by accessible names only. Screenshots of each state go to docs/screenshots/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { axeSerious, launchChromium, newDesk, recordAnnouncements, refuseFirstWatch, screenshot, serverError, signIn, startBrowserApp, type AxeViolation, type BrowserApp } from './support.js';
import { createPatient, createProvider, insertAppointment, onClinicMorning } from '../support/clinic.js';
import type { StaffFixture } from '../support/staff.js';

let app: BrowserApp;
let browser: Browser;
let desk: StaffFixture;
const contexts: BrowserContext[] = [];
const axeFindings: { state: string; violations: AxeViolation[] }[] = [];
const DAY = '2027-04-06'; // a Tuesday, in the future (EDT, UTC-4)
const ADA = 'Dr Ada Lovelace';
const BEN = 'Dr Ben Carson';
let ada: number;
let ben: number;
let maria: number;

beforeAll(async () => {
  [app, browser] = await Promise.all([startBrowserApp(), launchChromium()]);
  const k = app.db.knex;
  ada = await createProvider(k, { name: ADA, specialty: 'Family medicine' });
  ben = await createProvider(k, { name: BEN, specialty: 'Cardiology' });
  await createProvider(k, { name: 'Dr Cleo Park', specialty: 'Dermatology' });
  for (const id of [ada, ben]) for (let d = 1; d <= 7; d++) await k.raw(`INSERT INTO provider_working_hours VALUES (?, ?, '08:00', '17:00')`, [id, d]);
  maria = await createPatient(k, { name: 'Maria Garcia', dob: '1970-01-02' });
  await createPatient(k, { name: 'Maria Garcia', dob: '1991-09-30' });
  await insertAppointment(k, { patientId: maria, providerId: ada, scheduledAt: `${DAY}T09:00:00-04:00`, durationMin: 30 });
  desk = await app.createUser('front_desk');
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
});

async function openDesk(opts: { timezoneId?: string; path?: string; width?: number; height?: number } = {}): Promise<Page> {
  const ctx = await newDesk(browser, opts);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signIn(page, app.url, desk, opts.path ?? `/?date=${DAY}`);
  await page.getByRole('grid').waitFor();
  return page;
}

const live = (page: Page) => page.getByRole('status', { name: 'Connection: Live' });
const cell = (page: Page, provider: string, time: string) => page.getByRole('gridcell', { name: new RegExp(`^${provider}, ${time}, free`) });
const block = (page: Page, text: string | RegExp) => page.getByRole('button', { name: text });
/** A 500 as the API sends it, for page.route to answer with. */
async function scan(page: Page, state: string): Promise<void> {
  axeFindings.push({ state, violations: await axeSerious(page) });
}

async function choosePatient(page: Page, query: string, option: RegExp): Promise<void> {
  await page.getByLabel('Find patient (name or date of birth)').fill(query);
  await page.getByRole('option', { name: option }).click();
}


/** The clinic-local time of day now in `timeZone`, rounded up to the next slot, as minutes. */
function laterToday(page: Page, timeZone: string): Promise<{ date: string; minutes: number }> {
  return page.evaluate((tz) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
        .formatToParts(new Date())
        .map((p) => [p.type, p.value]),
    );
    const now = Number(parts.hour) * 60 + Number(parts.minute);
    return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Math.ceil((now + 1) / 15) * 15 };
  }, timeZone);
}
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

describe('the day grid', () => {
  it('is a grid of providers × clinic times, with blocks showing time, name, DOB, duration and status', async () => {
    const page = await openDesk();
    await expect.poll(() => live(page).count()).toBe(1);
    await expect.poll(() => page.getByRole('columnheader', { name: new RegExp(ADA) }).count()).toBe(1);
    expect(await page.getByRole('rowheader', { name: '09:00' }).count()).toBe(1);
    expect(await page.getByRole('rowheader', { name: '09:15' }).count()).toBe(1);
    await block(page, '09:00–09:30 Maria Garcia, born 1970-01-02, 30 min, Scheduled').waitFor();
    // Outside working hours is exposed, not only shaded.
    expect(await page.getByRole('gridcell', { name: `${ADA}, 07:45, free, outside working hours` }).count()).toBe(1);
    await screenshot(page, 'frontdesk-day');
    await scan(page, 'day grid');
  });

  it('books into a free cell; into a taken one it shows the conflict at the slot and keeps the form', async () => {
    const page = await openDesk();
    await cell(page, BEN, '11:00').click();
    await choosePatient(page, 'garcia 1970-01-02', /Maria Garcia — born 1970-01-02/);
    await expect.poll(() => page.getByLabel('Start time').inputValue()).toBe('11:00');
    await screenshot(page, 'frontdesk-book');
    await scan(page, 'booking form');
    await page.getByRole('button', { name: 'Book', exact: true }).click();
    await block(page, /^11:00–11:30 Maria Garcia, born 1970-01-02, 30 min, Scheduled/).waitFor();
    const saved = await app.db.knex.raw(`SELECT count(*)::int AS n FROM appointments WHERE provider_id = ? AND scheduled_at = ?`, [ben, `${DAY}T11:00:00-04:00`]);
    expect(saved.rows[0].n).toBe(1);

    // Another desk takes 13:00 while this form is open: the form says so, and Book gets the 409.
    await cell(page, BEN, '13:00').click();
    await choosePatient(page, '1991-09-30', /Maria Garcia — born 1991-09-30/);
    const said = await recordAnnouncements(page);
    const other = await createPatient(app.db.knex, { name: 'Omar Other' });
    await insertAppointment(app.db.knex, { patientId: other, providerId: ben, scheduledAt: `${DAY}T13:00:00-04:00`, durationMin: 30 });
    await page.getByRole('form', { name: 'New appointment' }).getByText('This time was just taken').waitFor();
    // Said, not only shown: the person booking may not be looking at that line.
    await expect.poll(async () => (await said.said()).join(' ')).toContain('This time was just taken: 13:00 Omar Other. Pick another time.');
    // From the keyboard: Book pressed with Enter.
    await page.getByRole('button', { name: 'Book', exact: true }).focus();
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert').filter({ hasText: 'already has an appointment' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('13:00 to 13:30');
    // The refused button keeps the keyboard focus (now offering the overbook): it was not dropped to the page while the booking was under way.
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Book as overbook');
    // At the slot in the grid, and the form kept as it was.
    await page.getByRole('note').filter({ hasText: 'Taken 13:00–13:30' }).waitFor();
    expect(await page.getByLabel('Start time').inputValue()).toBe('13:00');
    expect(await page.getByText('Patient: Maria Garcia, born 1991-09-30').count()).toBe(1);
    await screenshot(page, 'frontdesk-conflict');
    await scan(page, 'booking conflict');
  });

  it('finds, registers and books a patient by keyboard alone', async () => {
    const page = await openDesk();
    // Into the grid: its one tab stop, then arrows to Ada's 10:00.
    await page.getByRole('button', { name: 'Week of one provider' }).focus();
    await page.keyboard.press('Tab');
    const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '');
    expect(await focusedName()).toMatch(/^Dr Ada Lovelace, 08:00, free/);
    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowDown');
    await expect.poll(focusedName).toMatch(/^Dr Ada Lovelace, 10:00, free/);
    await page.keyboard.press('Enter');
    const find = page.getByLabel('Find patient (name or date of birth)');
    await find.focus();
    await page.keyboard.type('Zoe Keyboard');
    // The answer to the whole name, not to a prefix still being typed (a later answer re-renders the finder).
    await page.getByText('No patient matches “Zoe Keyboard”.').waitFor();
    await page.keyboard.press('Tab'); // → Register new patient
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('name');
    await page.keyboard.press('Tab');
    // A date in the future: the API's own field message appears at the field.
    await page.keyboard.type('01022999');
    await page.keyboard.press('Enter');
    await page.getByText('must not be in the future').waitFor();
    await scan(page, 'register patient with a field error');
    await screenshot(page, 'frontdesk-register');
    // Focus went back to the field in error (its year part): back to the month, and retype.
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('dob');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type('03041988');
    await page.keyboard.press('Enter');
    await page.getByText('Patient: Zoe Keyboard, born 1988-03-04').waitFor();
    // The registration form gave way to the chosen patient: the focus is there, and Tab goes on to Book.
    await expect.poll(focusedName).toBe('Change patient');
    for (let i = 0; i < 20 && (await focusedName()) !== 'Book'; i++) await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Book');
    await page.keyboard.press('Enter');
    await block(page, /^10:00–10:30 Zoe Keyboard, born 1988-03-04/).waitFor();
  });

  it('puts the focus back in the search box when registering is abandoned', async () => {
    const page = await openDesk();
    await page.getByRole('button', { name: 'New appointment' }).click();
    await page.getByLabel('Find patient (name or date of birth)').fill('Nobody Yet');
    await page.getByText('No patient matches “Nobody Yet”.').waitFor();
    await page.getByRole('button', { name: 'Register new patient' }).click();
    await page.getByRole('button', { name: 'Back to search' }).click();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('label')?.firstChild?.textContent?.trim() ?? document.activeElement?.tagName))
      .toBe('Find patient (name or date of birth)');
  });

  it('shows clinic times and the clinic\'s today in a browser set to UTC', async () => {
    const nyToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
    const before = nyToday();
    const page = await openDesk({ timezoneId: 'UTC', path: '/' });
    // New York's midnight may pass while the page loads: either side of it is right.
    await expect.poll(async () => [before, nyToday()].includes(await page.getByLabel('Date', { exact: true }).inputValue())).toBe(true);
    await page.getByText(/Times are clinic time \(E[SD]T\)/).waitFor();
    await page.getByLabel('Date', { exact: true }).fill(DAY);
    await block(page, '09:00–09:30 Maria Garcia, born 1970-01-02, 30 min, Scheduled').waitFor();
    await screenshot(page, 'frontdesk-utc-browser');
    // The zone named is that of the day shown, not of today: pick a day on the other side of
    // daylight saving time from now (EDT in April, EST in January).
    const zoneNow = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'short' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')!.value;
    const other = zoneNow === 'EST' ? { date: DAY, zone: 'EDT' } : { date: '2027-01-12', zone: 'EST' };
    await page.getByLabel('Date', { exact: true }).fill(other.date);
    await page.getByText(`Times are clinic time (${other.zone})`).waitFor();
    await cell(page, ADA, '07:00').click();
    expect(await page.getByLabel(`Start time (${other.zone})`).count()).toBe(1);
  });
});

describe('live between desks', () => {
  it('shows a booking, a move, a check-in and a cancel made at one desk at the other within a second', async () => {
    await onClinicMorning(app.db.knex, ({ timeZone }) => twoDesks(timeZone));
  });

  async function twoDesks(zone: string): Promise<void> {
    // Only these two desks are open: earlier tests' pages (watching the same clinic today) would
    // otherwise share the one-second budget on a busy machine.
    for (const c of contexts.splice(0)) await c.close();
    const a = await openDesk({ path: '/' });
    const b = await openDesk({ path: '/' });
    await expect.poll(() => live(a).count()).toBe(1);
    await expect.poll(() => live(b).count()).toBe(1);
    // The grid shows the clinic's today in its zone, whatever the browser's.
    const { date, minutes } = await laterToday(a, zone);
    expect(await a.getByLabel('Date', { exact: true }).inputValue()).toBe(date);
    expect(minutes).toBeGreaterThanOrEqual(10 * 60);
    expect(minutes).toBeLessThanOrEqual(11 * 60 + 15);
    const at = hhmm(minutes);
    const within1s = async (page: Page, name: string | RegExp) => {
      const t0 = Date.now();
      await block(page, name).waitFor({ timeout: 1000 });
      return Date.now() - t0;
    };

    // Booking.
    await cell(a, ADA, at).click();
    await choosePatient(a, 'garcia 1991-09-30', /born 1991-09-30/);
    const booked = a.waitForResponse((r) => r.url().endsWith('/api/appointments') && r.request().method() === 'POST');
    await a.getByRole('button', { name: 'Book', exact: true }).click();
    expect((await booked).status()).toBe(201);
    await within1s(b, new RegExp(`^${at}–.* Maria Garcia, born 1991-09-30, 30 min, Scheduled`));

    // Move (reschedule in the panel) by 15 minutes.
    const to = minutes + 15;
    await a.getByRole('button', { name: 'Reschedule' }).click();
    await a.getByLabel('New start time').fill(hhmm(to));
    const moved = a.waitForResponse((r) => r.url().includes('/api/appointments/') && r.request().method() === 'PATCH');
    await a.getByRole('button', { name: 'Save new time' }).click();
    expect((await moved).status()).toBe(200);
    await within1s(b, new RegExp(`^${hhmm(to)}–.* Maria Garcia, born 1991-09-30`));
    await a.getByRole('button', { name: 'Undo' }).waitFor();
    await screenshot(a, 'frontdesk-moved-undo');

    // Check in: the waiting room at the other desk lists her.
    const checked = a.waitForResponse((r) => r.url().endsWith('/check-in'));
    await a.getByRole('button', { name: 'Check in' }).click();
    expect((await checked).status()).toBe(200);
    await within1s(b, new RegExp(`^${hhmm(to)}–.* Maria Garcia, born 1991-09-30, 30 min, Checked in`));
    await b.getByRole('region', { name: /Waiting room \(1\)/ }).getByText(/waiting \d+ min/).waitFor({ timeout: 1000 });
    // The panel's history names who did what.
    const history = a.getByRole('region', { name: 'History' });
    await history.getByText(new RegExp(`Checked in · .* · ${desk.username}`)).waitFor();
    expect(await history.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(new RegExp(`^Booked · .* · ${desk.username}$`)),
      expect.stringMatching(new RegExp(`^Rescheduled · .* · ${desk.username}$`)),
      expect.stringMatching(new RegExp(`^Checked in · .* · ${desk.username}$`)),
    ]);
    await screenshot(b, 'frontdesk-waiting-room');
    await scan(a, 'appointment panel');

    // Cancel, confirmed: it leaves the other desk's grid (cancelled ones are behind the toggle).
    await a.getByRole('button', { name: 'Cancel appointment' }).click();
    await scan(a, 'cancel confirmation');
    const cancelled = a.waitForResponse((r) => r.url().endsWith('/cancel'));
    await a.getByRole('button', { name: 'Yes, cancel appointment' }).click();
    expect((await cancelled).status()).toBe(200);
    const t0 = Date.now();
    await expect.poll(() => block(b, /Maria Garcia, born 1991-09-30/).count(), { timeout: 1000, interval: 50 }).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1000);
    await b.getByLabel('Show cancelled').check();
    await block(b, new RegExp(`^${hhmm(to)}–.* Maria Garcia, born 1991-09-30, 30 min, Cancelled`)).waitFor();
  }
});

describe("today's waiting room while the desk looks at another day", () => {
  it("lists and announces an arrival, its time in the clinic's zone", async () => {
    await onClinicMorning(app.db.knex, async ({ soon, timeZone }) => {
      const k = app.db.knex;
      const providerId = await createProvider(k, { name: 'Dr Una Today' });
      const patientId = await createPatient(k, { name: 'Wanda Waiting', dob: '1966-06-06' });
      const apptId = await insertAppointment(k, { patientId, providerId, scheduledAt: soon });
      // A browser outside the clinic's zone (the morning zone is a fixed offset, never UTC itself).
      const page = await openDesk({ path: `/?date=${DAY}`, timezoneId: timeZone === 'UTC' ? 'Asia/Tokyo' : 'UTC' });
      await expect.poll(() => live(page).count()).toBe(1);
      const waiting = page.getByRole('region', { name: /^Waiting room/ });
      await waiting.waitFor();
      await k.raw("UPDATE appointments SET status = 'checked_in' WHERE appointment_id = ?", [apptId]);
      await waiting.getByRole('button', { name: 'Wanda Waiting' }).waitFor();
      const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).formatToParts(new Date(soon));
      const part = (type: string) => parts.find((p) => p.type === type)!.value;
      expect(await waiting.getByRole('listitem').filter({ hasText: 'Wanda Waiting' }).textContent()).toContain(`for ${part('hour')}:${part('minute')} ${part('timeZoneName')} ·`);
      await expect.poll(() => page.getByTestId('announcer').textContent()).toMatch(/^Wanda Waiting, \d\d:\d\d.*: checked in\.$/);
    });
  });
});

describe('failures', () => {
  // A test that fails while the server is stopped must not take the next ones with it.
  afterEach(() => app.start());

  /** The clinic's wall-clock minute at `t`, as the page writes it. */
  const clinicMinute = (t: number) =>
    new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).format(t);

  it('comes back live after a server restart without signing in, showing what changed meanwhile', async () => {
    const page = await openDesk();
    await expect.poll(() => live(page).count()).toBe(1);
    // Let a clinic minute pass while the page is live and idle, so "as of" must be the moment
    // the connection was lost, not the moment the page last connected.
    const opened = clinicMinute(Date.now());
    await expect.poll(() => clinicMinute(Date.now()), { timeout: 65_000, interval: 250 }).not.toBe(opened);
    const lostFrom = clinicMinute(Date.now());
    await app.stop();
    await page.getByRole('status', { name: /Connection: (Reconnecting…|Offline — showing data as of \d\d:\d\d)/ }).waitFor();
    const lostBy = clinicMinute(Date.now());
    const offline = page.getByRole('status', { name: /Connection: Offline — showing data as of \d\d:\d\d/ });
    await offline.waitFor({ timeout: 15_000 });
    expect([lostFrom, lostBy]).toContain((await offline.textContent())!.match(/as of (\d\d:\d\d)/)![1]);
    await screenshot(page, 'frontdesk-offline');
    await scan(page, 'offline');
    const p = await createPatient(app.db.knex, { name: 'Dana Downtime', dob: '1960-06-06' });
    await insertAppointment(app.db.knex, { patientId: p, providerId: ben, scheduledAt: `${DAY}T15:00:00-04:00`, durationMin: 30 });
    await app.start();
    await live(page).waitFor({ timeout: 20_000 });
    await block(page, /^15:00–15:30 Dana Downtime/).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
  }, 150_000);

  it("says 'data as of' by the clinic's clock when the browser's clock is off", async () => {
    const ctx = await newDesk(browser);
    contexts.push(ctx);
    // This browser's clock runs 20 minutes fast; the page corrects it by the server's.
    await ctx.addInitScript(() => {
      const real = Date.now.bind(Date);
      Date.now = () => real() + 20 * 60_000;
    });
    const page = await ctx.newPage();
    await signIn(page, app.url, desk, `/?date=${DAY}`);
    await live(page).waitFor();
    const lostFrom = clinicMinute(Date.now());
    await app.stop();
    const offline = page.getByRole('status', { name: /Connection: Offline — showing data as of \d\d:\d\d/ });
    await offline.waitFor({ timeout: 15_000 });
    const lostBy = clinicMinute(Date.now());
    expect([lostFrom, lostBy]).toContain((await offline.textContent())!.match(/as of (\d\d:\d\d)/)![1]);
  });

  it('keeps trying to come back live when the session check after a restart fails', async () => {
    const page = await openDesk();
    await live(page).waitFor();
    // While the server is down, the page's session check gets an error it does not retry itself.
    let checks = 0;
    const failing = (route: Route) => {
      checks++;
      return route.fulfill(serverError('Something failed on our side.'));
    };
    await page.route('**/api/me', failing);
    await app.stop();
    await expect.poll(() => checks, { timeout: 15_000 }).toBeGreaterThan(0);
    await app.start();
    await page.unroute('**/api/me', failing);
    await live(page).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
  });

  it('shows an API failure with the server\'s message and a Retry that recovers', async () => {
    const ctx = await newDesk(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.route('**/api/clinic/day**', (route) =>
      route.fulfill(serverError('Something failed on our side (error id 42).')),
    );
    await signIn(page, app.url, desk, `/?date=${DAY}`);
    const alert = page.getByRole('alert').filter({ hasText: 'The schedule for Tuesday, April 6, 2027 could not be loaded.' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Something failed on our side (error id 42).');
    await screenshot(page, 'frontdesk-error');
    await scan(page, 'error state');
    await page.unroute('**/api/clinic/day**');
    // Retry from the keyboard: the error goes away with its button, and the focus stays with what replaces it (the grid), not the page.
    await alert.getByRole('button', { name: 'Retry' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('grid').waitFor();
    await expect.poll(() => page.evaluate(() => Boolean(document.activeElement?.closest('[role=grid]')))).toBe(true);
  });

  it('moving to a day that fails to load shows that failure, not the previous day\'s grid', async () => {
    const page = await openDesk();
    await page.route('**/api/clinic/day?date=2027-04-07', (route) =>
      route.fulfill(serverError('Something failed on our side (error id 43).')),
    );
    await page.getByRole('button', { name: 'Next day' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The schedule for Wednesday, April 7, 2027 could not be loaded.' });
    await alert.waitFor();
    expect(await page.getByRole('grid').count()).toBe(0);
    await page.unroute('**/api/clinic/day?date=2027-04-07');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('grid').waitFor();
    await page.getByRole('heading', { name: 'Wednesday, April 7, 2027' }).waitFor();
  });

  it("offers Retry when the live watch of the day is refused, and comes back live", async () => {
    const ctx = await newDesk(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    // The server's first answer to the watch of the day shown becomes a refusal (the waiting
    // room watches today, which is left alone).
    await refuseFirstWatch(page, new RegExp(`^42(\\d+)\\["clinic:watch",\\{"date":"${DAY}"`), 'The day could not be loaded; retry.');
    await signIn(page, app.url, desk, `/?date=${DAY}`);
    const paused = page.getByRole('alert').filter({ hasText: 'Live updates are paused. The day could not be loaded; retry.' });
    await paused.waitFor();
    await paused.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => paused.count()).toBe(0);
    // Live again: a booking made elsewhere appears.
    const p = await createPatient(app.db.knex, { name: 'Rita Retry', dob: '1966-06-16' });
    await insertAppointment(app.db.knex, { patientId: p, providerId: ben, scheduledAt: `${DAY}T16:00:00-04:00`, durationMin: 30 });
    await block(page, /^16:00–16:30 Rita Retry/).waitFor({ timeout: 5_000 });
  });

  it('signs in again after the session really ends and returns to the same day', async () => {
    const page = await openDesk({ path: '/?date=2027-04-07' });
    await app.db.knex.raw('DELETE FROM http_sessions');
    await page.getByRole('button', { name: 'Next day' }).click();
    await page.getByText('Your session ended. Please sign in again.').waitFor();
    await scan(page, 'session ended (sign-in page with the reason)');
    await page.getByLabel('Username').fill(desk.username);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByLabel('Date', { exact: true }).inputValue()).toBe('2027-04-08');
  });
});

describe('accessibility', () => {
  it('the sign-in page, and its wrong-password state', async () => {
    const ctx = await newDesk(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(app.url + '/');
    await page.getByLabel('Username').waitFor();
    await scan(page, 'sign-in page');
    await page.getByLabel('Username').fill(desk.username);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /./ }).waitFor();
    await scan(page, 'sign-in refused');
  });

  it('has no serious or critical axe-core violation in any front-desk state scanned above', () => {
    expect(axeFindings.map((f) => f.state)).toEqual(expect.arrayContaining(['offline', 'session ended (sign-in page with the reason)', 'sign-in page', 'sign-in refused']));
    expect(axeFindings.filter((f) => f.violations.length > 0)).toEqual([]);
    expect(axeFindings.length).toBeGreaterThanOrEqual(10);
  });
});
