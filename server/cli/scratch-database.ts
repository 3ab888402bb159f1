/**
 * A freshly migrated database for generators of checked-in files (the data dictionary,
 * migrations/schema.sql): a throwaway embedded PostgreSQL, or the empty database named by
 * an environment variable, so the output depends only on the migrations.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createKnex } from '../db/knex.js';
import { migrateLatest } from '../db/migrate.js';
import { ensureDatabase, startEmbeddedPostgres } from '../db/embedded.js';
import { freeLoopbackPort } from '../db/free-port.js';

export async function withMigratedScratchDatabase<T>(
  opts: { name: string; urlFromEnv?: string },
  work: (knex: Knex) => Promise<T>,
): Promise<T> {
  let stop = async () => {};
  let url = opts.urlFromEnv;
  if (!url) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `clinicpulse-${opts.name}-`));
    chmodSync(dir, 0o755);
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'pg'),
      port: await freeLoopbackPort(),
      persistent: false,
      settings: { fsync: 'off' },
    });
    await ensureDatabase(pg.adminUrl, opts.name);
    url = pg.urlFor(opts.name);
    stop = async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const knex = createKnex(url, { poolMax: 1, applicationName: `clinicpulse-${opts.name}` });
  try {
    await migrateLatest(knex);
    return await work(knex);
  } finally {
    await knex.destroy();
    await stop();
  }
}

/** Write `text` to `file`; with `--check`, only report (exit code 1) whether the file already holds it. */
export function writeOrCheck(file: string, text: string, command: string): void {
  const rel = path.relative(process.cwd(), file);
  if (!process.argv.includes('--check')) {
    writeFileSync(file, text);
    console.log(`Wrote ${rel}`);
  } else if ((existsSync(file) ? readFileSync(file, 'utf8') : '') !== text) {
    console.error(`${rel} is out of date: run \`${command}\`.`);
    process.exitCode = 1;
  } else {
    console.log(`${rel} is up to date.`);
  }
}
