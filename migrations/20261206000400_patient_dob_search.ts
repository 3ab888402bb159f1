/**
 * The front desk finds a patient by date of birth (GET /api/patients?dob=): an index on
 * patients.dob keeps that an index scan instead of reading every patient.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(knex, `CREATE INDEX patients_dob_idx ON patients (dob);`);
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, `DROP INDEX IF EXISTS patients_dob_idx;`);
}
