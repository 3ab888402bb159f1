/**
 * Right to erasure with canary PII: after erase_patient the canary name, email, phone
 * and note text appear nowhere (no table, no audit row, not in a pg_dump of the
 * database), the patient's notes fail to decrypt with a typed error, the no-show and
 * volume aggregates are exactly what they were, and the erasure is audited. The patient's
 * waitlist entries (a wish for a future slot, with a free-text note) are deleted, audited
 * as deletes, so no desk is ever offered a slot for "Erased patient <id>". A legal
 * hold refuses erasure and the refusal is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, insertAppointment } from '../support/clinic.js';
import { asStaff, type StaffIdentity } from '../../server/db/index.js';
import { FieldCrypto, PatientErasedError } from '../../server/crypto/index.js';
import { readVisitNotes, saveVisitNotes } from '../../server/db/repository/visit-notes.js';
import { erasePatient, LegalHoldError, setLegalHold } from '../../server/db/repository/erasure.js';
import { addToWaitlist } from '../../server/db/repository/waitlist.js';
import { knownError } from '../../server/http/errors.js';
import { addVisit, careFixture, MASTER_KEY, nextSlot, type CareFixture } from './fixtures.js';

const run = promisify(execFile);
const crypto = new FieldCrypto(MASTER_KEY);
const tag = randomBytes(5).toString('hex');
// Distinctive enough that any hit is this patient's data and nothing else.
const CANARY = {
  name: `Zelda Canary${tag}`,
  email: `zelda.canary${tag}@example.org`,
  phone: `+1 555 ${parseInt(tag.slice(0, 4), 16) % 9000 + 1000} 7319`,
  note: `canary-note-${tag}: suspected melanoma, left shoulder`,
};
const needles = [`Canary${tag}`, `canary${tag}`, CANARY.phone, CANARY.phone.replace(/[^0-9]/g, '').slice(-8), `canary-note-${tag}`];

let db: TestDatabase;
let care: CareFixture;
let compliance: StaffFixture;
let officer: StaffIdentity;
let secondVisitId: number;
let desk: StaffFixture;
let waitlistIds: number[];

async function aggregates(): Promise<unknown> {
  const noShow = await db.knex.raw('SELECT * FROM provider_no_show_rate ORDER BY provider_id, month');
  const volume = await db.knex.raw('SELECT * FROM provider_monthly_volume ORDER BY provider_id, month');
  return { noShow: noShow.rows, volume: volume.rows };
}

/** Every row of every table in the database, as text, that contains a needle. */
async function canaryHits(): Promise<string[]> {
  const { rows: tables } = await db.knex.raw(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
  );
  const hits: string[] = [];
  for (const { t } of tables as { t: string }[]) {
    for (const needle of needles) {
      const { rows } = await db.knex.raw(`SELECT count(*) AS n FROM ${t} x WHERE x::text ILIKE ?`, [`%${needle}%`]);
      if (rows[0].n > 0) hits.push(`${t}: ${needle}`);
    }
  }
  return hits;
}

async function pgDump(): Promise<string> {
  const bin = process.env.PG_DUMP ?? '/usr/bin/pg_dump';
  const { stdout } = await run(bin, ['--no-owner', '--dbname', db.url], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

beforeAll(async () => {
  db = await createTestDatabase();
  care = await careFixture(db.knex, { name: CANARY.name, email: CANARY.email, phone: CANARY.phone, dob: '1984-07-12' });
  compliance = await createStaff(db.knex, 'compliance');
  officer = { userId: compliance.userId, role: 'compliance' };
  const me = { userId: care.clinician.userId, role: 'clinician' as const };
  // A second visit and a no-show, so both aggregates count this patient.
  secondVisitId = (await addVisit(db.knex, care.providerId, care.patientId)).visitId;
  await insertAppointment(db.knex, { patientId: care.patientId, providerId: care.providerId, scheduledAt: nextSlot(), status: 'no_show' });
  await asStaff(db.appKnex, me, async (trx) => {
    await saveVisitNotes(trx, crypto, care.visitId, care.patientId, CANARY.note);
    await saveVisitNotes(trx, crypto, secondVisitId, care.patientId, `follow-up for ${CANARY.name}`);
  });
  // On the waitlist twice (a provider and a specialty), the desk's note naming the canary.
  desk = await createStaff(db.knex, 'front_desk');
  waitlistIds = await asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, async (trx) => [
    (await addToWaitlist(trx, { patientId: care.patientId, providerId: care.providerId, earliest: '2027-04-06T13:00:00Z', latest: '2027-04-06T21:00:00Z', durationMin: 30, note: `call ${CANARY.name} first` })).waitlistId,
    (await addToWaitlist(trx, { patientId: care.patientId, specialty: 'Cardiology', earliest: '2027-04-06T13:00:00Z', latest: '2027-04-09T21:00:00Z', durationMin: 30 })).waitlistId,
  ]);
  // The canary is really there before erasure: the scan and the dump can see it.
  expect(await canaryHits()).not.toEqual([]);
  expect(await asStaff(db.appKnex, me, (trx) => readVisitNotes(trx, crypto, care.visitId))).toBe(CANARY.note);
});
afterAll(async () => db.drop());

describe('erasure of a patient', () => {
  let before: unknown;
  let result: Awaited<ReturnType<typeof erasePatient>>;

  beforeAll(async () => {
    expect((await pgDump()).includes(`Canary${tag}`)).toBe(true);
    before = await aggregates();
    result = await erasePatient(db.appKnex, officer, care.patientId, 'GDPR Art. 17 request, ticket 4711');
  });

  it('reports the erasure and records it in the ledger with who and why', async () => {
    expect(result.outcome).toBe('erased');
    const { rows } = await db.knex.raw('SELECT * FROM erasures WHERE erasure_id = ?', [result.erasureId]);
    expect(rows[0]).toMatchObject({
      patient_id: care.patientId,
      outcome: 'erased',
      requested_by: compliance.userId,
      requested_role: 'compliance',
      reason: 'GDPR Art. 17 request, ticket 4711',
      legal_hold_reason: null,
    });
  });

  it('leaves the canary in no table, audit rows included', async () => {
    expect(await canaryHits()).toEqual([]);
  });

  it('leaves the canary out of a pg_dump of the database', async () => {
    const dump = await pgDump();
    expect(dump).toContain('Erased patient ' + care.patientId);
    for (const needle of needles) expect(dump.includes(needle)).toBe(false);
  });

  it('pseudonymises the patient row and keeps it (foreign keys still point at it)', async () => {
    const { rows } = await db.knex.raw('SELECT name, dob, email, phone, erased_at FROM patients WHERE patient_id = ?', [care.patientId]);
    expect(rows[0]).toMatchObject({ name: `Erased patient ${care.patientId}`, dob: '1900-01-01', email: null, phone: null });
    expect(rows[0].erased_at).not.toBeNull();
  });

  it('makes the notes undecryptable with a typed error, even with the right master key', async () => {
    const me = { userId: care.clinician.userId, role: 'clinician' as const };
    for (const visitId of [care.visitId, secondVisitId]) {
      const err = await asStaff(db.appKnex, me, (trx) => readVisitNotes(trx, crypto, visitId)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PatientErasedError);
    }
    const { rows } = await db.knex.raw('SELECT count(*) AS n FROM patient_keys WHERE patient_id = ?', [care.patientId]);
    expect(rows[0].n).toBe(0);
    // No new key can be made for the patient, so no new note either.
    const save = await asStaff(db.appKnex, me, (trx) => saveVisitNotes(trx, crypto, care.visitId, care.patientId, 'again'))
      .catch((e: { constraint?: string }) => e);
    expect(save).toMatchObject({ constraint: 'patients_erased' });
  });

  it('keeps appointments and visits, so the no-show and volume aggregates are exactly the same', async () => {
    expect(await aggregates()).toEqual(before);
    const { rows } = await db.knex.raw(
      'SELECT (SELECT count(*) FROM appointments WHERE patient_id = ?) AS a, (SELECT count(*) FROM visits WHERE patient_id = ?) AS v',
      [care.patientId, care.patientId],
    );
    expect(rows[0]).toEqual({ a: 3, v: 2 });
  });

  it('is audited: one high-severity erase row naming the compliance officer, ids only', async () => {
    const { rows } = await db.knex.raw(
      "SELECT actor_user_id, actor_role, severity, table_name, row_key FROM audit_log WHERE action = 'erase' AND patient_id = ?",
      [care.patientId],
    );
    expect(rows).toEqual([
      { actor_user_id: compliance.userId, actor_role: 'compliance', severity: 'high', table_name: 'patients', row_key: String(care.patientId) },
    ]);
    const update = await db.knex.raw(
      "SELECT changed_columns FROM audit_log WHERE action = 'update' AND table_name = 'patients' AND patient_id = ? AND actor_role = 'compliance'",
      [care.patientId],
    );
    expect(update.rows[0].changed_columns).toEqual(['dob', 'email', 'erased_at', 'name', 'phone']);
  });

  it('is idempotent: erasing again changes and records nothing', async () => {
    const count = async () => (await db.knex.raw('SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM erasures) AS n')).rows[0].n;
    const n = await count();
    const again = await erasePatient(db.appKnex, officer, care.patientId, 'duplicate request');
    expect(again).toEqual({ outcome: 'already_erased', erasureId: result.erasureId });
    expect(await count()).toBe(n);
  });

  it("takes the patient off the waitlist (deleted, each delete audited), so no desk is offered a slot for them", async () => {
    const { rows } = await db.knex.raw('SELECT waitlist_id FROM waitlist_entries WHERE patient_id = ?', [care.patientId]);
    expect(rows).toEqual([]);
    const { rows: audit } = await db.knex.raw(
      "SELECT row_key, actor_role FROM audit_log WHERE action = 'delete' AND table_name = 'waitlist_entries' AND patient_id = ? ORDER BY row_key::int",
      [care.patientId],
    );
    expect(audit).toEqual(waitlistIds.map((id) => ({ row_key: String(id), actor_role: 'compliance' })));
    const offered = await db.knex.raw(
      "SELECT count(*)::int AS n FROM waitlist_offer_candidates(?, '2027-04-06T14:00:00Z', '2027-04-06T15:00:00Z') c WHERE c.patient_id = ?",
      [care.providerId, care.patientId],
    );
    expect(offered.rows[0].n).toBe(0);
  });

  it('freezes the erased identity against later edits', async () => {
    const desk = await createStaff(db.knex, 'front_desk');
    const err = await asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, (trx) =>
      trx.raw("UPDATE patients SET name = 'Zelda Again' WHERE patient_id = ?", [care.patientId]),
    ).catch((e: { constraint?: string }) => e);
    expect(err).toMatchObject({ constraint: 'patients_erased' });
  });
});

describe('erasure re-applied after a restore', () => {
  it("also takes the patient off the waitlist (reapply_erasure, as npm run restore calls it)", async () => {
    const patientId = await createPatient(db.knex, { name: `Rhea Restored${tag}` });
    await asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, (trx) =>
      addToWaitlist(trx, { patientId, providerId: care.providerId, earliest: '2027-04-06T13:00:00Z', latest: '2027-04-06T21:00:00Z', durationMin: 30, note: 'restored canary' }),
    );
    const done = await db.knex.transaction(async (trx) => {
      await trx.raw('SET LOCAL ROLE clinicpulse_owner');
      const { rows } = await trx.raw("SELECT reapply_erasure(900001, ?, ?, now(), 'ledger entry after the backup') AS done", [patientId, compliance.userId]);
      return rows[0].done as boolean;
    });
    expect(done).toBe(true);
    const left = await db.knex.raw('SELECT count(*)::int AS n FROM waitlist_entries WHERE patient_id = ?', [patientId]);
    expect(left.rows[0].n).toBe(0);
  });
});

describe('who may erase', () => {
  it('only compliance: other roles cannot call erase_patient at all, and compliance needs a valid identity', async () => {
    const patientId = await createPatient(db.knex);
    for (const role of ['front_desk', 'clinician', 'billing', 'manager'] as const) {
      const s = await createStaff(db.knex, role, role === 'clinician' ? { providerId: care.providerId } : {});
      const err = await asStaff(db.appKnex, { userId: s.userId, role }, (trx) =>
        trx.raw("SELECT * FROM erase_patient(?, 'no reason at all')", [patientId]),
      ).catch((e: { code?: string }) => e);
      expect(`${role}: ${(err as { code?: string }).code}`).toBe(`${role}: 42501`);
    }
    const forged = await asStaff(db.appKnex, { userId: care.clinician.userId, role: 'compliance' }, (trx) =>
      trx.raw("SELECT * FROM erase_patient(?, 'forged identity')", [patientId]),
    ).catch((e: { code?: string; constraint?: string }) => e);
    expect(forged).toMatchObject({ code: '42501', constraint: 'erasure_compliance_only' });
    const { rows } = await db.knex.raw('SELECT erased_at FROM patients WHERE patient_id = ?', [patientId]);
    expect(rows[0].erased_at).toBeNull();
  });
});

describe('legal hold', () => {
  it('refuses erasure with a recorded reason, and changes nothing', async () => {
    const held = await createPatient(db.knex, { name: 'Harold Held', email: 'harold.held@example.org' });
    await asStaff(db.appKnex, officer, (trx) => setLegalHold(trx, held, 'Litigation hold, case 2026-CV-118'));
    const err = await erasePatient(db.appKnex, officer, held, 'Patient request by letter').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LegalHoldError);
    expect(err).toMatchObject({ kind: 'conflict', code: 'legal_hold' });
    expect(knownError(err)).toMatchObject({ status: 409, code: 'legal_hold' });

    // The refusal was committed even though the caller got an error.
    const { rows: ledger } = await db.knex.raw('SELECT outcome, reason, legal_hold_reason, audit_id FROM erasures WHERE patient_id = ?', [held]);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      outcome: 'refused_legal_hold',
      reason: 'Patient request by letter',
      legal_hold_reason: 'Litigation hold, case 2026-CV-118',
    });
    const { rows: audit } = await db.knex.raw('SELECT action, severity, actor_user_id, patient_id FROM audit_log WHERE audit_id = ?', [ledger[0].audit_id]);
    expect(audit[0]).toEqual({ action: 'erase_refused', severity: 'high', actor_user_id: compliance.userId, patient_id: held });
    const { rows: p } = await db.knex.raw('SELECT name, email, erased_at FROM patients WHERE patient_id = ?', [held]);
    expect(p[0]).toEqual({ name: 'Harold Held', email: 'harold.held@example.org', erased_at: null });
  });

  it('once lifted, lets the erasure through', async () => {
    const held = await createPatient(db.knex);
    await asStaff(db.appKnex, officer, (trx) => setLegalHold(trx, held, 'Regulator inquiry 12'));
    await asStaff(db.appKnex, officer, (trx) => setLegalHold(trx, held, null));
    const r = await erasePatient(db.appKnex, officer, held, 'Patient request by letter');
    expect(r.outcome).toBe('erased');
  });
});
