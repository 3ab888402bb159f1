/**
 * Re-applying the erasure ledger after a restore (`npm run restore`,
 * server/ops/restore.ts): a backup taken before an erasure brings the erased
 * identity back; every later erasure recorded in the ledger (exported beside
 * each backup, and in the live database) is carried out again, with its original
 * ledger id, officer, time and reason, before the restored database is used.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE FUNCTION reapply_erasure(p_erasure_id integer, p_patient_id integer, p_requested_by integer,
                                p_requested_at timestamptz, p_reason text)
  RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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
END $$;
COMMENT ON FUNCTION reapply_erasure(integer, integer, integer, timestamptz, text) IS 'After a restore: carries out again an erasure recorded in the ledger after the backup was taken (same pseudonymisation and key destruction as erase_patient, original ledger id, officer, time and reason; audited as erase, high). Returns false when the patient is absent or already erased. Owner only: run by npm run restore.';
REVOKE ALL ON FUNCTION reapply_erasure(integer, integer, integer, timestamptz, text) FROM PUBLIC;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'DROP FUNCTION IF EXISTS reapply_erasure(integer, integer, integer, timestamptz, text);');
}
