/**
 * Tests that book today and then check in must not depend on the hour the suite runs at. The
 * old helper waited for the clinic's next day when it was within five minutes of midnight,
 * longer than a test may take: CI at 23:55 in New York timed out. onClinicMorning moves the
 * clinic to the zone where it is now mid-morning instead, and puts the zone back, also when
 * the test times out inside the work.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { onClinicMorning } from '../support/clinic.js';
import { zoneAtHour } from '../support/morning-zone.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db.drop());

const zone = async () => (await db.knex.raw('SELECT time_zone FROM clinic_settings')).rows[0].time_zone as string;
const hoursLeftToday = async () =>
  Number((await db.knex.raw(`SELECT extract(epoch FROM upper(clinic_day_range(clinic_day(now()))) - now()) / 3600 AS h`)).rows[0].h);

it('gives a clinic day with more than 12 hours left at once, even in the clinic\'s last hour before midnight, and restores the zone', async () => {
  // The clinic's local hour is now 23 (by the database's clock): within the hour of midnight.
  const lateZone = zoneAtHour(23, (await db.knex.raw('SELECT clock_timestamp() AS at')).rows[0].at as Date);
  await db.knex.raw('UPDATE clinic_settings SET time_zone = ?', [lateZone]);
  expect(await hoursLeftToday()).toBeLessThan(1.01);
  const started = Date.now();
  const seen = await onClinicMorning(db.knex, async (day) => {
    expect(day.timeZone).not.toBe(lateZone);
    expect(await zone()).toBe(day.timeZone);
    expect(await hoursLeftToday()).toBeGreaterThan(12);
    expect(Date.parse(day.soon) - Date.parse(day.now)).toBe(3 * 60_000);
    expect((await db.knex.raw('SELECT clinic_day(?::timestamptz)::text AS d', [day.soon])).rows[0].d).toBe(day.today);
    return day.today;
  });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(seen).toMatch(/^\d{4}-\d\d-\d\d$/);
  expect(await zone()).toBe(lateZone);
});

it('restores the zone when the work throws', async () => {
  await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
  await expect(onClinicMorning(db.knex, async () => {
    throw new Error('boom');
  })).rejects.toThrow('boom');
  expect(await zone()).toBe('America/New_York');
});

// A test that hangs inside the work times out; the next test in the file must not find the
// clinic still in the morning zone.
it.fails('(times out on purpose, inside the work)', { timeout: 1_000 }, async () => {
  await onClinicMorning(db.knex, () => new Promise<never>(() => undefined));
});

it('restores the zone when the test before it timed out inside the work', async () => {
  expect(await zone()).toBe('America/New_York');
});
