/**
 * Utilisation for managers: the trigger-maintained booked minutes must equal a plain sum
 * over the raw appointments after any mix of writes (multi-row inserts, reschedules across
 * month boundaries, duration changes, cancellations, deletes, a time-zone change and
 * TRUNCATE), and the view must put them against the provider's working minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createPatient, createProvider } from './support/clinic.js';
import { createStaff, type StaffFixture } from './support/staff.js';
import { asStaff } from '../server/db/index.js';

let db: TestDatabase;
let providers: [number, number, number];
let patients: number[];
let manager: StaffFixture;

beforeAll(async () => {
  db = await createTestDatabase();
  providers = [await createProvider(db.knex), await createProvider(db.knex), await createProvider(db.knex)];
  patients = [];
  for (let i = 0; i < 30; i++) patients.push(await createPatient(db.knex));
  manager = await createStaff(db.knex, 'manager');
  // Mondays to Fridays, 09:00-17:00 (480 minutes) for the first provider only.
  await db.knex.raw(
    "INSERT INTO provider_working_hours (provider_id, iso_weekday, starts_at, ends_at) SELECT ?, d, '09:00', '17:00' FROM generate_series(1, 5) d",
    [providers[0]],
  );
});
afterAll(async () => db?.drop());

async function expectMinutesExact(): Promise<void> {
  const { rows } = await db.knex.raw(`
    WITH raw AS (
      SELECT provider_id, clinic_month(scheduled_at) AS month, sum(duration_min)::bigint AS m
      FROM appointments WHERE status <> 'cancelled' GROUP BY 1, 2),
    kept AS (SELECT provider_id, month, booked_minutes AS m FROM appointment_monthly_minutes WHERE booked_minutes <> 0)
    SELECT (SELECT count(*)::int FROM (SELECT * FROM raw EXCEPT SELECT * FROM kept) x) AS missing,
           (SELECT count(*)::int FROM (SELECT * FROM kept EXCEPT SELECT * FROM raw) y) AS extra,
           (SELECT count(*)::int FROM raw) AS groups`);
  expect(rows[0]).toMatchObject({ missing: 0, extra: 0 });
}

// Slots one hour apart around the New York month boundary of March 2026 (UTC 04:00-05:00).
let n = 0;
const nextSlot = () => new Date(Date.parse('2026-03-31T20:00:00Z') + ++n * 3_600_000 * 7).toISOString();

describe('booked minutes per provider and month', () => {
  it('stay exact through inserts, reschedules, duration and provider changes, cancellations, deletes and a time-zone change', async () => {
    const rows = patients.map((p, i) => ({ p, provider: providers[i % 3]!, at: nextSlot(), min: 15 + (i % 4) * 15 }));
    await db.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min)
       SELECT * FROM unnest(?::int[], ?::int[], ?::timestamptz[], ?::int[])`,
      [rows.map((r) => r.p), rows.map((r) => r.provider), rows.map((r) => r.at), rows.map((r) => r.min)],
    );
    await expectMinutesExact();
    const ids: number[] = (await db.knex.raw('SELECT appointment_id FROM appointments ORDER BY appointment_id')).rows.map(
      (r: { appointment_id: number }) => r.appointment_id,
    );
    // Move some across the month boundary, change durations, cancel, delete.
    await db.knex.raw("UPDATE appointments SET scheduled_at = scheduled_at - interval '30 days' WHERE appointment_id = ANY (?)", [ids.slice(0, 5)]);
    await expectMinutesExact();
    await db.knex.raw('UPDATE appointments SET duration_min = 45, provider_id = ? WHERE appointment_id = ?', [providers[0], ids[6]!]);
    await expectMinutesExact();
    await db.knex.raw("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ANY (?)", [ids.slice(7, 12)]);
    await expectMinutesExact();
    await db.knex.raw('DELETE FROM appointments WHERE appointment_id = ANY (?)', [ids.slice(12, 15)]);
    await expectMinutesExact();
    await db.knex.raw("UPDATE clinic_settings SET time_zone = 'Asia/Tokyo'");
    await expectMinutesExact();
    await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
    await expectMinutesExact();
  });

  it('are shown to a manager against working minutes, and to nobody without an identity', async () => {
    const seen = await asStaff(db.appKnex, { userId: manager.userId, role: 'manager' }, (trx) =>
      trx('provider_utilisation').select('provider_id', 'month', 'booked_minutes', 'working_minutes', 'utilisation').orderBy(['provider_id', 'month']),
    );
    const raw = (await db.knex.raw(
      `SELECT provider_id, clinic_month(scheduled_at) AS month, sum(duration_min)::int AS booked
       FROM appointments WHERE status <> 'cancelled' GROUP BY 1, 2 ORDER BY 1, 2`,
    )).rows;
    expect(seen.map((r) => [r.provider_id, r.month, Number(r.booked_minutes)])).toEqual(raw.map((r: { provider_id: number; month: string; booked: number }) => [r.provider_id, r.month, r.booked]));
    // April 2026 has 22 weekdays: 22 × 480 working minutes for the first provider, none recorded for the others.
    const april = seen.find((r) => r.provider_id === providers[0] && r.month === '2026-04-01')!;
    expect(april.working_minutes).toBe(22 * 480);
    expect(april.utilisation).toBeCloseTo(Number(april.booked_minutes) / (22 * 480), 4);
    expect(seen.filter((r) => r.provider_id !== providers[0]).every((r) => r.working_minutes === null && r.utilisation === null)).toBe(true);

    const anonymous = await db.appKnex.transaction(async (trx) => {
      await trx.raw('SET LOCAL ROLE manager');
      return (await trx.raw('SELECT count(*)::int AS n FROM provider_utilisation')).rows[0].n;
    });
    expect(anonymous).toBe(0);
  });

  it('are emptied by TRUNCATE', async () => {
    await db.knex.raw('TRUNCATE appointments CASCADE');
    expect((await db.knex.raw('SELECT count(*)::int AS n FROM appointment_monthly_minutes WHERE booked_minutes <> 0')).rows[0].n).toBe(0);
  });
});
