/**
 * Shown, not claimed: on 100,000+ appointments (ANALYZEd), the exact SQL the repository
 * sends for a provider's day and a patient's history is planned as an index scan on the
 * intended index, never a sequential scan of appointments. The analytics never touch
 * appointments at all.
 *
 * Each plan is taken as every staff role the API lets run that query, with an identity
 * (asStaff over the service login, as a request does), so row-level security and its
 * policy predicates are part of the plan exactly as in production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createStaff, type StaffFixture } from './support/staff.js';
import { asStaff, type StaffRole, type Transaction } from '../server/db/index.js';
import { createKnex } from '../server/db/knex.js';
import {
  monthlyVolumeQuery,
  noShowRateQuery,
  patientHistoryQuery,
  providerDaySchedule,
  providerDayScheduleAudited,
  providerScheduleQuery,
  selected,
  upcomingQuery,
} from '../server/db/repository/index.js';

const PROVIDERS = 20;
const PATIENTS = 5_000;
const SLOTS_PER_PROVIDER = 5_000; // 100,000 appointments: the floor the issue sets, since loading is most of this file's time

let db: TestDatabase;
let staff: Record<StaffRole, StaffFixture>;
/** The seventh provider, whose clinician the plans are taken as, and one of their patients. */
let provider: number;
let carePatient: number;

beforeAll(async () => {
  db = await createTestDatabase();
  // Set-based load that respects every constraint: each provider works a grid of 30-minute
  // slots, 9:00-17:00 New York time on weekdays from October 2025 (into December 2026); in
  // one slot the 20 providers see 20 different patients, and a patient's slots never overlap
  // since slots are back-to-back.
  await db.knex.raw(
    `INSERT INTO providers (name, specialty)
     SELECT 'Dr Plan ' || g, (ARRAY['Cardiology','Dermatology','Family medicine','Pediatrics'])[1 + g % 4]
     FROM generate_series(1, ${PROVIDERS}) g`,
  );
  await db.knex.raw(
    `INSERT INTO patients (name, dob) SELECT 'Patient ' || g, date '1950-01-01' + (g * 7) % 20000 FROM generate_series(1, ${PATIENTS}) g`,
  );
  await db.knex.raw(`
    WITH days AS (
      SELECT d::date AS day, row_number() OVER (ORDER BY d) - 1 AS n
      FROM generate_series(date '2025-10-01', date '2027-12-31', interval '1 day') d
      WHERE extract(isodow FROM d) < 6),
    slots AS (
      SELECT (day + time '09:00' + s * interval '30 minutes') AT TIME ZONE 'America/New_York' AS at, n * 16 + s AS k
      FROM days CROSS JOIN generate_series(0, 15) s)
    INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status)
    SELECT pa.patient_id, pr.provider_id, sl.at, 30,
           CASE WHEN sl.at > now() THEN 'scheduled'
                ELSE (ARRAY['completed','completed','completed','completed','completed','completed','no_show','cancelled'])[1 + (sl.k + pr.provider_id) % 8] END
    FROM slots sl
    JOIN (SELECT provider_id, row_number() OVER (ORDER BY provider_id) - 1 AS i FROM providers) pr ON true
    JOIN (SELECT patient_id, row_number() OVER (ORDER BY patient_id) - 1 AS j FROM patients) pa
      ON pa.j = (sl.k * ${PROVIDERS} + pr.i) % ${PATIENTS}
    WHERE sl.k < ${SLOTS_PER_PROVIDER}`);
  await db.knex.raw('ANALYZE');
  const { rows } = await db.knex.raw(
    'SELECT provider_id, min(patient_id) AS patient FROM appointments WHERE provider_id = (SELECT min(provider_id) + 6 FROM providers) GROUP BY 1',
  );
  provider = rows[0].provider_id;
  carePatient = rows[0].patient;
  staff = {
    front_desk: await createStaff(db.knex, 'front_desk'),
    clinician: await createStaff(db.knex, 'clinician', { providerId: provider }),
    billing: await createStaff(db.knex, 'billing'),
    manager: await createStaff(db.knex, 'manager'),
    compliance: await createStaff(db.knex, 'compliance'),
  };
});
afterAll(async () => {
  await db.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The plan of the query `build` makes, EXPLAINed as `role` with an identity, as the service runs it. */
async function plan(role: StaffRole, build: (trx: Transaction) => Knex.QueryBuilder | Knex.Raw): Promise<PlanNode[]> {
  const { rows } = await asStaff(db.appKnex, { userId: staff[role].userId, role }, async (trx) => {
    const q = build(trx).toSQL();
    return trx.raw(`EXPLAIN (FORMAT JSON) ${q.sql}`, q.bindings);
  });
  const nodes: PlanNode[] = [];
  const walk = (n: PlanNode) => {
    nodes.push(n);
    n.Plans?.forEach(walk);
  };
  walk(rows[0]['QUERY PLAN'][0].Plan);
  return nodes;
}

const seqScansOn = (nodes: PlanNode[], table: string) =>
  nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === table);
const indexesUsed = (nodes: PlanNode[]) => nodes.map((n) => n['Index Name']).filter(Boolean);

describe('query plans at 100,000+ appointments', () => {
  it('has the data it claims', async () => {
    const { rows } = await db.knex.raw('SELECT count(*)::int AS n FROM appointments');
    expect(rows[0].n).toBeGreaterThanOrEqual(100_000);
  });

  // The roles each query's route admits (server/providers, server/patients, server/appointments, server/analytics).
  it.each(['front_desk', 'clinician'] as const)(
    "plans a provider's day as a range scan on appointments(provider_id, scheduled_at), as %s",
    async (role) => {
      const nodes = await plan(role, (trx) => providerScheduleQuery(trx, provider, '2026-03-10'));
      expect(indexesUsed(nodes)).toContain('appointments_provider_id_scheduled_at_idx');
      expect(seqScansOn(nodes, 'appointments')).toEqual([]);
    },
  );

  it.each(['front_desk', 'clinician'] as const)(
    "plans a patient's history on appointments(patient_id, scheduled_at DESC), as %s",
    async (role) => {
      const nodes = await plan(role, (trx) => patientHistoryQuery(trx, carePatient));
      expect(indexesUsed(nodes)).toContain('appointments_patient_id_idx');
      expect(seqScansOn(nodes, 'appointments')).toEqual([]);
    },
  );

  it.each(['front_desk', 'clinician'] as const)(
    "plans a provider's upcoming appointments on the partial index of their open appointments, as %s",
    async (role) => {
      const nodes = await plan(role, (trx) => upcomingQuery(trx, { providerId: provider }));
      expect(indexesUsed(nodes)).toContain('appointments_upcoming_provider_idx');
      expect(seqScansOn(nodes, 'appointments')).toEqual([]);
    },
  );

  it('answers the analytics from the monthly counters without reading appointments, as manager', async () => {
    for (const build of [
      (trx: Transaction) => noShowRateQuery(trx, { from: '2026-01', to: '2026-06' }),
      (trx: Transaction) => monthlyVolumeQuery(trx),
    ]) {
      const nodes = await plan('manager', build);
      expect(nodes.some((n) => n['Relation Name'] === 'appointment_monthly_stats')).toBe(true);
      expect(nodes.filter((n) => n['Relation Name'] === 'appointments')).toEqual([]);
    }
  });

  it('is planned as the role: a role the route refuses cannot even EXPLAIN the query', async () => {
    await expect(plan('manager', (trx) => providerScheduleQuery(trx, provider, '2026-03-10'))).rejects.toMatchObject({ code: '42501' });
  });
});

describe("a provider's day as a prepared statement", () => {
  // One connection, so every call below reuses the statement that connection prepared.
  let one: Knex;
  beforeAll(() => {
    one = createKnex(db.appUrl, { poolMax: 1 });
  });
  afterAll(async () => {
    await one.destroy();
  });
  const as = <T>(role: StaffRole, work: (trx: Transaction) => Promise<T>) => asStaff(one, { userId: staff[role].userId, role }, work);
  const days = ['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13', '2026-03-16', '2026-03-17', '2026-03-18'];
  /** The day's rows as an ordinary (unnamed) statement, planned for its values. */
  const unprepared = async (trx: Transaction, day: string) => {
    const result: { rows: { appointment_id: number }[] } = await providerScheduleQuery(trx, provider, day);
    return result.rows.map((r) => r.appointment_id);
  };
  const prepared = (trx: Transaction) =>
    selected<{ statement: string; generic_plans: number; custom_plans: number }>(
      trx.select('statement', 'generic_plans', 'custom_plans').from('pg_prepared_statements').where('name', 'like', 'cp\\_%'),
    );

  it('is planned once and then runs on its generic plan, with the same rows as an unprepared read', async () => {
    for (const day of days) {
      await as('front_desk', async (trx) => {
        const plain = await unprepared(trx, day);
        expect(plain.length).toBeGreaterThan(0);
        expect((await providerDaySchedule(trx, provider, day)).map((r) => r.appointmentId)).toEqual(plain);
        await providerDayScheduleAudited(trx, provider, day);
      });
    }
    const statements = await as('front_desk', prepared);
    expect(statements).toHaveLength(2); // the day, and the day with its audit row
    // PostgreSQL plans a statement's first five runs for their values, then keeps the generic
    // plan if it is no dearer: with the day's bounds as plain expressions it never is.
    for (const s of statements) expect(s.generic_plans).toBeGreaterThanOrEqual(days.length - 5);
  });

  it("never runs one role's plan for another: each role still sees only what its policies allow", async () => {
    const day = '2026-03-10';
    const { rows } = await db.knex.raw('SELECT provider_id FROM providers WHERE provider_id <> ? ORDER BY provider_id LIMIT 1', [provider]);
    const other = await createStaff(db.knex, 'clinician', { providerId: rows[0].provider_id });
    const ids = (entries: { appointmentId: number }[]) => entries.map((e) => e.appointmentId);
    const desk = ids(await as('front_desk', (trx) => providerDaySchedule(trx, provider, day)));
    // A clinician of another provider sees only the appointments of patients in their care.
    const theirs = ids(
      await asStaff(one, { userId: other.userId, role: 'clinician' }, async (trx) => {
        const read = await providerDaySchedule(trx, provider, day);
        expect(ids(read)).toEqual(await unprepared(trx, day));
        return read;
      }),
    );
    expect(theirs.length).toBeLessThan(desk.length);
    expect(desk).toEqual(expect.arrayContaining(theirs));
    // The provider's own clinician sees the whole day; a manager may not read it at all.
    expect(ids(await as('clinician', (trx) => providerDaySchedule(trx, provider, day)))).toEqual(desk);
    await expect(as('manager', (trx) => providerDaySchedule(trx, provider, day))).rejects.toMatchObject({ code: '42501' });
    // Same role and plan, an identity that is no staff member: nothing.
    expect(await asStaff(one, { userId: 2_000_000_000, role: 'front_desk' }, (trx) => providerDaySchedule(trx, provider, day))).toEqual([]);
    expect(ids(await as('front_desk', (trx) => providerDaySchedule(trx, provider, day)))).toEqual(desk);
  });
});
