/**
 * `npm run db:migrate` / `npm run db:rollback`: apply all pending migrations, or undo
 * the last batch, on DATABASE_URL or the embedded database. Safe to re-run.
 */
import 'dotenv/config';
import { loadConfig } from '../config.js';
import { openDatabaseServer } from '../db/connect.js';
import { createKnex } from '../db/knex.js';
import { migrateLatest, rollbackLast } from '../db/migrate.js';

const command = process.argv[2];
if (command !== 'latest' && command !== 'rollback') {
  console.error('usage: migrate.ts latest|rollback');
  process.exit(2);
}
const config = loadConfig();
const server = await openDatabaseServer(config);
const knex = createKnex(server.adminUrl, { poolMax: 1, applicationName: 'clinicpulse-migrate' });
try {
  const names = command === 'latest' ? await migrateLatest(knex) : await rollbackLast(knex);
  const verb = command === 'latest' ? 'Applied' : 'Rolled back';
  console.log(names.length ? `${verb} ${names.length} migration(s):\n  ${names.join('\n  ')}` : 'Nothing to do: already up to date.');
} catch (err) {
  console.error(`Migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await knex.destroy();
  await server.stop();
}
