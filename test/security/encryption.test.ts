/**
 * Visit notes are encrypted at rest with a per-patient key wrapped by the master key:
 * they round-trip for the visit's clinician, the stored bytes never contain the text,
 * and a wrong or missing master key is a clear, typed error, never garbage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { asStaff } from '../../server/db/index.js';
import { readVisitNotes, saveVisitNotes } from '../../server/db/repository/visit-notes.js';
import { CiphertextError, FieldCrypto, MasterKeyError } from '../../server/crypto/index.js';
import { careFixture, MASTER_KEY, OTHER_MASTER_KEY, type CareFixture } from './fixtures.js';

let db: TestDatabase;
let care: CareFixture;
const crypto = new FieldCrypto(MASTER_KEY);
const NOTE = 'Complains of chest pain after climbing stairs; ECG booked. Café résumé ✓';

const asClinician = <T>(c: CareFixture, work: Parameters<typeof asStaff<T>>[2]) =>
  asStaff(db.appKnex, { userId: c.clinician.userId, role: 'clinician' }, work);

beforeAll(async () => {
  db = await createTestDatabase();
  care = await careFixture(db.knex);
  await asClinician(care, (trx) => saveVisitNotes(trx, crypto, care.visitId, care.patientId, NOTE));
});
afterAll(async () => db.drop());

describe('visit notes at rest', () => {
  it('round-trip for the clinician of the visit', async () => {
    const text = await asClinician(care, (trx) => readVisitNotes(trx, crypto, care.visitId));
    expect(text).toBe(NOTE);
  });

  it('are stored as ciphertext that contains neither the text nor a fragment of it', async () => {
    const { rows } = await db.knex.raw('SELECT ciphertext FROM visit_notes WHERE visit_id = ?', [care.visitId]);
    const stored: Buffer = rows[0].ciphertext;
    for (const fragment of ['chest pain', 'ECG booked', 'Complains']) {
      expect(stored.includes(Buffer.from(fragment, 'utf8'))).toBe(false);
    }
    const key = await db.knex.raw('SELECT wrapped_key FROM patient_keys WHERE patient_id = ?', [care.patientId]);
    expect((key.rows[0].wrapped_key as Buffer).length).toBe(69);
  });

  it('keep one data key per patient across several notes', async () => {
    const second = await careFixture(db.knex);
    const third = await careFixture(db.knex);
    await asClinician(second, (trx) => saveVisitNotes(trx, crypto, second.visitId, second.patientId, 'first'));
    await asClinician(second, (trx) => saveVisitNotes(trx, crypto, second.visitId, second.patientId, 'replaced'));
    await asClinician(third, (trx) => saveVisitNotes(trx, crypto, third.visitId, third.patientId, 'other patient'));
    const { rows } = await db.knex.raw('SELECT patient_id FROM patient_keys WHERE patient_id IN (?, ?)', [second.patientId, third.patientId]);
    expect(rows).toHaveLength(2);
    expect(await asClinician(second, (trx) => readVisitNotes(trx, crypto, second.visitId))).toBe('replaced');
  });

  it('fail with a MasterKeyError under the wrong master key', async () => {
    const wrong = new FieldCrypto(OTHER_MASTER_KEY);
    const err = await asClinician(care, (trx) => readVisitNotes(trx, wrong, care.visitId)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MasterKeyError);
    expect((err as Error).message).toMatch(/master key cannot unwrap this patient's data key/);
  });

  it('fail with a MasterKeyError when MASTER_KEY is not set, for reads and for writes', async () => {
    const none = FieldCrypto.fromConfig({ MASTER_KEY: undefined });
    const read = await asClinician(care, (trx) => readVisitNotes(trx, none, care.visitId)).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(MasterKeyError);
    expect((read as Error).message).toMatch(/MASTER_KEY is not set/);
    const write = await asClinician(care, (trx) => saveVisitNotes(trx, none, care.visitId, care.patientId, 'x')).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(MasterKeyError);
  });

  it('refuse a ciphertext moved onto another visit (bound to its row)', async () => {
    const other = await careFixture(db.knex);
    await asClinician(other, (trx) => saveVisitNotes(trx, crypto, other.visitId, other.patientId, 'their note'));
    // Same patient key, another row: an attacker with write access swaps ciphertexts.
    const extra = await db.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status)
       VALUES (?, ?, '2024-02-02T10:00Z', 30, 'checked_in') RETURNING appointment_id`, [other.patientId, other.providerId]);
    const v = await db.knex.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?) RETURNING visit_id',
      [extra.rows[0].appointment_id, other.patientId]);
    await db.knex.raw(`INSERT INTO visit_notes (visit_id, patient_id, ciphertext)
      SELECT ?, patient_id, ciphertext FROM visit_notes WHERE visit_id = ?`, [v.rows[0].visit_id, other.visitId]);
    const err = await asClinician(other, (trx) => readVisitNotes(trx, crypto, v.rows[0].visit_id)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CiphertextError);
  });

  it('are refused to a clinician without a care relationship, and read as absent to them', async () => {
    const stranger = await careFixture(db.knex);
    const text = await asClinician(stranger, (trx) => readVisitNotes(trx, crypto, care.visitId));
    expect(text).toBeNull();
    const write = await asClinician(stranger, (trx) => saveVisitNotes(trx, crypto, care.visitId, care.patientId, 'forged'))
      .catch((e: { constraint?: string }) => e);
    expect((write as { constraint?: string }).constraint).toBe('visit_notes_clinical_access');
  });

  it('are not readable by the table for any staff role', async () => {
    for (const role of ['front_desk', 'clinician', 'billing', 'manager', 'compliance'] as const) {
      const err = await db.appKnex
        .transaction(async (trx) => {
          await trx.raw(`SET LOCAL ROLE ${role}`);
          return trx.raw('SELECT ciphertext FROM visit_notes');
        })
        .catch((e: { code?: string }) => e);
      expect((err as { code?: string }).code).toBe('42501');
    }
  });
});
