/**
 * Readable columns stay listed after this round's new relations and columns.
 *
 * 20261206000201 turned every table-level SELECT into column grants; the scheduling
 * relations (time off, waitlist, freed slots, series) and the screens' reference tables were
 * created later with table-level SELECT, and appointments and providers gained columns that
 * no role could read yet. This migration applies the same conversion again, and grants the
 * new appointment and provider columns (including the arrival time, checked_in_at) to the roles that already read those relations.
 * The permission matrix (test/security/permission-matrix.ts) lists the result column by column.
 */
import type { Knex } from 'knex';
import { runSql } from './support.js';

/** Roles the service can become; clinicpulse_backup keeps its table-level SELECT (pg_dump). */
const ROLES = ['front_desk', 'clinician', 'billing', 'manager', 'compliance', 'clinicpulse_auth', 'clinicpulse_realtime'];

const list = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(', ')}]::text[]`;

/** Every table-level SELECT a staff or service role holds, turned into the same grant column by column (a copy of 20261206000201's). */
const tableSelectToColumnGrantsSql = `
DO $do$
DECLARE g record; cols text;
BEGIN
  FOR g IN
    SELECT c.oid::regclass AS rel, c.relname, a.grantee::regrole::text AS role
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
    WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f') AND a.privilege_type = 'SELECT'
      AND a.grantee <> 0 AND a.grantee::regrole::text = ANY (${list(ROLES)})
    ORDER BY 2, 3
  LOOP
    SELECT string_agg(quote_ident(at.attname), ', ' ORDER BY at.attnum) INTO cols
    FROM pg_attribute at
    WHERE at.attrelid = g.rel AND at.attnum > 0 AND NOT at.attisdropped;
    EXECUTE format('REVOKE SELECT ON %s FROM %I', g.rel, g.role);
    EXECUTE format('GRANT SELECT (%s) ON %s TO %I', cols, g.rel, g.role);
  END LOOP;
END
$do$;
`;

export async function up(knex: Knex): Promise<void> {
  // As the migrating superuser: it may grant and revoke on the owner's objects.
  await runSql(knex, tableSelectToColumnGrantsSql);
  await runSql(knex, `
GRANT SELECT (outside_hours_reason, overbook_reason, overbook_lane, series_id, checked_in_at) ON appointments TO front_desk, clinician;
GRANT SELECT (overbook_limit) ON providers TO front_desk, clinician, manager;
`);
}

export async function down(knex: Knex): Promise<void> {
  await runSql(knex, `
REVOKE SELECT (outside_hours_reason, overbook_reason, overbook_lane, series_id, checked_in_at) ON appointments FROM front_desk, clinician;
REVOKE SELECT (overbook_limit) ON providers FROM front_desk, clinician, manager;
`);
  // The column grants made from table-level ones stay: they give exactly what the table-level grant gave.
}
