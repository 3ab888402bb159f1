/**
 * Patient search off a b-tree, without reading patients' heap.
 *
 * patient_name_candidates (20261206000910) found the front desk's matches through a trigram
 * index, but a three-letter prefix matches hundreds to thousands of 200,000 names, and each
 * match was fetched from the patients heap (a page per match) and re-checked before the page
 * of 25 could be cut in name order: ~1,000 heap pages per search.
 *
 * Now a trigger-maintained table holds, for every patient, each suffix of lower(name) that
 * starts a word (the whole name, and what follows each space), with the name itself. The
 * search `lower(name) LIKE 'q%' OR lower(name) LIKE '% q%'` is exactly "some such suffix
 * starts with q": one range of the primary key (suffix, patient_id) INCLUDE (name), read
 * index-only, then sorted by name. The function keeps its signature, its grant (front desk
 * alone), its identity check, and returns ids only; the caller still reads them through the
 * policy. The table is readable by no staff or service role (only the backup reads it, as
 * every table); erase_patient's rename replaces an erased patient's suffixes like any rename.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE patient_name_suffixes (
  suffix text COLLATE "C" NOT NULL,
  patient_id integer NOT NULL REFERENCES patients (patient_id) ON DELETE CASCADE,
  name text NOT NULL,
  CONSTRAINT patient_name_suffixes_pkey PRIMARY KEY (suffix, patient_id) INCLUDE (name)
);
CREATE INDEX patient_name_suffixes_patient_idx ON patient_name_suffixes (patient_id);
COMMENT ON TABLE patient_name_suffixes IS 'The front-desk search index: each suffix of a patient''s lower-cased name that starts a word (the whole name, and what follows each space), with the name for ordering; kept by the patients_name_suffixes triggers, read only by patient_name_candidates (owner rights). No staff or service role reads it.';
COMMENT ON COLUMN patient_name_suffixes.suffix IS 'lower(name) from the start of one word to the end (byte order, so a prefix is one key range).';
COMMENT ON COLUMN patient_name_suffixes.patient_id IS 'The patient.';
COMMENT ON COLUMN patient_name_suffixes.name IS 'The patient''s current name (a copy, for the search''s name order without reading patients).';
COMMENT ON INDEX patient_name_suffixes_patient_idx IS 'Finds a patient''s suffixes when the name changes or the patient is deleted.';
ALTER TABLE patient_name_suffixes ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_name_suffixes FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON patient_name_suffixes FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "backups read everything" ON patient_name_suffixes FOR SELECT TO clinicpulse_backup USING (true);
GRANT SELECT ON patient_name_suffixes TO clinicpulse_backup;

CREATE FUNCTION patient_name_word_suffixes(p_name text)
  RETURNS SETOF text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT x.l FROM (SELECT lower(p_name) AS l) x WHERE x.l <> '' AND left(x.l, 1) <> ' '
  UNION ALL
  SELECT substr(x.l, i + 1)
  FROM (SELECT lower(p_name) AS l) x, generate_series(1, length(x.l) - 1) i
  WHERE substr(x.l, i, 1) = ' ' AND substr(x.l, i + 1, 1) <> ' '
$$;
COMMENT ON FUNCTION patient_name_word_suffixes(text) IS 'Each suffix of lower(p_name) that starts a word: the whole name, and what follows each space (none starting with a space).';

CREATE FUNCTION patient_name_suffixes_insert()
  RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  INSERT INTO patient_name_suffixes (suffix, patient_id, name)
  SELECT s, n.patient_id, n.name FROM new_rows n, patient_name_word_suffixes(n.name) s;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION patient_name_suffixes_insert() IS 'Adds the search suffixes of new patients (statement level, one INSERT per statement).';

CREATE FUNCTION patient_name_suffixes_update()
  RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  DELETE FROM patient_name_suffixes w
  USING old_rows o JOIN new_rows n ON n.patient_id = o.patient_id
  WHERE w.patient_id = o.patient_id AND o.name IS DISTINCT FROM n.name;
  INSERT INTO patient_name_suffixes (suffix, patient_id, name)
  SELECT s, n.patient_id, n.name
  FROM old_rows o JOIN new_rows n ON n.patient_id = o.patient_id, patient_name_word_suffixes(n.name) s
  WHERE o.name IS DISTINCT FROM n.name;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION patient_name_suffixes_update() IS 'Replaces the search suffixes of renamed patients (a correction, or erase_patient()); other updates leave them.';

REVOKE EXECUTE ON FUNCTION patient_name_word_suffixes(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION patient_name_suffixes_insert() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION patient_name_suffixes_update() FROM PUBLIC;

CREATE TRIGGER patients_name_suffixes_insert AFTER INSERT ON patients
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patient_name_suffixes_insert();
CREATE TRIGGER patients_name_suffixes_update AFTER UPDATE ON patients
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patient_name_suffixes_update();

INSERT INTO patient_name_suffixes (suffix, patient_id, name)
SELECT s, p.patient_id, p.name FROM patients p, patient_name_word_suffixes(p.name) s;

CREATE OR REPLACE FUNCTION patient_name_candidates(p_q text, p_dob date DEFAULT NULL, p_limit integer DEFAULT NULL, p_offset integer DEFAULT 0)
  RETURNS SETOF integer
  LANGUAGE sql STABLE SECURITY DEFINER ROWS 50 SET search_path = pg_catalog, public, pg_temp AS $$
  WITH needle AS (
    SELECT lower(btrim(p_q)) COLLATE "C" AS n
  ), bounds AS (
    -- [n, upto): every string that starts with n, in byte order (the code point after the
    -- last one; past the surrogates; none after U+10FFFF, so such a needle finds nothing).
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
COMMENT ON FUNCTION patient_name_candidates(text, date, integer, integer) IS 'Ids of patients whose name, or a word in it, starts with p_q (case-insensitive; every character matches itself), optionally with date of birth p_dob, found as one key range of patient_name_suffixes (index-only); with p_limit/p_offset one page of them in name order. Owner rights only so the index can be used beneath the row-level policy: the caller reads the ids through the policy. Granted to front_desk alone, and empty unless app.user_id names an active front-desk account.';
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
DROP TRIGGER IF EXISTS patients_name_suffixes_update ON patients;
DROP TRIGGER IF EXISTS patients_name_suffixes_insert ON patients;
DROP FUNCTION IF EXISTS patient_name_suffixes_update();
DROP FUNCTION IF EXISTS patient_name_suffixes_insert();
DROP FUNCTION IF EXISTS patient_name_word_suffixes(text);
DROP TABLE IF EXISTS patient_name_suffixes;
`,
  );
}
