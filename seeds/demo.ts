/**
 * The demo seed (placeholder: replaced by the full deterministic seed).
 */
import type { Knex } from 'knex';

export interface SeedSummary {
  providers: number;
  patients: number;
  appointments: number;
}

export async function seedDemoIfEmpty(knex: Knex): Promise<SeedSummary | undefined> {
  const { rows } = await knex.raw('SELECT count(*)::int AS n FROM providers');
  if (rows[0].n > 0) return undefined;
  return { providers: 0, patients: 0, appointments: 0 };
}
