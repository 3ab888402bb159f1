/**
 * Every API read that returns a person's identifiable data is an audited access (issue 9,
 * item 4): one 'read' row per request, naming the staff member and every patient returned,
 * the way a hospital access log records each chart open.
 *
 * audit_read() is callable by the roles that read patients through the API. It records
 * only for the caller's own identity (derived in the database, as every audit row is), so
 * the most a caller can do with it is add reads to their own record. The row is written
 * through the autonomous writer (migration 20261206000100): it stays even if the request's
 * transaction rolls back, and it works in read-only transactions.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE FUNCTION audit_read(p_table text, p_patient_ids integer[]) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE ids integer[];
BEGIN
  IF p_table IS NULL OR p_table NOT IN ('patients', 'appointments') THEN
    RAISE EXCEPTION 'audit_read records reads of patients or appointments'
      USING ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'audit_read_table';
  END IF;
  ids := ARRAY(SELECT DISTINCT i FROM unnest(p_patient_ids) i WHERE i IS NOT NULL ORDER BY i);
  IF cardinality(ids) = 0 THEN
    -- Nothing identifiable was returned: nothing to record.
    RETURN NULL;
  END IF;
  RETURN audit_append_durable('read', p_table, NULL, CASE WHEN cardinality(ids) = 1 THEN ids[1] END, 'info', ids);
END $$;
COMMENT ON FUNCTION audit_read(text, integer[]) IS 'Records one durable read row for the acting staff member (derived, never chosen): the table read (patients or appointments) and every patient id the request returned (patient_id too when there is exactly one). No row when no patient was returned. Returns the audit_id.';
REVOKE EXECUTE ON FUNCTION audit_read(text, integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_read(text, integer[]) TO front_desk, clinician, billing;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'DROP FUNCTION IF EXISTS audit_read(text, integer[]);');
}
