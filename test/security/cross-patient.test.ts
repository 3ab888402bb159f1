/**
 * Cross-patient isolation: clinician A, through every path the catalog offers (each table
 * and view they may read, each function they may call), sees nothing of clinician B's
 * patient; break-the-glass opens that patient for a limited time with a reason and a
 * high-severity audit row, then closes again; and a missing, forged or deactivated
 * identity sees no row and changes none, for every role and every relation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { asStaff, type StaffRole } from '../../server/db/index.js';
import { MATRIX, type RoleGrants } from './permission-matrix.js';
import { createStaff } from '../support/staff.js';
import { as, buildWorld, sqlState, type World } from './world.js';

let db: TestDatabase;
let world: World;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await buildWorld(db.knex);
});
afterAll(async () => db?.drop());

/** Relations a role may SELECT something from, per the matrix, with the columns it may read. */
function readable(role: StaffRole): { rel: string; columns: 'all' | readonly string[] }[] {
  return Object.entries(MATRIX).flatMap(([rel, entry]) => {
    const g = (entry[role] as RoleGrants | undefined)?.SELECT;
    return g ? [{ rel, columns: g }] : [];
  });
}

interface Shape {
  rel: string;
  columns: string[];
}
let shapes: Map<string, string[]>;
beforeAll(async () => {
  const { rows } = await db.knex.raw(`
    SELECT c.relname AS rel, array_agg(a.attname::text ORDER BY a.attnum) AS columns
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = 'public' GROUP BY c.relname`);
  shapes = new Map((rows as Shape[]).map((r) => [r.rel, r.columns]));
});

/**
 * Every row of `rel` the caller can see that concerns patient B: by patient_id where the
 * relation has one, by B's visit/appointment/charge ids otherwise.
 */
async function rowsAboutB(trx: Knex, rel: string, columns: 'all' | readonly string[]): Promise<number> {
  const cols = columns === 'all' ? shapes.get(rel)! : [...columns];
  const b = world.patientB;
  const keys: [string, number][] = [
    ['patient_id', b.patientId],
    ['appointment_id', b.pastAppointmentId],
    ['visit_id', b.visitId],
    ['diagnosis_id', b.diagnosisId],
    ['prescription_id', b.prescriptionId],
    ['charge_id', b.chargeId],
  ];
  const usable = keys.filter(([k]) => cols.includes(k));
  if (usable.length === 0) return 0;
  const where = usable.map(([k]) => `"${k}" = ?`).join(' OR ');
  const { rows } = await trx.raw(`SELECT count(*)::int AS n FROM public."${rel}" WHERE ${where}`, usable.map(([, v]) => v));
  return rows[0].n;
}

describe('clinician A and clinician B\'s patient', () => {
  it('through every table and view A may read: zero rows of B\'s patient, while A\'s own patient is visible', async () => {
    const paths = readable('clinician');
    expect(paths.map((p) => p.rel)).toEqual(expect.arrayContaining(['patients', 'appointments', 'visits', 'diagnoses', 'prescriptions', 'upcoming_appointments']));
    const seen = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => {
      const out: Record<string, number> = {};
      for (const p of paths) out[p.rel] = await rowsAboutB(trx, p.rel, p.columns);
      return out;
    });
    expect(Object.entries(seen).filter(([, n]) => n > 0)).toEqual([]);

    // Not vacuous: the same paths show A's own patient.
    const own = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => ({
      patients: (await trx.raw('SELECT count(*)::int AS n FROM patients WHERE patient_id = ?', [world.patientA.patientId])).rows[0].n,
      visits: (await trx.raw('SELECT count(*)::int AS n FROM visits WHERE visit_id = ?', [world.patientA.visitId])).rows[0].n,
      diagnoses: (await trx.raw('SELECT count(*)::int AS n FROM diagnoses WHERE diagnosis_id = ?', [world.patientA.diagnosisId])).rows[0].n,
      prescriptions: (await trx.raw('SELECT count(*)::int AS n FROM prescriptions WHERE prescription_id = ?', [world.patientA.prescriptionId])).rows[0].n,
      upcoming: (await trx.raw('SELECT count(*)::int AS n FROM upcoming_appointments WHERE patient_id = ?', [world.patientA.patientId])).rows[0].n,
    }));
    expect(own).toEqual({ patients: 1, visits: 1, diagnoses: 1, prescriptions: 1, upcoming: 1 });
  });

  it('through every function: nothing about B, and no read is audited for B', async () => {
    const b = world.patientB.patientId;
    const before = (await db.knex.raw("SELECT count(*)::int AS n FROM audit_log WHERE action = 'read' AND patient_id = ?", [b])).rows[0].n;
    const out = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => ({
      prescriptions: (await trx.raw('SELECT * FROM patient_prescriptions(?, false)', [b])).rows.length,
      visits: (await trx.raw('SELECT * FROM patient_visits(?)', [b])).rows.length,
      canAccess: (await trx.raw('SELECT staff_can_access_patient(?) AS ok', [b])).rows[0].ok,
      clinical: (await trx.raw('SELECT staff_can_access_clinical(?) AS ok', [b])).rows[0].ok,
      inSet: (await trx.raw('SELECT count(*)::int AS n FROM staff_patient_ids() p WHERE p = ?', [b])).rows[0].n,
      ownRx: (await trx.raw('SELECT * FROM patient_prescriptions(?, true)', [world.patientA.patientId])).rows.length,
      ownVisits: (await trx.raw('SELECT diagnoses, prescriptions FROM patient_visits(?)', [world.patientA.patientId])).rows,
    }));
    expect(out).toMatchObject({ prescriptions: 0, visits: 0, canAccess: false, clinical: false, inSet: 0, ownRx: 1 });
    expect(out.ownVisits).toHaveLength(1);
    expect(out.ownVisits[0].diagnoses).toEqual([expect.objectContaining({ code: 'J06.9' })]);
    const after = (await db.knex.raw("SELECT count(*)::int AS n FROM audit_log WHERE action = 'read' AND patient_id = ?", [b])).rows[0].n;
    expect(after).toBe(before);
  });

  it('cannot write B\'s clinical rows or complete B\'s appointments', async () => {
    const b = world.patientB;
    const { rows } = await db.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status)
       VALUES (?, ?, now() - interval '3 hours', 30, 'checked_in') RETURNING appointment_id`,
      [b.patientId, world.providerB],
    );
    const arrived: number = rows[0].appointment_id;
    const out = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => ({
      visit: await sqlState(() => trx.transaction((sp) => sp('visits').insert({ appointment_id: arrived, patient_id: b.patientId }))),
      diagnosis: await sqlState(() => trx.transaction((sp) => sp('diagnoses').insert({ visit_id: b.visitId, code: 'Z00.0', description: 'Forged' }))),
      prescription: await sqlState(() =>
        trx.transaction((sp) => sp('prescriptions').insert({ visit_id: b.visitId, medication_id: world.medicationId, dosage: 'x', start_date: '2026-01-01' })),
      ),
      complete: await trx('appointments').update({ status: 'completed' }).where('appointment_id', arrived),
    }));
    expect(out).toEqual({ visit: '42501', diagnosis: '42501', prescription: '42501', complete: 0 });
  });
});

describe('break-the-glass', () => {
  it('needs a reason, opens B\'s record for A with a high-severity audit row holding no reason, then expires', async () => {
    const b = world.patientB.patientId;
    const reason = 'Unconscious in the ER, checking allergies before treatment';
    const refused = await asStaff(db.appKnex, as(world.clinicianA), (trx) =>
      Promise.all([
        sqlState(() => trx.transaction((sp) => sp.raw("SELECT break_glass(?, 'because', 30)", [b]))),
        sqlState(() => trx.transaction((sp) => sp.raw('SELECT break_glass(?, ?, 600)', [b, reason]))),
      ]),
    );
    expect(refused).toEqual(['23514', '23514']);
    const notForOthers = await asStaff(db.appKnex, as(world.frontDesk), (trx) =>
      sqlState(() => trx.raw('SELECT break_glass(?, ?, 30)', [b, reason])),
    );
    expect(notForOthers).toBe('42501');

    // The grant opens the record once committed: from the next transaction on.
    const until = await asStaff(db.appKnex, as(world.clinicianA), async (trx) =>
      (await trx.raw('SELECT break_glass(?, ?, 30) AS until', [b, reason])).rows[0].until as Date,
    );
    const during = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => {
      return {
        until,
        patient: (await trx.raw('SELECT name FROM patients WHERE patient_id = ?', [b])).rows,
        rx: (await trx.raw('SELECT * FROM patient_prescriptions(?, false)', [b])).rows.length,
        appointments: (await trx.raw('SELECT count(*)::int AS n FROM appointments WHERE patient_id = ?', [b])).rows[0].n,
      };
    });
    expect(during.until.getTime() - Date.now()).toBeGreaterThan(25 * 60_000);
    expect(during.patient).toEqual([{ name: 'Bravo Patient' }]);
    expect(during.rx).toBe(1);
    const all = (await db.knex.raw('SELECT count(*)::int AS n FROM appointments WHERE patient_id = ?', [b])).rows[0].n;
    expect(during.appointments).toBe(all);

    const audit = (await db.knex.raw(
      "SELECT actor_user_id, severity, table_name, to_jsonb(a)::text AS whole FROM audit_log a WHERE action = 'break_glass' AND patient_id = ?",
      [b],
    )).rows;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_user_id: world.clinicianA.userId, severity: 'high', table_name: 'break_glass_grants' });
    expect(audit[0].whole).not.toContain('Unconscious');

    const review = await asStaff(db.appKnex, as(world.compliance), (trx) =>
      trx('break_glass_grants').select('user_id', 'patient_id', 'reason'),
    );
    expect(review).toEqual([{ user_id: world.clinicianA.userId, patient_id: b, reason }]);
    const otherClinician = await asStaff(db.appKnex, as(world.clinicianB), (trx) => trx('break_glass_grants').select('grant_id'));
    expect(otherClinician).toEqual([]);

    // Time passes: the window ends.
    await db.knex.raw(
      "UPDATE break_glass_grants SET granted_at = now() - interval '2 hours', expires_at = now() - interval '90 minutes' WHERE patient_id = ?",
      [b],
    );
    const afterwards = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => ({
      patient: (await trx.raw('SELECT count(*)::int AS n FROM patients WHERE patient_id = ?', [b])).rows[0].n,
      rx: (await trx.raw('SELECT * FROM patient_prescriptions(?, false)', [b])).rows.length,
      appointments: (await trx.raw('SELECT count(*)::int AS n FROM appointments WHERE patient_id = ?', [b])).rows[0].n,
    }));
    expect(afterwards).toEqual({ patient: 0, rx: 0, appointments: 0 });
  });
});

describe('a missing, forged or deactivated identity', () => {
  const roles: StaffRole[] = ['front_desk', 'clinician', 'billing', 'manager', 'compliance'];

  /** Become `role` on the service login with `userId` as app.user_id (or none at all). */
  async function asRaw<T>(role: StaffRole, userId: string | null, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return db.appKnex.transaction(async (trx) => {
      await trx.raw(`SET LOCAL ROLE ${role}`);
      if (userId !== null) await trx.raw("SELECT set_config('app.user_id', ?, true)", [userId]);
      return work(trx);
    });
  }

  it('sees no row of any table or view, for every role', async () => {
    const seen: string[] = [];
    for (const role of roles) {
      const leaver = await createStaff(db.knex, role, role === 'clinician' ? { providerId: world.providerA } : {});
      await db.knex.raw('UPDATE staff_users SET active = false, deactivated_at = now() WHERE user_id = ?', [leaver.userId]);
      const identities: [string, string | null][] = [
        ['missing', null],
        ['empty', ''],
        ['forged (another role\'s user)', String(role === 'clinician' ? world.frontDesk.userId : world.clinicianA.userId)],
        ['deactivated', String(leaver.userId)],
        ['unknown', '2147483647'],
      ];
      for (const [label, userId] of identities) {
        await asRaw(role, userId, async (trx) => {
          for (const { rel } of readable(role)) {
            const n = (await trx.raw(`SELECT count(*)::int AS n FROM public."${rel}"`)).rows[0].n;
            if (n > 0) seen.push(`${role} (${label}) sees ${n} rows of ${rel}`);
          }
        });
      }
    }
    expect(seen).toEqual([]);
  });

  it('changes nothing: every write a role could make with an identity is refused or touches no row', async () => {
    const a = world.patientA;
    const attempts: Record<string, [StaffRole, string, Knex.RawBinding[]]> = {
      'front desk registers': ['front_desk', "INSERT INTO patients (name, dob) VALUES ('Nobody', '2000-01-01')", []],
      'front desk corrects': ['front_desk', "UPDATE patients SET name = 'Changed' WHERE patient_id = ?", [a.patientId]],
      'front desk books': ['front_desk', "INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, '2027-04-06T10:00:00-04:00', 15)", [a.patientId, world.providerA]],
      'front desk cancels': ['front_desk', "UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [a.futureAppointmentId]],
      'clinician completes': ['clinician', "UPDATE appointments SET status = 'completed' WHERE appointment_id = ?", [a.futureAppointmentId]],
      'clinician closes a visit': ['clinician', 'UPDATE visits SET completed_at = now() WHERE visit_id = ?', [a.visitId]],
      'clinician diagnoses': ['clinician', "INSERT INTO diagnoses (visit_id, code, description) VALUES (?, 'R51', 'Headache')", [a.visitId]],
      'clinician breaks the glass': ['clinician', "SELECT break_glass(?, 'an emergency of some kind', 10)", [a.patientId]],
      'billing settles': ['billing', "UPDATE charges SET amount_cents = 100, payer = 'X', status = 'submitted' WHERE charge_id = ?", [a.chargeId]],
      'compliance deactivates': ['compliance', 'UPDATE staff_users SET active = false, deactivated_at = now() WHERE user_id = ?', [world.billing.userId]],
    };
    const results: Record<string, string> = {};
    for (const [label, [role, sql, bindings]] of Object.entries(attempts)) {
      results[label] = await asRaw(role, null, async (trx) => {
        const state = await sqlState(async () => {
          const r = await trx.transaction((sp) => sp.raw(sql, bindings));
          if (r.command !== 'SELECT' && r.rowCount > 0) throw Object.assign(new Error('changed a row'), { code: 'CHANGED' });
        });
        return state === 'ok' ? 'no row' : state;
      });
    }
    expect(results).toEqual({
      'front desk registers': '42501',
      'front desk corrects': 'no row',
      'front desk books': '42501',
      'front desk cancels': 'no row',
      'clinician completes': 'no row',
      'clinician closes a visit': 'no row',
      'clinician diagnoses': '42501',
      'clinician breaks the glass': '42501',
      'billing settles': 'no row',
      'compliance deactivates': 'no row',
    });
    const unchanged = (await db.knex.raw(
      'SELECT (SELECT name FROM patients WHERE patient_id = ?) AS name, (SELECT status FROM appointments WHERE appointment_id = ?) AS status, (SELECT active FROM staff_users WHERE user_id = ?) AS active',
      [a.patientId, a.futureAppointmentId, world.billing.userId],
    )).rows[0];
    expect(unchanged).toEqual({ name: 'Alpha Patient', status: 'scheduled', active: true });
  });
});
