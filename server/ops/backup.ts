/**
 * `npm run backup`: one consistent pg_dump -Fc through the clinicpulse_backup login
 * (reads every row, RLS-hidden ones included, and can change nothing), with a
 * manifest taken from the very same snapshot: PostgreSQL version, migration level,
 * per-table row counts and content checksums, and the dump's sha256. The erasure
 * ledger is exported beside it, so a later restore can re-apply erasures. The master
 * key is not in the database, so it is in no backup (keep it in a secrets store).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { withCredentials } from '../db/connect.js';
import {
  MANIFEST_FORMAT,
  fingerprintTables,
  ledgerPathFor,
  manifestPathFor,
  readLedger,
  sha256File,
  type BackupManifest,
} from './backup-files.js';

export const BACKUP_ROLE = 'clinicpulse_backup';

export class BackupError extends Error {}

/**
 * Connections a backup in this process holds right now: the administrator's while it sets
 * the backup login's password, the snapshot session, and pg_dump's. /metrics shows them as
 * pool "backup" (a scheduled backup runs inside the service, beside its request pool).
 */
let backupConnections = 0;
export const backupConnectionsInUse = (): number => backupConnections;
const holding = async <T>(work: Promise<T>): Promise<T> => {
  backupConnections++;
  try {
    return await work;
  } finally {
    backupConnections--;
  }
};

export interface BackupOptions {
  /** Administrator URL of the database to back up (sets the backup login's password when backupUrl is not given). */
  adminUrl: string;
  /** The clinicpulse_backup login's URL, when its password is managed elsewhere (BACKUP_DATABASE_URL). */
  backupUrl?: string;
  outDir: string;
  pgDump?: string;
  now?: Date;
}

export interface BackupResult {
  dumpFile: string;
  manifestFile: string;
  manifest: BackupManifest;
  ms: number;
}

/** A URL without its password, and the password, so it never shows in a process list. */
export function splitPassword(url: string): { url: string; password: string } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), password };
}

export function runTool(bin: string, args: string[], password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, PGPASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) =>
      reject(new BackupError(`${bin} could not be run (${err.message}); install the PostgreSQL 15 client tools (e.g. apt-get install postgresql-client-15) or set PG_DUMP / PG_RESTORE.`)),
    );
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new BackupError(`${path.basename(bin)} failed (exit ${code}): ${out.trim().slice(-3000)}`))));
  });
}

/**
 * Whether this login sees every row: BYPASSRLS, or else a `USING (true)` SELECT policy for
 * it on every table with row-level security (migration 20261206000702). A table without one
 * would be dumped in part, so the backup refuses, naming it.
 */
async function readsPastRls(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ bypass: boolean; super: boolean }>(
    'SELECT rolbypassrls AS bypass, rolsuper AS super FROM pg_roles WHERE rolname = current_user',
  );
  if (rows[0]!.bypass || rows[0]!.super) return true;
  const { rows: missing } = await client.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relrowsecurity
       AND NOT EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname
                         AND p.cmd IN ('SELECT', 'ALL') AND p.qual = 'true' AND current_user::name = ANY (p.roles))
     ORDER BY 1`,
  );
  if (missing.length) {
    throw new BackupError(
      `The backup login has no BYPASSRLS and no read-everything policy on ${missing.map((r) => r.t).join(', ')}: ` +
        'a dump would miss rows. Add CREATE POLICY "backups read everything" … FOR SELECT TO clinicpulse_backup USING (true) in a migration.',
    );
  }
  return false;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export async function runBackup(opts: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  let backupUrl = opts.backupUrl;
  if (!backupUrl) {
    // A fresh random password per run: only this command ever logs in as the backup role.
    const password = randomBytes(24).toString('base64url');
    const admin = new pg.Client({ connectionString: opts.adminUrl });
    await holding(
      (async () => {
        await admin.connect();
        try {
          await admin.query(`ALTER ROLE ${BACKUP_ROLE} PASSWORD ${pg.escapeLiteral(password)}`);
        } finally {
          await admin.end();
        }
      })(),
    );
    backupUrl = withCredentials(opts.adminUrl, BACKUP_ROLE, password);
  }
  // Dumps hold every patient's record: readable by this user only.
  mkdirSync(opts.outDir, { recursive: true, mode: 0o700 });
  const base = path.join(path.resolve(opts.outDir), `clinicpulse-${stamp(opts.now ?? new Date())}`);
  const dumpFile = `${base}.dump`;
  const partial = `${dumpFile}.partial`;

  const client = new pg.Client({ connectionString: backupUrl, application_name: 'clinicpulse-backup' });
  backupConnections++;
  try {
    await client.connect();
    // One snapshot for the dump and the manifest: the counts describe exactly what is in the file.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: snap } = await client.query<{ id: string; at: Date; version: string; db: string }>(
      "SELECT pg_export_snapshot() AS id, now() AS at, current_setting('server_version') AS version, current_database() AS db",
    );
    const { id: snapshot, at, version, db } = snap[0]!;
    // Without BYPASSRLS (a managed PostgreSQL), the role reads through its own policies:
    // dump with RLS on, after making sure every RLS table lets it read every row.
    const bypass = await readsPastRls(client);
    const { url, password } = splitPassword(backupUrl);
    const args = ['--format=custom', `--snapshot=${snapshot}`, `--file=${partial}`, `--dbname=${url}`];
    if (!bypass) args.push('--enable-row-security');
    const dump = holding(runTool(opts.pgDump ?? process.env.PG_DUMP ?? 'pg_dump', args, password));
    // Read while pg_dump streams; both see the same snapshot.
    const read = async () => {
      const tables = await fingerprintTables(client, { rowSecurity: !bypass });
      const ledger = await readLedger(client);
      const migration = await client.query<{ latest: string | null; count: number }>(
        'SELECT max(name) AS latest, count(*)::int AS count FROM public.knex_migrations',
      );
      return [tables, ledger, migration] as const;
    };
    const [tables, ledger, migration] = await read().catch(async (err: unknown) => {
      await dump.catch(() => undefined);
      throw err;
    });
    await dump;
    await client.query('COMMIT');

    chmodSync(partial, 0o600);
    const sha256 = await sha256File(partial);
    renameSync(partial, dumpFile);
    const ledgerFile = ledgerPathFor(dumpFile);
    writeFileSync(ledgerFile, JSON.stringify({ takenAt: at.toISOString(), database: db, erasures: ledger }, null, 2) + '\n', { mode: 0o600 });
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      createdAt: at.toISOString(),
      file: path.basename(dumpFile),
      bytes: statSync(dumpFile).size,
      sha256,
      database: db,
      postgresVersion: version,
      migration: migration.rows[0]!,
      tables,
      erasureLedgerFile: path.basename(ledgerFile),
      erasures: ledger.filter((e) => e.outcome === 'erased').length,
      masterKeyIncluded: false,
    };
    const manifestFile = manifestPathFor(dumpFile);
    // The manifest last, and atomically: its presence means the backup is complete.
    writeFileSync(`${manifestFile}.partial`, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    renameSync(`${manifestFile}.partial`, manifestFile);
    return { dumpFile, manifestFile, manifest, ms: Date.now() - started };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => undefined);
    backupConnections--;
  }
}
