/**
 * The SQL of master-key rotation (server/ops/rotate-keys.ts): batches of wrapped data
 * keys not yet under the new master key, a compare-and-swap replacement (a key that
 * changed or was shredded meanwhile is left alone), counts per master-key id, and the
 * ledger of retired keys. Run by the administrator as the schema owner (asService with
 * clinicpulse_owner), never by the service's login.
 */
import type { Knex } from 'knex';
import type { Transaction } from '../index.js';

export const KEY_OWNER_ROLE = 'clinicpulse_owner';

/** Up to `limit` wrapped keys whose master-key id is not `currentId`, after `afterPatientId`, locked. */
export async function wrappedKeysNotUnder(
  trx: Transaction,
  currentId: Buffer,
  afterPatientId: number,
  limit: number,
): Promise<{ patientId: number; wrapped: Buffer }[]> {
  const { rows } = await trx.raw<{ rows: { patient_id: number; wrapped_key: Buffer }[] }>(
    `SELECT patient_id, wrapped_key FROM patient_keys
     WHERE substring(wrapped_key FROM 2 FOR 8) <> ? AND patient_id > ?
     ORDER BY patient_id LIMIT ? FOR UPDATE`,
    [currentId, afterPatientId, limit],
  );
  return rows.map((r) => ({ patientId: r.patient_id, wrapped: r.wrapped_key }));
}

/** Replace one wrapped key if it is still `old`; true when replaced. */
export async function replaceWrappedKey(trx: Transaction, patientId: number, old: Buffer, rewrapped: Buffer): Promise<boolean> {
  const n = await trx('patient_keys').where({ patient_id: patientId, wrapped_key: old }).update({ wrapped_key: rewrapped });
  return n === 1;
}

/** How many data keys each master-key id wraps (hex id → count). */
export async function wrappedKeysByMasterKey(trx: Transaction): Promise<Map<string, number>> {
  const { rows } = await trx.raw<{ rows: { id: Buffer; n: number }[] }>(
    'SELECT substring(wrapped_key FROM 2 FOR 8) AS id, count(*)::int AS n FROM patient_keys GROUP BY 1',
  );
  return new Map(rows.map((r) => [r.id.toString('hex'), r.n]));
}

export async function recordRetiredKeys(trx: Transaction, retired: Buffer[], successor: Buffer, rewrapped: number): Promise<void> {
  for (const id of retired) {
    await trx.raw(
      'INSERT INTO master_key_retirements (key_id, successor_key_id, rewrapped) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
      [id, successor, rewrapped],
    );
  }
}

/** When `keyId` was retired, if it was. */
export async function masterKeyRetiredAt(knex: Knex | Transaction, keyId: Buffer): Promise<Date | undefined> {
  const { rows } = await knex.raw<{ rows: { retired_at: Date }[] }>('SELECT retired_at FROM master_key_retirements WHERE key_id = ?', [keyId]);
  return rows[0]?.retired_at;
}

/**
 * Make the new master key the database's key before any data key is re-wrapped: the id the
 * start-up check compares (master_key_check) and the key-store registration (the SHA-256 of
 * the proof store_patient_key asks for), so the service, restarted on the new key with
 * MASTER_KEY_PREVIOUS set, starts and wraps new patients' keys under it. From here on the
 * old key is refused at start-up.
 */
export async function adoptMasterKey(trx: Transaction, keyId: Buffer, proof: Buffer): Promise<void> {
  await trx.raw(
    `INSERT INTO master_key_check (key_id) VALUES (?)
     ON CONFLICT (singleton) DO UPDATE SET key_id = EXCLUDED.key_id, recorded_at = now()`,
    [keyId],
  );
  await trx.raw(
    `INSERT INTO master_key_registration (key_id, proof_sha256) VALUES (?, digest(?::bytea, 'sha256'))
     ON CONFLICT (singleton) DO UPDATE SET key_id = EXCLUDED.key_id, proof_sha256 = EXCLUDED.proof_sha256, registered_at = now()`,
    [keyId, proof],
  );
}
