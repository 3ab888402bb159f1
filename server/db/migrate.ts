/**
 * Applying and undoing migrations. Every migration runs in its own transaction,
 * so a failed one leaves nothing half-done; re-running is a no-op.
 */
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';

const source: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(migrations).sort()),
  getMigrationName: (name) => name,
  getMigration: (name) => Promise.resolve(migrations[name]!),
};

const config: Knex.MigratorConfig = { migrationSource: source, tableName: 'knex_migrations' };

/** Apply all pending migrations; returns the names applied. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(config)) as [number, string[]];
  return applied;
}

/** Undo the last batch; returns the names undone. */
export async function rollbackLast(knex: Knex): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(config)) as [number, string[]];
  return undone;
}
