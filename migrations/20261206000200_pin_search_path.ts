/**
 * Pin every function's search_path with pg_temp last.
 *
 * When pg_temp is not named in search_path, PostgreSQL searches it FIRST for tables and
 * views. A role that may create temporary tables (TEMP is granted to PUBLIC by default, and
 * a restore can bring that back) could then shadow staff_users, clinic_settings or any
 * other table inside a security-definer function, and make the owner's code read the
 * attacker's rows: a clinician impersonated another provider that way (issue 9, item 7).
 *
 * This migration walks pg_proc rather than listing names, so no function is forgotten:
 * - every SECURITY DEFINER function gets exactly `pg_catalog, public, pg_temp`;
 * - every other function of ours that already sets a search_path keeps its schemas and gets
 *   pg_catalog first and pg_temp last (these run with the owner's rights when a definer
 *   function calls them; functions without a SET stay inlinable and inherit the caller's).
 * test/security/catalog-lint.test.ts refuses any function created later without this.
 */
import type { Knex } from 'knex';
import { runSql } from './support.js';

/** The one search_path every security-definer function carries. */
export const DEFINER_SEARCH_PATH = 'pg_catalog, public, pg_temp';

// Functions belonging to an extension (pgcrypto, btree_gist) are left to the extension.
const OURS = `
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'public'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`;

export async function up(knex: Knex): Promise<void> {
  // Run as the migrating superuser: ALTER FUNCTION needs ownership or superuser, and the
  // functions' owner (clinicpulse_owner) stays as it is.
  await runSql(knex, `
DO $do$
DECLARE f record;
BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig, p.prosecdef,
                  (SELECT c FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%') AS cfg ${OURS}
  LOOP
    IF f.prosecdef THEN
      EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, public, pg_temp', f.sig);
    ELSIF f.cfg = 'search_path=public, pg_catalog' THEN
      EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, public, pg_temp', f.sig);
    ELSIF f.cfg = 'search_path=pg_catalog' THEN
      EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f.sig);
    ELSIF f.cfg IS NOT NULL AND f.cfg NOT IN ('search_path=pg_catalog, public, pg_temp', 'search_path=pg_catalog, pg_temp') THEN
      RAISE EXCEPTION 'function % has an unexpected %: review it by hand', f.sig, f.cfg;
    END IF;
  END LOOP;
END
$do$;
`);
}

export async function down(knex: Knex): Promise<void> {
  // Every function had 'public, pg_catalog' or 'pg_catalog' before: put that back.
  await runSql(knex, `
DO $do$
DECLARE f record;
BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig,
                  (SELECT c FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%') AS cfg ${OURS}
  LOOP
    IF f.cfg = 'search_path=pg_catalog, public, pg_temp' THEN
      EXECUTE format('ALTER FUNCTION %s SET search_path = public, pg_catalog', f.sig);
    ELSIF f.cfg = 'search_path=pg_catalog, pg_temp' THEN
      EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog', f.sig);
    END IF;
  END LOOP;
END
$do$;
`);
}
