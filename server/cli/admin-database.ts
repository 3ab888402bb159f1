/**
 * What most command-line tools start with: the database (DATABASE_URL, or the embedded one,
 * joining a running `npm start` unless told not to) and a small pool as its administrator,
 * both closed again however the work ends.
 */
import type { Knex } from 'knex';
import type { Config } from '../config.js';
import { openDatabaseServer } from '../db/connect.js';
import { createKnex } from '../db/knex.js';

export interface AdminDatabaseOptions {
  /** Shown as `clinicpulse-<name>` in pg_stat_activity. */
  name: string;
  poolMax?: number;
  /** Where the embedded database's start-up lines go (silent by default). */
  say?: (line: string) => void;
  /** Work through an embedded database another process already runs (default true). */
  joinRunning?: boolean;
}

export async function withAdminDatabase<T>(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_PG_PORT'>,
  opts: AdminDatabaseOptions,
  work: (knex: Knex) => Promise<T>,
): Promise<T> {
  const server = await openDatabaseServer(config, opts.say, { joinRunning: opts.joinRunning ?? true });
  const knex = createKnex(server.adminUrl, { poolMax: opts.poolMax ?? 1, applicationName: `clinicpulse-${opts.name}` });
  try {
    return await work(knex);
  } finally {
    await knex.destroy();
    await server.stop();
  }
}
