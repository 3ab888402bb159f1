/**
 * Encrypted visit notes. The text is sealed in the service with the patient's data
 * key (server/crypto) before it leaves; PostgreSQL stores ciphertext and the wrapped
 * key only, and hands them out through security-definer functions that check the
 * clinician's access and audit every read (migration 20261125000021).
 * Both functions run inside the caller's asStaff transaction, as a clinician.
 */
import type { Transaction } from '../index.js';
import { invalidInput } from '../../domain/errors.js';
import { CiphertextError, MasterKeyError, PatientErasedError, type DataKey, type FieldCrypto } from '../../crypto/index.js';

export const VISIT_NOTE_MAX_CHARS = 20_000;

/** The AAD context of a visit's note: the ciphertext opens only on this row. */
export function noteContext(visitId: number): string {
  return `visit_notes:${visitId}`;
}

function assertId(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalidInput(`${field} must be a positive integer`);
}

/**
 * The patient's data key, created (and stored wrapped) on first use. A stored key this
 * master key cannot unwrap (planted before keys needed a proof, or damaged) can never open
 * anything, so it is replaced; the database allows that only with the registered master
 * key's proof, so a wrong MASTER_KEY is refused there instead of replacing good keys.
 */
async function dataKeyFor(trx: Transaction, crypto: FieldCrypto, patientId: number): Promise<DataKey> {
  const { rows } = await trx.raw<{ rows: { k: Buffer | null }[] }>('SELECT patient_wrapped_key(?) AS k', [patientId]);
  const existing = rows[0]?.k ?? null;
  let unusable: unknown;
  if (existing) {
    try {
      return crypto.unwrapDataKey(patientId, existing);
    } catch (err) {
      if (!(err instanceof MasterKeyError || err instanceof CiphertextError)) throw err;
      unusable = err;
    }
  }
  const fresh = crypto.newDataKey(patientId);
  const { proof } = crypto.keyStoreProof();
  let k: Buffer;
  try {
    const stored = existing
      ? await trx.raw<{ rows: { k: Buffer }[] }>('SELECT replace_patient_key(?, ?, ?, ?) AS k', [patientId, existing, fresh.wrapped, proof])
      : await trx.raw<{ rows: { k: Buffer }[] }>('SELECT store_patient_key(?, ?, ?) AS k', [patientId, fresh.wrapped, proof]);
    k = stored.rows[0]!.k;
  } catch (err) {
    fresh.dataKey.wipe();
    // Not the registered master key: the stored key may be fine, ours is wrong.
    if ((err as { constraint?: string }).constraint === 'master_key_proof') {
      throw unusable instanceof MasterKeyError
        ? unusable
        : new MasterKeyError('MASTER_KEY is not the master key registered for this database: no data key can be stored with it.');
    }
    throw err;
  }
  if (k.equals(fresh.wrapped)) return fresh.dataKey;
  // A concurrent first save stored (or replaced) its key first: use that one.
  fresh.dataKey.wipe();
  return crypto.unwrapDataKey(patientId, k);
}

/**
 * Save (or replace) the note of a visit. Only the visit's own clinician may; the text is
 * encrypted before it is sent. Fails with MasterKeyError before touching the database when
 * MASTER_KEY is missing, and with PatientErasedError for an erased patient.
 */
export async function saveVisitNotes(
  trx: Transaction,
  crypto: FieldCrypto,
  visitId: number,
  patientId: number,
  text: string,
): Promise<void> {
  assertId(visitId, 'visitId');
  assertId(patientId, 'patientId');
  if (typeof text !== 'string' || text.trim() === '' || text.length > VISIT_NOTE_MAX_CHARS) {
    throw invalidInput(`notes must be 1 to ${VISIT_NOTE_MAX_CHARS} characters`);
  }
  crypto.assertAvailable();
  const key = await dataKeyFor(trx, crypto, patientId);
  try {
    const sealed = key.encrypt(text, noteContext(visitId));
    await trx.raw('SELECT save_visit_note(?, ?, ?)', [visitId, patientId, sealed]);
  } finally {
    key.wipe();
  }
}

/**
 * Read the note of a visit: the text, or null when there is none or the caller may not
 * see it (indistinguishable on purpose). Every note returned leaves one 'read' audit row.
 * Throws PatientErasedError (kind `gone`) once the patient's key is destroyed, MasterKeyError when
 * MASTER_KEY is missing or wrong, CiphertextError when the stored note does not authenticate.
 */
export async function readVisitNotes(trx: Transaction, crypto: FieldCrypto, visitId: number): Promise<string | null> {
  assertId(visitId, 'visitId');
  const { rows } = await trx.raw<{
    rows: { patient_id: number; ciphertext: Buffer; wrapped_key: Buffer | null; erased: boolean }[];
  }>('SELECT patient_id, ciphertext, wrapped_key, erased FROM read_visit_note(?)', [visitId]);
  const row = rows[0];
  if (!row) return null;
  if (row.erased || !row.wrapped_key) throw new PatientErasedError(row.patient_id);
  const key = crypto.unwrapDataKey(row.patient_id, row.wrapped_key);
  try {
    return key.decrypt(row.ciphertext, noteContext(visitId));
  } finally {
    key.wipe();
  }
}
