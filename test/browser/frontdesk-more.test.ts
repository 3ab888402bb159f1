/**
 * The front desk's grid beyond booking: moving an appointment by keyboard and by dragging,
 * and resizing it with the mouse, with Undo; the week view of one provider; working hours with a lunch break and time off; 300 providers (only on-screen columns drawn,
 * the time column staying put while columns scroll).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeSerious, launchChromium, newDesk, recordAnnouncements, refuseFirstWatch, screenshot, serverError, signIn, startBrowserApp, type BrowserApp } from './support.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import type { StaffFixture } from '../support/staff.js';

let app: BrowserApp;
let browser: Browser;
let desk: StaffFixture;
const contexts: BrowserContext[] = [];
const DAY = '2027-04-06';
let ada: number;
let ben: number;
let kim: number;

beforeAll(async () => {
  [app, browser] = await Promise.all([startBrowserApp(), launchChromium()]);
  const k = app.db.knex;
  ada = await createProvider(k, { name: 'Dr Ada Lovelace' });
  ben = await createProvider(k, { name: 'Dr Ben Carson' });
  for (const id of [ada, ben]) for (let d = 1; d <= 7; d++) await k.raw(`INSERT INTO provider_working_hours VALUES (?, ?, '08:00', '17:00')`, [id, d]);
  kim = await createPatient(k, { name: 'Kim Move', dob: '1985-05-05' });
  await insertAppointment(k, { patientId: kim, providerId: ada, scheduledAt: `${DAY}T14:00:00-04:00`, durationMin: 30 });
  desk = await app.createUser('front_desk');
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
});

async function openDesk(path = `/?date=${DAY}`): Promise<Page> {
  const ctx = await newDesk(browser);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signIn(page, app.url, desk, path);
  await page.getByRole('grid').waitFor();
  await page.getByRole('status', { name: 'Connection: Live' }).waitFor();
  return page;
}
/** Where a patient's appointment is now, in clinic time. */
const placeOf = async (patientId: number) =>
  (await app.db.knex.raw(`SELECT provider_id, to_char(scheduled_at AT TIME ZONE 'America/New_York', 'HH24:MI') AS at, duration_min FROM appointments WHERE patient_id = ?`, [patientId])).rows[0];
const kimAt = () => placeOf(kim);
/** A new patient with one appointment on DAY at `hhmm` (EDT); their id. */
async function bookedAt(name: string, dob: string, providerId: number, hhmm: string, more: { durationMin?: number; status?: string } = {}): Promise<number> {
  const patientId = await createPatient(app.db.knex, { name, dob });
  await insertAppointment(app.db.knex, { patientId, providerId, scheduledAt: `${DAY}T${hhmm}:00-04:00`, durationMin: more.durationMin ?? 30, status: more.status });
  return patientId;
}
/**
 * A provider of one test's own, working every day (the other tests book Ada's and Ben's
 * times); with a specialty of its own, a test shows only its providers (the grid draws only the
 * columns on screen, and earlier tests' providers can push a new one off it).
 */
async function ownProvider(name: string, specialty?: string): Promise<number> {
  const id = await createProvider(app.db.knex, { name, ...(specialty ? { specialty } : {}) });
  for (let d = 1; d <= 7; d++) await app.db.knex.raw(`INSERT INTO provider_working_hours VALUES (?, ?, '08:00', '17:00')`, [id, d]);
  return id;
}
/** Another desk (a page of its own, signed in) moves `patientId`'s appointment to `hhmm` on DAY, through the API. */
async function movedAtAnotherDesk(patientId: number, hhmm: string): Promise<void> {
  const other = await openDesk();
  const id = (await app.db.knex.raw('SELECT appointment_id FROM appointments WHERE patient_id = ?', [patientId])).rows[0].appointment_id;
  const body = JSON.stringify({ scheduledAt: `${DAY}T${hhmm}:00-04:00` });
  const status = await other.evaluate(
    async ([id, body]) => (await fetch(`/api/appointments/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body })).status,
    [id, body] as const,
  );
  expect(status).toBe(200);
}
/** Where `patientId`'s appointment starts now, clinic time ('HH:MM'). */
async function startsAt(patientId: number): Promise<string> {
  const { rows } = await app.db.knex.raw(`SELECT to_char(scheduled_at AT TIME ZONE 'America/New_York', 'HH24:MI') AS at FROM appointments WHERE patient_id = ?`, [patientId]);
  return rows[0].at;
}
/** Focus a block, press M, then `keys`, then Enter: a keyboard move. */
async function moveByKeyboard(page: Page, block: RegExp, keys: string[]): Promise<void> {
  await page.getByRole('button', { name: block }).focus();
  await page.keyboard.press('m');
  for (const k of keys) await page.keyboard.press(k);
  await page.keyboard.press('Enter');
}

describe('moving an appointment', () => {
  it('moves and resizes by keyboard (M, arrows, Shift+arrows, Enter), Escape cancels, and Undo puts it back', async () => {
    const page = await openDesk();
    const block = page.getByRole('button', { name: /^14:00–14:30 Kim Move, born 1985-05-05/ });
    await block.focus();
    await page.keyboard.press('m');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Escape');
    expect(await kimAt()).toEqual({ provider_id: ada, at: '14:00', duration_min: 30 });

    await page.keyboard.press('m');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowDown');
    await page.getByTestId('announcer').filter({ hasText: 'Kim Move: 14:30–15:15, Dr Ben Carson.' }).waitFor();
    await screenshot(page, 'frontdesk-keyboard-move');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /^14:30–15:15 Kim Move, born 1985-05-05, 45 min/ }).waitFor();
    expect(await kimAt()).toEqual({ provider_id: ben, at: '14:30', duration_min: 45 });
    // The focus went with it, to its new place in the grid, not to the top of the page.
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el?.closest('[role=grid]') ? (el.getAttribute('aria-label') ?? el.textContent ?? '') : 'outside the grid';
      });
    await expect.poll(focused).toMatch(/^(Dr Ben Carson, 14:30|14:30–15:15 Kim Move)/);

    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('button', { name: /^14:00–14:30 Kim Move/ }).waitFor();
    expect(await kimAt()).toEqual({ provider_id: ada, at: '14:00', duration_min: 30 });
    // The Undo button went away: the focus is back in the grid, where the block came back to.
    await expect.poll(focused).toMatch(/^(Dr Ada Lovelace, 14:00|14:00–14:30 Kim Move)/);
  });

  it('drops a keyboard move when another desk changes that appointment meanwhile, says so, and keeps the focus on it', async () => {
    const xia = await ownProvider('Dr Xia Race', 'Race medicine');
    const yan = await bookedAt('Yan Race', '1974-04-14', xia, '09:00');
    const page = await openDesk();
    await page.getByLabel('Specialty').selectOption('Race medicine');
    await page.getByRole('button', { name: /^09:00–09:30 Yan Race/ }).focus();
    await page.keyboard.press('m');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    // While the desk is choosing, another desk moves the same appointment to 11:00.
    await movedAtAnotherDesk(yan, '11:00');
    await page.getByRole('alert').filter({ hasText: /^Yan Race was not moved: another desk changed this appointment while you were moving it/ }).waitFor();
    // The focus is on the block where it is now, not lost to the page; Enter no longer saves a move.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(/^11:00–11:30 Yan Race/);
    await page.keyboard.press('Escape');
    expect(await startsAt(yan)).toBe('11:00');
  });

  it("does not undo a move over what another desk changed since, and says so", async () => {
    const zed = await ownProvider('Dr Zed Later', 'Later medicine');
    const zoe = await bookedAt('Zoe Later', '1975-05-15', zed, '09:00');
    const page = await openDesk();
    await page.getByLabel('Specialty').selectOption('Later medicine');
    await moveByKeyboard(page, /^09:00–09:30 Zoe Later/, ['ArrowDown', 'ArrowDown']);
    await page.getByRole('button', { name: /^09:30–10:00 Zoe Later/ }).waitFor();
    const undo = page.getByRole('button', { name: 'Undo', exact: true });
    await undo.waitFor();
    // Before the desk undoes its move, another desk moves the appointment to 11:00.
    await movedAtAnotherDesk(zoe, '11:00');
    await page.getByRole('button', { name: /^11:00–11:30 Zoe Later/ }).waitFor();
    await undo.click();
    await page.getByRole('alert').filter({ hasText: /^The move could not be undone: another desk changed this appointment since/ }).waitFor();
    expect(await startsAt(zoe)).toBe('11:00');
  });

  it('moves by dragging a block onto another provider\'s free time', async () => {
    const page = await openDesk();
    await page.getByRole('button', { name: /^14:00–14:30 Kim Move/ }).dragTo(page.getByRole('gridcell', { name: /^Dr Ben Carson, 16:00, free/ }));
    await page.getByRole('button', { name: /^16:00–16:30 Kim Move/ }).waitFor();
    expect(await kimAt()).toEqual({ provider_id: ben, at: '16:00', duration_min: 30 });
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('button', { name: /^14:00–14:30 Kim Move/ }).waitFor();
  });
});

describe('moving by keyboard from a block reached by Tab or click', () => {
  it("moves the block within its own provider's column, whichever cell the arrow keys last visited", async () => {
    const lee = await bookedAt('Lee Second', '1992-02-02', ben, '11:00');
    const page = await openDesk();
    // Focus reaches Ben's block without the arrow keys (the arrows last visited Ada's column).
    await page.getByRole('button', { name: /^11:00–11:30 Lee Second/ }).focus();
    await page.keyboard.press('m');
    await page.keyboard.press('ArrowDown');
    await page.getByTestId('announcer').filter({ hasText: 'Lee Second: 11:15–11:45, Dr Ben Carson.' }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /^11:15–11:45 Lee Second/ }).waitFor();
    expect(await placeOf(lee)).toEqual({ provider_id: ben, at: '11:15', duration_min: 30 });
  });
});

describe('moving in a browser outside the clinic', () => {
  it("labels the moved time and its Undo with the clinic's zone", async () => {
    const xia = await createProvider(app.db.knex, { name: 'Dr Xia Zone', specialty: 'Zone medicine' });
    for (let d = 1; d <= 7; d++) await app.db.knex.raw(`INSERT INTO provider_working_hours VALUES (?, ?, '08:00', '17:00')`, [xia, d]);
    await bookedAt('Zed Zoned', '1970-10-10', xia, '09:00');
    const ctx = await newDesk(browser, { timezoneId: 'UTC' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await signIn(page, app.url, desk, `/?date=${DAY}`);
    await page.getByRole('status', { name: 'Connection: Live' }).waitFor();
    await page.getByLabel('Specialty').selectOption('Zone medicine');
    await page.getByRole('button', { name: /^09:00–09:30 Zed Zoned/ }).focus();
    await page.keyboard.press('m');
    await page.keyboard.press('ArrowDown');
    await page.getByTestId('announcer').filter({ hasText: 'Zed Zoned: 09:15–09:45 (EDT), Dr Xia Zone.' }).waitFor();
    await page.keyboard.press('Enter');
    // Read by someone in UTC, a bare 09:15 would be their morning, not the clinic's.
    await page.getByRole('status').filter({ hasText: 'Moved Zed Zoned to 09:15–09:45 (EDT).' }).getByRole('button', { name: 'Undo', exact: true }).waitFor();
  });
});

describe('an Undo that cannot be done', () => {
  it('says so on screen when the old time was taken meanwhile, and the appointment stays where it was moved', async () => {
    await bookedAt('Uri Revert', '1981-01-01', ada, '09:00');
    const page = await openDesk();
    await moveByKeyboard(page, /^09:00–09:30 Uri Revert/, ['ArrowDown', 'ArrowDown']);
    await page.getByRole('button', { name: /^09:30–10:00 Uri Revert/ }).waitFor();
    // Another desk books the freed 09:00 before this one presses Undo.
    await bookedAt('Tess Taken', '1979-09-09', ada, '09:00');
    await page.getByRole('button', { name: /^09:00–09:30 Tess Taken/ }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Moved Uri Revert to 09:30–10:00.' }).getByRole('button', { name: 'Undo', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: /^The move could not be undone: / }).waitFor();
    await page.getByRole('button', { name: /^09:30–10:00 Uri Revert/ }).waitFor();
    await page.getByRole('button', { name: 'Dismiss' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('alert').filter({ hasText: /could not be undone/ }).count()).toBe(0);
    // The message went away with its button: the focus is back in the grid, not on the page.
    await expect.poll(() => page.evaluate(() => Boolean(document.activeElement?.closest('[role=grid]')))).toBe(true);
  });
});

describe('resizing with the mouse', () => {
  /** Press on the bottom edge of a block and drag it down by `dy` pixels (24 px a slot). */
  async function dragBottomEdge(page: Page, name: RegExp, dy: number, beforeRelease?: () => Promise<void>): Promise<void> {
    const blk = page.getByRole('button', { name });
    await blk.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    const box = (await blk.boundingBox())!;
    const x = box.x + box.width / 2;
    const y = box.y + box.height - 3;
    // What is under the pointer there is the block's bottom edge (a mouse-only grip, hidden from assistive technology).
    expect(await page.evaluate(([px, py]) => document.elementFromPoint(px!, py!)?.getAttribute('title'), [x, y])).toBe('Drag to change the length');
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x, y + dy, { steps: 8 });
    await beforeRelease?.();
    await page.mouse.up();
  }

  it('changes the length by dragging the bottom edge, snapped to slots, with Undo; Escape cancels; a taken time is refused at the slot', async () => {
    const page = await openDesk();
    const announcer = page.getByTestId('announcer');
    // Two slots and a little more: snaps to the 15:00 boundary.
    await dragBottomEdge(page, /^14:00–14:30 Kim Move/, 2 * 24 + 7, () => announcer.filter({ hasText: 'Kim Move: 14:00–15:00, Dr Ada Lovelace.' }).waitFor());
    await page.getByRole('button', { name: /^14:00–15:00 Kim Move, born 1985-05-05, 60 min/ }).waitFor();
    expect(await kimAt()).toEqual({ provider_id: ada, at: '14:00', duration_min: 60 });
    // Letting go saved the length; it did not also open the appointment.
    expect(await page.getByRole('region', { name: /Kim Move/ }).count()).toBe(0);
    await page.getByRole('status').filter({ hasText: 'Moved Kim Move to 14:00–15:00.' }).waitFor();
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('button', { name: /^14:00–14:30 Kim Move, born 1985-05-05, 30 min/ }).waitFor();
    expect(await kimAt()).toEqual({ provider_id: ada, at: '14:00', duration_min: 30 });

    // Escape during the drag: nothing changes.
    await dragBottomEdge(page, /^14:00–14:30 Kim Move/, 3 * 24, async () => {
      await announcer.filter({ hasText: 'Kim Move: 14:00–15:15, Dr Ada Lovelace.' }).waitFor();
      await page.keyboard.press('Escape');
    });
    await announcer.filter({ hasText: 'Move cancelled.' }).waitFor();
    expect(await kimAt()).toEqual({ provider_id: ada, at: '14:00', duration_min: 30 });
    expect(await page.getByRole('region', { name: /Kim Move/ }).count()).toBe(0);

    // Into someone else's appointment: refused, shown at the slot, the block stays as it was.
    await bookedAt('Olga Other', '1977-07-07', ada, '15:00');
    await page.getByRole('button', { name: /^15:00–15:30 Olga Other/ }).waitFor();
    await dragBottomEdge(page, /^14:00–14:30 Kim Move/, 4 * 24);
    await page.getByRole('alert').filter({ hasText: /^Kim Move was not moved: / }).waitFor();
    const conflict = page.getByRole('note').filter({ hasText: 'Conflict' });
    await conflict.waitFor();
    // Shown on top of the block it is about, not under it.
    const c = (await conflict.boundingBox())!;
    expect(await page.evaluate(([px, py]) => document.elementFromPoint(px!, py!)?.textContent, [c.x + c.width / 2, c.y + c.height / 2])).toBe('Conflict');
    await page.getByRole('button', { name: /^14:00–14:30 Kim Move, born 1985-05-05, 30 min/ }).waitFor();
    expect(await kimAt()).toEqual({ provider_id: ada, at: '14:00', duration_min: 30 });
    await screenshot(page, 'frontdesk-resize-conflict');
    await page.getByRole('button', { name: 'Dismiss' }).click();
  });
});

describe('cancelled appointments shown', () => {
  it('leave the slot they freed free to click, focus and book', async () => {
    await bookedAt('Carla Gone', '1970-10-10', ben, '12:00', { durationMin: 60, status: 'cancelled' });
    const page = await openDesk();
    await page.getByLabel('Show cancelled').check();
    await page.getByRole('button', { name: /^12:00–13:00 Carla Gone, .*Cancelled/ }).waitFor();
    // By mouse: the freed 12:15 (under the cancelled hour) opens a booking there.
    await page.getByRole('gridcell', { name: /^Dr Ben Carson, 12:15, free/ }).click();
    const form = page.getByRole('form', { name: 'New appointment' });
    expect(await form.getByLabel('Start time').inputValue()).toBe('12:15');
    await form.getByRole('button', { name: 'Close', exact: true }).click();
    // By keyboard: the arrows land on the slot itself (named free), Tab reaches the cancelled
    // one beside it, and Enter on the slot books it.
    await page.getByRole('gridcell', { name: /^Dr Ben Carson, 11:45, free/ }).focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^Dr Ben Carson, 12:00, free/);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^12:00–13:00 Carla Gone/);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    expect(await form.getByLabel('Start time').inputValue()).toBe('12:00');
    expect(await form.getByLabel('Provider').inputValue()).toBe(String(ben));
  });
});

describe('choosing providers', () => {
  it('shows only the chosen providers, and remembers the choice in this browser', async () => {
    const page = await openDesk();
    await page.getByRole('button', { name: 'Choose providers' }).click();
    const dialog = page.getByRole('dialog', { name: 'Choose providers' });
    await dialog.getByRole('checkbox', { name: /Dr Ben Carson/ }).check();
    await dialog.getByRole('button', { name: 'Show chosen providers' }).click();
    await expect.poll(() => page.getByRole('columnheader', { name: /Dr Ada Lovelace/ }).count()).toBe(0);
    expect(await page.getByRole('columnheader', { name: /Dr Ben Carson/ }).count()).toBe(1);
    await page.reload();
    await page.getByRole('grid').waitFor();
    expect(await page.getByRole('button', { name: 'Choose providers (1)' }).count()).toBe(1);
    expect(await page.getByRole('columnheader', { name: /Dr Ada Lovelace/ }).count()).toBe(0);
    const stored = await page.evaluate(() => localStorage.getItem('clinicpulse.frontdesk.prefs') ?? '');
    expect(stored).not.toMatch(/Kim|Move|1985/);
    await page.getByRole('button', { name: 'Choose providers (1)' }).click();
    await page.getByRole('dialog', { name: 'Choose providers' }).getByRole('button', { name: 'Show all providers' }).click();
    await page.getByRole('columnheader', { name: /Dr Ada Lovelace/ }).waitFor();
  });
});

describe('the appointment panel', () => {

  it("opening another appointment while one is being rescheduled shows that one's own facts, not the first one's form", async () => {
    const pat = await ownProvider('Dr Pat Panel');
    await bookedAt('Pia Panel', '1977-07-07', pat, '11:00');
    await bookedAt('Quin Panel', '1988-08-08', pat, '15:30', { durationMin: 45 });
    const page = await openDesk();
    await page.getByRole('button', { name: /^11:00–11:30 Pia Panel/ }).click();
    await page.getByRole('region', { name: 'History' }).getByText(/^Booked · /).waitFor();
    await page.getByRole('button', { name: 'Reschedule' }).click();
    await page.getByLabel('New start time').fill('12:00');
    // Another block: its own panel. A form still holding Pia's provider, date and time would move Quin there on Save.
    await page.getByRole('button', { name: /^15:30–16:15 Quin Panel/ }).click();
    await page.getByRole('heading', { name: 'Quin Panel', level: 2 }).waitFor();
    // Quin's panel starts afresh: no Reschedule form open, its own Reschedule button offered.
    await page.getByRole('button', { name: 'Reschedule' }).waitFor();
    expect(await page.getByRole('form', { name: 'Reschedule' }).count()).toBe(0);
    // Focus moved to the new panel's heading, not left behind.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Quin Panel');
  });

  it('returns the focus to the block when its panel is closed', async () => {
    await bookedAt('Sam Close', '1955-05-15', await ownProvider('Dr Cal Close'), '10:00');
    const page = await openDesk();
    await page.getByRole('button', { name: /^10:00–10:30 Sam Close/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sam Close', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Close appointment' }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(/^10:00–10:30 Sam Close/);
  });

  it('keeps the keyboard focus in the panel after a check-in or a cancel removes the button used', async () => {
    await bookedAt('Rae Focus', '1966-06-16', await ownProvider('Dr Flo Focus'), '09:00');
    const page = await openDesk();
    await page.getByRole('button', { name: /^09:00–09:30 Rae Focus/ }).click();
    await page.getByRole('button', { name: 'Cancel appointment' }).click();
    await page.getByRole('dialog', { name: 'Cancel this appointment?' }).getByRole('button', { name: 'Yes, cancel appointment' }).click();
    await page.getByRole('region', { name: 'History' }).getByText(/^Cancelled · /).waitFor();
    await expect.poll(() => page.evaluate(() => (document.activeElement === document.body ? 'body' : document.activeElement?.textContent))).toBe('Rae Focus');
  });

  it("saves only what the Reschedule form changed: another desk's move of the same appointment meanwhile is kept", async () => {
    const lee = await ownProvider('Dr Lee Left', 'Meanwhile medicine');
    const kip = await ownProvider('Dr Kip Kept', 'Meanwhile medicine');
    const pid = await bookedAt('Mo Meanwhile', '1963-03-13', lee, '09:00');
    const page = await openDesk();
    await page.getByLabel('Specialty').selectOption('Meanwhile medicine');
    await page.getByRole('button', { name: /^09:00–09:30 Mo Meanwhile/ }).click();
    await page.getByRole('button', { name: 'Reschedule' }).click();
    // Another desk gives her to Dr Kip Kept while this form is open.
    const id = (await app.db.knex.raw('SELECT appointment_id FROM appointments WHERE patient_id = ?', [pid])).rows[0].appointment_id;
    const other = await openDesk();
    const status = await other.evaluate(
      async ([id, providerId]) => (await fetch(`/api/appointments/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ providerId }) })).status,
      [id, kip],
    );
    expect(status).toBe(200);
    // The form follows what it was not told to change: the provider is now Dr Kip Kept there too.
    await expect.poll(async () => Number(await page.getByLabel('New provider').inputValue())).toBe(kip);
    await page.getByLabel('New start time').fill('10:30');
    await page.getByRole('button', { name: 'Save new time' }).click();
    await page.getByRole('button', { name: /^10:30–11:00 Mo Meanwhile/ }).waitFor();
    expect(await placeOf(pid)).toEqual({ provider_id: kip, at: '10:30', duration_min: 30 });
  });

  it('follows an appointment rescheduled to another day from its panel, the panel and the focus going with it', async () => {
    await bookedAt('Vic Away', '1969-09-19', await ownProvider('Dr Wes Away', 'Away medicine'), '11:00');
    const page = await openDesk();
    await page.getByLabel('Specialty').selectOption('Away medicine');
    await page.getByRole('button', { name: /^11:00–11:30 Vic Away/ }).click();
    await page.getByRole('button', { name: 'Reschedule' }).click();
    await page.getByLabel('New date').fill('2027-04-07');
    await page.getByRole('button', { name: 'Save new time' }).click();
    // The screen is on the new day, with her panel open there, not a note that she is "no longer on" the old one.
    await page.getByRole('heading', { name: 'Wednesday, April 7, 2027', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Vic Away', level: 2 }).waitFor();
    await page.getByRole('button', { name: /^11:00–11:30 Vic Away/ }).waitFor();
    expect(await page.getByText('This appointment is no longer on').count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Vic Away');

    // Moved to another day at another desk while her panel has the focus here: the note that replaces it takes the focus.
    const other = await openDesk('/?date=2027-04-07');
    const id = (await app.db.knex.raw(`SELECT appointment_id FROM appointments a JOIN patients p USING (patient_id) WHERE p.name = 'Vic Away'`)).rows[0].appointment_id;
    const status = await other.evaluate(
      async (id) => (await fetch(`/api/appointments/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scheduledAt: '2027-04-08T11:00:00-04:00' }) })).status,
      id,
    );
    expect(status).toBe(200);
    await page.getByText('This appointment is no longer on Wednesday, April 7, 2027.').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('This appointment is no longer on Wednesday, April 7, 2027.');
  });

  it("says the desk's own change once, in its own words, and another desk's change as it comes", async () => {
    const uma = await ownProvider('Dr Uma Once', 'Once medicine');
    await bookedAt('Una Once', '1971-11-11', uma, '09:00');
    const ted = await bookedAt('Ted Twice', '1972-12-12', uma, '10:00');
    const page = await openDesk();
    await page.getByLabel('Specialty').selectOption('Once medicine');
    const said = await recordAnnouncements(page);
    await page.getByRole('button', { name: /^09:00–09:30 Una Once/ }).click();
    await page.getByRole('button', { name: 'Cancel appointment' }).click();
    await page.getByRole('dialog', { name: 'Cancel this appointment?' }).getByRole('button', { name: 'Yes, cancel appointment' }).click();
    await page.getByRole('region', { name: 'History' }).getByText(/^Cancelled · /).waitFor();
    // The same change made at another desk: said in the grid's words.
    const other = await openDesk();
    const tedAppointment = (await app.db.knex.raw('SELECT appointment_id FROM appointments WHERE patient_id = ?', [ted])).rows[0].appointment_id;
    expect(await other.evaluate(async (id) => (await fetch(`/api/appointments/${id}/cancel`, { method: 'POST' })).status, tedAppointment)).toBe(200);
    await expect.poll(() => said.said()).toContain('Ted Twice, 10:00: cancelled.');
    const all = (await said.said()).join(' ');
    expect(all).toContain('Una Once: appointment cancelled.');
    // Its own cancel came back as a push too: not said a second time.
    expect(all).not.toContain('Una Once, 09:00: cancelled.');
  });

  it('says what another desk does to an appointment this desk has just changed', async () => {
    const vera = await ownProvider('Dr Vera Soon', 'Soon medicine');
    const wes = await bookedAt('Wes Soon', '1973-03-13', vera, '09:00');
    const page = await openDesk();
    await page.getByLabel('Specialty').selectOption('Soon medicine');
    const said = await recordAnnouncements(page);
    await page.getByRole('button', { name: /^09:00–09:30 Wes Soon/ }).click();
    await page.getByRole('button', { name: 'Reschedule' }).click();
    await page.getByLabel('New start time').fill('10:00');
    const moved = page.waitForResponse((r) => r.url().includes('/api/appointments/') && r.request().method() === 'PATCH');
    await page.getByRole('button', { name: 'Save new time' }).click();
    expect((await moved).status()).toBe(200);
    await page.getByRole('button', { name: /^10:00–10:30 Wes Soon/ }).waitFor();
    // Seconds later, another desk cancels the same appointment: a different change, and said.
    const other = await openDesk();
    const id = (await app.db.knex.raw('SELECT appointment_id FROM appointments WHERE patient_id = ?', [wes])).rows[0].appointment_id;
    expect(await other.evaluate(async (id) => (await fetch(`/api/appointments/${id}/cancel`, { method: 'POST' })).status, id)).toBe(200);
    await expect.poll(() => said.said(), { timeout: 4000 }).toContain('Wes Soon, 10:00: cancelled.');
    // The desk's own move, pushed back to it, was not said in the grid's words.
    expect((await said.said()).join(' ')).not.toContain('Wes Soon, 10:00: moved.');
  });
});

describe('the week view', () => {
  it('shows one provider\'s week as columns, and a free time there opens that day\'s booking', async () => {
    const page = await openDesk();
    await page.getByRole('button', { name: 'Week of one provider' }).click();
    await page.getByLabel('Provider for the week').selectOption({ label: 'Dr Ada Lovelace — Family medicine' });
    const week = page.getByRole('grid', { name: /^Week of Monday, April 5, 2027, Dr Ada Lovelace/ });
    await week.waitFor();
    expect(await week.getByRole('columnheader').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Tue, Apr 6')]));
    await week.getByRole('button', { name: /^14:00–14:30 Kim Move/ }).waitFor();
    // It opens on the working day (Ada starts at 08:00), not at midnight.
    const shown = await week.evaluate((g) => g.parentElement!.getBoundingClientRect());
    const eight = (await week.getByRole('rowheader', { name: '08:00' }).boundingBox())!;
    expect(eight.y).toBeGreaterThanOrEqual(shown.top);
    expect(eight.y + eight.height).toBeLessThanOrEqual(shown.bottom);
    await screenshot(page, 'frontdesk-week');
    expect(await axeSerious(page)).toEqual([]);
    // Moving the day keeps the week view and the provider chosen for it (not the first one).
    const forWeek = page.getByLabel('Provider for the week');
    await forWeek.selectOption(String(ben));
    await page.getByRole('button', { name: 'Next day' }).click();
    await page.getByRole('heading', { name: 'Wednesday, April 7, 2027' }).waitFor();
    await page.getByRole('grid', { name: /^Week of Monday, April 5, 2027, Dr Ben Carson/ }).waitFor();
    expect(await forWeek.inputValue()).toBe(String(ben));
    await forWeek.selectOption({ label: 'Dr Ada Lovelace — Family medicine' });
    await week.getByRole('gridcell', { name: /^Thu, Apr 8, 10:00, free/ }).click();
    await page.getByRole('grid', { name: /Thursday, April 8, 2027/ }).waitFor();
    expect(await page.getByLabel('Start time').inputValue()).toBe('10:00');
    expect(await page.getByRole('combobox', { name: /^Provider/ }).inputValue()).toBe(String(ada));
  });
});

describe('the week view under a specialty filter', () => {
  it('shows a provider the filter offers, not one it now hides', async () => {
    const yan = await createProvider(app.db.knex, { name: 'Dr Yan Week', specialty: 'Week medicine' });
    const page = await openDesk();
    await page.getByRole('button', { name: 'Week of one provider' }).click();
    await page.getByLabel('Provider for the week').selectOption({ label: 'Dr Ada Lovelace — Family medicine' });
    await page.getByRole('grid', { name: /, Dr Ada Lovelace, clinic time$/ }).waitFor();
    // The filter hides Ada: the week shown is that of the provider the list now offers.
    await page.getByLabel('Specialty').selectOption('Week medicine');
    await page.getByRole('grid', { name: /, Dr Yan Week, clinic time$/ }).waitFor();
    expect(Number(await page.getByLabel('Provider for the week').inputValue())).toBe(yan);
  });
});

describe('the week view, a day whose live watch is refused', () => {
  it('says live updates are paused for part of the week, with a Retry that brings that day back', async () => {
    const ctx = await newDesk(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await refuseFirstWatch(page, /^42(\d+)\["clinic:watch",\{"date":"2027-04-08"/, 'The day could not be loaded; retry.');
    await signIn(page, app.url, desk, `/?date=${DAY}`);
    await page.getByRole('grid').waitFor();
    await page.getByRole('button', { name: 'Week of one provider' }).click();
    const paused = page.getByRole('alert').filter({ hasText: 'Live updates are paused for part of this week. The day could not be loaded; retry.' });
    await paused.waitFor();
    await paused.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => paused.count()).toBe(0);
  });
});

describe('the week view, moving to another week', () => {
  it("shows the new week loading, not the last week's hours and time off under the new dates", async () => {
    const k = app.db.knex;
    const wes = await createProvider(k, { name: 'Dr Wes Week' });
    for (let d = 1; d <= 7; d++) await k.raw(`INSERT INTO provider_working_hours VALUES (?, ?, '08:00', '17:00')`, [wes, d]);
    await k.raw(`INSERT INTO provider_time_off (provider_id, period, category) VALUES (?, tstzrange('2027-04-08T10:00:00-04:00', '2027-04-08T12:00:00-04:00'), 'training')`, [wes]);
    const page = await openDesk();
    await page.getByRole('button', { name: 'Week of one provider' }).click();
    await page.getByLabel('Provider for the week').selectOption({ label: 'Dr Wes Week — Family medicine' });
    const thisWeek = page.getByRole('grid', { name: /^Week of Monday, April 5, 2027, Dr Wes Week/ });
    await thisWeek.getByRole('columnheader', { name: /^Thu, Apr 8 .*time off 10:00–12:00/ }).waitFor();
    // The next week's days answer only when released.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const nextWeek = /\/api\/clinic\/day\?date=2027-04-1[2-8]$/;
    await page.route(nextWeek, async (route) => {
      await held;
      await route.continue();
    });
    await page.getByLabel('Date', { exact: true }).fill('2027-04-13');
    await page.getByRole('heading', { name: 'Tuesday, April 13, 2027' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Loading the week' }).waitFor();
    expect(await page.getByRole('columnheader', { name: /time off/ }).count()).toBe(0);
    release();
    const next = page.getByRole('grid', { name: /^Week of Monday, April 12, 2027, Dr Wes Week/ });
    await next.getByRole('columnheader', { name: /^Thu, Apr 15 / }).waitFor();
    expect(await next.getByRole('columnheader', { name: /time off/ }).count()).toBe(0);
    await page.unroute(nextWeek);
  });
});

describe('the week view this week', () => {
  it("draws the now-line across today's column only", async () => {
    const page = await openDesk('/');
    await page.getByRole('button', { name: 'Week of one provider' }).click();
    await page.getByLabel('Provider for the week').selectOption({ label: 'Dr Ada Lovelace — Family medicine' });
    const week = page.getByRole('grid', { name: /^Week of .*, Dr Ada Lovelace/ });
    await week.waitFor();
    const todayHead = await page.evaluate(() =>
      new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short', month: 'short', day: 'numeric' }).format(new Date()),
    );
    const head = (await week.getByRole('columnheader', { name: new RegExp(`^${todayHead}`) }).boundingBox())!;
    const line = (await page.getByTestId('now-line').boundingBox())!;
    expect(Math.abs(line.x - head.x)).toBeLessThanOrEqual(1);
    expect(Math.abs(line.width - head.width)).toBeLessThanOrEqual(1);
  });
});

describe('working hours and time off', () => {
  it('shades a lunch break between two working intervals and a provider\'s time off, names both for screen readers, and lists the intervals in the column header', async () => {
    const k = app.db.knex;
    const cy = await createProvider(k, { name: 'Dr Cy Lunch' });
    const dee = await createProvider(k, { name: 'Dr Dee Away' });
    await k.raw(`INSERT INTO provider_working_hours VALUES (?, 2, '08:00', '12:00'), (?, 2, '13:00', '17:00'), (?, 2, '08:00', '17:00')`, [cy, cy, dee]);
    await k.raw(`INSERT INTO provider_time_off (provider_id, period, category) VALUES (?, tstzrange('${DAY}T13:00:00-04:00', '${DAY}T15:00:00-04:00'), 'training')`, [dee]);
    const page = await openDesk();
    const grid = page.getByRole('grid');
    await grid.getByRole('columnheader', { name: 'Dr Cy Lunch Family medicine 08:00–12:00, 13:00–17:00' }).waitFor();
    await grid.getByRole('columnheader', { name: 'Dr Dee Away Family medicine 08:00–17:00 · time off 13:00–15:00' }).waitFor();
    // The lunch break reads (and looks) like outside hours; both intervals around it are working time.
    const cell = (name: string) => grid.getByRole('gridcell', { name, exact: true });
    await cell('Dr Cy Lunch, 11:45, free').waitFor();
    await cell('Dr Cy Lunch, 12:00, free, outside working hours').waitFor();
    await cell('Dr Cy Lunch, 12:45, free, outside working hours').waitFor();
    await cell('Dr Cy Lunch, 13:00, free').waitFor();
    await cell('Dr Cy Lunch, 17:00, free, outside working hours').waitFor();
    await cell('Dr Dee Away, 12:45, free').waitFor();
    await cell('Dr Dee Away, 13:00, free, time off').waitFor();
    await cell('Dr Dee Away, 14:45, free, time off').waitFor();
    await cell('Dr Dee Away, 15:00, free').waitFor();
    const look = (name: string) => cell(name).evaluate((el) => getComputedStyle(el).backgroundImage);
    expect(await look('Dr Cy Lunch, 12:00, free, outside working hours')).not.toBe(await look('Dr Cy Lunch, 11:45, free'));
    expect(await look('Dr Dee Away, 13:00, free, time off')).not.toBe(await look('Dr Dee Away, 12:45, free'));
    expect(await look('Dr Dee Away, 13:00, free, time off')).not.toBe(await look('Dr Cy Lunch, 12:00, free, outside working hours'));
    await grid.getByText('Time off', { exact: true }).first().waitFor();
    await cell('Dr Cy Lunch, 11:45, free').scrollIntoViewIfNeeded();
    await screenshot(page, 'frontdesk-hours');
    expect(await axeSerious(page)).toEqual([]);
  });
});

describe('many providers', () => {
  it('draws only the columns on screen for 300 providers, with the time column fixed while scrolling sideways', async () => {
    // Up to 300 providers, whatever the tests before this one added; the last by name is the last column.
    const { rows } = await app.db.knex.raw('SELECT 300 - count(*)::int AS more FROM providers');
    const last = `Dr Zed ${String(rows[0].more).padStart(3, '0')}`;
    await app.db.knex.raw(`INSERT INTO providers (name, specialty) SELECT 'Dr Zed ' || lpad(i::text, 3, '0'), 'Internal medicine' FROM generate_series(1, ?) i`, [rows[0].more]);
    const page = await openDesk();
    const grid = page.getByRole('grid');
    expect(await grid.getAttribute('aria-colcount')).toBe('301');
    const drawn = await grid.getByRole('columnheader').count();
    expect(drawn).toBeLessThan(15);
    const rowHeader = page.getByRole('rowheader', { name: '09:00' });
    const x0 = (await rowHeader.boundingBox())!.x;
    await page.evaluate(() => {
      const s = document.querySelector('[role=grid]')!.parentElement!;
      s.scrollLeft = s.scrollWidth;
    });
    await grid.getByRole('columnheader', { name: new RegExp(last) }).waitFor();
    expect(await grid.getByRole('columnheader', { name: /Dr Ada Lovelace/ }).count()).toBe(0);
    expect((await rowHeader.boundingBox())!.x).toBe(x0);
    // Tabbing in after the mouse scrolled the active column away lands on a drawn cell, not past the grid.
    await page.getByRole('button', { name: 'Week of one provider' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement?.closest('[role=grid]') ? document.activeElement.getAttribute('aria-label') : null))).toMatch(/^Dr Zed \d{3}, \d\d:\d\d, free/);
    await screenshot(page, 'frontdesk-300-providers');
  });
});

describe('layouts', () => {
  it('clips nothing at tablet width (768 px) and on a 1920×1080 wall display', async () => {
    for (const [width, height] of [[768, 1024], [1920, 1080]] as const) {
      const ctx = await newDesk(browser, { width, height });
      contexts.push(ctx);
      const page = await ctx.newPage();
      await signIn(page, app.url, desk, `/?date=${DAY}`);
      await page.getByRole('grid').waitFor();
      // The page itself never scrolls sideways (the grid scrolls inside its own box).
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      for (const name of ['Previous day', 'Next day', 'Jump to now', 'New appointment', 'Sign out']) {
        const box = (await page.getByRole('button', { name }).boundingBox())!;
        expect(box.x >= 0 && box.x + box.width <= width).toBe(true);
      }
      await screenshot(page, `frontdesk-${width}`);
    }
  });

  it('fits a 390×844 phone: the page never scrolls sideways, the grid scrolls in its own region, and the main actions are reachable', async () => {
    const ctx = await newDesk(browser, { width: 390, height: 844 });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await signIn(page, app.url, desk, `/?date=${DAY}`);
    const grid = page.getByRole('grid');
    await grid.waitFor();
    const pageFits = () => page.evaluate(() => document.scrollingElement!.scrollWidth <= 390);
    expect(await pageFits()).toBe(true);
    // The grid is wider than the screen and scrolls sideways inside its own box.
    expect(await grid.evaluate((g) => g.parentElement!.scrollWidth > g.parentElement!.clientWidth && g.parentElement!.clientWidth <= 390)).toBe(true);
    const inside = async (name: string) => {
      const b = page.getByRole('button', { name, exact: true });
      await b.scrollIntoViewIfNeeded();
      const box = (await b.boundingBox())!;
      return box.x >= 0 && box.x + box.width <= 390;
    };
    for (const name of ['Previous day', 'Next day', 'Jump to now', 'New appointment', 'Choose providers', 'Sign out']) expect(await inside(name), name).toBe(true);
    await screenshot(page, 'frontdesk-390');
    // Booking from a cell: the form opens within the screen, and the page still does not scroll sideways.
    await grid.getByRole('gridcell', { name: /^Dr Ada Lovelace, 10:00, free/ }).click();
    await page.getByLabel('Start time').waitFor();
    expect(await inside('Book')).toBe(true);
    expect(await pageFits()).toBe(true);
    // An appointment's panel too.
    await page.getByRole('button', { name: /^14:00–14:30 Kim Move/ }).click();
    expect(await inside('Check in')).toBe(true);
    expect(await pageFits()).toBe(true);
  });
});

describe('finding a patient while a search is under way', () => {
  it("chooses from the answer to what is typed, never from an earlier text's list still on screen", async () => {
    const k = app.db.knex;
    await createPatient(k, { name: 'Mira Alvarez', dob: '1971-01-01' });
    await createPatient(k, { name: 'Mira Zamora', dob: '1972-02-02' });
    const page = await openDesk();
    await page.getByRole('button', { name: 'New appointment' }).first().click();
    const form = page.getByRole('form', { name: 'New appointment' });
    const finder = form.getByRole('combobox', { name: 'Find patient (name or date of birth)' });
    const options = form.getByRole('listbox', { name: 'Matching patients' }).getByRole('option');
    await finder.fill('Mira');
    await options.filter({ hasText: 'Mira Zamora — born 1972-02-02' }).waitFor();
    // The search for the longer text is held on its way; Enter pressed at once must not choose the first Mira of the old list.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route((u) => u.pathname === '/api/patients' && (u.searchParams.get('q') ?? '').includes('Zamora'), async (route) => (await held, route.continue()));
    await finder.press('End');
    await page.keyboard.type(' Zamora');
    await page.keyboard.press('Enter');
    await page.getByText('Searching…').waitFor();
    expect(await page.getByText('Patient: Mira Alvarez').count()).toBe(0);
    release();
    await expect.poll(() => options.allTextContents()).toEqual(['Mira Zamora — born 1972-02-02']);
    await page.keyboard.press('Enter');
    await page.getByText('Patient: Mira Zamora, born 1972-02-02').waitFor();

    // A search that fails: its error, and no earlier list for Enter to choose from.
    await page.getByRole('button', { name: 'Change patient' }).click();
    await finder.fill('Mira');
    await options.filter({ hasText: 'Mira Alvarez — born 1971-01-01' }).waitFor();
    await page.route((u) => u.pathname === '/api/patients' && (u.searchParams.get('q') ?? '').includes('Alv'), (route) => route.fulfill(serverError('The search is unavailable.')));
    await finder.press('End');
    await page.keyboard.type(' Alv');
    await page.getByRole('alert').filter({ hasText: 'The search is unavailable.' }).waitFor();
    await page.keyboard.press('Enter');
    expect(await page.getByText(/^Patient: Mira/).count()).toBe(0);
    expect(await options.count()).toBe(0);
  });
});
