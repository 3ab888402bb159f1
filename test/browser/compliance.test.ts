/**
 * The compliance console in a real browser against the real server: the audit history is
 * there on arrival with actor and patient named, a new entry appears live at the top,
 * the history filters by patient, a patient is erased with a typed reason after a
 * confirmation naming them, a patient under legal hold is refused with the hold shown,
 * an account is deactivated (its session ends), and axe finds nothing serious. The history
 * also filters by actor, action, table, severity and time and pages backwards; a live entry
 * is fetched as the page's own request, which does not keep the session alive. In a browser
 * outside the clinic's zone, each entry's time carries the clinic's zone. When a control goes
 * away with what it did (a search result chosen, an erasure, a deactivation), the keyboard focus
 * moves to what replaced it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeSerious, launchChromium, newDesk, screenshot, serverError, signIn, startBrowserApp, type BrowserApp } from './support.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
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

async function axeOk(page: Page, where: string) {
  const v = await axeSerious(page);
  expect(v, `${where}: ${JSON.stringify(v.map((x) => [x.id, x.help, x.nodes.slice(0, 2)]))}`).toEqual([]);
}

const auditTable = (page: Page) => page.getByRole('table', { name: 'Audit entries, newest first (new ones appear at the top)' });

/** A compliance officer's page, signed in and live, with the audit table's rows and a column's texts. */
async function openAuditLog(officer: StaffFixture, opts: { timezoneId?: string } = {}) {
  const ctx = await newDesk(browser, opts);
  const page = await ctx.newPage();
  await signIn(page, app.url, officer);
  await expect.poll(() => page.getByRole('status', { name: 'Connection: Live' }).count(), { timeout: 10_000 }).toBe(1);
  const rows = auditTable(page).locator('tbody tr');
  const column = (n: number) => auditTable(page).locator(`tbody tr td:nth-child(${n})`).allTextContents();
  return { ctx, page, rows, column };
}
const firstRow = (page: Page) => auditTable(page).locator('tbody tr').first();
/** The text of the element that has the keyboard focus, or a field's label ('' when focus fell back to the page itself). */
const focusedText = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '';
    return (el.matches('input, textarea, select') ? el.closest('label')?.firstChild?.textContent : el.textContent)?.trim() ?? '';
  });

it('shows the audit history, receives entries live, filters by patient, erases, refuses a legal hold and deactivates an account', async () => {
  const k = app.db.knex;
  const providerId = await createProvider(k, { name: 'Dr Ida Ink' });
  const alice = await createPatient(k, { name: 'Alice Audit' });
  const bob = await createPatient(k, { name: 'Bob Bystander' });
  const erin = await createPatient(k, { name: 'Erin Erase', dob: '1975-02-03' });
  const hank = await createPatient(k, { name: 'Hank Held' });
  await k.raw("UPDATE patients SET legal_hold_reason = 'Litigation 2026-77' WHERE patient_id = ?", [hank]);
  await insertAppointment(k, { patientId: alice, providerId, scheduledAt: '2030-05-06T10:00:00-04:00' });
  await insertAppointment(k, { patientId: bob, providerId, scheduledAt: '2030-05-06T11:00:00-04:00' });
  const clinician = await app.createUser('clinician', { providerId });
  const officer = await app.createUser('compliance');

  const ctx = await newDesk(browser);
  const page = await ctx.newPage();
  await signIn(page, app.url, officer);
  await expect.poll(() => page.getByRole('status', { name: 'Connection: Live' }).count(), { timeout: 10_000 }).toBe(1);
  // History on arrival: the inserts above are already in the log.
  await auditTable(page).waitFor();
  expect(await auditTable(page).locator('tbody tr').count()).toBeGreaterThan(3);
  await auditTable(page).getByRole('cell', { name: `Bob Bystander (#${bob})` }).first().waitFor();

  // A clinician opens Alice's chart elsewhere: the audited read arrives live at the top, named.
  const cctx = await newDesk(browser);
  const cpage = await cctx.newPage();
  await signIn(cpage, app.url, clinician);
  expect(await cpage.evaluate(async (id) => (await fetch(`/api/patients/${id}/panel`)).status, alice)).toBe(200);
  await expect.poll(() => firstRow(page).textContent(), { timeout: 5000 }).toContain(`${clinician.username} · clinician`);
  expect(await firstRow(page).textContent()).toContain(`Alice Audit (#${alice})`);
  // Said for a screen reader too, not only shown.
  await expect.poll(() => page.getByTestId('announcer').textContent()).toMatch(/New audit entr(y|ies) at the top/);

  // Filter the history by patient.
  await page.getByLabel('Filter by patient (name or id)').fill('alice');
  await page.getByRole('button', { name: `Show entries for Alice Audit (#${alice}, born 1980-05-17)` }).click();
  await page.getByText('Showing entries for patient').waitFor();
  // The result chosen is gone with the finder: the focus is on what replaced it.
  await expect.poll(() => focusedText(page)).toBe('Clear patient filter');
  await expect.poll(async () => {
    const patients = await auditTable(page).locator('tbody tr td:nth-child(7)').allTextContents();
    return patients.length > 0 && patients.every((p) => p === `Alice Audit (#${alice})`);
  }).toBe(true);
  await axeOk(page, 'audit log');
  await screenshot(page, 'compliance-audit');
  // Live under the filter: another read of Alice arrives, a read of Bob does not.
  const before = await auditTable(page).locator('tbody tr').count();
  expect(await cpage.evaluate(async (id) => (await fetch(`/api/patients/${id}/panel`)).status, bob)).toBe(200);
  expect(await cpage.evaluate(async (id) => (await fetch(`/api/patients/${id}/panel`)).status, alice)).toBe(200);
  await expect.poll(() => auditTable(page).locator('tbody tr').count(), { timeout: 5000 }).toBeGreaterThan(before);
  expect(await auditTable(page).textContent()).not.toContain('Bob Bystander');

  // Erase Erin with a reason, after a confirmation that names her and says what cannot be undone.
  await page.getByLabel('Find the patient to erase (name or id)').fill('erin');
  await page.getByRole('button', { name: `Select Erin Erase (#${erin}, born 1975-02-03)` }).click();
  await expect.poll(() => focusedText(page)).toBe('Reason for erasure');
  await page.getByRole('button', { name: 'Erase this patient…' }).click();
  await page.getByText('Give the basis for the erasure').waitFor();
  await page.getByLabel('Reason for erasure').fill('GDPR Art. 17 request, ticket 4711');
  await page.getByRole('button', { name: 'Erase this patient…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Erase Erin Erase?' });
  expect(await confirm.textContent()).toContain('This cannot be undone');
  expect(await confirm.textContent()).toContain('born 1975-02-03');
  await axeOk(page, 'erasure confirmation');
  await screenshot(page, 'compliance-erasure-confirm');
  await confirm.getByRole('button', { name: 'Erase Erin Erase permanently' }).click();
  await page.getByRole('status').filter({ hasText: `Erin Erase (#${erin}) was erased` }).waitFor();
  // The form she was erased from is gone: the keyboard focus is on the outcome, not lost to the page.
  await expect.poll(() => focusedText(page)).toContain(`Erin Erase (#${erin}) was erased`);
  expect((await k.raw('SELECT erased_at FROM patients WHERE patient_id = ?', [erin])).rows[0].erased_at).not.toBeNull();

  // Hank is under legal hold: refused, with the hold shown, and nothing erased.
  await page.getByLabel('Find the patient to erase (name or id)').fill(String(hank));
  await page.getByRole('button', { name: `Select Hank Held (#${hank}, born 1980-05-17), legal hold: Litigation 2026-77` }).click();
  await page.getByLabel('Reason for erasure').fill('GDPR Art. 17 request, ticket 4712');
  await page.getByRole('button', { name: 'Erase this patient…' }).click();
  await page.getByRole('dialog', { name: 'Erase Hank Held?' }).getByRole('button', { name: 'Erase Hank Held permanently' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'Refused: Hank Held is under legal hold (Litigation 2026-77)' });
  await refusal.waitFor();
  await expect.poll(() => focusedText(page)).toContain('Refused: Hank Held is under legal hold');
  expect((await k.raw('SELECT erased_at FROM patients WHERE patient_id = ?', [hank])).rows[0].erased_at).toBeNull();
  await screenshot(page, 'compliance-legal-hold');

  // Staff accounts: deactivate the clinician; their open session ends at once.
  await page.getByRole('button', { name: `Deactivate ${clinician.username}` }).click();
  await page.getByRole('dialog', { name: `Deactivate ${clinician.username}?` }).getByRole('button', { name: `Deactivate ${clinician.username}` }).click();
  await page.getByRole('status').filter({ hasText: `${clinician.username} was deactivated` }).waitFor();
  await page.getByRole('row').filter({ hasText: clinician.username }).filter({ hasText: 'Deactivated' }).waitFor();
  // Its Deactivate button is gone: the focus is on the outcome.
  await expect.poll(() => focusedText(page)).toContain(`${clinician.username} was deactivated`);
  expect(await cpage.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);
  await page.getByText('New accounts are created on the command line').waitFor();
  await axeOk(page, 'staff accounts');
  await page.getByRole('heading', { name: 'Staff accounts' }).scrollIntoViewIfNeeded();
  await screenshot(page, 'compliance-staff');
  // Clearing the patient filter brings its finder back, with the focus in it.
  await page.getByRole('button', { name: 'Clear patient filter' }).click();
  await expect.poll(() => focusedText(page)).toBe('Filter by patient (name or id)');
  await cctx.close();
  await ctx.close();
});

it('filters the history by actor, action, table, severity and time, pages backwards, and fetches live entries without extending the session', async () => {
  const k = app.db.knex;
  // 60 new patients: more insert entries on patients than one page (50) holds.
  const names = Array.from({ length: 60 }, (_, i) => `Paging Patient ${String(i).padStart(2, '0')}`);
  for (const name of names) await createPatient(k, { name });
  const target = await createPatient(k, { name: 'Gus Glass' });
  const providerId = await createProvider(k, { name: 'Dr Fay Filter' });
  const clinician = await app.createUser('clinician', { providerId });
  const { ctx, page, rows, column } = await openAuditLog(await app.createUser('compliance'));

  // Action and table: one page of inserts into patients, then older ones, all still matching.
  await page.getByLabel('Action').selectOption('insert');
  // A typed table name applies as typed (after a pause), live entries arriving meanwhile or not.
  await page.getByLabel('Table').fill('patients');
  await expect.poll(async () => [...new Set((await column(6)).map((r) => r.split(' ')[0]))]).toEqual(['patients']);
  expect(await rows.count()).toBe(50);
  expect(new Set(await column(4))).toEqual(new Set(['insert']));
  await page.getByRole('button', { name: 'Load older entries' }).click();
  await expect.poll(() => rows.count()).toBeGreaterThan(60);
  expect(new Set(await column(4))).toEqual(new Set(['insert']));
  expect((await column(6)).every((r) => r.startsWith('patients '))).toBe(true);
  const ids = (await column(1)).map(Number);
  expect(ids).toEqual([...ids].sort((a, b) => b - a));

  // Time: nothing is logged in the future.
  await page.getByLabel('From (clinic time)').fill('2027-04-06T08:00');
  await page.getByText('No audit entries match these filters.').waitFor();
  await page.getByLabel('From (clinic time)').fill('');
  await page.getByLabel('Table').fill('');
  await page.getByLabel('Action').selectOption('');

  // Actor and severity: the clinician's high-severity entries, none yet; then one arrives live.
  await page.getByLabel('Actor').selectOption({ label: `${clinician.username} (clinician)` });
  await page.getByLabel('Severity').selectOption('high');
  await page.getByText('No audit entries match these filters.').waitFor();
  const cctx = await newDesk(browser);
  const cpage = await cctx.newPage();
  await signIn(cpage, app.url, clinician);
  const livePull = page.waitForRequest((r) => r.url().includes('/api/audit?') && r.url().includes('severity=high'), { timeout: 10_000 });
  const status = await cpage.evaluate(
    async (id) => (await fetch(`/api/patients/${id}/break-glass`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'Found unconscious in the car park', minutes: 15 }) })).status,
    target,
  );
  expect(status).toBe(201);
  await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(1);
  expect(await firstRow(page).textContent()).toContain(`${clinician.username} · clinician`);
  expect(await firstRow(page).textContent()).toContain('break_glass');
  expect(await firstRow(page).textContent()).toContain(`Gus Glass (#${target})`);
  // The page asked on its own after the push: marked as background, so the idle timeout still runs.
  expect((await livePull).headers()['x-clinicpulse-background']).toBe('1');
  await axeOk(page, 'audit log filtered');
  await cctx.close();
  await ctx.close();
});

it('shows every entry of a burst larger than a page live, with no gap', async () => {
  const k = app.db.knex;
  // A first page's worth of patient inserts before the page opens.
  await k.raw(`INSERT INTO patients (name, dob) SELECT 'Early Patient ' || g, DATE '1960-01-01' + g FROM generate_series(1, 60) g`);
  const { ctx, page, rows, column } = await openAuditLog(await app.createUser('compliance'));
  const ids = async () => (await column(1)).map(Number);
  await page.getByLabel('Action').selectOption('insert');
  await expect.poll(async () => [...new Set(await column(4))]).toEqual(['insert']);
  expect(await rows.count()).toBe(50);
  const before = await ids();
  // 120 patients in one statement: 120 audit rows at once, more than the 50 a live pull reads.
  await k.raw(`INSERT INTO patients (name, dob) SELECT 'Burst Patient ' || g, DATE '1970-01-01' + g FROM generate_series(1, 120) g`);
  const { rows: logged } = await k.raw(
    `SELECT audit_id FROM audit_log WHERE action = 'insert' AND audit_id > ? ORDER BY audit_id DESC`,
    [before[0]!],
  );
  expect(logged).toHaveLength(120);
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(170);
  expect(await ids()).toEqual([...logged.map((r: { audit_id: string | number }) => Number(r.audit_id)), ...before]);
  await ctx.close();
});

it("labels each entry's clinic time with the clinic's zone when the browser is elsewhere", async () => {
  const k = app.db.knex;
  await createPatient(k, { name: 'Zed Zone' });
  const { ctx, column } = await openAuditLog(await app.createUser('compliance'), { timezoneId: 'UTC' });
  await expect.poll(async () => (await column(2)).length).toBeGreaterThan(0);
  // The clinic is in New York: its zone's short name, EST or EDT by the date of each entry.
  for (const when of await column(2)) expect(when).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T$/);
  await ctx.close();
});

it('says a search is under way, announces a page of older entries, and keeps the focus when the last page arrives', async () => {
  const k = app.db.knex;
  const olive = await createPatient(k, { name: 'Olive Older', dob: '1961-06-07' });
  // 60 changes to her record: with the insert, more entries naming her than one page (50) holds.
  for (let i = 0; i < 60; i++) await k.raw('UPDATE patients SET name = ? WHERE patient_id = ?', ['Olive Older', olive]);
  const { ctx, page, rows } = await openAuditLog(await app.createUser('compliance'));

  // A search held on its way: the finder says it is searching, then how many it found.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const search = (u: URL) => u.pathname === '/api/compliance/patients';
  await page.route(search, async (route) => (await held, route.continue()));
  await page.getByLabel('Filter by patient (name or id)').fill('olive older');
  await page.getByText('Searching…').waitFor();
  release();
  await page.getByText('1 match.').waitFor();
  await page.unroute(search);
  await page.getByRole('button', { name: `Show entries for Olive Older (#${olive}, born 1961-06-07)` }).click();
  await page.getByText('Showing entries for patient').waitFor();
  await expect.poll(() => rows.count()).toBe(50);

  // The older page, held too: the button says it is loading and keeps the focus; what arrives is announced.
  let releasePage!: () => void;
  const heldPage = new Promise<void>((r) => (releasePage = r));
  await page.route((u) => u.pathname === '/api/audit' && u.searchParams.has('before'), async (route) => (await heldPage, route.continue()));
  const more = page.getByRole('button', { name: 'Load older entries' });
  await more.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Loading older entries…' }).waitFor();
  expect(await focusedText(page)).toBe('Load older entries');
  releasePage();
  await expect.poll(() => page.getByTestId('announcer').textContent()).toMatch(/^\d+ older entries loaded\. That is all of them: no older entries\.$/);
  const added = Number((await page.getByTestId('announcer').textContent())!.split(' ')[0]);
  expect(added).toBeGreaterThan(0);
  expect(await rows.count()).toBeGreaterThanOrEqual(50 + added);
  // That was the last page: its button is gone, and the focus is on the note that says so, not lost to the page.
  expect(await more.count()).toBe(0);
  await expect.poll(() => focusedText(page)).toBe('No older entries.');

  // A search that fails leaves no list from the earlier text under its error.
  const finder = page.getByRole('searchbox', { name: 'Find the patient to erase (name or id)' });
  await finder.fill('olive');
  await page.getByRole('button', { name: `Select Olive Older (#${olive}, born 1961-06-07)` }).waitFor();
  await page.route(search, (route) => route.fulfill(serverError('The search is unavailable.')));
  await finder.fill('olive o');
  await page.getByRole('alert').filter({ hasText: 'The search is unavailable.' }).waitFor();
  expect(await page.getByRole('button', { name: `Select Olive Older (#${olive}, born 1961-06-07)` }).count()).toBe(0);
  await ctx.close();
});

it('catches up on the entries written while it was disconnected (a server restart), once it is live again', async () => {
  const k = app.db.knex;
  const { ctx, page } = await openAuditLog(await app.createUser('compliance'));
  await auditTable(page).locator('tbody tr').first().waitFor();
  await app.stop();
  try {
    await page.getByRole('status', { name: /Connection: (Reconnecting…|Offline)/ }).waitFor({ timeout: 15_000 });
    // Written while no server pushed anything to anyone.
    const quiet = await createPatient(k, { name: 'Quinn Quietly' });
    await app.start();
    await page.getByRole('status', { name: 'Connection: Live' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => firstRow(page).textContent(), { timeout: 10_000 }).toContain(`Quinn Quietly (#${quiet})`);
  } finally {
    await app.start();
  }
  await ctx.close();
});

it('says an account was already deactivated when another officer did it first, instead of claiming it', async () => {
  const k = app.db.knex;
  const billing = await app.createUser('billing');
  const { ctx, page } = await openAuditLog(await app.createUser('compliance'));
  await page.getByRole('button', { name: `Deactivate ${billing.username}` }).waitFor();
  // Another officer deactivates the account while this screen still lists it as active.
  await k.raw('UPDATE staff_users SET active = false, deactivated_at = now() WHERE username = ?', [billing.username]);
  await page.getByRole('button', { name: `Deactivate ${billing.username}` }).click();
  await page.getByRole('dialog', { name: `Deactivate ${billing.username}?` }).getByRole('button', { name: `Deactivate ${billing.username}` }).click();
  await page.getByRole('status').filter({ hasText: `${billing.username} was already deactivated` }).waitFor();
  expect(await page.getByText(`${billing.username} was deactivated;`).count()).toBe(0);
  await ctx.close();
});
