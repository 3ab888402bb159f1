/**
 * A managed PostgreSQL, where the administrator is not a superuser (CREATEROLE CREATEDB,
 * as cloud offerings give): on a fresh cluster of its own, that administrator runs every
 * migration and the test suite's database setup, the service login works, and
 * `npm run backup` succeeds with a backup role that has no BYPASSRLS (it reads through
 * its own policies), its manifest matching what a superuser counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../server/db/embedded.js';
import { createKnex } from '../../server/db/knex.js';
import { migrateLatest } from '../../server/db/migrate.js';
import { setLoginPassword, withCredentials } from '../../server/db/connect.js';
import { asStaff } from '../../server/db/index.js';
import { fingerprintTables } from '../../server/ops/backup-files.js';
import { runBackup } from '../../server/ops/backup.js';
import { createProvider, createPatient } from '../support/clinic.js';
import { createStaff } from '../support/staff.js';
import { freeLoopbackPort } from '../../server/db/free-port.js';

let work: string;
let cluster: EmbeddedDatabase;
let adminUrl: string;
let superUrl: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-managed-'));
  chmodSync(work, 0o755);
  const port = await freeLoopbackPort();
  cluster = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port, persistent: false, settings: { fsync: 'off' } });
  const su = new pg.Client({ connectionString: cluster.adminUrl });
  await su.connect();
  await su.query("CREATE ROLE cloudadmin LOGIN CREATEROLE CREATEDB PASSWORD 'cloudadmin-password'");
  await su.end();
  const admin = new pg.Client({ connectionString: `postgres://cloudadmin:cloudadmin-password@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE clinic');
  await admin.end();
  // What a managed platform does on request (its extension allow-list): dblink, which durable
  // audit needs and which is not a trusted extension, created by the platform's superuser.
  const platform = new pg.Client({ connectionString: cluster.urlFor('clinic') });
  await platform.connect();
  await platform.query('CREATE SCHEMA clinicpulse_link AUTHORIZATION cloudadmin');
  await platform.query('CREATE EXTENSION dblink SCHEMA clinicpulse_link');
  await platform.query('GRANT USAGE ON FOREIGN DATA WRAPPER dblink_fdw TO cloudadmin WITH GRANT OPTION');
  await platform.query('GRANT ALL ON ALL FUNCTIONS IN SCHEMA clinicpulse_link TO cloudadmin WITH GRANT OPTION');
  await platform.end();
  adminUrl = `postgres://cloudadmin:cloudadmin-password@127.0.0.1:${port}/clinic`;
  superUrl = cluster.urlFor('clinic');
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a CREATEROLE CREATEDB administrator that is not a superuser', () => {
  it('runs every migration and the suite setup; the backup role is made without BYPASSRLS', async () => {
    const knex = createKnex(adminUrl, { poolMax: 1 });
    try {
      const applied = await migrateLatest(knex);
      expect(applied.length).toBeGreaterThan(15);
      const { rows } = await knex.raw("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname IN ('cloudadmin', 'clinicpulse_backup') ORDER BY rolname");
      expect(rows).toEqual([
        { rolsuper: false, rolbypassrls: false },
        { rolsuper: false, rolbypassrls: false },
      ]);
    } finally {
      await knex.destroy();
    }
    // What test/support/global-setup.ts does after migrating.
    await setLoginPassword(adminUrl, 'clinicpulse_app', 'managed-app-password');
    await setLoginPassword(adminUrl, 'clinicpulse_backup', 'managed-backup-password');
  });

  it('the service login works as every staff role would use it', async () => {
    const admin = createKnex(adminUrl, { poolMax: 2 });
    const app = createKnex(withCredentials(adminUrl, 'clinicpulse_app', 'managed-app-password'), { poolMax: 2 });
    try {
      const providerId = await createProvider(admin);
      await createPatient(admin, { name: 'Managed Patient' });
      const desk = await createStaff(admin, 'front_desk');
      const names = await asStaff(app, { userId: desk.userId, role: 'front_desk' }, async (trx) =>
        (await trx.raw<{ rows: { name: string }[] }>('SELECT name FROM providers WHERE provider_id = ?', [providerId])).rows,
      );
      expect(names).toHaveLength(1);
    } finally {
      await app.destroy();
      await admin.destroy();
    }
  });

  it('npm run backup works through a backup role without BYPASSRLS, every row included', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-managed-backup-'));
    try {
      const r = await runBackup({ adminUrl, backupUrl: withCredentials(adminUrl, 'clinicpulse_backup', 'managed-backup-password'), outDir: out });
      const su = new pg.Client({ connectionString: superUrl });
      await su.connect();
      try {
        expect(r.manifest.tables).toEqual(await fingerprintTables(su));
      } finally {
        await su.end();
      }
      expect(r.manifest.tables.patients!.rows).toBe(1);
      expect(r.manifest.tables.staff_users!.rows).toBe(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
