/**
 * Index-backed patient search (issue 14, item 3). The front desk's search
 * (`lower(name) LIKE 'q%' OR lower(name) LIKE '% q%'`) sat beneath the row-level policy,
 * and the planner never evaluates a non-leakproof operator such as LIKE before a security
 * barrier qual, so every search was a sequential scan of patients.
 *
 * Now a trigram index (pg_trgm, GIN on lower(name)) answers the LIKE inside
 * patient_name_candidates, an owner-rights function that returns only candidate patient
 * ids; the caller then reads those ids through patient_summary / patients, where the
 * policies decide as before. It is granted to the front desk alone, whose policy already
 * shows every patient's scheduling identity, and it returns nothing unless app.user_id
 * names an active front-desk account, so it reveals nothing the policy would not. The
 * optional date of birth narrows the candidates (for a search by name and birth date).
 * With p_limit it returns one page in the search's order (name, id), so a short query that
 * matches thousands of names reads only that page through the policy; a policy that ever
 * hid some of them would make the page shorter, never show more.
 */
import type { Knex } from 'knex';
import { asOwner, runSql } from './support.js';

export async function up(knex: Knex): Promise<void> {
  // Extensions are created by the migrating superuser (as in the first migration).
  await runSql(knex, 'CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await asOwner(
    knex,
    `
CREATE INDEX patients_name_trgm_idx ON patients USING gin (lower(name) gin_trgm_ops);
COMMENT ON INDEX patients_name_trgm_idx IS 'Trigram index for the name search in patient_name_candidates (prefix of the name or of any word in it).';

CREATE FUNCTION patient_name_candidates(p_q text, p_dob date DEFAULT NULL, p_limit integer DEFAULT NULL, p_offset integer DEFAULT 0)
  RETURNS SETOF integer
  LANGUAGE sql STABLE SECURITY DEFINER ROWS 50 SET search_path = pg_catalog, public, pg_temp AS $$
  WITH needle AS (
    SELECT replace(replace(replace(lower(btrim(p_q)), '\\', '\\\\'), '%', '\\%'), '_', '\\_') AS n
  )
  SELECT p.patient_id
  FROM patients p, needle
  WHERE length(needle.n) > 0
    AND EXISTS (SELECT 1 FROM staff_identity(app_user_id_setting(), 'front_desk'))
    AND (lower(p.name) LIKE needle.n || '%' OR lower(p.name) LIKE '% ' || needle.n || '%')
    AND (p_dob IS NULL OR p.dob = p_dob)
  ORDER BY p.name, p.patient_id
  LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)
$$;
COMMENT ON FUNCTION patient_name_candidates(text, date, integer, integer) IS 'Ids of patients whose name, or a word in it, starts with p_q (case-insensitive; LIKE metacharacters match themselves), optionally with date of birth p_dob, found through patients_name_trgm_idx; with p_limit/p_offset one page of them in name order. Owner rights only so the index can be used beneath the row-level policy: the caller reads the ids through the policy. Granted to front_desk alone, and empty unless app.user_id names an active front-desk account.';
REVOKE EXECUTE ON FUNCTION patient_name_candidates(text, date, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION patient_name_candidates(text, date, integer, integer) TO front_desk;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION IF EXISTS patient_name_candidates(text, date, integer, integer);
DROP INDEX IF EXISTS patients_name_trgm_idx;
`,
  );
  await runSql(knex, 'DROP EXTENSION IF EXISTS pg_trgm');
}
