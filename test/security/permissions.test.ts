/**
 * The permission matrix, shown: the catalog's table and column privileges equal
 * test/security/permission-matrix.ts exactly, for every role, relation, column and
 * privilege; then real statements as each role (through the service login and SET ROLE,
 * with a real staff identity) succeed where the matrix allows and fail with 42501 where
 * it refuses; then each role's everyday work runs end to end with real rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { asService, asStaff, type Transaction } from '../../server/db/index.js';
import { MATRIX, MATRIX_ROLES, PRIVILEGES, type Grant, type MatrixRole, type Privilege, type RoleGrants } from './permission-matrix.js';
import { createStaff } from '../support/staff.js';
import { onClinicMorning } from '../support/clinic.js';
import { as, buildWorld, sqlState, type World } from './world.js';

let db: TestDatabase;
let world: World;

interface Column {
  name: string;
  /** Generated or identity: a value for it is refused before privileges are checked. */
  system: boolean;
}
interface Relation {
  name: string;
  kind: 'table' | 'view';
  columns: Column[];
}
let relations: Relation[];

beforeAll(async () => {
  db = await createTestDatabase();
  world = await buildWorld(db.knex);
  const { rows } = await db.knex.raw(`
    SELECT c.relname AS name, CASE WHEN c.relkind IN ('v','m') THEN 'view' ELSE 'table' END AS kind,
           json_agg(json_build_object('name', a.attname, 'system', a.attgenerated <> '' OR a.attidentity <> '') ORDER BY a.attnum) AS columns
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f')
    GROUP BY c.relname, c.relkind ORDER BY c.relname`);
  relations = rows;
});
afterAll(async () => db?.drop());

function grantOf(rel: string, role: MatrixRole, priv: Privilege): Grant | undefined {
  if (role === 'clinicpulse_backup') return priv === 'SELECT' ? 'all' : undefined;
  if (role === 'clinicpulse_app') return undefined;
  const entry = MATRIX[rel];
  const grants = entry?.[role] as RoleGrants | undefined;
  return grants?.[priv];
}

const tableLevel = (g: Grant | undefined) => g === 'all';
const columnLevel = (g: Grant | undefined, col: string) => g === 'all' || (Array.isArray(g) && g.includes(col));

describe('the catalog equals the checked-in matrix', () => {
  it('has an entry for every table and view, and none for objects that do not exist', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(relations.map((r) => r.name).sort());
  });

  it('names only columns that exist', () => {
    const unknown: string[] = [];
    for (const [rel, entry] of Object.entries(MATRIX)) {
      const cols = new Set(relations.find((r) => r.name === rel)?.columns.map((c) => c.name));
      for (const [role, grants] of Object.entries(entry)) {
        if (role === 'why') continue;
        for (const [priv, g] of Object.entries(grants as RoleGrants)) {
          if (Array.isArray(g)) for (const c of g) if (!cols.has(c)) unknown.push(`${rel}.${c} (${role} ${priv})`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('matches has_table_privilege and has_column_privilege for every role, relation, column and privilege', async () => {
    const { checked, mismatches } = await catalogMismatches(db.knex);
    expect(checked).toBeGreaterThan(1000);
    expect(mismatches).toEqual([]);
  });

  it('no role but the backup holds SELECT on a whole relation (it would cover columns added later)', async () => {
    const { rows } = await db.knex.raw(`
      SELECT c.relname || ': ' || a.grantee::regrole::text AS grant
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
      WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f') AND a.privilege_type = 'SELECT'
        AND a.grantee <> 0 AND a.grantee::regrole::text = ANY (?)
      ORDER BY 1`, [MATRIX_ROLES.filter((r) => r !== 'clinicpulse_backup')] as unknown as Knex.RawBinding[]);
    expect(rows).toEqual([]);
  });

  // Issue 9, item 8: table-level SELECT let clinicians read patients.legal_hold_reason, and
  // would have let them read whatever column came next.
  it('a column added to patients is readable by no role, and granting it without a matrix entry fails the comparison', async () => {
    const trx = await db.knex.transaction();
    try {
      await trx.raw('ALTER TABLE patients ADD COLUMN probe_secret text');
      const { rows } = await trx.raw(
        `SELECT r FROM unnest(?::text[]) r WHERE has_column_privilege(r, 'patients', 'probe_secret', 'SELECT') ORDER BY 1`,
        [MATRIX_ROLES.filter((r) => r !== 'clinicpulse_backup')] as unknown as Knex.RawBinding[],
      );
      expect(rows).toEqual([]);
      await trx.raw('GRANT SELECT (probe_secret) ON patients TO clinician');
      const { mismatches } = await catalogMismatches(trx);
      expect(mismatches).toEqual(['clinician SELECT patients.probe_secret: catalog true, matrix false']);
    } finally {
      await trx.rollback();
    }
  });
});

/** Every (role, relation[, column], privilege) whose privilege in the catalog differs from the matrix. */
async function catalogMismatches(knex: Knex): Promise<{ checked: number; mismatches: string[] }> {
  const { rows } = await knex.raw<{ rows: { rel: string; col: string | null; role: MatrixRole; priv: Privilege; has: boolean }[] }>(
    `
    WITH roles AS (SELECT unnest(?::text[]) AS role), privs AS (SELECT unnest(?::text[]) AS priv),
    rels AS (SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f'))
    SELECT rels.relname AS rel, NULL AS col, roles.role, privs.priv, has_table_privilege(roles.role, rels.oid, privs.priv) AS has
    FROM rels, roles, privs
    UNION ALL
    SELECT rels.relname, a.attname, roles.role, privs.priv, has_column_privilege(roles.role, rels.oid, a.attnum, privs.priv)
    FROM rels JOIN pg_attribute a ON a.attrelid = rels.oid AND a.attnum > 0 AND NOT a.attisdropped, roles, privs
    WHERE privs.priv <> 'DELETE'`,
    [[...MATRIX_ROLES], [...PRIVILEGES]] as unknown as Knex.RawBinding[],
  );
  const mismatches = rows.flatMap((r) => {
    const g = grantOf(r.rel, r.role, r.priv);
    const expected = r.col === null ? tableLevel(g) : columnLevel(g, r.col);
    return expected === r.has ? [] : [`${r.role} ${r.priv} ${r.rel}${r.col ? `.${r.col}` : ''}: catalog ${r.has}, matrix ${expected}`];
  });
  return { checked: rows.length, mismatches };
}

/** Statements that exercise exactly one privilege on one column (or the relation), touching no row. */
function statementFor(rel: Relation, priv: Privilege, column: string | undefined): string | undefined {
  // Schema-qualified: the service login has no USAGE on the schema, so it must meet 42501, not "no such table".
  const r = `public."${rel.name}"`;
  const c = column && `"${column}"`;
  switch (priv) {
    case 'SELECT':
      return `SELECT ${c} FROM ${r} LIMIT 1`;
    case 'INSERT':
      // A view that is not auto-updatable refuses INSERT before privileges are checked.
      return rel.kind === 'table' ? `INSERT INTO ${r} (${c}) SELECT NULL WHERE false` : undefined;
    case 'UPDATE':
      return rel.kind === 'table' ? `UPDATE ${r} SET ${c} = DEFAULT WHERE false` : undefined;
    case 'DELETE':
      return rel.kind === 'table' ? `DELETE FROM ${r} WHERE false` : undefined;
  }
}

interface Probe {
  sql: string;
  expected: 'ok' | '42501';
}

function probesFor(role: MatrixRole): Probe[] {
  const probes: Probe[] = [];
  for (const rel of relations) {
    for (const priv of PRIVILEGES) {
      const g = grantOf(rel.name, role, priv);
      if (priv === 'DELETE') {
        const sql = statementFor(rel, priv, undefined);
        if (sql) probes.push({ sql, expected: tableLevel(g) ? 'ok' : '42501' });
        continue;
      }
      // One column the role may use and one it may not, where such columns exist.
      const usable = rel.columns.filter((c) => priv === 'SELECT' || !c.system);
      const allowed = usable.find((c) => columnLevel(g, c.name));
      const refused = usable.find((c) => !columnLevel(g, c.name));
      for (const [col, expected] of [[allowed, 'ok'], [refused, '42501']] as const) {
        const sql = col && statementFor(rel, priv, col.name);
        if (sql) probes.push({ sql, expected });
      }
    }
  }
  return probes;
}

async function runProbes(trx: Transaction, probes: Probe[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const p of probes) {
    // Each probe in its own savepoint, so a refusal does not end the transaction.
    const got = await sqlState(() => trx.transaction((sp) => sp.raw(p.sql)));
    if (got !== p.expected) wrong.push(`${p.sql}: expected ${p.expected}, got ${got}`);
  }
  return wrong;
}

describe('real statements as each role', () => {
  const staffOf = (role: MatrixRole) =>
    ({
      front_desk: () => world.frontDesk,
      clinician: () => world.clinicianA,
      billing: () => world.billing,
      manager: () => world.manager,
      compliance: () => world.compliance,
    })[role as 'front_desk'];

  for (const role of MATRIX_ROLES.filter((r) => r !== 'clinicpulse_backup')) {
    it(`${role}: every allowed statement runs, every refused one fails with 42501`, async () => {
      const probes = probesFor(role);
      if (role !== 'clinicpulse_app') expect(probes.filter((p) => p.expected === 'ok').length).toBeGreaterThan(0);
      const staff = staffOf(role);
      let wrong: string[];
      if (staff) wrong = await asStaff(db.appKnex, as(staff()), (trx) => runProbes(trx, probes));
      else if (role === 'clinicpulse_app') wrong = await db.appKnex.transaction((trx) => runProbes(trx, probes));
      else wrong = await asService(db.appKnex, role, (trx) => runProbes(trx, probes));
      expect(wrong).toEqual([]);
    });
  }

  it('clinicpulse_app: every probe is refused (it holds nothing itself)', () => {
    expect(probesFor('clinicpulse_app').every((p) => p.expected === '42501')).toBe(true);
  });
});

describe('everyday work, end to end with real rows', () => {
  const count = async (trx: Knex, sql: string, bindings: Knex.RawBinding[] = []) =>
    Number((await trx.raw(sql, bindings)).rows[0].n);

  it('front desk registers a patient, sees masked contact only, books, checks in, but cannot complete', async () => {
    // A few minutes from now: a check-in is allowed only on the appointment's clinic day.
    await onClinicMorning(db.knex, async ({ soon }) => {
      const out = await asStaff(db.appKnex, as(world.frontDesk), async (trx) => {
        const [p] = await trx('patients')
          .insert({ name: 'Frida Front', dob: '1990-05-06', email: 'frida@example.org', phone: '+1 555 777 1234' })
          .returning('patient_id');
        const card = (await trx.raw('SELECT name, birth_year, email_masked, phone_last4 FROM patient_summary WHERE patient_id = ?', [p.patient_id])).rows[0];
        const email = await sqlState(() => trx.transaction((sp) => sp.raw('SELECT email FROM patients WHERE patient_id = ?', [p.patient_id])));
        const [a] = await trx('appointments')
          .insert({ patient_id: p.patient_id, provider_id: world.providerA, scheduled_at: soon, duration_min: 20, outside_hours_reason: 'the test runs at any hour of the week' })
          .returning(['appointment_id', 'status']);
        const setStatus = await sqlState(() =>
          trx.transaction((sp) => sp.raw(`INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status)
            VALUES (?, ?, now() + interval '40 days', 20, 'completed')`, [p.patient_id, world.providerA])),
        );
        await trx('appointments').update({ status: 'checked_in' }).where('appointment_id', a.appointment_id);
        const complete = await sqlState(() =>
          trx.transaction((sp) => sp('appointments').update({ status: 'completed' }).where('appointment_id', a.appointment_id)),
        );
        const visits = await sqlState(() => trx.transaction((sp) => sp.raw('SELECT visit_id FROM visits LIMIT 1')));
        return { card, email, status: a.status, setStatus, complete, visits };
      });
      expect(out.card).toEqual({ name: 'Frida Front', birth_year: 1990, email_masked: 'f***@example.org', phone_last4: '***-1234' });
      expect(out.email).toBe('42501');
      expect(out.status).toBe('scheduled');
      expect(out.setStatus).toBe('42501');
      expect(out.complete).toBe('42501'); // the policy's WITH CHECK: completing is the clinician's
      expect(out.visits).toBe('42501');
    });
  });

  it('a clinician completes their own visit with diagnosis and prescription, and a charge opens for billing', async () => {
    const { rows } = await db.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status)
       VALUES (?, ?, now() - interval '2 hours', 30, 'checked_in') RETURNING appointment_id`,
      [world.patientA.patientId, world.providerA],
    );
    const appointmentId: number = rows[0].appointment_id;
    const out = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => {
      const [v] = await trx('visits').insert({ appointment_id: appointmentId, patient_id: world.patientA.patientId }).returning('visit_id');
      const [d] = await trx('diagnoses').insert({ visit_id: v.visit_id, code: 'E11.9', description: 'Type 2 diabetes' }).returning('diagnosis_id');
      const [rx] = await trx('prescriptions')
        .insert({ visit_id: v.visit_id, medication_id: world.medicationId, dosage: '500 mg twice daily', start_date: '2026-01-01' })
        .returning('prescription_id');
      await trx('visits').update({ completed_at: trx.fn.now() }).where('visit_id', v.visit_id);
      const done = await trx('appointments').update({ status: 'completed' }).where('appointment_id', appointmentId);
      const code = await sqlState(() => trx.transaction((sp) => sp.raw('SELECT code FROM diagnoses WHERE diagnosis_id = ?', [d.diagnosis_id])));
      const charges = await sqlState(() => trx.transaction((sp) => sp.raw('SELECT 1 FROM charges')));
      return { visitId: v.visit_id as number, rx: rx.prescription_id as number, done, code, charges };
    });
    expect(out.done).toBe(1);
    expect(out.rx).toBeGreaterThan(0);
    expect(out.code).toBe('42501');
    expect(out.charges).toBe('42501');

    const billed = await asStaff(db.appKnex, as(world.billing), async (trx) => {
      const row = (await trx.raw('SELECT charge_id, patient_name, patient_dob, status, amount_cents FROM billing_charges WHERE visit_id = ?', [out.visitId])).rows[0];
      await trx('charges').update({ amount_cents: 12_500, payer: 'Acme Health', status: 'submitted' }).where('charge_id', row.charge_id);
      const after = (await trx.raw('SELECT status, amount_cents FROM charges WHERE charge_id = ?', [row.charge_id])).rows[0];
      const contact = await sqlState(() => trx.transaction((sp) => sp.raw('SELECT email FROM patients LIMIT 1')));
      const insert = await sqlState(() =>
        trx.transaction((sp) => sp.raw('INSERT INTO charges (visit_id, patient_id, provider_id, service_date) SELECT visit_id, patient_id, ?, current_date FROM charges LIMIT 1', [world.providerA])),
      );
      const del = await sqlState(() => trx.transaction((sp) => sp.raw('DELETE FROM charges WHERE charge_id = ?', [row.charge_id])));
      return { row, after, contact, insert, del };
    });
    expect(billed.row).toMatchObject({ patient_name: 'Alpha Patient', patient_dob: '1980-02-03', status: 'pending', amount_cents: null });
    expect(billed.after).toEqual({ status: 'submitted', amount_cents: 12_500 });
    expect(billed.contact).toBe('42501');
    expect(billed.insert).toBe('42501');
    expect(billed.del).toBe('42501');
  });

  it("a clinician reads their patient's record but not the legal hold compliance placed on it", async () => {
    await db.knex.raw('UPDATE patients SET legal_hold_reason = ? WHERE patient_id = ?', [
      'Litigation hold: malpractice claim 2026-114',
      world.patientA.patientId,
    ]);
    const out = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => ({
      record: (await trx.raw('SELECT name, email, erased_at FROM patients WHERE patient_id = ?', [world.patientA.patientId])).rows,
      hold: await sqlState(() =>
        trx.transaction((sp) => sp.raw('SELECT legal_hold_reason FROM patients WHERE patient_id = ?', [world.patientA.patientId])),
      ),
      star: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT * FROM patients WHERE patient_id = ?', [world.patientA.patientId]))),
    }));
    expect(out.record).toEqual([{ name: 'Alpha Patient', email: expect.stringContaining('@example.org'), erased_at: null }]);
    expect(out.hold).toBe('42501');
    expect(out.star).toBe('42501');
  });

  it('a manager reads aggregates and nothing that names a patient', async () => {
    const out = await asStaff(db.appKnex, as(world.manager), async (trx) => ({
      volume: await count(trx, 'SELECT count(*) AS n FROM provider_monthly_volume'),
      rate: await count(trx, 'SELECT count(*) AS n FROM provider_no_show_rate'),
      util: (await trx.raw('SELECT booked_minutes, working_minutes FROM provider_utilisation WHERE provider_id = ? ORDER BY month LIMIT 1', [world.providerA])).rows[0],
      patients: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT 1 FROM patients'))),
      appointments: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT 1 FROM appointments'))),
    }));
    expect(out.volume).toBeGreaterThan(0);
    expect(out.rate).toBeGreaterThan(0);
    expect(out.util.booked_minutes).toBeGreaterThan(0);
    expect(out.util.working_minutes).toBeGreaterThan(0);
    expect(out.patients).toBe('42501');
    expect(out.appointments).toBe('42501');
  });

  it('compliance manages accounts, reads the audit log and patient identity (to erase), but no contact or clinical row', async () => {
    const leaver = await createStaff(db.knex, 'billing');
    const out = await asStaff(db.appKnex, as(world.compliance), async (trx) => ({
      accounts: await count(trx, 'SELECT count(*) AS n FROM staff_users'),
      deactivated: await trx('staff_users').update({ active: false, deactivated_at: trx.fn.now() }).where('user_id', leaver.userId),
      hash: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT password_hash FROM staff_users LIMIT 1'))),
      audit: await count(trx, 'SELECT count(*) AS n FROM audit_log'),
      patients: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT email FROM patients'))),
      phones: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT phone FROM patients'))),
      names: await count(trx, 'SELECT count(name) AS n FROM patients'),
      visits: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT 1 FROM visits'))),
      read: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT * FROM patient_visits(?)', [world.patientA.patientId]))),
    }), { attempts: 1 });
    expect(out.accounts).toBeGreaterThanOrEqual(7);
    expect(out.deactivated).toBe(1);
    expect(out.hash).toBe('42501');
    expect(out.audit).toBeGreaterThan(0);
    expect(out.patients).toBe('42501');
    expect(out.phones).toBe('42501');
    expect(out.names).toBeGreaterThan(0);
    expect(out.visits).toBe('42501');
    expect(out.read).toBe('42501');
  });
});
