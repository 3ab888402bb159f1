/**
 * Maintenance the service runs with the administrator's connection, never with its own
 * login: today, the targeted VACUUM after an erasure.
 *
 * erase_patient() overwrites a patient's identity and deletes their wrapped data key and
 * waitlist entries, but PostgreSQL keeps the old row versions (name, date of birth, email,
 * phone; the wrapped key; a waitlist note)
 * and their index entries until VACUUM removes them. VACUUM cannot run inside a transaction
 * or a function, and in PostgreSQL 15 only a table's owner, the database owner or a
 * superuser may run it (the MAINTAIN privilege arrives in PostgreSQL 17). The service's login
 * owns nothing by design, so the VACUUM goes through a short-lived connection with the
 * administrator's URL, which the service already holds (DATABASE_URL, or the embedded
 * server's). The statement is fixed text: no request value reaches that connection.
 * What VACUUM does not remove (free space in data files, WAL, backups): docs/security.md.
 */
import pg from 'pg';

/** The tables erase_patient() rewrites or deletes from: the identity, the data key and the waitlist (whose note can name the patient). */
const ERASURE_TOUCHED_TABLES = ['patients', 'patient_keys', 'waitlist_entries'] as const;

/**
 * The VACUUM after an erasure (the server's, and a restore's after re-applying erasures).
 * INDEX_CLEANUP ON: with the default (AUTO), PostgreSQL skips index vacuuming when few rows
 * are dead, which after one erasure would leave the old email and name in the indexes.
 */
export const ERASURE_VACUUM_SQL = `VACUUM (INDEX_CLEANUP ON) ${ERASURE_TOUCHED_TABLES.map((t) => `public.${t}`).join(', ')}`;

export interface Maintenance {
  /** VACUUM the tables an erasure touched; resolves with what happened, never rejects. */
  vacuumAfterErasure(): Promise<VacuumOutcome>;
}

export type VacuumOutcome = { vacuumed: true; ms: number } | { vacuumed: false; error: string };

/**
 * Maintenance through `adminUrl`. lock_timeout: VACUUM waits behind autovacuum or DDL on the
 * same table; rather than keep the compliance officer waiting, give up (autovacuum will get
 * there) and say so.
 */
export function adminMaintenance(adminUrl: string, opts: { lockTimeoutMs?: number } = {}): Maintenance {
  return {
    async vacuumAfterErasure() {
      const started = Date.now();
      const client = new pg.Client({ connectionString: adminUrl, application_name: 'clinicpulse-erasure-vacuum' });
      try {
        await client.connect();
        await client.query(`SET lock_timeout = ${Math.max(1, Math.trunc(opts.lockTimeoutMs ?? 5000))}`);
        await client.query(ERASURE_VACUUM_SQL);
        return { vacuumed: true, ms: Date.now() - started };
      } catch (err) {
        return { vacuumed: false, error: (err as Error).message };
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
