/**
 * Three-letter patient searches read in name order and stopped at the page, like one and two.
 *
 * A front desk types a surname's first three letters and waits for the list. For three letters
 * and more, patient_name_candidates (20261206001800) read one key range of the suffixes'
 * primary key and sorted all of it by name before cutting the page of 25. At 200,000
 * patients a common start ("smi", "mar") is a range of 1,000 to 7,500 entries: the bench's
 * candidate page took 2–3 ms at p50 and 10–11 ms at p95, most of the search's p95.
 *
 * A third stored column holds each suffix's first three characters and an index keys the table
 * by it, then by name and patient, exactly as first1/first2 do: a three-letter needle is one
 * equality range already in the page's order, so the scan stops after limit + offset distinct
 * patients (about 0.1 ms for "smi", against 2 ms). Four letters and more keep the key range:
 * the planner turns starts_with() into that range and estimates it well, and the matches of a
 * four-letter needle are a subset of its three letters' (the range for "smit" is at most the
 * one "smi" had). With a date of birth, three letters and more keep the key range narrowed by
 * that date, as before.
 *
 * Signature, grant (front desk alone), identity check, owner rights and the ids-only answer
 * are unchanged; the caller still reads the page through the row-level policy and writes its
 * durable audit row.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

/**
 * The function as 20261206001800 left it (withThree = false), byte for byte so that down()
 * restores it exactly (hence the \x20 it had after one RETURN QUERY), and as this migration
 * makes it.
 */
function candidatesFunction(withThree: boolean): string {
  const comment = withThree
    ? "Ids of patients whose name, or a word in it, starts with p_q (case-insensitive; every character matches itself), optionally with date of birth p_dob; with p_limit/p_offset one page of them in name order. One to three characters: read in name order from patient_name_suffixes_first1_idx / _first2_idx / _first3_idx and stopped at the page's end (or, with p_dob, the patients born that day; three characters with p_dob: the key range below); four or more: one key range of the suffixes' primary key (index-only), sorted. Owner rights only so the index can be used beneath the row-level policy: the caller reads the ids through the policy. Granted to front_desk alone, and empty unless app.user_id names an active front-desk account."
    : "Ids of patients whose name, or a word in it, starts with p_q (case-insensitive; every character matches itself), optionally with date of birth p_dob; with p_limit/p_offset one page of them in name order. One or two characters: read in name order from patient_name_suffixes_first1_idx / _first2_idx and stopped at the page's end (or, with p_dob, the patients born that day); three or more: one key range of the suffixes' primary key (index-only). Owner rights only so the index can be used beneath the row-level policy: the caller reads the ids through the policy. Granted to front_desk alone, and empty unless app.user_id names an active front-desk account.";
  /** One page of the suffixes starting with n, read off first<k>'s index in name order. */
  const inNameOrder = (k: number) => `
    RETURN QUERY
      SELECT m.patient_id FROM (
        SELECT DISTINCT s.name, s.patient_id FROM patient_name_suffixes s WHERE s.first${k} = n
        ORDER BY s.name, s.patient_id
        LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)
      ) m;`;
  return `
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
  ELSIF length(n) = 1 THEN${inNameOrder(1)}
  ELSIF length(n) = 2 THEN${inNameOrder(2)}${withThree ? `
  ELSIF length(n) = 3 AND p_dob IS NULL THEN${inNameOrder(3)}` : ''}
  ELSE
    -- [n, upto): every string that starts with n, in byte order (the code point after the
    -- last one; past the surrogates; none after U+10FFFF, so such a needle finds nothing).
    c := ascii(right(n, 1));
    upto := CASE WHEN c < 55295 OR (c >= 57344 AND c < 1114111) THEN left(n, -1) || chr(c + 1)
                 WHEN c = 55295 THEN left(n, -1) || chr(57344) END;
    IF upto IS NULL THEN
      RETURN;
    END IF;
    RETURN QUERY\x20
    SELECT m.patient_id
    FROM (
      SELECT DISTINCT s.patient_id, s.name
      FROM patient_name_suffixes s
      WHERE s.suffix >= n AND s.suffix < upto AND starts_with(s.suffix, n)
        AND (p_dob IS NULL OR EXISTS (SELECT 1 FROM patients p WHERE p.patient_id = s.patient_id AND p.dob = p_dob))
    ) m
    ORDER BY m.name, m.patient_id
    LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0);
  END IF;
END $$;
COMMENT ON FUNCTION patient_name_candidates(text, date, integer, integer) IS '${comment.replace(/'/g, "''")}';
`;
}

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
ALTER TABLE patient_name_suffixes
  ADD COLUMN first3 text COLLATE "C" GENERATED ALWAYS AS (left(suffix, 3)) STORED;
COMMENT ON COLUMN patient_name_suffixes.first3 IS 'The suffix''s first three characters (generated): three-letter searches read it by equality, in name order.';
CREATE INDEX patient_name_suffixes_first3_idx ON patient_name_suffixes (first3, name, patient_id);
COMMENT ON INDEX patient_name_suffixes_first3_idx IS 'Three-letter searches: the suffixes starting with three characters, in name order, so a page stops early.';
${candidatesFunction(true)}`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `${candidatesFunction(false)}
DROP INDEX IF EXISTS patient_name_suffixes_first3_idx;
ALTER TABLE patient_name_suffixes DROP COLUMN IF EXISTS first3;
`,
  );
}
