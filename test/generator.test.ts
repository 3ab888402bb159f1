import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { generateVolume, type GenerateResult } from '../server/generate/index.js';

const NOW = new Date('2026-06-15T14:00:00Z');
const N = 10_000;
const TABLES = ['providers', 'patients', 'appointments', 'visits', 'diagnoses', 'prescriptions'] as const;

async function fingerprint(knex: Knex): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const { rows } = await knex.raw(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`);
    out[t] = rows[0].h;
  }
  return out;
}

async function counts(knex: Knex): Promise<Record<string, number>> {
  const { rows } = await knex.raw(
    `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t})::int AS ${t}`).join(', ')},
            (SELECT count(*) FROM appointments WHERE status = 'completed')::int AS completed`,
  );
  return rows[0];
}

let a: TestDatabase;
let b: TestDatabase;
let first: GenerateResult;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  first = await generateVolume(a.knex, { appointments: N, seed: 42, now: NOW });
});
afterAll(async () => Promise.all([a?.drop(), b?.drop()]));

describe('volume generator', () => {
  it('writes exactly N appointments with providers, patients, visits, diagnoses and prescriptions in proportion', async () => {
    const c = await counts(a.knex);
    expect(first.counts).toEqual({
      providers: c.providers,
      patients: c.patients,
      appointments: N,
      visits: c.visits,
      diagnoses: c.diagnoses,
      prescriptions: c.prescriptions,
    });
    expect(c.appointments).toBe(N);
    expect(c.patients).toBe(N / 50);
    expect(c.providers).toBe(Math.ceil(N / 3000));
    // A visit for every completed appointment and nothing else.
    expect(c.visits).toBe(c.completed);
    expect(c.completed! / N).toBeGreaterThan(0.6);
    expect(c.diagnoses! / c.visits!).toBeGreaterThan(0.9);
    expect(c.diagnoses! / c.visits!).toBeLessThan(1.2);
    expect(c.prescriptions! / c.visits!).toBeGreaterThan(0.4);
    expect(c.prescriptions! / c.visits!).toBeLessThan(0.8);
  });

  it('fires the statement-level triggers once per COPY: monthly stats match the rows', async () => {
    const { rows } = await a.knex.raw(`
      SELECT (SELECT sum(total)::int FROM appointment_monthly_stats) AS stats_total,
             (SELECT count(*)::int FROM (
                SELECT provider_id, clinic_month(scheduled_at) m, count(*) n, count(*) FILTER (WHERE status = 'no_show') ns
                FROM appointments GROUP BY 1, 2
                EXCEPT SELECT provider_id, month, total, no_show FROM appointment_monthly_stats) d) AS stats_mismatch`);
    expect(rows[0]).toEqual({ stats_total: N, stats_mismatch: 0 });
  });

  it('leaves every constraint validated and every trigger enabled', async () => {
    const { rows: triggers } = await a.knex.raw(`
      SELECT tgrelid::regclass::text AS tbl, tgname, tgenabled FROM pg_trigger
      WHERE tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)`);
    expect(triggers.length).toBeGreaterThan(10);
    expect(triggers.filter((t: { tgenabled: string }) => t.tgenabled !== 'O')).toEqual([]);
    // The bulk load fired the row triggers too (foreign keys are internal triggers).
    expect(triggers.some((t: { tbl: string; tgname: string }) => t.tbl === 'visits' && t.tgname === 'visits_require_arrival')).toBe(true);
    const { rows: constraints } = await a.knex.raw(`
      SELECT conname, convalidated FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('c','f','x','u','p')`);
    expect(constraints.map((c: { conname: string }) => c.conname)).toEqual(
      expect.arrayContaining(['appointments_no_provider_overlap', 'appointments_no_patient_overlap', 'visits_appointment_fkey', 'diagnoses_code_icd10cm']),
    );
    expect(constraints.filter((c: { convalidated: boolean }) => !c.convalidated)).toEqual([]);
  });

  it('is deterministic: the same seed and moment give identical rows in another database', async () => {
    const again = await generateVolume(b.knex, { appointments: N, seed: 42, now: NOW });
    expect(again.counts).toEqual(first.counts);
    expect(await fingerprint(b.knex)).toEqual(await fingerprint(a.knex));
  });

  it('appends on a second run (same seed) without touching existing rows', async () => {
    const before = await counts(a.knex);
    const beforeHash = await fingerprint(a.knex);
    const second = await generateVolume(a.knex, { appointments: 2_000, seed: 42, now: NOW });
    expect(second.firstIds.appointment).toBeGreaterThan(first.firstIds.appointment + N - 1);
    const after = await counts(a.knex);
    expect(after.appointments).toBe(before.appointments! + 2_000);
    expect(after.patients).toBe(before.patients! + second.counts.patients);
    const { rows } = await a.knex.raw(
      `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM appointments x WHERE appointment_id < ?`,
      [second.firstIds.appointment],
    );
    expect(rows[0].h).toBe(beforeHash.appointments);
    // New bookings through the identity sequence land after the generated block.
    const { rows: fresh } = await a.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, '2030-01-07 15:00Z', 30) RETURNING appointment_id`,
      [second.firstIds.patient, second.firstIds.provider],
    );
    expect(fresh[0].appointment_id).toBe(second.firstIds.appointment + 2_000);
  });

  it('keeps appointment_slot exact and index-backed after inlining it', async () => {
    const { rows } = await a.knex.raw(`
      SELECT count(*)::int AS n FROM appointments
      WHERE appointment_slot(scheduled_at, duration_min) <> tstzrange(scheduled_at, scheduled_at + make_interval(mins => duration_min), '[)')`);
    expect(rows[0].n).toBe(0);
    const fractional = await a.knex.raw(
      `SELECT appointment_slot('2026-03-08 01:59:59.999999-05', 90) = tstzrange('2026-03-08 01:59:59.999999-05', '2026-03-08 04:29:59.999999-04', '[)') AS ok`,
    );
    expect(fractional.rows[0].ok).toBe(true);
    // The constraint indexes are still usable by queries written with appointment_slot().
    const plan = await a.knex.transaction(async (trx) => {
      await trx.raw('SET LOCAL enable_seqscan = off');
      const { rows: explained } = await trx.raw(`
        EXPLAIN (FORMAT JSON) SELECT 1 FROM appointments
        WHERE status <> 'cancelled' AND appointment_slot(scheduled_at, duration_min) && tstzrange('2026-06-01', '2026-06-02')`);
      return JSON.stringify(explained[0]['QUERY PLAN']);
    });
    expect(plan).toMatch(/appointments_no_(provider|patient)_overlap/);
  });

  it('on a refused row, rolls its batch back whole and takes no further batch', async () => {
    const c = await createTestDatabase();
    try {
      // One diagnosis in the middle of the load is refused, as a broken row would be. One
      // connection, so the batches (one per provider here) are taken in provider order.
      await c.knex.raw(`
        CREATE FUNCTION test_refuse_one_diagnosis() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.diagnosis_id = 3000 THEN RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'check_violation'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER test_refuse_one_diagnosis BEFORE INSERT ON diagnoses FOR EACH ROW EXECUTE FUNCTION test_refuse_one_diagnosis();`);
      await expect(generateVolume(c.knex, { appointments: N, seed: 42, now: NOW, lanes: 1 })).rejects.toThrow(/refused for the test/);

      // Database a holds the same first load (same seed, same moment, same ids): what each provider should have.
      const perProvider = async (knex: Knex) =>
        (
          await knex.raw(
            `SELECT p.provider_id,
                    (SELECT count(*) FROM appointments a WHERE a.provider_id = p.provider_id)::int AS appointments,
                    (SELECT count(*) FROM visits v JOIN appointments a USING (appointment_id) WHERE a.provider_id = p.provider_id)::int AS visits,
                    (SELECT count(*) FROM diagnoses d JOIN visits v USING (visit_id) JOIN appointments a USING (appointment_id) WHERE a.provider_id = p.provider_id)::int AS diagnoses,
                    (SELECT count(*) FROM prescriptions r JOIN visits v USING (visit_id) JOIN appointments a USING (appointment_id) WHERE a.provider_id = p.provider_id)::int AS prescriptions
             FROM providers p WHERE p.provider_id BETWEEN ? AND ? ORDER BY 1`,
            [first.firstIds.provider, first.firstIds.provider + first.counts.providers - 1],
          )
        ).rows as { provider_id: number; appointments: number }[];
      const expected = await perProvider(a.knex);
      const actual = await perProvider(c.knex);
      const { rows: owner } = await a.knex.raw(
        'SELECT a.provider_id FROM diagnoses d JOIN visits v USING (visit_id) JOIN appointments a USING (appointment_id) WHERE d.diagnosis_id = 3000',
      );
      const failedProvider: number = owner[0].provider_id;
      expect(failedProvider).toBeGreaterThan(first.firstIds.provider); // the refused row is not in the first batch
      // Batches before the refused one are whole, to the last prescription; the refused batch and every later one left nothing.
      expect(actual).toEqual(
        expected.map((r) => (r.provider_id < failedProvider ? r : { provider_id: r.provider_id, appointments: 0, visits: 0, diagnoses: 0, prescriptions: 0 })),
      );
    } finally {
      await c.drop();
    }
  });
});
