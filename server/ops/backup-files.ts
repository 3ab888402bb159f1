/**
 * What a backup is on disk, and the fingerprint of a database's contents that a
 * backup's manifest records and a restore checks against.
 *
 *   backups/clinicpulse-20261206T181500Z.dump            pg_dump -Fc
 *   backups/clinicpulse-20261206T181500Z.manifest.json   time, versions, per-table rows + checksums, sha256
 *   backups/clinicpulse-20261206T181500Z.erasures.json   the erasure ledger at that moment
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export const MANIFEST_FORMAT = 'clinicpulse-backup/1';

export interface TableFingerprint {
  rows: number;
  /** Order-independent sum of a 60-bit hash of each row's text form, as a decimal string. */
  checksum: string;
}

export interface LedgerEntry {
  erasureId: number;
  patientId: number;
  outcome: 'erased' | 'refused_legal_hold';
  requestedBy: number;
  requestedAt: string;
  reason: string;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  createdAt: string;
  file: string;
  bytes: number;
  sha256: string;
  database: string;
  postgresVersion: string;
  migration: { latest: string | null; count: number };
  tables: Record<string, TableFingerprint>;
  erasureLedgerFile: string;
  erasures: number;
  /** Always false: the master key lives outside the database, so no dump can hold it. */
  masterKeyIncluded: false;
}

export const manifestPathFor = (dumpFile: string) => dumpFile.replace(/\.dump$/, '') + '.manifest.json';
export const ledgerPathFor = (dumpFile: string) => dumpFile.replace(/\.dump$/, '') + '.erasures.json';

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * Session settings under which a row's text form is the same on every server and
 * every run (time zone, date and interval styles, float digits).
 */
export const STABLE_TEXT_SETTINGS =
  "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'";

/** Row counts and content checksums of every table in schema public (rows hidden by RLS included, or an error). */
export async function fingerprintTables(client: pg.ClientBase, opts: { rowSecurity?: boolean } = {}): Promise<Record<string, TableFingerprint>> {
  await client.query(STABLE_TEXT_SETTINGS);
  // Off: an error rather than a silently filtered count, should RLS apply to this login. On only
  // for a backup login without BYPASSRLS, after checking its read-everything policies (backup.ts).
  await client.query(`SET row_security = ${opts.rowSecurity ? 'on' : 'off'}`);
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  const out: Record<string, TableFingerprint> = {};
  for (const { name } of tables) {
    const { rows } = await client.query<{ rows: string; checksum: string }>(
      `SELECT count(*)::text AS rows,
              coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text AS checksum
       FROM public.${pg.escapeIdentifier(name)} t`,
    );
    out[name] = { rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum };
  }
  return out;
}

/** The erasure ledger, oldest first. */
export async function readLedger(client: pg.ClientBase): Promise<LedgerEntry[]> {
  const { rows } = await client.query<{
    erasure_id: number;
    patient_id: number;
    outcome: LedgerEntry['outcome'];
    requested_by: number;
    requested_at: Date;
    reason: string;
  }>('SELECT erasure_id, patient_id, outcome, requested_by, requested_at, reason FROM public.erasures ORDER BY erasure_id');
  return rows.map((r) => ({
    erasureId: r.erasure_id,
    patientId: r.patient_id,
    outcome: r.outcome,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at.toISOString(),
    reason: r.reason,
  }));
}

export function readManifest(file: string): BackupManifest {
  const m = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  if (m.format !== MANIFEST_FORMAT) throw new Error(`${file} is not a ClinicPulse backup manifest (format ${String(m.format)})`);
  return m;
}

/** When the newest backup in `dir` was taken, from its manifest; undefined when there is none. */
export function newestBackupAt(dir: string): Date | undefined {
  if (!existsSync(dir)) return undefined;
  let newest: Date | undefined;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.manifest.json')) continue;
    try {
      const at = new Date(readManifest(path.join(dir, f)).createdAt);
      if (!newest || at > newest) newest = at;
    } catch {
      // A half-written or foreign file is not a backup.
    }
  }
  return newest;
}
