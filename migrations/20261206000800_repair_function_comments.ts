/**
 * Repairs two function comments that knex.raw damaged when 20261125000010 was applied:
 * it read every `?` as a placeholder, so "...about this patient? The single..." was
 * stored as "...about this patient$2 The single...". Migration SQL now runs on the plain
 * client (migrations/support.ts), so a fresh database already has the right text; this
 * migration sets it on databases migrated before that.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
COMMENT ON FUNCTION staff_can_access_patient(integer) IS 'May the acting staff member see rows about this patient? The single statement of the care relationship (see docs/security.md). False without a valid identity.';
COMMENT ON FUNCTION staff_can_access_clinical(integer) IS 'May the acting staff member read this patient''s clinical content? A clinician with a care relationship or an unexpired break-glass grant.';
`,
  );
}

/** Nothing to undo: the earlier text was a corruption, not a state worth restoring. */
export async function down(): Promise<void> {}
