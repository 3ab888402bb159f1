/**
 * The restore drill: data → `npm run backup` → an erasure and a booking after it →
 * `npm run restore` into a scratch database → every table equals the manifest, the
 * erasure is carried out again, and the service starts on the restored database and
 * stops without an error line. Plus the refusals: a damaged dump, a non-empty target.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, urlFor, type TestDatabase } from '../support/db.js';
import { TEST_MASTER_KEY } from '../support/server.js';
import { buildWorld, as, type World } from '../security/world.js';
import { withCredentials } from '../../server/db/connect.js';
import { erasePatient } from '../../server/db/repository/erasure.js';
import { generateVolume } from '../../server/generate/index.js';
import { fingerprintTables, readManifest, type BackupManifest } from '../../server/ops/backup-files.js';
import { runBackup } from '../../server/ops/backup.js';
import { runRestore } from '../../server/ops/restore.js';
import { freeLoopbackPort } from '../../server/db/free-port.js';

const run = promisify(execFile);
let db: TestDatabase;
let world: World;
let dir: string;
let dumpFile: string;
let manifest: BackupManifest;
const scratch = `clinicpulse_test_restore_${process.pid}`;
let scratchUrl: string;
let restoreOut = '';

const cli = (script: string, args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

async function dropScratch(name: string) {
  const c = new pg.Client({ connectionString: inject('adminUrl') });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await c.end();
}

beforeAll(async () => {
  db = await createTestDatabase();
  world = await buildWorld(db.knex);
  await generateVolume(db.knex, { appointments: 1500, seed: 7, lanes: 1 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-backups-'));
  scratchUrl = urlFor(inject('adminUrl'), scratch);
  await dropScratch(scratch);
}, 240_000);
afterAll(async () => {
  await dropScratch(scratch);
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('backup → erasure and booking → restore', () => {
  it('npm run backup writes the dump, a manifest with counts and checksums, the ledger, and no master key', async () => {
    const out = await cli('server/cli/backup.ts', ['--out', dir], {
      DATABASE_URL: db.url,
      BACKUP_DATABASE_URL: withCredentials(db.url, 'clinicpulse_backup', inject('backupPassword')),
      MASTER_KEY: TEST_MASTER_KEY,
    });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/Backed up clinicpulse_test_\w+ \(PostgreSQL 15\.\d+, migration \d+_\w+\)/);
    dumpFile = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.dump'))!);
    manifest = readManifest(dumpFile.replace(/\.dump$/, '.manifest.json'));
    expect(out.stdout).toContain(manifest.sha256);
    expect(manifest.tables.appointments!.rows).toBeGreaterThan(1500);
    expect(manifest.tables.patients!.rows).toBeGreaterThan(2);
    // The manifest describes the database as it was (the backup role sees RLS-hidden rows too).
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      expect(await fingerprintTables(c)).toEqual(manifest.tables);
    } finally {
      await c.end();
    }
    expect(manifest.masterKeyIncluded).toBe(false);
    const bytes = readFileSync(dumpFile);
    expect(bytes.includes(TEST_MASTER_KEY)).toBe(false);
    expect(bytes.includes(Buffer.from(TEST_MASTER_KEY, 'hex'))).toBe(false);
  });

  it('npm run restore into a scratch database: tables equal the manifest, the later erasure re-applied, the later booking absent', async () => {
    // After the backup: an erasure and a booking.
    await erasePatient(db.appKnex, as(world.compliance), world.patientA.patientId, 'GDPR Art. 17 request, ticket 4711');
    const { rows } = await db.knex.raw<{ rows: { appointment_id: number }[] }>(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, date_trunc('hour', now()) + interval '9 days', 30) RETURNING appointment_id`,
      [world.patientB.patientId, world.providerB],
    );
    const bookedAfter = rows[0]!.appointment_id;

    const out = await cli('server/cli/restore.ts', [dumpFile, '--into', scratchUrl], { DATABASE_URL: db.url, MASTER_KEY: TEST_MASTER_KEY });
    restoreOut = out.stdout;
    expect(out.code, out.stderr + out.stdout).toBe(0);
    expect(out.stdout).toContain('sha256 verified');
    expect(out.stdout).toMatch(/appointments\s+\d+\s+\d+\s+equal/);
    expect(out.stdout).toContain(`All ${Object.keys(manifest.tables).length} tables equal the manifest`);
    expect(out.stdout).toContain(`Re-applied 1 erasure(s) recorded after the backup (patients ${world.patientA.patientId})`);

    const r = new pg.Client({ connectionString: scratchUrl });
    await r.connect();
    try {
      const p = await r.query('SELECT name, email, erased_at IS NOT NULL AS erased FROM patients WHERE patient_id = $1', [world.patientA.patientId]);
      expect(p.rows[0]).toEqual({ name: `Erased patient ${world.patientA.patientId}`, email: null, erased: true });
      const keys = await r.query('SELECT 1 FROM patient_keys WHERE patient_id = $1', [world.patientA.patientId]);
      expect(keys.rowCount).toBe(0);
      const ledger = await r.query("SELECT requested_by, reason FROM erasures WHERE patient_id = $1 AND outcome = 'erased'", [world.patientA.patientId]);
      expect(ledger.rows).toEqual([{ requested_by: world.compliance.userId, reason: 'GDPR Art. 17 request, ticket 4711' }]);
      // The point in time is the backup's: the later booking is not there, everything else is.
      expect((await r.query('SELECT 1 FROM appointments WHERE appointment_id = $1', [bookedAfter])).rowCount).toBe(0);
      expect(Number((await r.query('SELECT count(*) FROM appointments')).rows[0].count)).toBe(manifest.tables.appointments!.rows);
      // Database-level grants were re-applied.
      const grants = await r.query("SELECT has_database_privilege('clinicpulse_app', current_database(), 'CONNECT') AS app, has_database_privilege('public', current_database(), 'CONNECT') AS anyone");
      expect(grants.rows[0]).toEqual({ app: true, anyone: false });
    } finally {
      await r.end();
    }
  });

  it('the service starts on the restored database, serves, and stops on SIGTERM without an error line', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-restored-'));
    chmodSync(work, 0o755);
    const port = await freeLoopbackPort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        DATABASE_URL: scratchUrl,
        APP_DATABASE_URL: withCredentials(scratchUrl, 'clinicpulse_app', inject('appPassword')),
        AUDIT_WRITER_PASSWORD: inject('auditWriterPassword'),
        MASTER_KEY: TEST_MASTER_KEY,
        DATA_DIR: work,
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!stdout.includes('ClinicPulse is running') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      expect(stdout, stderr).toContain('ClinicPulse is running');
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'up', listener: 'up' } });
      const login = await fetch(`http://127.0.0.1:${port}/api/me`);
      expect(login.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
      rmSync(work, { recursive: true, force: true });
    }
    expect(stdout).toContain('Stopped.');
    expect(stderr).toBe('');
    expect(stdout).not.toMatch(/"level":(50|60)|Error|error:/);
  });

  it('refuses a damaged dump and a non-empty database (unless --force)', async () => {
    const damaged = path.join(dir, 'damaged.dump');
    copyFileSync(dumpFile, damaged);
    copyFileSync(dumpFile.replace(/\.dump$/, '.manifest.json'), damaged.replace(/\.dump$/, '.manifest.json'));
    const bytes = readFileSync(damaged);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    writeFileSync(damaged, bytes);
    await expect(runRestore({ file: damaged, targetUrl: scratchUrl, force: true })).rejects.toThrow(/damaged or altered: its sha256/);
    await expect(runRestore({ file: dumpFile, targetUrl: scratchUrl })).rejects.toThrow(/is not empty .* --force/);
    const forced = await runRestore({ file: dumpFile, targetUrl: scratchUrl, force: true, ledgerFrom: [db.url] });
    expect(forced.comparison.every((c) => c.equal)).toBe(true);
    expect(forced.erasuresReapplied).toBe(1);
    expect(restoreOut).toMatch(/erasure/);
  });

  it('backs up through the library too (what BACKUP_CRON would call)', async () => {
    const r = await runBackup({ adminUrl: db.url, backupUrl: withCredentials(db.url, 'clinicpulse_backup', inject('backupPassword')), outDir: dir });
    expect(r.manifest.erasures).toBe(1);
  });
});
