/**
 * Encryption at rest and the right to erasure.
 *
 * Visit notes (the clinic's free text) are stored only as AES-256-GCM ciphertext made in
 * Node (server/crypto/) with a per-patient data key; patient_keys holds that key wrapped
 * by the master key, which never reaches the database. Clinicians reach both tables only
 * through the security-definer functions below, so every read of a note is audited.
 *
 * erase_patient() pseudonymises a patient, destroys their data key (crypto-shredding: every
 * note becomes unreadable, everywhere the key row is gone), keeps appointments and visits so
 * every aggregate is unchanged, and records the act in the erasures ledger and the audit log.
 * A legal hold refuses it, and the refusal is recorded too (a status, not an exception, so
 * the record survives). See docs/security.md and docs/design-decisions.md.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- ===== Erasure state on the patient ===========================================

ALTER TABLE patients
  ADD COLUMN legal_hold_reason text
    CONSTRAINT patients_legal_hold_reason_length CHECK (length(btrim(legal_hold_reason)) BETWEEN 5 AND 500),
  ADD COLUMN erased_at timestamptz;
COMMENT ON COLUMN patients.legal_hold_reason IS 'Why this patient''s records must be preserved (litigation, investigation); while set, erasure is refused. Set and cleared by compliance through set_legal_hold().';
COMMENT ON COLUMN patients.erased_at IS 'When erase_patient() pseudonymised this patient; NULL if never. An erased patient''s identity is frozen.';

-- After erasure nobody may write an identity back (front desk can update names and contact).
CREATE FUNCTION patients_erased_frozen() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF (NEW.name, NEW.dob, NEW.email, NEW.phone, NEW.erased_at) IS DISTINCT FROM (OLD.name, OLD.dob, OLD.email, OLD.phone, OLD.erased_at) THEN
    RAISE EXCEPTION 'patient % was erased; their identity can no longer change', OLD.patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION patients_erased_frozen() IS 'Refuses any change to the identity of an erased patient.';
CREATE TRIGGER patients_erased_frozen BEFORE UPDATE ON patients
  FOR EACH ROW WHEN (OLD.erased_at IS NOT NULL) EXECUTE FUNCTION patients_erased_frozen();

-- ===== Keys and ciphertext ====================================================

CREATE TABLE patient_keys (
  patient_id integer PRIMARY KEY REFERENCES patients(patient_id),
  -- server/crypto: version byte, master-key id (8), IV (12), GCM tag (16), wrapped 32-byte key.
  wrapped_key bytea NOT NULL CONSTRAINT patient_keys_wrapped_key_shape
    CHECK (octet_length(wrapped_key) = 69 AND get_byte(wrapped_key, 0) = 1),
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE patient_keys IS 'One data key per patient, wrapped (AES-256-GCM) by the master key held only by the service (MASTER_KEY). Deleting the row is crypto-shredding: the patient''s encrypted fields become unreadable.';
COMMENT ON COLUMN patient_keys.patient_id IS 'The patient whose fields this key encrypts.';
COMMENT ON COLUMN patient_keys.wrapped_key IS 'The 32-byte data key encrypted under the master key, bound to patient_id (GCM associated data). Useless without MASTER_KEY.';
COMMENT ON COLUMN patient_keys.created_at IS 'When the key was made (first encrypted field of the patient).';

CREATE TABLE visit_notes (
  visit_id integer PRIMARY KEY,
  patient_id integer NOT NULL,
  -- server/crypto: version byte, IV (12), GCM tag (16), ciphertext.
  ciphertext bytea NOT NULL CONSTRAINT visit_notes_ciphertext_shape
    CHECK (octet_length(ciphertext) BETWEEN 29 AND 200000 AND get_byte(ciphertext, 0) = 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT visit_notes_visit_fkey FOREIGN KEY (visit_id, patient_id) REFERENCES visits (visit_id, patient_id)
);
CREATE INDEX visit_notes_patient_id_idx ON visit_notes (patient_id);
COMMENT ON TABLE visit_notes IS 'The clinician''s free-text note of a visit, encrypted in the service with the patient''s data key (AES-256-GCM, bound to visit and patient). The database never sees the text or a usable key. Read and written only through read_visit_note()/save_visit_note().';
COMMENT ON COLUMN visit_notes.visit_id IS 'The visit (one note per visit).';
COMMENT ON COLUMN visit_notes.patient_id IS 'The visit''s patient (the foreign key proves it): selects the data key.';
COMMENT ON COLUMN visit_notes.ciphertext IS 'Version byte, IV, GCM tag and ciphertext of the UTF-8 note.';
COMMENT ON COLUMN visit_notes.created_at IS 'When the note was first saved.';
COMMENT ON COLUMN visit_notes.updated_at IS 'When the note was last saved.';

ALTER TABLE patient_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE visit_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_notes FORCE ROW LEVEL SECURITY;
-- No staff policy: staff reach these rows only through the functions below (owner's rights).
CREATE POLICY "owner: security-definer functions and administration" ON patient_keys TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "owner: security-definer functions and administration" ON visit_notes TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "backups read everything" ON patient_keys FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "backups read everything" ON visit_notes FOR SELECT TO clinicpulse_backup USING (true);

${auditTriggersSql('patient_keys', 'patient_id', 'r.patient_id')}
${auditTriggersSql('visit_notes', 'visit_id', 'r.patient_id')}

-- ===== Access functions (clinicians) ==========================================

-- The wrapped key of a patient the clinician may treat; NULL when none exists yet.
CREATE FUNCTION patient_wrapped_key(p_patient_id integer) RETURNS bytea
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF NOT staff_can_access_clinical(p_patient_id) THEN
    RAISE EXCEPTION 'no clinical access to this patient'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'visit_notes_clinical_access';
  END IF;
  IF EXISTS (SELECT 1 FROM patients WHERE patient_id = p_patient_id AND erased_at IS NOT NULL) THEN
    RAISE EXCEPTION 'patient % was erased', p_patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;
  RETURN (SELECT wrapped_key FROM patient_keys WHERE patient_id = p_patient_id);
END $$;
COMMENT ON FUNCTION patient_wrapped_key(integer) IS 'The patient''s wrapped data key for a clinician with clinical access; NULL if none yet. Refuses an erased patient.';

-- Store a freshly wrapped key unless one exists; returns the key that is stored, so two
-- concurrent first saves end up using the same key.
CREATE FUNCTION store_patient_key(p_patient_id integer, p_wrapped_key bytea) RETURNS bytea
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE erased timestamptz;
BEGIN
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
  END IF;
  INSERT INTO patient_keys (patient_id, wrapped_key) VALUES (p_patient_id, p_wrapped_key)
  ON CONFLICT (patient_id) DO NOTHING;
  RETURN (SELECT wrapped_key FROM patient_keys WHERE patient_id = p_patient_id);
END $$;
COMMENT ON FUNCTION store_patient_key(integer, bytea) IS 'Stores the patient''s first wrapped data key (or keeps the existing one) and returns the stored key. Clinicians with clinical access; refuses an erased patient.';

-- Notes are written by the clinician whose appointment the visit is, like diagnoses.
CREATE FUNCTION save_visit_note(p_visit_id integer, p_patient_id integer, p_ciphertext bytea) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE me record;
BEGIN
  SELECT * INTO me FROM acting_staff();
  IF me.user_id IS NULL OR me.role <> 'clinician' OR NOT EXISTS (
       SELECT 1 FROM visits v JOIN appointments a ON a.appointment_id = v.appointment_id
       WHERE v.visit_id = p_visit_id AND v.patient_id = p_patient_id AND a.provider_id = me.provider_id) THEN
    RAISE EXCEPTION 'notes are written by the clinician of the visit'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'visit_notes_own_visit';
  END IF;
  IF EXISTS (SELECT 1 FROM patients WHERE patient_id = p_patient_id AND erased_at IS NOT NULL) THEN
    RAISE EXCEPTION 'patient % was erased', p_patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM patient_keys WHERE patient_id = p_patient_id) THEN
    RAISE EXCEPTION 'patient % has no data key yet', p_patient_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'visit_notes_patient_key';
  END IF;
  INSERT INTO visit_notes AS n (visit_id, patient_id, ciphertext) VALUES (p_visit_id, p_patient_id, p_ciphertext)
  ON CONFLICT (visit_id) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = now();
END $$;
COMMENT ON FUNCTION save_visit_note(integer, integer, bytea) IS 'Stores (or replaces) the encrypted note of a visit; only the visit''s own clinician, only once the patient has a data key, never for an erased patient. Audited as a write.';

-- The audited read path: one 'read' audit row per note returned. A note the caller may not
-- see reads as absent (no audit row), like the access engineer's clinical read functions.
CREATE FUNCTION read_visit_note(p_visit_id integer)
  RETURNS TABLE (patient_id integer, ciphertext bytea, wrapped_key bytea, erased boolean)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE n record;
BEGIN
  SELECT vn.patient_id, vn.ciphertext INTO n FROM visit_notes vn WHERE vn.visit_id = p_visit_id;
  IF NOT FOUND OR NOT staff_can_access_clinical(n.patient_id) THEN
    RETURN;
  END IF;
  PERFORM audit_event('read', 'visit_notes', p_visit_id::text, n.patient_id);
  RETURN QUERY
    SELECT n.patient_id, n.ciphertext, k.wrapped_key, p.erased_at IS NOT NULL
    FROM patients p LEFT JOIN patient_keys k ON k.patient_id = p.patient_id
    WHERE p.patient_id = n.patient_id;
END $$;
COMMENT ON FUNCTION read_visit_note(integer) IS 'A visit''s encrypted note with the patient''s wrapped key (NULL once erased) for a clinician with clinical access; one read audit row per call. Empty otherwise.';

-- ===== Erasure ================================================================

CREATE TABLE erasures (
  erasure_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES patients(patient_id),
  outcome text NOT NULL CONSTRAINT erasures_outcome_check CHECK (outcome IN ('erased','refused_legal_hold')),
  requested_by integer NOT NULL,
  requested_role text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL CONSTRAINT erasures_reason_length CHECK (length(btrim(reason)) BETWEEN 5 AND 1000),
  legal_hold_reason text,
  audit_id bigint NOT NULL,
  CONSTRAINT erasures_refusal_has_hold CHECK ((outcome = 'refused_legal_hold') = (legal_hold_reason IS NOT NULL))
);
CREATE INDEX erasures_patient_id_idx ON erasures (patient_id);
CREATE UNIQUE INDEX erasures_one_erasure_per_patient ON erasures (patient_id) WHERE outcome = 'erased';
COMMENT ON TABLE erasures IS 'The erasure ledger: every erasure request, carried out or refused, with who, when and why. It is the list to re-apply after restoring a backup taken before an erasure (see docs/design-decisions.md). Holds ids and compliance''s own words, never the erased values.';
COMMENT ON COLUMN erasures.erasure_id IS 'Identity.';
COMMENT ON COLUMN erasures.patient_id IS 'The data subject.';
COMMENT ON COLUMN erasures.outcome IS 'erased, or refused_legal_hold (nothing was changed).';
COMMENT ON COLUMN erasures.requested_by IS 'staff_users.user_id of the compliance officer (no foreign key: the ledger outlives accounts).';
COMMENT ON COLUMN erasures.requested_role IS 'Their role when acting (compliance).';
COMMENT ON COLUMN erasures.requested_at IS 'When the request was handled.';
COMMENT ON COLUMN erasures.reason IS 'Compliance''s free-text basis for the request (e.g. "GDPR Art. 17 request, ticket 4711"). Must not repeat the patient''s identity; kept out of audit_log.';
COMMENT ON COLUMN erasures.legal_hold_reason IS 'For a refusal: the legal hold in force at the time, copied so the refusal stays explained after the hold is lifted.';
COMMENT ON COLUMN erasures.audit_id IS 'The high-severity audit row (erase or erase_refused) of this request.';

ALTER TABLE erasures ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasures FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON erasures TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "compliance reads the ledger" ON erasures FOR SELECT TO compliance
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "backups read everything" ON erasures FOR SELECT TO clinicpulse_backup USING (true);
${auditTriggersSql('erasures', 'erasure_id', 'r.patient_id')}

CREATE FUNCTION erasure_require_compliance() RETURNS integer
  LANGUAGE plpgsql STABLE SET search_path = public, pg_catalog AS $$
DECLARE me record;
BEGIN
  SELECT * INTO me FROM acting_staff();
  IF me.user_id IS NULL OR me.role <> 'compliance' THEN
    RAISE EXCEPTION 'only a signed-in compliance officer may do this'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'erasure_compliance_only';
  END IF;
  RETURN me.user_id;
END $$;
COMMENT ON FUNCTION erasure_require_compliance() IS 'The acting compliance officer''s user id, or 42501: erasure and legal holds are a named person''s act. Called by security-definer functions.';

CREATE FUNCTION set_legal_hold(p_patient_id integer, p_reason text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  PERFORM erasure_require_compliance();
  UPDATE patients SET legal_hold_reason = nullif(btrim(p_reason), '') WHERE patient_id = p_patient_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such patient' USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'erasures_patient_id_fkey';
  END IF;
  PERFORM audit_append('legal_hold', 'patients', p_patient_id::text, p_patient_id, 'high');
END $$;
COMMENT ON FUNCTION set_legal_hold(integer, text) IS 'Places (reason) or lifts (NULL) a legal hold on a patient. Compliance only; audited with high severity.';

-- Returns a status instead of raising on a legal hold: an exception would roll back the very
-- audit row and ledger entry that record the refusal. The service turns the status into an
-- error for the client after the transaction has committed (server/db/repository/erasure.ts).
CREATE FUNCTION erase_patient(p_patient_id integer, p_reason text)
  RETURNS TABLE (outcome text, erasure_id integer)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  me integer := erasure_require_compliance();
  p record;
  aid bigint;
  eid integer;
BEGIN
  IF p_reason IS NULL OR length(btrim(p_reason)) NOT BETWEEN 5 AND 1000 THEN
    RAISE EXCEPTION 'an erasure needs a reason (5 to 1000 characters)'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'erasures_reason_length';
  END IF;
  -- The row lock serialises concurrent erasures, legal holds and first key creation.
  SELECT pt.patient_id, pt.erased_at, pt.legal_hold_reason INTO p FROM patients pt WHERE pt.patient_id = p_patient_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such patient' USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'erasures_patient_id_fkey';
  END IF;
  IF p.erased_at IS NOT NULL THEN
    RETURN QUERY SELECT 'already_erased'::text, e.erasure_id FROM erasures e
      WHERE e.patient_id = p_patient_id AND e.outcome = 'erased';
    RETURN;
  END IF;
  IF p.legal_hold_reason IS NOT NULL THEN
    aid := audit_append('erase_refused', 'patients', p_patient_id::text, p_patient_id, 'high');
    INSERT INTO erasures (patient_id, outcome, requested_by, requested_role, reason, legal_hold_reason, audit_id)
    VALUES (p_patient_id, 'refused_legal_hold', me, 'compliance', btrim(p_reason), p.legal_hold_reason, aid)
    RETURNING erasures.erasure_id INTO eid;
    RETURN QUERY SELECT 'refused_legal_hold'::text, eid;
    RETURN;
  END IF;
  -- 1900-01-01: the earliest date patients_dob_plausible allows, so dob stays NOT NULL for
  -- every reader while carrying nothing about the person (see docs/security.md).
  UPDATE patients SET name = 'Erased patient ' || p_patient_id, dob = date '1900-01-01', email = NULL, phone = NULL,
                      erased_at = now()
  WHERE patients.patient_id = p_patient_id;
  -- Crypto-shredding: without this row no copy of the ciphertext can be read again.
  DELETE FROM patient_keys WHERE patient_keys.patient_id = p_patient_id;
  aid := audit_append('erase', 'patients', p_patient_id::text, p_patient_id, 'high');
  INSERT INTO erasures (patient_id, outcome, requested_by, requested_role, reason, audit_id)
  VALUES (p_patient_id, 'erased', me, 'compliance', btrim(p_reason), aid)
  RETURNING erasures.erasure_id INTO eid;
  RETURN QUERY SELECT 'erased'::text, eid;
END $$;
COMMENT ON FUNCTION erase_patient(integer, text) IS 'Right to erasure: pseudonymises the patient (name, dob, email, phone), destroys their data key, keeps appointments and visits (aggregates unchanged), records the act in erasures and audit_log (erase, high). Under legal hold: changes nothing, records the refusal, returns refused_legal_hold. Idempotent: already_erased. Compliance only.';

REVOKE ALL ON patient_keys, visit_notes, erasures FROM PUBLIC;
GRANT SELECT ON erasures TO compliance;
GRANT SELECT ON patient_keys, visit_notes, erasures TO clinicpulse_backup;

REVOKE EXECUTE ON FUNCTION patients_erased_frozen(), patient_wrapped_key(integer), store_patient_key(integer, bytea),
  save_visit_note(integer, integer, bytea), read_visit_note(integer), erasure_require_compliance(),
  set_legal_hold(integer, text), erase_patient(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION patient_wrapped_key(integer), store_patient_key(integer, bytea),
  save_visit_note(integer, integer, bytea), read_visit_note(integer) TO clinician;
GRANT EXECUTE ON FUNCTION set_legal_hold(integer, text), erase_patient(integer, text) TO compliance;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION IF EXISTS erase_patient(integer, text), set_legal_hold(integer, text), erasure_require_compliance(),
  read_visit_note(integer), save_visit_note(integer, integer, bytea), store_patient_key(integer, bytea),
  patient_wrapped_key(integer);
${dropAuditTriggersSql('erasures')}
${dropAuditTriggersSql('visit_notes')}
${dropAuditTriggersSql('patient_keys')}
DROP TABLE IF EXISTS erasures, visit_notes, patient_keys;
DROP TRIGGER IF EXISTS patients_erased_frozen ON patients;
DROP FUNCTION IF EXISTS patients_erased_frozen();
ALTER TABLE patients DROP COLUMN IF EXISTS erased_at, DROP COLUMN IF EXISTS legal_hold_reason;
`,
  );
}

// ---- Copied from 20261125000006_audit (each migration keeps its own copy, so editing one
// migration never changes what another one ran).

/** SQL creating the three statement-level audit triggers of one table. */
function auditTriggersSql(table: string, key: string, patient: string): string {
  const args = `${quoteLiteral(key)}, ${quoteLiteral(patient)}`;
  return `
CREATE TRIGGER ${table}_audit_insert AFTER INSERT ON ${table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
CREATE TRIGGER ${table}_audit_update AFTER UPDATE ON ${table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
CREATE TRIGGER ${table}_audit_delete AFTER DELETE ON ${table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
`;
}

function dropAuditTriggersSql(table: string): string {
  return ['insert', 'update', 'delete'].map((op) => `DROP TRIGGER IF EXISTS ${table}_audit_${op} ON ${table};`).join('\n');
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
