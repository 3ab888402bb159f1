/**
 * `npm run restore -- FILE [--into URL] [--force]`: check the dump against its
 * manifest's sha256, restore it into a new or empty database (a non-empty one only
 * with --force, which replaces it), re-apply what pg_dump does not carry (the roles,
 * their memberships, database-level grants), verify every table's row count and
 * checksum against the manifest, bring the schema up to this version's migrations,
 * then re-apply every erasure the ledger recorded after the backup was taken, before
 * anything uses the database.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createKnex } from '../db/knex.js';
import { migrateLatest } from '../db/migrate.js';
import { ERASURE_VACUUM_SQL } from '../db/maintenance.js';
import { BackupError, runTool, splitPassword } from './backup.js';
import { SERVICE_ROLES, STAFF_ROLES } from '../../shared/vocabulary.js';
import {
  fingerprintTables,
  manifestPathFor,
  readLedger,
  readManifest,
  sha256File,
  type BackupManifest,
  type LedgerEntry,
  type TableFingerprint,
} from './backup-files.js';

export class RestoreError extends BackupError {}

export interface RestoreOptions {
  file: string;
  /** Administrator URL of the database to restore into (created when missing). */
  targetUrl: string;
  force?: boolean;
  /** Databases whose erasure ledgers count too (the live one), read before anything is replaced. */
  ledgerFrom?: string[];
  pgRestore?: string;
  say?: (line: string) => void;
}

export interface TableComparison {
  table: string;
  expected: TableFingerprint | undefined;
  actual: TableFingerprint | undefined;
  equal: boolean;
}

export interface RestoreResult {
  manifest: BackupManifest;
  comparison: TableComparison[];
  erasuresReapplied: number;
  reappliedPatientIds: number[];
  ms: number;
}

function databaseUrl(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'clinicpulse-restore' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every ledger the restore can read: the exports beside the backups, and live databases. */
export async function gatherLedger(backupFile: string, liveUrls: string[], say: (line: string) => void): Promise<LedgerEntry[]> {
  const byId = new Map<string, LedgerEntry>();
  const add = (e: LedgerEntry) => byId.set(`${e.erasureId}:${e.patientId}`, e);
  const dir = path.dirname(path.resolve(backupFile));
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.erasures.json')) continue;
    try {
      for (const e of (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { erasures: LedgerEntry[] }).erasures) add(e);
    } catch {
      say(`  (skipped ${f}: not a readable ledger export)`);
    }
  }
  for (const url of liveUrls) {
    try {
      const entries = await withClient(url, readLedger);
      entries.forEach(add);
      say(`Read the erasure ledger of ${new URL(url).pathname.slice(1)}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}.`);
    } catch (err) {
      say(`Could not read the erasure ledger of ${new URL(url).pathname.slice(1)} (${(err as Error).message}); using the exported ledgers only.`);
    }
  }
  return [...byId.values()].sort((a, b) => a.erasureId - b.erasureId || a.patientId - b.patientId);
}

/** The roles and memberships migrations make (cluster-wide, so pg_dump does not carry them). */
const GROUP_ROLES = [...STAFF_ROLES, ...SERVICE_ROLES];
const ROLES_SQL = `
DO $roles$
DECLARE r text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinicpulse_owner') THEN CREATE ROLE clinicpulse_owner NOLOGIN; END IF;
  FOREACH r IN ARRAY ARRAY[${GROUP_ROLES.map((r) => `'${r}'`).join(',')}] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r); END IF;
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinicpulse_app') THEN CREATE ROLE clinicpulse_app LOGIN NOINHERIT; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinicpulse_backup') THEN
    BEGIN
      CREATE ROLE clinicpulse_backup LOGIN BYPASSRLS;
    EXCEPTION WHEN insufficient_privilege THEN
      CREATE ROLE clinicpulse_backup LOGIN;
    END;
  END IF;
END
$roles$;
GRANT ${GROUP_ROLES.join(', ')} TO clinicpulse_app;
GRANT clinicpulse_owner TO CURRENT_USER;
`;

export async function runRestore(opts: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const say = opts.say ?? (() => {});
  if (!existsSync(opts.file)) throw new RestoreError(`No such backup file: ${opts.file}`);
  const manifestFile = manifestPathFor(opts.file);
  if (!existsSync(manifestFile)) throw new RestoreError(`No manifest beside the backup (${manifestFile}): an incomplete or foreign backup.`);
  const manifest = readManifest(manifestFile);
  const sha = await sha256File(opts.file);
  if (sha !== manifest.sha256) {
    throw new RestoreError(`${opts.file} is damaged or altered: its sha256 is ${sha}, the manifest says ${manifest.sha256}. Nothing was changed.`);
  }
  say(`Backup ${path.basename(opts.file)}: taken ${manifest.createdAt}, PostgreSQL ${manifest.postgresVersion}, migration ${manifest.migration.latest}, sha256 verified.`);

  // Before anything is replaced: the live ledger may be in the very database being restored over.
  const ledger = await gatherLedger(opts.file, opts.ledgerFrom ?? [], say);

  const target = new URL(opts.targetUrl);
  const dbName = decodeURIComponent(target.pathname.slice(1));
  if (!dbName) throw new RestoreError('--into needs a database name in its path (postgres://…/name).');
  const serverUrl = databaseUrl(opts.targetUrl, 'postgres');
  await withClient(serverUrl, async (server) => {
    const exists = (await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount! > 0;
    if (exists) {
      const { rows } = await withClient(opts.targetUrl, (c) =>
        c.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','S')",
        ),
      );
      if (rows[0]!.n > 0) {
        if (!opts.force) {
          throw new RestoreError(`The database ${dbName} is not empty (${rows[0]!.n} relations). Restore into a new database (--into), or add --force to replace it.`);
        }
        say(`--force: replacing the database ${dbName}.`);
        await server.query(`DROP DATABASE ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
        await server.query(`CREATE DATABASE ${pg.escapeIdentifier(dbName)}`);
      }
    } else {
      await server.query(`CREATE DATABASE ${pg.escapeIdentifier(dbName)}`);
    }
    await server.query(ROLES_SQL);
  });

  const { url, password } = splitPassword(opts.targetUrl);
  await runTool(opts.pgRestore ?? process.env.PG_RESTORE ?? 'pg_restore', ['--single-transaction', '--exit-on-error', `--dbname=${url}`, path.resolve(opts.file)], password);
  await withClient(opts.targetUrl, async (c) => {
    const db = pg.escapeIdentifier(dbName);
    await c.query(`GRANT CONNECT ON DATABASE ${db} TO clinicpulse_app, clinicpulse_backup, clinicpulse_audit_writer`);
    await c.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
  });
  say('Restored; re-applied roles, memberships and database grants.');

  const actual = await withClient(opts.targetUrl, fingerprintTables);
  const names = [...new Set([...Object.keys(manifest.tables), ...Object.keys(actual)])].sort();
  const comparison: TableComparison[] = names.map((table) => {
    const expected = manifest.tables[table];
    const got = actual[table];
    return { table, expected, actual: got, equal: Boolean(expected && got && expected.rows === got.rows && expected.checksum === got.checksum) };
  });
  const width = Math.max(...names.map((n) => n.length), 5);
  say(`${'table'.padEnd(width)}  ${'manifest'.padStart(10)}  ${'restored'.padStart(10)}  checksum`);
  for (const c of comparison) {
    say(
      `${c.table.padEnd(width)}  ${String(c.expected?.rows ?? '-').padStart(10)}  ${String(c.actual?.rows ?? '-').padStart(10)}  ${c.equal ? 'equal' : 'DIFFERENT'}`,
    );
  }
  const bad = comparison.filter((c) => !c.equal);
  if (bad.length) throw new RestoreError(`The restored database differs from the manifest in ${bad.map((c) => c.table).join(', ')}. Do not use it.`);
  say(`All ${comparison.length} tables equal the manifest (row counts and checksums).`);

  const knex = createKnex(opts.targetUrl, { poolMax: 1, applicationName: 'clinicpulse-restore' });
  try {
    const applied = await migrateLatest(knex);
    if (applied.length) say(`Applied ${applied.length} migration(s) newer than the backup.`);
  } finally {
    await knex.destroy();
  }

  const reappliedPatientIds: number[] = [];
  await withClient(opts.targetUrl, async (c) => {
    await c.query('BEGIN');
    await c.query('SET LOCAL ROLE clinicpulse_owner');
    for (const e of ledger) {
      if (e.outcome !== 'erased') continue;
      const { rows } = await c.query<{ done: boolean }>('SELECT reapply_erasure($1, $2, $3, $4, $5) AS done', [
        e.erasureId,
        e.patientId,
        e.requestedBy,
        e.requestedAt,
        e.reason,
      ]);
      if (rows[0]!.done) reappliedPatientIds.push(e.patientId);
    }
    await c.query('COMMIT');
  });
  await withClient(opts.targetUrl, async (c) => {
    // The erased values leave no dead tuples behind in the restored copy; pg_restore gathers no statistics.
    if (reappliedPatientIds.length) await c.query(ERASURE_VACUUM_SQL);
    await c.query('ANALYZE');
  });
  const erased = ledger.filter((e) => e.outcome === 'erased').length;
  say(
    `Re-applied ${reappliedPatientIds.length} erasure(s) recorded after the backup` +
      (reappliedPatientIds.length ? ` (patients ${reappliedPatientIds.join(', ')})` : '') +
      `; ${erased - reappliedPatientIds.length} of the ${erased} in the ledger were already in it.`,
  );
  return { manifest, comparison, erasuresReapplied: reappliedPatientIds.length, reappliedPatientIds, ms: Date.now() - started };
}
