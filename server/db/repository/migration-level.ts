/**
 * The migrations a database has applied (knex's own ledger), read in one statement:
 * a start whose database already has every migration skips knex's migrator (its table
 * checks, lock row and listing take several round trips; server/db/migrate.ts).
 */
import type { Knex } from 'knex';

/** Names in knex_migrations; undefined when the table does not exist yet (a new database). */
export async function appliedMigrationNames(knex: Knex): Promise<string[] | undefined> {
  try {
    const { rows } = await knex.raw<{ rows: { name: string }[] }>('SELECT name FROM knex_migrations');
    return rows.map((r) => r.name);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return undefined;
    throw err;
  }
}
