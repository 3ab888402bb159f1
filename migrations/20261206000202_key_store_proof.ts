/**
 * Only the holder of the master key can store or replace a patient's data key.
 *
 * store_patient_key() used to accept any 69 bytes starting with 0x01 from any clinician
 * with clinical access, and never replaced a stored key: a clinician could plant a
 * garbage "wrapped key" for a patient and block every later note for them, with a
 * misleading master-key error (issue 9, item 10). The database cannot unwrap a key (the
 * master key never reaches it), so it checks the next best thing: that the caller holds
 * the master key. The service sends a proof, HMAC-SHA-256(master key, a fixed label),
 * with every key it stores; master_key_registration holds only the SHA-256 of that proof
 * and the master key's 8-byte id, pinned by the first key store (or by `npm start`, which
 * registers the configured key before serving). A stored key must carry the registered key
 * id. An injected statement, or a clinician, knows neither the master key nor the proof.
 *
 * replace_patient_key() lets the service swap a stored key it cannot unwrap (one planted
 * before this migration) for a fresh one, compare-and-swap, with the same proof: a key the
 * registered master key cannot unwrap can never open anything, so nothing is lost.
 * See docs/security.md ("Encryption at rest").
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const CHECK_SHAPE = `
  IF p_wrapped_key IS NULL OR octet_length(p_wrapped_key) <> 69 OR get_byte(p_wrapped_key, 0) <> 1 THEN
    RAISE EXCEPTION 'a wrapped data key is 69 bytes: version 1, master key id, iv, tag, key'
      USING ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'patient_keys_wrapped_key_shape';
  END IF;
  PERFORM master_key_check(substring(p_wrapped_key FROM 2 FOR 8), p_proof);`;

const ACCESS_AND_ERASURE = `
  IF NOT staff_can_access_clinical(p_patient_id) THEN
    RAISE EXCEPTION 'no clinical access to this patient'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'visit_notes_clinical_access';
  END IF;
  -- The share lock waits for a concurrent erasure (which holds the row FOR UPDATE) and then
  -- sees it: no key can appear after the shredding.
  SELECT erased_at INTO erased FROM patients WHERE patient_id = p_patient_id FOR SHARE;
  IF erased IS NOT NULL THEN
    RAISE EXCEPTION 'patient % was erased', p_patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE master_key_registration (
  singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT master_key_registration_singleton CHECK (singleton),
  key_id bytea NOT NULL CONSTRAINT master_key_registration_key_id_length CHECK (octet_length(key_id) = 8),
  proof_sha256 bytea NOT NULL CONSTRAINT master_key_registration_proof_length CHECK (octet_length(proof_sha256) = 32),
  registered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE master_key_registration IS 'The one master key this database''s data keys are wrapped with: its id and the SHA-256 of the service''s proof of holding it. Pinned by the first registration; nobody but the owner''s functions reads it. Holds nothing that unwraps a key.';
COMMENT ON COLUMN master_key_registration.singleton IS 'Always true: one row at most.';
COMMENT ON COLUMN master_key_registration.key_id IS 'The master key''s 8-byte id (HMAC of the key), the same id every wrapped key carries after its version byte.';
COMMENT ON COLUMN master_key_registration.proof_sha256 IS 'SHA-256 of HMAC-SHA-256(master key, ''clinicpulse key-store proof v1''): the service sends the HMAC with every key it stores.';
COMMENT ON COLUMN master_key_registration.registered_at IS 'When the key was pinned.';
ALTER TABLE master_key_registration ENABLE ROW LEVEL SECURITY;
ALTER TABLE master_key_registration FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON master_key_registration TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "backups read everything" ON master_key_registration FOR SELECT TO clinicpulse_backup USING (true);
REVOKE ALL ON master_key_registration FROM PUBLIC;

CREATE FUNCTION master_key_check(p_key_id bytea, p_proof bytea) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE reg record;
BEGIN
  IF p_key_id IS NULL OR octet_length(p_key_id) <> 8 OR p_proof IS NULL OR octet_length(p_proof) <> 32 THEN
    RAISE EXCEPTION 'storing a data key needs the master key''s id and proof'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'master_key_proof';
  END IF;
  SELECT * INTO reg FROM master_key_registration;
  IF NOT FOUND THEN
    -- First registration. Data keys stored before it must include one wrapped by this key,
    -- so a wrong MASTER_KEY cannot pin itself over existing data.
    IF EXISTS (SELECT 1 FROM patient_keys)
       AND NOT EXISTS (SELECT 1 FROM patient_keys WHERE substring(wrapped_key FROM 2 FOR 8) = p_key_id) THEN
      RAISE EXCEPTION 'this master key wrapped none of the stored data keys'
        USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'master_key_proof';
    END IF;
    INSERT INTO master_key_registration (key_id, proof_sha256) VALUES (p_key_id, digest(p_proof, 'sha256'))
    ON CONFLICT (singleton) DO NOTHING;
    IF FOUND THEN
      PERFORM audit_append('insert', 'master_key_registration', NULL, NULL, 'high');
    END IF;
    SELECT * INTO reg FROM master_key_registration;
  END IF;
  IF reg.key_id <> p_key_id OR reg.proof_sha256 <> digest(p_proof, 'sha256') THEN
    RAISE EXCEPTION 'not the master key registered for this database'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'master_key_proof';
  END IF;
END $$;
COMMENT ON FUNCTION master_key_check(bytea, bytea) IS 'Passes only for the registered master key''s id and proof (registering them on first use, if no stored data key contradicts them); 42501 master_key_proof otherwise. Called by the key functions, and by the administrator at start-up.';

DROP FUNCTION store_patient_key(integer, bytea);
CREATE FUNCTION store_patient_key(p_patient_id integer, p_wrapped_key bytea, p_proof bytea) RETURNS bytea
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE erased timestamptz;
BEGIN
  ${ACCESS_AND_ERASURE}
  ${CHECK_SHAPE}
  INSERT INTO patient_keys (patient_id, wrapped_key) VALUES (p_patient_id, p_wrapped_key)
  ON CONFLICT (patient_id) DO NOTHING;
  RETURN (SELECT wrapped_key FROM patient_keys WHERE patient_id = p_patient_id);
END $$;
COMMENT ON FUNCTION store_patient_key(integer, bytea, bytea) IS 'Stores the patient''s first wrapped data key (or keeps the existing one) and returns the stored key. Only with the registered master key''s proof, and only a 69-byte key carrying the registered key id; clinicians with clinical access; refuses an erased patient.';

CREATE FUNCTION replace_patient_key(p_patient_id integer, p_unusable bytea, p_wrapped_key bytea, p_proof bytea) RETURNS bytea
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE erased timestamptz;
BEGIN
  ${ACCESS_AND_ERASURE}
  ${CHECK_SHAPE}
  UPDATE patient_keys SET wrapped_key = p_wrapped_key, created_at = now()
  WHERE patient_id = p_patient_id AND wrapped_key = p_unusable;
  IF FOUND THEN
    PERFORM audit_append('update', 'patient_keys', p_patient_id::text, p_patient_id, 'high', ARRAY['wrapped_key']);
  END IF;
  RETURN (SELECT wrapped_key FROM patient_keys WHERE patient_id = p_patient_id);
END $$;
COMMENT ON FUNCTION replace_patient_key(integer, bytea, bytea, bytea) IS 'Replaces a stored data key that the service could not unwrap (p_unusable, compare-and-swap) with a fresh one; returns the stored key. Needs the registered master key''s proof, so only the service can; a high-severity audit row records it.';

REVOKE EXECUTE ON FUNCTION master_key_check(bytea, bytea), store_patient_key(integer, bytea, bytea),
  replace_patient_key(integer, bytea, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION store_patient_key(integer, bytea, bytea), replace_patient_key(integer, bytea, bytea, bytea) TO clinician;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION IF EXISTS replace_patient_key(integer, bytea, bytea, bytea), store_patient_key(integer, bytea, bytea);
CREATE FUNCTION store_patient_key(p_patient_id integer, p_wrapped_key bytea) RETURNS bytea
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE erased timestamptz;
BEGIN
  ${ACCESS_AND_ERASURE}
  INSERT INTO patient_keys (patient_id, wrapped_key) VALUES (p_patient_id, p_wrapped_key)
  ON CONFLICT (patient_id) DO NOTHING;
  RETURN (SELECT wrapped_key FROM patient_keys WHERE patient_id = p_patient_id);
END $$;
COMMENT ON FUNCTION store_patient_key(integer, bytea) IS 'Stores the patient''s first wrapped data key (or keeps the existing one) and returns the stored key. Clinicians with clinical access; refuses an erased patient.';
REVOKE EXECUTE ON FUNCTION store_patient_key(integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION store_patient_key(integer, bytea) TO clinician;
DROP FUNCTION IF EXISTS master_key_check(bytea, bytea);
DROP TABLE IF EXISTS master_key_registration;
`,
  );
}
