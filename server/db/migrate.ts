/**
 * Applying and undoing migrations. Every migration runs in its own transaction,
 * so a failed one leaves nothing half-done; re-running is a no-op.
 */
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';
import { appliedMigrationNames } from './repository/migration-level.js';

const source: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(migrations).sort()),
  getMigrationName: (name) => name,
  getMigration: (name) => Promise.resolve(migrations[name]!),
};

const config: Knex.MigratorConfig = { migrationSource: source, tableName: 'knex_migrations' };

/** Apply all pending migrations; returns the names applied. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  // A database with exactly this code's migrations has nothing to do: one statement instead of
  // the migrator's table checks, lock and listing (a second start's time). Anything else (a new
  // database, pending migrations, a database newer than this code) goes through knex as before.
  const applied = await appliedMigrationNames(knex);
  if (applied && sameSet(applied, Object.keys(migrations))) return [];
  const [, done] = (await knex.migrate.latest(config)) as [number, string[]];
  return done;
}

function sameSet(a: string[], b: string[]): boolean {
  const set = new Set(a);
  return set.size === a.length && a.length === b.length && b.every((n) => set.has(n));
}

/** Undo the last batch; returns the names undone. */
export async function rollbackLast(knex: Knex): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(config)) as [number, string[]];
  return undone;
}
