/**
 * Corrections to CHECK constraints of 20261125000002, as a new migration because that
 * one may already be applied somewhere. Constraint names are kept, so the error map in
 * server/db/errors.ts and the tests still apply.
 *
 * Beware: knex.raw (which asOwner used until 20261206000800) turns every `?` into
 * a positional parameter `$n`, even inside string literals and with no bindings. That is
 * how `(...)?$` in two regexes became `(...)$2$`, which no value can match: every phone
 * number and every diagnosis was refused. These regexes use `{0,1}` instead of `?`.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

// "Not blank" means at least one non-whitespace character; btrim() only strips spaces,
// so a name of tabs or newlines passed the old check.
const notBlank: [table: string, constraint: string, column: string, maxLength: number][] = [
  ['patients', 'patients_name_not_blank', 'name', 200],
  ['providers', 'providers_name_not_blank', 'name', 200],
  ['providers', 'providers_specialty_not_blank', 'specialty', 100],
  ['medications', 'medications_name_not_blank', 'name', 200],
  ['medications', 'medications_form_not_blank', 'form', 50],
  ['medications', 'medications_strength_not_blank', 'strength', 50],
  ['prescriptions', 'prescriptions_dosage_not_blank', 'dosage', 200],
  ['diagnoses', 'diagnoses_description_not_blank', 'description', 500],
];

export async function up(knex: Knex): Promise<void> {
  const blanks = notBlank
    .map(
      ([t, c, col, max]) =>
        `ALTER TABLE ${t} DROP CONSTRAINT ${c}, ADD CONSTRAINT ${c} CHECK (${col} ~ '[^[:space:]]' AND length(${col}) <= ${max});`,
    )
    .join('\n');
  await asOwner(
    knex,
    `
-- An optional leading +, then digits with spaces, dots, dashes or parentheses; 7 to 24 characters.
ALTER TABLE patients DROP CONSTRAINT patients_phone_shape,
  ADD CONSTRAINT patients_phone_shape CHECK (phone ~ '^[+]{0,1}[0-9][0-9 ().-]{5,22}[0-9]$');

-- ICD-10-CM: a letter, a digit, a digit or letter, then optionally a dot and 1-4 more
-- (dotted form only). U is allowed: ICD-10-CM uses U07.1 (COVID-19) and U09.9.
ALTER TABLE diagnoses DROP CONSTRAINT diagnoses_code_icd10cm,
  ADD CONSTRAINT diagnoses_code_icd10cm CHECK (code ~ '^[A-Z][0-9][0-9A-Z]([.][0-9A-Z]{1,4}){0,1}$');

${blanks}
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  // Back to the previous rules as they were meant (the corrupted regexes are not restored).
  const blanks = notBlank
    .map(
      ([t, c, col, max]) =>
        `ALTER TABLE ${t} DROP CONSTRAINT ${c}, ADD CONSTRAINT ${c} CHECK (btrim(${col}) <> '' AND length(${col}) <= ${max});`,
    )
    .join('\n');
  await asOwner(
    knex,
    `
ALTER TABLE diagnoses DROP CONSTRAINT diagnoses_code_icd10cm,
  ADD CONSTRAINT diagnoses_code_icd10cm CHECK (code ~ '^[A-TV-Z][0-9][0-9A-Z]([.][0-9A-Z]{1,4}){0,1}$');
${blanks}
`,
  );
}
