/**
 * Compliance reads people too: its patient finder (the first step of an erasure or a legal
 * hold) returns names and dates of birth. Like every other read of identifiable data through
 * the API, each such request now leaves one durable audit row naming the compliance officer
 * and every patient returned, so compliance may call audit_read as well.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(knex, 'GRANT EXECUTE ON FUNCTION audit_read(text, integer[]) TO compliance;');
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'REVOKE EXECUTE ON FUNCTION audit_read(text, integer[]) FROM compliance;');
}
