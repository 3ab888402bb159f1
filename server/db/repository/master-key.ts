/**
 * The master key at start-up, in one place. Two checks run, in this order, on the
 * administrator's connection before the service takes requests (serve.ts, prepareDatabase;
 * no service role may read or write these tables):
 *
 * 1. checkMasterKey: MASTER_KEY is the key the data is encrypted under. The database keeps
 *    the key's 8-byte id (master_key_check, migration 20261206000301); the first start
 *    records it, every later start compares, and a mismatch stops the service before it
 *    serves, so no new patient key is ever wrapped under a wrong key. A database that has
 *    patient keys but no recorded id (made before this check) is compared with the id inside
 *    those wrapped keys instead.
 * 2. registerMasterKey: pins the key's proof (migration 20261206000202), so only this key's
 *    holder may store data keys from then on (store_patient_key checks the proof).
 *
 * startWithMasterKey runs both; the tests call each on its own.
 */
import type { Knex } from 'knex';
import { ConfigError } from '../../config.js';
import { MasterKeyError, type FieldCrypto } from '../../crypto/index.js';

const mismatch = (stored: string, ours: string) =>
  new ConfigError(
    `Refusing to start: MASTER_KEY is not the key the data is encrypted under (stored key id ${stored}, this key's id ${ours}). ` +
      'Set the MASTER_KEY this database was used with; starting under another key would wrap new patient keys with it and leave existing notes unreadable.',
  );

/** 'recorded' on first use, 'verified' when the stored id matches; throws ConfigError otherwise. */
export async function checkMasterKey(admin: Knex, crypto: FieldCrypto): Promise<'recorded' | 'verified'> {
  const ours = crypto.keyId;
  if (!ours) throw new ConfigError('MASTER_KEY is not set: encrypted clinical notes cannot be read or written.');
  return admin.transaction(async (trx) => {
    // One starter at a time records the id (two processes starting together on a new database).
    await trx.raw('LOCK TABLE master_key_check IN SHARE ROW EXCLUSIVE MODE');
    const stored = (await trx.raw<{ rows: { key_id: Buffer }[] }>('SELECT key_id FROM master_key_check')).rows[0]?.key_id;
    if (stored) {
      if (!stored.equals(ours)) throw mismatch(stored.toString('hex'), ours.toString('hex'));
      return 'verified';
    }
    const wrapped = (
      await trx.raw<{ rows: { key_id: Buffer }[] }>('SELECT DISTINCT substring(wrapped_key FROM 2 FOR 8) AS key_id FROM patient_keys LIMIT 2')
    ).rows;
    const other = wrapped.find((r) => !r.key_id.equals(ours));
    if (other) throw mismatch(other.key_id.toString('hex'), ours.toString('hex'));
    await trx.raw('INSERT INTO master_key_check (key_id) VALUES (?)', [ours]);
    return 'recorded';
  });
}

/**
 * Pin the configured master key as the database's key (first start after migration
 * 20261206000202), or check it is the pinned one. Run at start-up with the administrator's
 * connection, before the service takes requests, so no one can register a key of their own
 * first. Throws MasterKeyError when MASTER_KEY is not the registered key, or wrapped none of
 * the data keys already stored.
 */
export async function registerMasterKey(admin: Knex, crypto: FieldCrypto): Promise<void> {
  const { keyId, proof } = crypto.keyStoreProof();
  try {
    await admin.raw('SELECT master_key_check(?, ?)', [keyId, proof]);
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'master_key_proof') {
      // knex prefixes the statement; the database's own words are after the last ' - '.
      const reason = (err as Error).message.split(' - ').pop();
      throw new MasterKeyError(`MASTER_KEY is not the master key this database's data keys are wrapped with (${reason}); refusing to start.`);
    }
    throw err;
  }
}

/** Both start-up checks, in order; 'recorded' when this start recorded the key id. */
export async function startWithMasterKey(admin: Knex, crypto: FieldCrypto): Promise<'recorded' | 'verified'> {
  const outcome = await checkMasterKey(admin, crypto);
  await registerMasterKey(admin, crypto);
  return outcome;
}
