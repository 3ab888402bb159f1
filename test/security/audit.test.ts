/**
 * The audit log records every write to patient data and staff accounts: exactly one
 * row per row written, naming the staff user and role, with the names of the columns
 * that changed; a rolled-back write leaves none; reads of visit notes leave one read
 * row each; every audit row is announced on NOTIFY audit_events with ids only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { onClinicMorning, createMedication, createPatient, createProvider } from '../support/clinic.js';
import { asStaff, type StaffIdentity } from '../../server/db/index.js';
import { FieldCrypto } from '../../server/crypto/index.js';
import { readVisitNotes, saveVisitNotes } from '../../server/db/repository/visit-notes.js';
import { careFixture, MASTER_KEY } from './fixtures.js';

let db: TestDatabase;
let desk: StaffFixture;
let compliance: StaffFixture;
let clinician: StaffFixture;
let providerId: number;

interface AuditRow {
  audit_id: number;
  actor_user_id: number | null;
  actor_role: string;
  action: string;
  severity: string;
  table_name: string | null;
  row_key: string | null;
  patient_id: number | null;
  changed_columns: string[] | null;
  txid: number;
}

beforeAll(async () => {
  db = await createTestDatabase();
  providerId = await createProvider(db.knex);
  desk = await createStaff(db.knex, 'front_desk');
  compliance = await createStaff(db.knex, 'compliance');
  clinician = await createStaff(db.knex, 'clinician', { providerId });
});
afterAll(async () => db.drop());

const as = (s: StaffFixture): StaffIdentity => ({ userId: s.userId, role: s.role });

async function lastAuditId(): Promise<number> {
  const { rows } = await db.knex.raw('SELECT coalesce(max(audit_id), 0) AS id FROM audit_log');
  return rows[0].id;
}
async function auditSince(id: number): Promise<AuditRow[]> {
  const { rows } = await db.knex.raw('SELECT * FROM audit_log WHERE audit_id > ? ORDER BY audit_id', [id]);
  return rows;
}
const brief = (r: AuditRow) => [r.action, r.table_name, r.row_key, r.patient_id, r.actor_role, r.actor_user_id];

describe('writes by staff', () => {
  it('a registered patient leaves exactly one insert row naming the front-desk user and role', async () => {
    const before = await lastAuditId();
    const { patientId, txid } = await asStaff(db.appKnex, as(desk), async (trx) => {
      const { rows } = await trx.raw(
        "INSERT INTO patients (name, dob, email) VALUES ('Ada Audit', '1970-02-03', 'ada.audit@example.org') RETURNING patient_id",
      );
      const t = await trx.raw('SELECT txid_current() AS t');
      return { patientId: rows[0].patient_id as number, txid: t.rows[0].t as number };
    });
    const rows = await auditSince(before);
    expect(rows.map(brief)).toEqual([['insert', 'patients', String(patientId), patientId, 'front_desk', desk.userId]]);
    expect(rows[0]!.txid).toBe(txid);
    expect(rows[0]!.changed_columns).toBeNull();
  });

  it('an update lists exactly the columns whose value changed, and no values', async () => {
    const patientId = await createPatient(db.knex, { email: 'before@example.org' });
    const before = await lastAuditId();
    await asStaff(db.appKnex, as(desk), (trx) =>
      trx.raw("UPDATE patients SET email = 'after@example.org', name = name WHERE patient_id = ?", [patientId]),
    );
    await asStaff(db.appKnex, as(desk), (trx) => trx.raw("UPDATE patients SET dob = dob WHERE patient_id = ?", [patientId]));
    const rows = await auditSince(before);
    expect(rows.map((r) => [r.action, r.row_key, r.actor_user_id, r.changed_columns])).toEqual([
      ['update', String(patientId), desk.userId, ['email']],
      ['update', String(patientId), desk.userId, []],
    ]);
    const text = JSON.stringify(rows);
    expect(text).not.toContain('after@example.org');
    expect(text).not.toContain('before@example.org');
  });

  it('a multi-row statement leaves one row per row written', async () => {
    const before = await lastAuditId();
    const ids = await asStaff(db.appKnex, as(desk), async (trx) => {
      const { rows } = await trx.raw(
        `INSERT INTO patients (name, dob) SELECT 'Batch ' || g, '1990-01-01' FROM generate_series(1, 5) g RETURNING patient_id`,
      );
      return rows.map((r: { patient_id: number }) => String(r.patient_id)).sort();
    });
    const rows = await auditSince(before);
    expect(rows.map((r) => r.row_key).sort()).toEqual(ids);
    expect(new Set(rows.map((r) => `${r.action}/${r.actor_user_id}`))).toEqual(new Set([`insert/${desk.userId}`]));
  });

  it('a clinical visit leaves one row per written row, attributed to the clinician, with the patient resolved', async () => {
    const patientId = await createPatient(db.knex);
    const medicationId = await createMedication(db.knex);
    // Booked by the desk a few minutes from now: a check-in is allowed only on the appointment's day.
    await onClinicMorning(db.knex, async ({ soon }) => {
      const appointmentId = await asStaff(db.appKnex, as(desk), async (trx) => {
        const { rows } = await trx.raw(
          'INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, ?, 30) RETURNING appointment_id',
          [patientId, providerId, soon],
        );
        await trx.raw("UPDATE appointments SET status = 'checked_in' WHERE appointment_id = ?", [rows[0].appointment_id]);
        return rows[0].appointment_id as number;
      });
      const before = await lastAuditId();
      await asStaff(db.appKnex, as(clinician), async (trx) => {
        const v = await trx.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?) RETURNING visit_id', [appointmentId, patientId]);
        const visitId = v.rows[0].visit_id;
        await trx.raw("INSERT INTO diagnoses (visit_id, code, description) VALUES (?, 'E11.9', 'Type 2 diabetes')", [visitId]);
        await trx.raw("INSERT INTO prescriptions (visit_id, medication_id, dosage, start_date) VALUES (?, ?, 'once daily', '2025-01-06')",
          [visitId, medicationId]);
        await trx.raw("UPDATE appointments SET status = 'completed' WHERE appointment_id = ?", [appointmentId]);
      });
      const rows = await auditSince(before);
      const byTable = Object.fromEntries(rows.map((r) => [`${r.action} ${r.table_name}`, r]));
      expect(rows.map((r) => `${r.action} ${r.table_name}`).sort()).toEqual(
        ['insert charges', 'insert diagnoses', 'insert prescriptions', 'insert visits', 'update appointments'].sort(),
      );
      for (const r of rows) {
        expect(r.patient_id).toBe(patientId);
        expect([r.actor_role, r.actor_user_id]).toEqual(['clinician', clinician.userId]);
      }
      expect(byTable['update appointments']!.changed_columns).toEqual(['status', 'updated_at']);
    });
  });

  it('a rolled-back write leaves no audit row', async () => {
    const before = await lastAuditId();
    await expect(
      asStaff(db.appKnex, as(desk), async (trx) => {
        await trx.raw("INSERT INTO patients (name, dob) VALUES ('Never Was', '1980-01-01')");
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    const failed = asStaff(db.appKnex, as(desk), (trx) =>
      trx.raw("INSERT INTO patients (name, dob) VALUES ('Bad Dob', '2999-01-01')"),
    );
    await expect(failed).rejects.toMatchObject({ code: '23514' });
    expect(await auditSince(before)).toEqual([]);
  });

  it('a staff account change by compliance is audited with the changed column names', async () => {
    const target = await createStaff(db.knex, 'billing');
    const before = await lastAuditId();
    await asStaff(db.appKnex, as(compliance), (trx) =>
      trx.raw('UPDATE staff_users SET active = false, deactivated_at = now() WHERE user_id = ?', [target.userId]),
    );
    const rows = await auditSince(before);
    expect(rows.map((r) => [...brief(r), r.changed_columns])).toEqual([
      ['update', 'staff_users', String(target.userId), null, 'compliance', compliance.userId, ['active', 'deactivated_at']],
    ]);
  });

  it('a write without staff identity (a superuser bulk load) records the session role and no user', async () => {
    const before = await lastAuditId();
    await db.knex.raw("INSERT INTO patients (name, dob) VALUES ('Seed One', '1980-01-01'), ('Seed Two', '1981-01-01')");
    const rows = await auditSince(before);
    const { rows: me } = await db.knex.raw('SELECT session_user AS u');
    expect(rows.map((r) => [r.action, r.actor_role, r.actor_user_id])).toEqual([
      ['insert', me[0].u, null],
      ['insert', me[0].u, null],
    ]);
  });

  // Appointments have their own statically planned audit trigger (the booking's hot path):
  // the same rows as every other table, for inserts, updates and deletes, several at a time.
  it('appointments written several at a time leave one row per appointment and action, with patient and changed columns', async () => {
    const { rows: p } = await db.knex.raw("INSERT INTO patients (name, dob) VALUES ('Multi Booked', '1980-02-02') RETURNING patient_id");
    const patientId: number = p[0].patient_id;
    const before = await lastAuditId();
    const { rows: made } = await db.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min)
       SELECT ?, ?, timestamptz '2027-04-06 09:00Z' + g * interval '1 hour', 30 FROM generate_series(0, 2) g RETURNING appointment_id`,
      [patientId, providerId],
    );
    const keys = made.map((r: { appointment_id: number }) => String(r.appointment_id)).sort();
    await db.knex.raw('UPDATE appointments SET duration_min = 20 WHERE patient_id = ?', [patientId]);
    await db.knex.raw('DELETE FROM appointments WHERE patient_id = ?', [patientId]);
    const rows = (await auditSince(before)).filter((r) => r.table_name === 'appointments');
    for (const action of ['insert', 'update', 'delete']) {
      const of = rows.filter((r) => r.action === action);
      expect(of.map((r) => r.row_key).sort(), action).toEqual(keys);
      expect(new Set(of.map((r) => r.patient_id)), action).toEqual(new Set([patientId]));
    }
    expect(new Set(rows.filter((r) => r.action === 'update').map((r) => r.changed_columns!.join(',')))).toEqual(new Set(['duration_min,updated_at']));
  });

  it('a delete is audited with its patient', async () => {
    const care = await careFixture(db.knex);
    const { rows: d } = await db.knex.raw(
      "INSERT INTO diagnoses (visit_id, code, description) VALUES (?, 'J06.9', 'URTI') RETURNING diagnosis_id", [care.visitId]);
    const before = await lastAuditId();
    await db.knex.raw('DELETE FROM diagnoses WHERE diagnosis_id = ?', [d[0].diagnosis_id]);
    const { rows: me } = await db.knex.raw('SELECT session_user AS u');
    expect((await auditSince(before)).map(brief)).toEqual([
      ['delete', 'diagnoses', String(d[0].diagnosis_id), care.patientId, me[0].u, null],
    ]);
  });
});

describe('TRUNCATE (owner or superuser only)', () => {
  it('leaves one high-severity delete row per truncated row, with its patient', async () => {
    const care = await careFixture(db.knex);
    await db.knex.raw(
      "INSERT INTO diagnoses (visit_id, code, description) VALUES (?, 'J06.9', 'URTI'), (?, 'R05', 'Cough')",
      [care.visitId, care.visitId],
    );
    const { rows: present } = await db.knex.raw('SELECT diagnosis_id::text AS k, (SELECT patient_id FROM visits v WHERE v.visit_id = d.visit_id) AS p FROM diagnoses d');
    expect(present.length).toBeGreaterThanOrEqual(2);
    const before = await lastAuditId();
    await db.knex.raw('TRUNCATE diagnoses');
    const rows = await auditSince(before);
    expect(rows.map((r) => [r.row_key, r.patient_id]).sort()).toEqual(present.map((r: { k: string; p: number }) => [r.k, r.p]).sort());
    expect(new Set(rows.map((r) => `${r.action}/${r.severity}/${r.table_name}`))).toEqual(new Set(['delete/high/diagnoses']));
  });
});

describe('declared events', () => {
  it('N reads of a visit note leave N read rows naming the clinician', async () => {
    const care = await careFixture(db.knex);
    const crypto = new FieldCrypto(MASTER_KEY);
    const me = { userId: care.clinician.userId, role: 'clinician' as const };
    await asStaff(db.appKnex, me, (trx) => saveVisitNotes(trx, crypto, care.visitId, care.patientId, 'note'));
    const before = await lastAuditId();
    for (let i = 0; i < 3; i++) await asStaff(db.appKnex, me, (trx) => readVisitNotes(trx, crypto, care.visitId));
    const rows = await auditSince(before);
    expect(rows.map(brief)).toEqual(
      Array(3).fill(['read', 'visit_notes', String(care.visitId), care.patientId, 'clinician', care.clinician.userId]),
    );
  });

  it('audit_read derives the actor from SET ROLE + app.user_id inside its security-definer body', async () => {
    const { id, inside } = await asStaff(db.appKnex, as(clinician), async (trx) => {
      const r = await trx.raw("SELECT audit_read('patients', ARRAY[1]) AS id, current_setting('role') AS inside");
      return r.rows[0];
    });
    expect(inside).toBe('clinician');
    const { rows } = await db.knex.raw('SELECT actor_role, actor_user_id FROM audit_log WHERE audit_id = ?', [id]);
    expect(rows[0]).toEqual({ actor_role: 'clinician', actor_user_id: clinician.userId });
  });

  it('a forged identity (another role\'s user id) is recorded as no one', async () => {
    const id = await asStaff(db.appKnex, { userId: desk.userId, role: 'clinician' }, async (trx) =>
      (await trx.raw("SELECT audit_read('patients', ARRAY[1]) AS id")).rows[0].id,
    );
    const { rows } = await db.knex.raw('SELECT actor_role, actor_user_id FROM audit_log WHERE audit_id = ?', [id]);
    expect(rows[0]).toEqual({ actor_role: 'clinician', actor_user_id: null });
  });

  it('staff can declare nothing but their own reads: audit_event is closed to them, audit_read takes ids only', async () => {
    for (const action of ['read', 'break_glass', 'insert', 'erase']) {
      const err = await asStaff(db.appKnex, as(desk), (trx) =>
        trx.raw('SELECT audit_event(?, ?, ?, NULL)', [action, 'patients', '1']),
      ).catch((e: { code?: string }) => e);
      expect(err).toMatchObject({ code: '42501' });
    }
    const err = await asStaff(db.appKnex, as(desk), (trx) =>
      trx.raw("SELECT audit_read('jane@example.org', ARRAY[1])"),
    ).catch((e: { code?: string; constraint?: string }) => e);
    expect(err).toMatchObject({ code: '22023', constraint: 'audit_read_table' });
  });
});

describe('NOTIFY audit_events', () => {
  async function listen(): Promise<{ payloads: string[]; close: () => Promise<void> }> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const payloads: string[] = [];
    client.on('notification', (n) => {
      if (n.channel === 'audit_events') payloads.push(n.payload ?? '');
    });
    await client.query('LISTEN audit_events');
    return { payloads, close: () => client.end() };
  }
  const settle = async (payloads: string[], n: number) => {
    for (let i = 0; i < 100 && payloads.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  };

  it('announces each committed audit row by id only, and nothing for a rolled-back write', async () => {
    const l = await listen();
    try {
      await asStaff(db.appKnex, as(desk), async (trx) => {
        await trx.raw("INSERT INTO patients (name, dob) VALUES ('Rolled Back', '1980-01-01')");
        throw new Error('abandon');
      }).catch(() => undefined);
      const before = await lastAuditId();
      await asStaff(db.appKnex, as(desk), (trx) =>
        trx.raw("INSERT INTO patients (name, dob, email) VALUES ('Nora Notify', '1980-01-01', 'nora.notify@example.org'), ('Ned Notify', '1980-01-01', NULL)"),
      );
      const ids = (await auditSince(before)).map((r) => String(r.audit_id));
      await settle(l.payloads, 2);
      expect(l.payloads).toEqual(ids);
      for (const p of l.payloads) expect(p).toMatch(/^[0-9]+$/);
    } finally {
      await l.close();
    }
  });

  it('announces a bulk statement once, as the range of its ids', async () => {
    const l = await listen();
    try {
      const before = await lastAuditId();
      await db.knex.raw(`INSERT INTO patients (name, dob) SELECT 'Bulk ' || g, '1990-01-01' FROM generate_series(1, 1500) g`);
      const rows = await auditSince(before);
      await settle(l.payloads, 1);
      expect(l.payloads).toHaveLength(1);
      const [lo, hi] = l.payloads[0]!.split('-').map(Number);
      expect(rows).toHaveLength(1500);
      expect(rows.every((r) => r.audit_id >= lo! && r.audit_id <= hi!)).toBe(true);
    } finally {
      await l.close();
    }
  });
});
