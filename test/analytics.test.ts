/**
 * The trigger-maintained monthly counters (appointment_monthly_stats, read through the
 * views behind the charts) must equal a plain count over the raw appointments rows after
 * any mix of writes: single and multi-row inserts, status changes, cancellations,
 * reschedules across month boundaries, deletes, TRUNCATE and a clinic time zone change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createPatient, createProvider } from './support/clinic.js';
import { providerMonthlyVolume, providerNoShowRates } from '../server/db/repository/index.js';
import { referenceMonthlyVolume, referenceNoShowRates } from './support/analytics-reference.js';
import { APPOINTMENT_STATUSES } from '../shared/vocabulary.js';
import { seededRandom } from './support/random.js';

let db: TestDatabase;
let providers: number[];
let patients: number[];

const random = seededRandom(20261125);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

// Instants within 8 hours of a UTC month boundary: in New York these fall on either side
// of the clinic-local month boundary, which is exactly where a wrong time zone shows.
const boundaries = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01'].map((d) => Date.parse(`${d}T00:00:00Z`));
const nearBoundary = () => new Date(pick(boundaries) + Math.round((random() * 16 - 8) * 12) * 300_000);

beforeAll(async () => {
  db = await createTestDatabase();
  providers = [];
  for (let i = 0; i < 4; i++) providers.push(await createProvider(db.knex, { name: `Dr Count ${i}` }));
  patients = [];
  for (let i = 0; i < 40; i++) patients.push(await createPatient(db.knex));
});
afterAll(async () => db.drop());

async function expectCountersExact(): Promise<void> {
  const [rates, refRates, volume, refVolume] = await db.knex.transaction(async (t) => [
    await providerNoShowRates(t),
    await referenceNoShowRates(t),
    await providerMonthlyVolume(t),
    await referenceMonthlyVolume(t),
  ]);
  expect(rates).toEqual(refRates);
  expect(volume).toEqual(refVolume);
  // Every counter, not only the two the views expose.
  const { rows } = await db.knex.raw(`
    WITH raw AS (
      SELECT provider_id, clinic_month(scheduled_at) AS month, count(*)::int AS total,
             count(*) FILTER (WHERE status = 'scheduled')::int AS scheduled,
             count(*) FILTER (WHERE status = 'checked_in')::int AS checked_in,
             count(*) FILTER (WHERE status = 'completed')::int AS completed,
             count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
             count(*) FILTER (WHERE status = 'no_show')::int AS no_show
      FROM appointments GROUP BY 1, 2),
    kept AS (SELECT provider_id, month, total, scheduled, checked_in, completed, cancelled, no_show
             FROM appointment_monthly_stats WHERE total <> 0)
    SELECT (SELECT count(*) FROM (SELECT * FROM raw EXCEPT SELECT * FROM kept) x)::int AS missing,
           (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM raw) x)::int AS extra,
           (SELECT count(*) FROM raw)::int AS groups`);
  expect(rows[0]).toMatchObject({ missing: 0, extra: 0 });
}

/** Run a statement that may legitimately be refused (overlap, illegal transition); report whether it changed a row. */
async function attempt(sql: string, bindings: unknown[]): Promise<boolean> {
  try {
    const result = await db.knex.raw(sql, bindings as never);
    return (result.rowCount ?? 0) > 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23P01' || code === '23514') return false;
    throw err;
  }
}

const STATUSES = APPOINTMENT_STATUSES;
const NEXT: Record<string, string[]> = {
  scheduled: ['checked_in', 'cancelled', 'no_show'],
  checked_in: ['completed', 'cancelled'],
};

async function randomOperations(n: number): Promise<Record<string, number>> {
  const done: Record<string, number> = {};
  const count = (k: string, ok: boolean) => ok && (done[k] = (done[k] ?? 0) + 1);
  for (let i = 0; i < n; i++) {
    const op = random();
    if (op < 0.4) {
      count(
        'insert',
        await attempt(
          'INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status) VALUES (?, ?, ?, ?, ?)',
          [pick(patients), pick(providers), nearBoundary(), pick([15, 20, 30, 45]), pick(STATUSES)],
        ),
      );
      continue;
    }
    // Picked by the seeded PRNG, not ORDER BY random(), so a failure replays exactly.
    const { rows } = await db.knex.raw('SELECT appointment_id, status FROM appointments ORDER BY appointment_id');
    const a = rows.length ? (pick(rows) as { appointment_id: number; status: string }) : undefined;
    if (!a) continue;
    if (op < 0.6 && NEXT[a.status]) {
      count('status', await attempt('UPDATE appointments SET status = ? WHERE appointment_id = ?', [pick(NEXT[a.status]!), a.appointment_id]));
    } else if (op < 0.75 && NEXT[a.status]) {
      count('cancel', await attempt("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [a.appointment_id]));
    } else if (op < 0.9) {
      // Reschedule (only a scheduled one may move): new time, perhaps another provider and month.
      count(
        'reschedule',
        await attempt('UPDATE appointments SET scheduled_at = ?, provider_id = ? WHERE appointment_id = ? AND status = ?', [
          nearBoundary(),
          pick(providers),
          a.appointment_id,
          'scheduled',
        ]),
      );
    } else {
      count('delete', await attempt('DELETE FROM appointments WHERE appointment_id = ?', [a.appointment_id]));
    }
  }
  return done;
}

describe('trigger-maintained analytics', () => {
  it('equal a plain query over the raw rows after random single-row writes', async () => {
    const done = await randomOperations(400);
    // The random mix really exercised every kind of write.
    for (const k of ['insert', 'status', 'cancel', 'reschedule', 'delete']) expect(done[k] ?? 0).toBeGreaterThan(3);
    await expectCountersExact();
  });

  it('stay exact through multi-row statements', async () => {
    // 200 rows in one INSERT, every 45 minutes from late January across into February, mixed statuses.
    await db.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status)
       SELECT ?, ?, timestamptz '2027-01-30 00:00Z' + g * interval '45 minutes', 30,
              (ARRAY['scheduled','completed','no_show','cancelled','checked_in'])[1 + g % 5]
       FROM generate_series(0, 199) g`,
      [patients[0]!, providers[0]!],
    );
    await expectCountersExact();
    // One UPDATE moving many rows across the month boundary at once (scheduled only may move).
    await db.knex.raw(
      `UPDATE appointments SET scheduled_at = scheduled_at + interval '10 days'
       WHERE provider_id = ? AND status = 'scheduled' AND scheduled_at >= '2027-01-30' AND scheduled_at < '2027-02-03'`,
      [providers[0]!],
    );
    await db.knex.raw(
      `UPDATE appointments SET status = CASE status WHEN 'scheduled' THEN 'no_show' ELSE 'completed' END
       WHERE provider_id = ? AND status IN ('scheduled','checked_in') AND scheduled_at >= '2027-01-30'`,
      [providers[0]!],
    );
    await expectCountersExact();
    await db.knex.raw(`DELETE FROM appointments WHERE scheduled_at >= '2027-02-02' AND provider_id = ?`, [providers[0]!]);
    await expectCountersExact();
  });

  it('are rebuilt when the clinic time zone changes, and stay exact afterwards', async () => {
    const before = await db.knex.transaction((t) => providerMonthlyVolume(t));
    await db.knex.raw("UPDATE clinic_settings SET time_zone = 'Asia/Tokyo'");
    await expectCountersExact();
    const after = await db.knex.transaction((t) => providerMonthlyVolume(t));
    // Appointments near midnight UTC moved month: the numbers really changed.
    expect(after).not.toEqual(before);
    await randomOperations(100);
    await expectCountersExact();
    await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
    await expectCountersExact();
  });

  it('are emptied by TRUNCATE and count again from there', async () => {
    await db.knex.raw('TRUNCATE appointments CASCADE');
    const { rows } = await db.knex.raw('SELECT count(*)::int AS n FROM appointment_monthly_stats WHERE total <> 0');
    expect(rows[0].n).toBe(0);
    await randomOperations(60);
    await expectCountersExact();
  });
});
