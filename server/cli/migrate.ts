/**
 * `npm run db:migrate` / `npm run db:rollback`: apply all pending migrations, or undo
 * the last batch, on DATABASE_URL or the embedded database. Safe to re-run.
 */
import 'dotenv/config';
import { ConfigError, loadConfig } from '../config.js';
import { DataDirectoryInUseError, EmbeddedPlacementError } from '../db/embedded.js';
import { migrateLatest, rollbackLast } from '../db/migrate.js';
import { withAdminDatabase } from './admin-database.js';
import { runCli } from './exit.js';

async function main(): Promise<number> {
  const command = process.argv[2];
  if (command !== 'latest' && command !== 'rollback') {
    console.error('usage: migrate.ts latest|rollback');
    return 2;
  }
  const names = await withAdminDatabase(loadConfig(), { name: 'migrate', joinRunning: false }, (knex) => (command === 'latest' ? migrateLatest(knex) : rollbackLast(knex)));
  const verb = command === 'latest' ? 'Applied' : 'Rolled back';
  console.log(names.length ? `${verb} ${names.length} migration(s):\n  ${names.join('\n  ')}` : 'Nothing to do: already up to date.');
  return 0;
}

runCli(main, { known: [ConfigError, DataDirectoryInUseError, EmbeddedPlacementError], failed: 'Migration failed' });
