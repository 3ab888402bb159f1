/**
 * The start-up check that MASTER_KEY is the key the data is encrypted under. The
 * database keeps the key's 8-byte id (master_key_check, migration 20261206000301);
 * the first start records it, every later start compares, and a mismatch stops the
 * service before it serves, so no new patient key is ever wrapped under a wrong key.
 * A database that has patient keys but no recorded id (made before this check) is
 * compared with the id inside those wrapped keys instead.
 *
 * Runs on the administrator's connection (main.ts, prepareDatabase): no service role
 * may read or write the table.
 */
import type { Knex } from 'knex';
import { ConfigError } from '../config.js';
import type { FieldCrypto } from './field-crypto.js';

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
