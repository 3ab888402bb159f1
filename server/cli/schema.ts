/**
 * `npm run db:schema`: writes migrations/schema.sql, the current schema in one normalised
 * file (server/db/schema-dump.ts), from a freshly migrated throwaway database (or the empty
 * database named by SCHEMA_DATABASE_URL). `--check` exits 1 when the file is out of date;
 * test/schema-file.test.ts fails then too.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSchema } from '../db/schema-dump.js';
import { withMigratedScratchDatabase, writeOrCheck } from './scratch-database.js';

export const SCHEMA_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations/schema.sql');

async function main(): Promise<void> {
  const text = await withMigratedScratchDatabase({ name: 'schema', urlFromEnv: process.env.SCHEMA_DATABASE_URL }, renderSchema);
  writeOrCheck(SCHEMA_PATH, text, 'npm run db:schema');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
