/**
 * Readable columns are listed, never implied.
 *
 * A table-level SELECT grant covers every column the table has now *and every column added
 * later*: clinicians could read patients.legal_hold_reason (compliance's words about
 * litigation) only because they held SELECT on the whole table (issue 9, item 8). This
 * migration turns every table-level SELECT that a staff or service role holds, on every
 * table and view in the schema, into the same grant column by column, except
 * patients.legal_hold_reason for clinicians. From here on a new column is readable by no one
 * until a migration grants it, and test/security/permission-matrix.ts lists every role's
 * readable columns one by one, so that grant is reviewed.
 *
 * INSERT/UPDATE/DELETE grants are left as they are: a new column does not become readable
 * through them (RETURNING needs SELECT on it).
 */
import type { Knex } from 'knex';
import { runSql } from './support.js';

/** Roles the service can become; clinicpulse_backup keeps its table-level SELECT (pg_dump). */
const ROLES = ['front_desk', 'clinician', 'billing', 'manager', 'compliance', 'clinicpulse_auth', 'clinicpulse_realtime'];

/** Columns a role that read the whole relation no longer reads: relation → role → columns. */
const WITHHELD: Record<string, Record<string, string[]>> = {
  // Compliance's record of litigation or investigation: nothing a clinician treats with.
  patients: { clinician: ['legal_hold_reason'] },
};

const list = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(', ')}]::text[]`;

/**
 * SQL that turns every table-level SELECT a staff or service role holds on a table or view of
 * the public schema into the same grant column by column, less `withheld`. Exported so that a
 * later migration can apply it again to relations created after this one (run it as the
 * migrating superuser).
 */
export function tableSelectToColumnGrantsSql(withheld: Record<string, Record<string, string[]>> = WITHHELD): string {
  const rows = Object.entries(withheld).flatMap(([rel, byRole]) =>
    Object.entries(byRole).flatMap(([role, cols]) => cols.map((c) => `('${rel}', '${role}', '${c}')`)),
  );
  const excluded = rows.length ? `AND (g.relname, g.role, at.attname::text) NOT IN (VALUES ${rows.join(', ')})` : '';
  return `
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
    WHERE at.attrelid = g.rel AND at.attnum > 0 AND NOT at.attisdropped ${excluded};
    EXECUTE format('REVOKE SELECT ON %s FROM %I', g.rel, g.role);
    EXECUTE format('GRANT SELECT (%s) ON %s TO %I', cols, g.rel, g.role);
  END LOOP;
END
$do$;
`;
}

export async function up(knex: Knex): Promise<void> {
  // As the migrating superuser: it may grant and revoke on the owner's objects.
  await runSql(knex, tableSelectToColumnGrantsSql());
}

export async function down(knex: Knex): Promise<void> {
  // Back to table-level SELECT wherever a role reads every column (and for the withheld ones).
  const withheldPairs = Object.entries(WITHHELD).flatMap(([rel, byRole]) => Object.keys(byRole).map((role) => `('${rel}', '${role}')`));
  await runSql(knex, `
DO $do$
DECLARE g record;
BEGIN
  FOR g IN
    SELECT c.oid::regclass AS rel, r.role
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(${list(ROLES)}) r(role)
    WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f')
      AND ((c.relname, r.role) IN (VALUES ${withheldPairs.join(', ')})
           OR NOT EXISTS (SELECT 1 FROM pg_attribute at WHERE at.attrelid = c.oid AND at.attnum > 0 AND NOT at.attisdropped
                          AND NOT has_column_privilege(r.role, c.oid, at.attnum, 'SELECT')))
      AND NOT has_table_privilege(r.role, c.oid, 'SELECT')
  LOOP
    EXECUTE format('GRANT SELECT ON %s TO %I', g.rel, g.role);
    -- The column entries are now redundant: revoking them leaves the table-level grant.
    EXECUTE format('REVOKE SELECT (%s) ON %s FROM %I',
      (SELECT string_agg(quote_ident(at.attname), ', ') FROM pg_attribute at
       WHERE at.attrelid = g.rel AND at.attnum > 0 AND NOT at.attisdropped), g.rel, g.role);
  END LOOP;
END
$do$;
`);
}
