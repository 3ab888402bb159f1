/**
 * Erasure takes the patient off the waitlist. A waitlist entry (migration 20261206000602) is a
 * wish for a future slot with a free-text desk note, not part of the clinical or financial
 * record that erasure keeps: erase_patient() and reapply_erasure() now delete the patient's
 * entries in the same transaction (the table's audit trigger records each delete, ids only),
 * so the note leaves the database and no desk is offered a slot for "Erased patient <id>".
 * Rationale: docs/security.md ("Right to erasure").
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const ERASE_PATIENT = `
CREATE OR REPLACE FUNCTION erase_patient(p_patient_id integer, p_reason text)
 RETURNS TABLE(outcome text, erasure_id integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path = pg_catalog, public, pg_temp
AS $function$
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
  -- The waitlist is a wish for a future slot, not a record the law keeps: it goes (each delete
  -- audited by the table's trigger), so no desk is ever offered a slot for the placeholder.
  DELETE FROM waitlist_entries WHERE waitlist_entries.patient_id = p_patient_id;
  aid := audit_append('erase', 'patients', p_patient_id::text, p_patient_id, 'high');
  INSERT INTO erasures (patient_id, outcome, requested_by, requested_role, reason, audit_id)
  VALUES (p_patient_id, 'erased', me, 'compliance', btrim(p_reason), aid)
  RETURNING erasures.erasure_id INTO eid;
  RETURN QUERY SELECT 'erased'::text, eid;
END $function$;
COMMENT ON FUNCTION erase_patient(integer, text) IS 'Right to erasure: pseudonymises the patient (name, dob, email, phone), destroys their data key, deletes their waitlist entries, keeps appointments and visits (aggregates unchanged), records the act in erasures and audit_log (erase, high). Under legal hold: changes nothing, records the refusal, returns refused_legal_hold. Idempotent: already_erased. Compliance only.';
`;

const REAPPLY_ERASURE = `
CREATE OR REPLACE FUNCTION reapply_erasure(p_erasure_id integer, p_patient_id integer, p_requested_by integer, p_requested_at timestamp with time zone, p_reason text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
  erased timestamptz;
  aid bigint;
BEGIN
  SELECT pt.erased_at INTO erased FROM public.patients pt WHERE pt.patient_id = p_patient_id FOR UPDATE;
  -- A patient the backup does not hold, or one already erased in it: nothing to do.
  IF NOT FOUND OR erased IS NOT NULL THEN
    RETURN false;
  END IF;
  UPDATE public.patients SET name = 'Erased patient ' || p_patient_id, dob = date '1900-01-01', email = NULL, phone = NULL,
                             erased_at = p_requested_at
  WHERE patient_id = p_patient_id;
  DELETE FROM public.patient_keys WHERE patient_id = p_patient_id;
  DELETE FROM public.waitlist_entries WHERE patient_id = p_patient_id;
  aid := public.audit_append('erase', 'patients', p_patient_id::text, p_patient_id, 'high');
  IF EXISTS (SELECT 1 FROM public.erasures e WHERE e.erasure_id = p_erasure_id) THEN
    INSERT INTO public.erasures (patient_id, outcome, requested_by, requested_role, requested_at, reason, audit_id)
    VALUES (p_patient_id, 'erased', p_requested_by, 'compliance', p_requested_at, p_reason, aid);
  ELSE
    INSERT INTO public.erasures (erasure_id, patient_id, outcome, requested_by, requested_role, requested_at, reason, audit_id)
    OVERRIDING SYSTEM VALUE
    VALUES (p_erasure_id, p_patient_id, 'erased', p_requested_by, 'compliance', p_requested_at, p_reason, aid);
  END IF;
  RETURN true;
END $function$;
COMMENT ON FUNCTION reapply_erasure(integer, integer, integer, timestamptz, text) IS 'After a restore: carries out again an erasure recorded in the ledger after the backup was taken (same pseudonymisation, key destruction and waitlist removal as erase_patient, original ledger id, officer, time and reason; audited as erase, high). Returns false when the patient is absent or already erased. Owner only: run by npm run restore.';
`;

const ERASE_PATIENT_BEFORE = `
CREATE OR REPLACE FUNCTION erase_patient(p_patient_id integer, p_reason text)
 RETURNS TABLE(outcome text, erasure_id integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path = pg_catalog, public, pg_temp
AS $function$
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
END $function$;
COMMENT ON FUNCTION erase_patient(integer, text) IS 'Right to erasure: pseudonymises the patient (name, dob, email, phone), destroys their data key, keeps appointments and visits (aggregates unchanged), records the act in erasures and audit_log (erase, high). Under legal hold: changes nothing, records the refusal, returns refused_legal_hold. Idempotent: already_erased. Compliance only.';
`;

const REAPPLY_ERASURE_BEFORE = `
CREATE OR REPLACE FUNCTION reapply_erasure(p_erasure_id integer, p_patient_id integer, p_requested_by integer, p_requested_at timestamp with time zone, p_reason text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
  erased timestamptz;
  aid bigint;
BEGIN
  SELECT pt.erased_at INTO erased FROM public.patients pt WHERE pt.patient_id = p_patient_id FOR UPDATE;
  -- A patient the backup does not hold, or one already erased in it: nothing to do.
  IF NOT FOUND OR erased IS NOT NULL THEN
    RETURN false;
  END IF;
  UPDATE public.patients SET name = 'Erased patient ' || p_patient_id, dob = date '1900-01-01', email = NULL, phone = NULL,
                             erased_at = p_requested_at
  WHERE patient_id = p_patient_id;
  DELETE FROM public.patient_keys WHERE patient_id = p_patient_id;
  aid := public.audit_append('erase', 'patients', p_patient_id::text, p_patient_id, 'high');
  IF EXISTS (SELECT 1 FROM public.erasures e WHERE e.erasure_id = p_erasure_id) THEN
    INSERT INTO public.erasures (patient_id, outcome, requested_by, requested_role, requested_at, reason, audit_id)
    VALUES (p_patient_id, 'erased', p_requested_by, 'compliance', p_requested_at, p_reason, aid);
  ELSE
    INSERT INTO public.erasures (erasure_id, patient_id, outcome, requested_by, requested_role, requested_at, reason, audit_id)
    OVERRIDING SYSTEM VALUE
    VALUES (p_erasure_id, p_patient_id, 'erased', p_requested_by, 'compliance', p_requested_at, p_reason, aid);
  END IF;
  RETURN true;
END $function$;
COMMENT ON FUNCTION reapply_erasure(integer, integer, integer, timestamptz, text) IS 'After a restore: carries out again an erasure recorded in the ledger after the backup was taken (same pseudonymisation and key destruction as erase_patient, original ledger id, officer, time and reason; audited as erase, high). Returns false when the patient is absent or already erased. Owner only: run by npm run restore.';
`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(knex, ERASE_PATIENT + REAPPLY_ERASURE);
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, ERASE_PATIENT_BEFORE + REAPPLY_ERASURE_BEFORE);
}
