/**
 * One- and two-letter patient searches, index-backed and bounded.
 *
 * patient_name_candidates (20261206001600) reads one key range of patient_name_suffixes:
 * for three letters a few hundred entries, but a one-letter needle ("a") is a range holding a
 * tenth of every name's words at 200,000 patients, all of it read, made distinct and sorted
 * by name before the page of 25 could be cut (630 ms under load).
 *
 * Two stored columns hold each suffix's first one and first two characters, and two indexes
 * key the table by them, then by name and patient: for a short needle the candidates come out
 * of one equality range already in the page's order (name, patient_id), so the scan stops
 * after limit + offset distinct patients. Columns, not expression indexes on left(suffix, n):
 * the table's row-level security makes the planner keep a non-leakproof condition such as
 * left() out of its equivalence classes, so the index's order would not be seen as name order
 * and every match would be read and sorted; a plain text equality is leakproof. With a date
 * of birth the patients with that date (patients_dob_idx) are the candidates instead, each
 * checked against the suffixes. Three letters and more keep
 * the key range of 20261206001600. Each call is planned for its own needle and page
 * (plan_cache_mode = force_custom_plan): a cached generic plan, not knowing the LIMIT, would
 * sort the whole one-letter range instead of reading the index in order. The function keeps its signature, grant (front desk alone),
 * identity check and owner rights, and still returns ids only: the caller reads them through
 * the row-level policy, and the page's durable audit row is written as before.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const CANDIDATES_COMMENT =
  "Ids of patients whose name, or a word in it, starts with p_q (case-insensitive; every character matches itself), optionally with date of birth p_dob; with p_limit/p_offset one page of them in name order. One or two characters: read in name order from patient_name_suffixes_first1_idx / _first2_idx and stopped at the page's end (or, with p_dob, the patients born that day); three or more: one key range of the suffixes' primary key (index-only). Owner rights only so the index can be used beneath the row-level policy: the caller reads the ids through the policy. Granted to front_desk alone, and empty unless app.user_id names an active front-desk account.";

const THREE_PLUS = `
    SELECT m.patient_id
    FROM (
      SELECT DISTINCT s.patient_id, s.name
      FROM patient_name_suffixes s
      WHERE s.suffix >= n AND s.suffix < upto AND starts_with(s.suffix, n)
        AND (p_dob IS NULL OR EXISTS (SELECT 1 FROM patients p WHERE p.patient_id = s.patient_id AND p.dob = p_dob))
    ) m
    ORDER BY m.name, m.patient_id
    LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
ALTER TABLE patient_name_suffixes
  ADD COLUMN first1 text COLLATE "C" GENERATED ALWAYS AS (left(suffix, 1)) STORED,
  ADD COLUMN first2 text COLLATE "C" GENERATED ALWAYS AS (left(suffix, 2)) STORED;
COMMENT ON COLUMN patient_name_suffixes.first1 IS 'The suffix''s first character (generated): one-letter searches read it by equality, in name order.';
COMMENT ON COLUMN patient_name_suffixes.first2 IS 'The suffix''s first two characters (generated): two-letter searches read it by equality, in name order.';
CREATE INDEX patient_name_suffixes_first1_idx ON patient_name_suffixes (first1, name, patient_id);
CREATE INDEX patient_name_suffixes_first2_idx ON patient_name_suffixes (first2, name, patient_id);
COMMENT ON INDEX patient_name_suffixes_first1_idx IS 'One-letter searches: the suffixes starting with a character, in name order, so a page stops early.';
COMMENT ON INDEX patient_name_suffixes_first2_idx IS 'Two-letter searches: the suffixes starting with two characters, in name order, so a page stops early.';

CREATE OR REPLACE FUNCTION patient_name_candidates(p_q text, p_dob date DEFAULT NULL, p_limit integer DEFAULT NULL, p_offset integer DEFAULT 0)
  RETURNS SETOF integer
  LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 50 SET search_path = pg_catalog, public, pg_temp SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  n text COLLATE "C" := lower(btrim(p_q));
  c integer;
  upto text COLLATE "C";
BEGIN
  IF n IS NULL OR length(n) = 0 OR NOT EXISTS (SELECT 1 FROM staff_identity(app_user_id_setting(), 'front_desk')) THEN
    RETURN;
  END IF;
  IF length(n) <= 2 AND p_dob IS NOT NULL THEN
    -- The patients born that day (few), each checked against the needle's suffix range.
    RETURN QUERY
      SELECT p.patient_id FROM patients p
      WHERE p.dob = p_dob
        AND EXISTS (SELECT 1 FROM patient_name_suffixes s WHERE s.patient_id = p.patient_id AND starts_with(s.suffix, n))
      ORDER BY p.name, p.patient_id
      LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0);
  ELSIF length(n) = 1 THEN
    RETURN QUERY
      SELECT m.patient_id FROM (
        SELECT DISTINCT s.name, s.patient_id FROM patient_name_suffixes s WHERE s.first1 = n
        ORDER BY s.name, s.patient_id
        LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)
      ) m;
  ELSIF length(n) = 2 THEN
    RETURN QUERY
      SELECT m.patient_id FROM (
        SELECT DISTINCT s.name, s.patient_id FROM patient_name_suffixes s WHERE s.first2 = n
        ORDER BY s.name, s.patient_id
        LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)
      ) m;
  ELSE
    -- [n, upto): every string that starts with n, in byte order (the code point after the
    -- last one; past the surrogates; none after U+10FFFF, so such a needle finds nothing).
    c := ascii(right(n, 1));
    upto := CASE WHEN c < 55295 OR (c >= 57344 AND c < 1114111) THEN left(n, -1) || chr(c + 1)
                 WHEN c = 55295 THEN left(n, -1) || chr(57344) END;
    IF upto IS NULL THEN
      RETURN;
    END IF;
    RETURN QUERY ${THREE_PLUS};
  END IF;
END $$;
COMMENT ON FUNCTION patient_name_candidates(text, date, integer, integer) IS '${CANDIDATES_COMMENT.replace(/'/g, "''")}';
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION patient_name_candidates(p_q text, p_dob date DEFAULT NULL, p_limit integer DEFAULT NULL, p_offset integer DEFAULT 0)
  RETURNS SETOF integer
  LANGUAGE sql STABLE SECURITY DEFINER ROWS 50 SET search_path = pg_catalog, public, pg_temp AS $$
  WITH needle AS (
    SELECT lower(btrim(p_q)) COLLATE "C" AS n
  ), bounds AS (
    SELECT n, CASE WHEN c < 55295 OR (c >= 57344 AND c < 1114111) THEN left(n, -1) || chr(c + 1)
                   WHEN c = 55295 THEN left(n, -1) || chr(57344) END COLLATE "C" AS upto
    FROM needle, LATERAL (SELECT ascii(right(n, 1)) AS c) l
    WHERE length(n) > 0
  )
  SELECT m.patient_id
  FROM (
    SELECT DISTINCT s.patient_id, s.name
    FROM bounds b JOIN patient_name_suffixes s ON s.suffix >= b.n AND s.suffix < b.upto
    WHERE starts_with(s.suffix, b.n)
      AND EXISTS (SELECT 1 FROM staff_identity(app_user_id_setting(), 'front_desk'))
      AND (p_dob IS NULL OR EXISTS (SELECT 1 FROM patients p WHERE p.patient_id = s.patient_id AND p.dob = p_dob))
  ) m
  ORDER BY m.name, m.patient_id
  LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)
$$;
DROP INDEX IF EXISTS patient_name_suffixes_first2_idx;
DROP INDEX IF EXISTS patient_name_suffixes_first1_idx;
ALTER TABLE patient_name_suffixes DROP COLUMN IF EXISTS first2, DROP COLUMN IF EXISTS first1;
`,
  );
}
