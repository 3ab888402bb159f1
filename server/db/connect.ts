/**
 * Where the database comes from: DATABASE_URL when set, otherwise the embedded
 * PostgreSQL 15 under DATA_DIR with a `clinicpulse` database created on first start.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from './embedded.js';

export interface DatabaseServer {
  /** URL of a role that may migrate (create objects, grant, create roles). */
  adminUrl: string;
  /** 'embedded' or 'external', for logs and /healthz. */
  kind: 'embedded' | 'external';
  /** Stops the embedded server; a no-op for an external one. */
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'clinicpulse';

export async function openDatabaseServer(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_PG_PORT'>,
  log: (line: string) => void = () => {},
): Promise<DatabaseServer> {
  if (config.DATABASE_URL) {
    return { adminUrl: config.DATABASE_URL, kind: 'external', stop: async () => {} };
  }
  const embedded: EmbeddedDatabase = await startEmbeddedPostgres({
    dataDir: path.join(config.DATA_DIR, 'pg'),
    port: config.EMBEDDED_PG_PORT,
    log,
  });
  await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
  return { adminUrl: embedded.urlFor(EMBEDDED_DATABASE), kind: 'embedded', stop: () => embedded.stop() };
}
