/**
 * What the role screens need from the schema (issue 11):
 *  - icd10_codes: the product's ICD-10-CM code list (seeds/data/icd10.ts) as a table, so
 *    the complete-visit form searches the same codes the server accepts, by code or words;
 *  - appointments.checked_in_at: when the patient arrived, set by the database at check-in,
 *    so the clinician's day shows arrival time and wait without guessing from updated_at;
 *  - an index for billing's charge list, newest date of service first;
 *  - compliance reads the identity of patients (name, dob, erasure and legal-hold state) to
 *    find the person to erase and to name the patient of an audit entry.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';
import { ICD10_CODES } from '../seeds/data/icd10.js';

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function up(knex: Knex): Promise<void> {
  const values = Object.values(ICD10_CODES)
    .map((c) => `(${quote(c.code)}, ${quote(c.description)})`)
    .join(',\n  ');
  await asOwner(
    knex,
    `
-- ===== ICD-10-CM code list ====================================================
CREATE TABLE icd10_codes (
  code text PRIMARY KEY CONSTRAINT icd10_codes_code_shape CHECK (code ~ '^[A-Z][0-9][0-9A-Z]([.][0-9A-Z]{1,4}){0,1}$'),
  description text NOT NULL CONSTRAINT icd10_codes_description_not_blank CHECK (description ~ '[^[:space:]]' AND length(description) <= 500),
  search_text text GENERATED ALWAYS AS (
    ' ' || lower(regexp_replace(replace(code, '.', '') || ' ' || description, '[^A-Za-z0-9]+', ' ', 'g')) || ' '
  ) STORED
);
COMMENT ON TABLE icd10_codes IS 'The ICD-10-CM codes the product offers when a clinician records a diagnosis (FY2024 code set, official short descriptions). Reference data, no patient content; loaded from seeds/data/icd10.ts.';
COMMENT ON COLUMN icd10_codes.code IS 'ICD-10-CM code in dotted form (E11.9), the same shape diagnoses.code accepts.';
COMMENT ON COLUMN icd10_codes.description IS 'Official short description.';
COMMENT ON COLUMN icd10_codes.search_text IS 'Generated: the undotted code and the description lower-cased, words separated by single spaces and padded with a space at each end, so a word-prefix search is a LIKE.';
INSERT INTO icd10_codes (code, description) VALUES
  ${values};
-- Like every reference table (20261125000011): only a valid acting identity reads it.
ALTER TABLE icd10_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE icd10_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON icd10_codes TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in clinicians read it" ON icd10_codes FOR SELECT TO clinician
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
REVOKE ALL ON icd10_codes FROM PUBLIC;
GRANT SELECT ON icd10_codes TO clinician;

-- ===== Arrival time ===========================================================
ALTER TABLE appointments ADD COLUMN checked_in_at timestamptz;
COMMENT ON COLUMN appointments.checked_in_at IS 'When the patient was checked in (transaction time of the change to checked_in), set by the database; NULL if never checked in or loaded with that status.';
CREATE FUNCTION appointments_stamp_arrival() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  NEW.checked_in_at := now();
  RETURN NEW;
END $$;
COMMENT ON FUNCTION appointments_stamp_arrival() IS 'Trigger: stamps appointments.checked_in_at when the status becomes checked_in.';
REVOKE EXECUTE ON FUNCTION appointments_stamp_arrival() FROM PUBLIC;
CREATE TRIGGER appointments_stamp_arrival BEFORE UPDATE OF status ON appointments
  FOR EACH ROW WHEN (NEW.status = 'checked_in' AND OLD.status IS DISTINCT FROM 'checked_in')
  EXECUTE FUNCTION appointments_stamp_arrival();

-- ===== Billing's work list, newest date of service first, keyset-paged ==========
CREATE INDEX charges_service_date_idx ON charges (service_date DESC, charge_id DESC);
COMMENT ON INDEX charges_service_date_idx IS 'Serves billing''s charge list (GET /api/billing/charges): newest date of service first, keyset paging on (service_date, charge_id).';

-- ===== Compliance finds patients ==============================================
CREATE POLICY "compliance: every patient's identity, to erase and to name audit entries" ON patients FOR SELECT TO compliance
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
GRANT SELECT (patient_id, name, dob, created_at, legal_hold_reason, erased_at) ON patients TO compliance;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
REVOKE SELECT (patient_id, name, dob, created_at, legal_hold_reason, erased_at) ON patients FROM compliance;
DROP POLICY IF EXISTS "compliance: every patient's identity, to erase and to name audit entries" ON patients;
DROP INDEX IF EXISTS charges_service_date_idx;
DROP TRIGGER IF EXISTS appointments_stamp_arrival ON appointments;
DROP FUNCTION IF EXISTS appointments_stamp_arrival();
ALTER TABLE appointments DROP COLUMN IF EXISTS checked_in_at;
DROP TABLE IF EXISTS icd10_codes;
`,
  );
}
