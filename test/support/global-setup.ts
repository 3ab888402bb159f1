/**
 * Starts one throwaway PostgreSQL 15 for the whole run (or uses TEST_DATABASE_URL),
 * migrates a template database once, and hands its address to the test files,
 * which each clone their own database from it (test/support/db.ts).
 */
import type { TestProject } from 'vitest/node';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../server/db/embedded.js';
import { freeLoopbackPort } from '../../server/db/free-port.js';
import { createKnex } from '../../server/db/knex.js';
import { migrateLatest } from '../../server/db/migrate.js';
import { setAuditWriterPassword, setLoginPassword } from '../../server/db/connect.js';

export const TEMPLATE_DB = 'clinicpulse_test_template';
const APP_PASSWORD = 'clinicpulse-test-app-login';
const AUDIT_WRITER_PASSWORD = 'clinicpulse-test-audit-writer';
/** Set once for the run: tests that change it would break each other's backup logins. */
const BACKUP_PASSWORD = 'clinicpulse-test-backup-login';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    appPassword: string;
    auditWriterPassword: string;
    backupPassword: string;
  }
}

let embedded: EmbeddedDatabase | undefined;
let dataDir: string | undefined;

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function setup(project: TestProject): Promise<void> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-test-'));
    // The server runs as the unprivileged postgres user, which must reach its directory.
    chmodSync(dataDir, 0o755);
    const port = await freeLoopbackPort();
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'pg'),
      port,
      persistent: false,
      // Throwaway data: durability buys nothing here, and fsync dominates on small disks.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
    adminUrl = embedded.adminUrl;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Clean up clones a crashed earlier run left behind on a shared server.
  const stale = await admin.query(
    "SELECT datname FROM pg_database WHERE datname LIKE 'clinicpulse_test_%'",
  );
  for (const { datname } of stale.rows) {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
  }
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();
  const knex = createKnex(withDatabase(adminUrl, TEMPLATE_DB), { poolMax: 1 });
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
  // The role exists only after the first migration; set its password now.
  await setLoginPassword(adminUrl, 'clinicpulse_app', APP_PASSWORD);
  // Set in the template, so every clone's user mapping carries it too.
  await setAuditWriterPassword(withDatabase(adminUrl, TEMPLATE_DB), AUDIT_WRITER_PASSWORD);
  await setLoginPassword(adminUrl, 'clinicpulse_backup', BACKUP_PASSWORD);
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', TEMPLATE_DB);
  project.provide('appPassword', APP_PASSWORD);
  project.provide('auditWriterPassword', AUDIT_WRITER_PASSWORD);
  project.provide('backupPassword', BACKUP_PASSWORD);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
