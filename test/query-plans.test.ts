/**
 * Shown, not claimed: on 100,000+ appointments (ANALYZEd), the exact SQL the repository
 * sends for a provider's day and a patient's history is planned as an index scan on the
 * intended index, never a sequential scan of appointments. The analytics never touch
 * appointments at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import {
  monthlyVolumeSql,
  noShowRateSql,
  patientHistorySql,
  providerScheduleSql,
  nativeSql,
  upcomingQuery,
  type NativeSql,
} from '../server/db/repository/index.js';

const PROVIDERS = 20;
const PATIENTS = 5_000;
const SLOTS_PER_PROVIDER = 5_000; // 100,000 appointments: the floor the issue sets, since loading is most of this file's time

let db: TestDatabase;
let client: pg.Client;

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
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

async function plan(q: NativeSql): Promise<PlanNode[]> {
  const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, q.bindings as unknown[]);
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
    const { rows } = await client.query('SELECT count(*)::int AS n FROM appointments');
    expect(rows[0].n).toBeGreaterThanOrEqual(100_000);
  });

  it("plans a provider's day as a range scan on appointments(provider_id, scheduled_at)", async () => {
    const nodes = await plan(providerScheduleSql(db.knex, 7, '2026-03-10'));
    expect(indexesUsed(nodes)).toContain('appointments_provider_id_scheduled_at_idx');
    expect(seqScansOn(nodes, 'appointments')).toEqual([]);
  });

  it("plans a patient's history on appointments(patient_id, scheduled_at DESC)", async () => {
    const nodes = await plan(patientHistorySql(db.knex, 1234));
    expect(indexesUsed(nodes)).toContain('appointments_patient_id_idx');
    expect(seqScansOn(nodes, 'appointments')).toEqual([]);
  });

  it("plans a provider's upcoming appointments on the partial index of their open appointments", async () => {
    const nodes = await plan(nativeSql(upcomingQuery(db.knex, { providerId: 3 })));
    expect(indexesUsed(nodes)).toContain('appointments_upcoming_provider_idx');
    expect(seqScansOn(nodes, 'appointments')).toEqual([]);
  });

  it('answers the analytics from the monthly counters without reading appointments', async () => {
    for (const q of [noShowRateSql(db.knex, { from: '2026-01', to: '2026-06' }), monthlyVolumeSql(db.knex)]) {
      const nodes = await plan(q);
      expect(nodes.some((n) => n['Relation Name'] === 'appointment_monthly_stats')).toBe(true);
      expect(nodes.filter((n) => n['Relation Name'] === 'appointments')).toEqual([]);
    }
  });
});
