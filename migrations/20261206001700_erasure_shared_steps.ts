/**
 * One definition of what erasing a patient does. erase_patient() (compliance, now) and
 * reapply_erasure() (npm run restore, replaying the ledger) each carried the same steps:
 * pseudonymise the patient, destroy their data key, delete their waitlist entries, append the
 * 'erase' audit row. Both now call erasure_apply(), an owner-only function (no role but the
 * owner may execute it; the callers are security definer functions of that owner). Each keeps
 * its own checks (reason, legal hold, idempotence) and its own ledger row; behaviour, grants
 * and signatures are unchanged.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const ERASURE_APPLY = `
CREATE FUNCTION erasure_apply(p_patient_id integer, p_erased_at timestamp with time zone)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
  aid bigint;
BEGIN
  -- 1900-01-01: the earliest date patients_dob_plausible allows, so dob stays NOT NULL for
  -- every reader while carrying nothing about the person (see docs/security.md).
  UPDATE patients SET name = 'Erased patient ' || p_patient_id, dob = date '1900-01-01', email = NULL, phone = NULL,
                      erased_at = p_erased_at
  WHERE patients.patient_id = p_patient_id;
  -- Crypto-shredding: without this row no copy of the ciphertext can be read again.
  DELETE FROM patient_keys WHERE patient_keys.patient_id = p_patient_id;
  -- The waitlist is a wish for a future slot, not a record the law keeps: it goes (each delete
  -- audited by the table's trigger), so no desk is ever offered a slot for the placeholder.
  DELETE FROM waitlist_entries WHERE waitlist_entries.patient_id = p_patient_id;
  aid := audit_append('erase', 'patients', p_patient_id::text, p_patient_id, 'high');
  RETURN aid;
END $function$;
COMMENT ON FUNCTION erasure_apply(integer, timestamptz) IS 'The steps of an erasure, shared by erase_patient and reapply_erasure: pseudonymises the patient (erased_at as given), destroys their data key, deletes their waitlist entries, appends the erase audit row (high) and returns its id. The caller has locked the patient row and checked that it may erase; it writes the erasures ledger row. Owner only.';
REVOKE ALL ON FUNCTION erasure_apply(integer, timestamptz) FROM PUBLIC;

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
  aid := erasure_apply(p_patient_id, now());
  INSERT INTO erasures (patient_id, outcome, requested_by, requested_role, reason, audit_id)
  VALUES (p_patient_id, 'erased', me, 'compliance', btrim(p_reason), aid)
  RETURNING erasures.erasure_id INTO eid;
  RETURN QUERY SELECT 'erased'::text, eid;
END $function$;

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
  aid := public.erasure_apply(p_patient_id, p_requested_at);
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
`;

// The definitions of migration 20261206001200, restored on rollback (copied: migrations never import each other).
const BEFORE = `
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
DROP FUNCTION erasure_apply(integer, timestamptz);
`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(knex, ERASURE_APPLY);
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, BEFORE);
}
