/**
 * Only the holder of the master key can store or replace a patient's data key
 * (issue 9, item 10). The attack: a clinician with clinical access stored 69 bytes of
 * garbage as the patient's wrapped key through store_patient_key(); the key could never be
 * replaced, so every later note for that patient failed with a misleading master-key error.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { asStaff } from '../../server/db/index.js';
import { readVisitNotes, saveVisitNotes } from '../../server/db/repository/visit-notes.js';
import { registerMasterKey } from '../../server/db/repository/master-key.js';
import { FieldCrypto, MasterKeyError } from '../../server/crypto/index.js';
import { careFixture, MASTER_KEY, OTHER_MASTER_KEY, type CareFixture } from './fixtures.js';
import { sqlState } from './world.js';

let db: TestDatabase;
const crypto = new FieldCrypto(MASTER_KEY);
const keyId = crypto.keyStoreProof().keyId;

const asClinician = <T>(c: CareFixture, work: Parameters<typeof asStaff<T>>[2]) =>
  asStaff(db.appKnex, { userId: c.clinician.userId, role: 'clinician' }, work);
/** 69 bytes in the stored format (version 1), `id` as the master key id, the rest random. */
const garbageKey = (id: Buffer = randomBytes(8)) => Buffer.concat([Buffer.from([1]), id, randomBytes(60)]);
const storedKey = async (patientId: number): Promise<Buffer | undefined> =>
  (await db.knex.raw('SELECT wrapped_key FROM patient_keys WHERE patient_id = ?', [patientId])).rows[0]?.wrapped_key;

beforeAll(async () => {
  db = await createTestDatabase();
  // What `npm start` does before it serves: pin the configured master key.
  await registerMasterKey(db.knex, crypto);
});
afterAll(async () => db?.drop());

describe("a clinician cannot block a patient's notes with a planted key", () => {
  it('store_patient_key refuses a key without the master key holder\'s proof, and the next note saves and reads', async () => {
    const care = await careFixture(db.knex);
    const attempts = await asClinician(care, async (trx) => ({
      // The attack as it was reproduced: the two-argument call.
      legacy: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT store_patient_key(?, ?)', [care.patientId, garbageKey()]))),
      // The right key id (it is in every wrapped key a clinician can fetch) and a guessed proof.
      guessed: await sqlState(() =>
        trx.transaction((sp) => sp.raw('SELECT store_patient_key(?, ?, ?)', [care.patientId, garbageKey(keyId), randomBytes(32)])),
      ),
    }));
    expect(attempts).toEqual({ legacy: '42883', guessed: '42501' });
    expect(await storedKey(care.patientId)).toBeUndefined();
    await asClinician(care, (trx) => saveVisitNotes(trx, crypto, care.visitId, care.patientId, 'Seen for follow-up.'));
    expect(await asClinician(care, (trx) => readVisitNotes(trx, crypto, care.visitId))).toBe('Seen for follow-up.');
  });

  it('a garbage key planted before the fix is replaced by the next save, with a high-severity audit row', async () => {
    const care = await careFixture(db.knex);
    const planted = garbageKey();
    await db.knex.raw('INSERT INTO patient_keys (patient_id, wrapped_key) VALUES (?, ?)', [care.patientId, planted]);
    await asClinician(care, (trx) => saveVisitNotes(trx, crypto, care.visitId, care.patientId, 'Blood pressure 128/82.'));
    expect(await asClinician(care, (trx) => readVisitNotes(trx, crypto, care.visitId))).toBe('Blood pressure 128/82.');
    expect((await storedKey(care.patientId))!.equals(planted)).toBe(false);
    const { rows } = await db.knex.raw(
      "SELECT action, severity, changed_columns FROM audit_log WHERE table_name = 'patient_keys' AND patient_id = ? AND severity = 'high'",
      [care.patientId],
    );
    expect(rows).toEqual([{ action: 'update', severity: 'high', changed_columns: ['wrapped_key'] }]);
  });

  it('a clinician cannot replace a good key with garbage (the replacement needs the proof too)', async () => {
    const care = await careFixture(db.knex);
    await asClinician(care, (trx) => saveVisitNotes(trx, crypto, care.visitId, care.patientId, 'Stable.'));
    const good = (await storedKey(care.patientId))!;
    const state = await asClinician(care, (trx) =>
      sqlState(() =>
        trx.transaction((sp) => sp.raw('SELECT replace_patient_key(?, ?, ?, ?)', [care.patientId, good, garbageKey(keyId), randomBytes(32)])),
      ),
    );
    expect(state).toBe('42501');
    expect((await storedKey(care.patientId))!.equals(good)).toBe(true);
    expect(await asClinician(care, (trx) => readVisitNotes(trx, crypto, care.visitId))).toBe('Stable.');
  });

  it('even the service stores only a 69-byte key carrying the registered key id', async () => {
    const care = await careFixture(db.knex);
    const { proof } = crypto.keyStoreProof();
    const out = await asClinician(care, async (trx) => ({
      short: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT store_patient_key(?, ?, ?)', [care.patientId, Buffer.from([1, 2, 3]), proof]))),
      otherId: await sqlState(() => trx.transaction((sp) => sp.raw('SELECT store_patient_key(?, ?, ?)', [care.patientId, garbageKey(), proof]))),
    }));
    expect(out).toEqual({ short: '22023', otherId: '42501' });
  });

  it('a wrong MASTER_KEY is refused at start-up and stores no key, instead of wrapping keys nobody can open', async () => {
    const wrong = new FieldCrypto(OTHER_MASTER_KEY);
    await expect(registerMasterKey(db.knex, wrong)).rejects.toBeInstanceOf(MasterKeyError);
    const care = await careFixture(db.knex);
    const err = await asClinician(care, (trx) => saveVisitNotes(trx, wrong, care.visitId, care.patientId, 'x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MasterKeyError);
    expect(await storedKey(care.patientId)).toBeUndefined();
  });
});
