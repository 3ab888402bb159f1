/**
 * Master-key rotation (`npm run keys:rotate`, server/ops/rotate-keys.ts) records the
 * id of the key it retired once no data key is wrapped under it any more; the service
 * refuses to start with a retired key (server/main.ts), so an old MASTER_KEY left in
 * some process's environment is caught at once instead of wrapping new keys.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE master_key_retirements (
  key_id bytea PRIMARY KEY CONSTRAINT master_key_retirements_key_id_length CHECK (octet_length(key_id) = 8),
  retired_at timestamptz NOT NULL DEFAULT now(),
  rewrapped integer NOT NULL CONSTRAINT master_key_retirements_rewrapped_nonnegative CHECK (rewrapped >= 0),
  successor_key_id bytea NOT NULL CONSTRAINT master_key_retirements_successor_length CHECK (octet_length(successor_key_id) = 8)
);
COMMENT ON TABLE master_key_retirements IS 'Master keys retired by npm run keys:rotate: once every data key was re-wrapped under the successor, the old key id is recorded here and the service refuses to start with it. Ids only (an HMAC of the key), never key material.';
COMMENT ON COLUMN master_key_retirements.key_id IS 'The retired key''s 8-byte id (as in byte 1-8 of patient_keys.wrapped_key).';
COMMENT ON COLUMN master_key_retirements.retired_at IS 'When the rotation finished.';
COMMENT ON COLUMN master_key_retirements.rewrapped IS 'How many data keys that rotation re-wrapped in total.';
COMMENT ON COLUMN master_key_retirements.successor_key_id IS 'The id of the key everything is wrapped under now.';
REVOKE ALL ON master_key_retirements FROM PUBLIC;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'DROP TABLE IF EXISTS master_key_retirements;');
}
