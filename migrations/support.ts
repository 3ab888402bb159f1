/**
 * Run a migration's SQL as the NOLOGIN owner role, so every object it creates is
 * owned by clinicpulse_owner and not by whoever ran the migration. The role is
 * reset afterwards so knex can record the migration as the migrating user.
 */
import type { Knex } from 'knex';

export async function asOwner(knex: Knex, sql: string): Promise<void> {
  await knex.raw('SET LOCAL ROLE clinicpulse_owner');
  try {
    await knex.raw(sql);
  } finally {
    await knex.raw('RESET ROLE');
  }
}
