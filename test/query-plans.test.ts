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
import {
  monthlyVolumeQuery,
  noShowRateQuery,
  patientHistoryQuery,
  providerScheduleQuery,
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
async function plan(role: StaffRole, build: (trx: Transaction) => Knex.QueryBuilder): Promise<PlanNode[]> {
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
