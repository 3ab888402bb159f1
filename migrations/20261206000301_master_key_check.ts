/**
 * The id of the master key the data is encrypted under (issue 9, item 15). A wrong
 * MASTER_KEY used to be noticed only when an old note was opened, and meanwhile new
 * patients' data keys were wrapped under it. The service now compares its key's id with
 * this row before it serves (server/crypto/master-key-check.ts), recording it on first
 * use. It is the same 8-byte id that prefixes every wrapped key: an HMAC of the key,
 * which reveals nothing about the key itself. Only the administrator's connection
 * reads or writes it, at start-up.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE master_key_check (
  singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT master_key_check_singleton CHECK (singleton),
  key_id bytea NOT NULL CONSTRAINT master_key_check_key_id_length CHECK (octet_length(key_id) = 8),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE master_key_check IS 'The id of the master key (MASTER_KEY) that wraps the patient data keys: one row, compared by the service at start-up, which refuses to start under another key. Never the key itself.';
COMMENT ON COLUMN master_key_check.singleton IS 'Always true: the table has at most one row.';
COMMENT ON COLUMN master_key_check.key_id IS 'HMAC-SHA256 of the master key, first 8 bytes: the same id that prefixes every wrapped key in patient_keys.';
COMMENT ON COLUMN master_key_check.recorded_at IS 'When the service first started with this key.';
ALTER TABLE master_key_check ENABLE ROW LEVEL SECURITY;
ALTER TABLE master_key_check FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: administration" ON master_key_check TO clinicpulse_owner USING (true) WITH CHECK (true);
REVOKE ALL ON master_key_check FROM PUBLIC;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'DROP TABLE IF EXISTS master_key_check;');
}
