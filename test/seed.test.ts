import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { seedDemoIfEmpty, type SeedSummary } from '../seeds/demo.js';
import { createDemoAccounts } from '../seeds/demo-accounts.js';
import { generateVolume } from '../server/generate/index.js';
import { ICD10_CODES } from '../seeds/data/icd10.js';

// A Tuesday morning in New York, two days after the spring DST change: six months of
// history cross the autumn change too.
const NOW = new Date('2026-03-10T15:20:00Z');
const TABLES = ['providers', 'patients', 'appointments', 'visits', 'diagnoses', 'prescriptions', 'medications'] as const;

async function fingerprint(knex: Knex): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const { rows } = await knex.raw(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`);
    out[t] = rows[0].h;
  }
  return out;
}

const one = async <T = Record<string, unknown>>(knex: Knex, sql: string, bindings: Record<string, unknown> = {}) =>
  (await knex.raw(sql, bindings as Knex.ValueDict)).rows[0] as T;

let a: TestDatabase;
let b: TestDatabase;
let summary: SeedSummary | undefined;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  summary = await seedDemoIfEmpty(a.knex, { now: NOW });
});
afterAll(async () => Promise.all([a?.drop(), b?.drop()]));

describe('demo seed', () => {
  it('loads a clinic of about 20 providers over several specialties and 2,000 patients', async () => {
    expect(summary).toMatchObject({ providers: 20, patients: 2000 });
    const r = await one<{ providers: number; specialties: number; patients: number; emails: number; phones: number }>(
      a.knex,
      `SELECT (SELECT count(*) FROM providers)::int AS providers, (SELECT count(DISTINCT specialty) FROM providers)::int AS specialties,
              (SELECT count(*) FROM patients)::int AS patients, (SELECT count(email) FROM patients)::int AS emails,
              (SELECT count(phone) FROM patients)::int AS phones`,
    );
    expect(r).toMatchObject({ providers: 20, patients: 2000 });
    expect(r.specialties).toBeGreaterThanOrEqual(5);
    expect(r.emails).toBeGreaterThan(1800);
    expect(r.phones).toBeGreaterThan(1800);
  });

  it('has six months of history and a month ahead, on each provider\'s working days and hours, in the clinic time zone', async () => {
    const r = await one<Record<string, number>>(
      a.knex,
      `WITH x AS (SELECT provider_id, scheduled_at, duration_min, (scheduled_at AT TIME ZONE 'America/New_York') AS local FROM appointments)
       SELECT count(*)::int AS total,
              count(*) FILTER (WHERE scheduled_at < :now)::int AS past,
              count(*) FILTER (WHERE scheduled_at >= :now)::int AS future,
              (min(local::date) - (:now::timestamptz AT TIME ZONE 'America/New_York')::date)::int AS first_day,
              (max(local::date) - (:now::timestamptz AT TIME ZONE 'America/New_York')::date)::int AS last_day,
              count(*) FILTER (WHERE extract(isodow FROM local) > 5)::int AS weekend,
              count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM provider_working_hours w
                                                  WHERE w.provider_id = x.provider_id AND w.iso_weekday = extract(isodow FROM local)))::int AS off_days,
              count(*) FILTER (WHERE local::time < '07:30' OR local::time + make_interval(mins => duration_min) > '18:00')::int AS off_hours,
              count(*) FILTER (WHERE duration_min NOT IN (15, 20, 30, 45, 60))::int AS odd_durations
       FROM x`,
      { now: NOW },
    );
    expect(summary!.appointments).toBe(r.total);
    expect(r.total).toBeGreaterThan(15_000);
    expect(r.past).toBeGreaterThan(r.future! * 3);
    expect(r.future).toBeGreaterThan(1_000);
    expect(r.first_day).toBeLessThanOrEqual(-175);
    expect(r.last_day).toBeGreaterThanOrEqual(25);
    // Weekends only for the every-day practice, whose working hours include them.
    expect(r.weekend).toBeGreaterThan(0);
    expect(r).toMatchObject({ off_days: 0, off_hours: 0, odd_durations: 0 });
  });

  it('links the demo clinician to a provider with patients every day, Saturday and Sunday included', async () => {
    const accounts = await createDemoAccounts(a.knex);
    const providerId = accounts.find((x) => x.role === 'clinician')!.providerId;
    const { rows } = await a.knex.raw<{ rows: { isodow: number; n: number }[] }>(
      `SELECT extract(isodow FROM d)::int AS isodow, count(ap.appointment_id)::int AS n
       FROM generate_series(:now::date + 1, :now::date + 7, interval '1 day') d
       LEFT JOIN appointments ap ON ap.provider_id = :providerId AND ap.status <> 'cancelled'
         AND (ap.scheduled_at AT TIME ZONE 'America/New_York')::date = d::date
       GROUP BY 1 ORDER BY 1`,
      { now: NOW, providerId },
    );
    expect(rows.map((r) => r.isodow)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const r of rows) expect(r.n, `isodow ${r.isodow}`).toBeGreaterThan(0);
  });

  it('gives past appointments an outcome and future ones none, with a visit for every completed one', async () => {
    const { rows } = await a.knex.raw(
      `SELECT CASE WHEN scheduled_at + make_interval(mins => duration_min) <= :now THEN 'past' WHEN scheduled_at > :now THEN 'future' ELSE 'now' END AS phase,
              status, count(*)::int AS n FROM appointments GROUP BY 1, 2`,
      { now: NOW },
    );
    const by = (phase: string) => Object.fromEntries(rows.filter((r: { phase: string }) => r.phase === phase).map((r: { status: string; n: number }) => [r.status, r.n]));
    expect(Object.keys(by('past')).sort()).toEqual(['cancelled', 'completed', 'no_show']);
    expect(Object.keys(by('future')).sort()).toEqual(['cancelled', 'scheduled']);
    expect(Object.keys(by('now'))).toContain('checked_in');
    const v = await one<Record<string, number>>(
      a.knex,
      `SELECT count(*) FILTER (WHERE a.status = 'completed' AND v.visit_id IS NULL)::int AS completed_without_visit,
              count(*) FILTER (WHERE a.status <> 'completed' AND v.visit_id IS NOT NULL)::int AS visit_without_completion,
              count(*) FILTER (WHERE v.patient_id <> a.patient_id)::int AS wrong_patient
       FROM appointments a LEFT JOIN visits v USING (appointment_id)`,
    );
    expect(v).toEqual({ completed_without_visit: 0, visit_without_completion: 0, wrong_patient: 0 });
  });

  it('has no-show rates that differ by provider', async () => {
    const { rows } = await a.knex.raw(
      `SELECT provider_id, count(*) FILTER (WHERE status = 'no_show')::float / nullif(count(*) FILTER (WHERE status IN ('completed','no_show')), 0) AS rate
       FROM appointments GROUP BY provider_id`,
    );
    const rates = rows.map((r: { rate: number }) => r.rate);
    expect(Math.min(...rates)).toBeLessThan(0.07);
    expect(Math.max(...rates)).toBeGreaterThan(0.13);
  });

  it('never double-books a provider or a patient, while cancelled slots are re-booked', async () => {
    // Each non-cancelled appointment must start no earlier than the previous one of the same
    // provider (or patient) ended.
    const overlaps = async (who: string) =>
      (
        await one<{ n: number }>(
          a.knex,
          `SELECT count(*)::int AS n FROM (
             SELECT scheduled_at, lag(scheduled_at + make_interval(mins => duration_min)) OVER (PARTITION BY ${who} ORDER BY scheduled_at) AS prev_end
             FROM appointments WHERE status <> 'cancelled') s
           WHERE prev_end > scheduled_at`,
        )
      ).n;
    expect(await overlaps('provider_id')).toBe(0);
    expect(await overlaps('patient_id')).toBe(0);
    const rebooked = await one<{ n: number }>(
      a.knex,
      `SELECT count(*)::int AS n FROM appointments x JOIN appointments y
         ON x.provider_id = y.provider_id AND x.scheduled_at = y.scheduled_at AND x.appointment_id <> y.appointment_id
       WHERE x.status = 'cancelled' AND y.status <> 'cancelled'`,
    );
    expect(rebooked.n).toBeGreaterThan(0);
  });

  it('records real ICD-10-CM codes and prescriptions from the formulary that fit the diagnoses', async () => {
    const { rows } = await a.knex.raw('SELECT DISTINCT code, description FROM diagnoses');
    const known = new Map(Object.values(ICD10_CODES).map((c) => [c.code, c.description]));
    expect(rows.length).toBeGreaterThan(40);
    for (const r of rows) expect(known.get(r.code)).toBe(r.description);
    const rx = await one<Record<string, number>>(
      a.knex,
      `SELECT (SELECT count(*) FROM prescriptions)::float / (SELECT count(*) FROM visits) AS per_visit,
              (SELECT count(*) FROM diagnoses)::float / (SELECT count(*) FROM visits) AS dx_per_visit,
              (SELECT count(DISTINCT medication_id) FROM prescriptions)::int AS medications,
              (SELECT count(*) FROM prescriptions p JOIN visits v USING (visit_id) JOIN appointments a USING (appointment_id)
                WHERE p.start_date <> clinic_day(a.scheduled_at))::int AS misdated`,
    );
    expect(rx.per_visit).toBeGreaterThan(0.4);
    expect(rx.per_visit).toBeLessThan(0.8);
    expect(rx.dx_per_visit).toBeGreaterThan(0.9);
    expect(rx.dx_per_visit).toBeLessThan(1.2);
    expect(rx.medications).toBeGreaterThan(40);
    expect(rx.misdated).toBe(0);
    const lisinopril = await one<{ n: number }>(
      a.knex,
      `SELECT count(*)::int AS n FROM prescriptions p JOIN medications m USING (medication_id)
       JOIN diagnoses d ON d.visit_id = p.visit_id AND d.code = 'I10' WHERE m.name = 'lisinopril' AND m.strength = '10 mg'`,
    );
    expect(lisinopril.n).toBeGreaterThan(0);
  });

  it('is deterministic: a second empty database gets identical rows for the same day', async () => {
    const second = await seedDemoIfEmpty(b.knex, { now: NOW });
    expect(second).toEqual(summary);
    expect(await fingerprint(b.knex)).toEqual(await fingerprint(a.knex));
  });

  it('does nothing on a database that already has data, and the volume generator appends to it', async () => {
    const before = await fingerprint(a.knex);
    expect(await seedDemoIfEmpty(a.knex, { now: NOW })).toBeUndefined();
    expect(await fingerprint(a.knex)).toEqual(before);

    const added = await generateVolume(a.knex, { appointments: 3000, seed: 5, now: NOW });
    expect(added.counts.appointments).toBe(3000);
    const r = await one<{ appointments: number; demo_unchanged: boolean }>(
      a.knex,
      `SELECT (SELECT count(*) FROM appointments)::int AS appointments,
              (SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM appointments x WHERE appointment_id < ${added.firstIds.appointment}) = '${before.appointments}' AS demo_unchanged`,
    );
    expect(r).toEqual({ appointments: summary!.appointments + 3000, demo_unchanged: true });
  });
});
