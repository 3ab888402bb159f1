/**
 * The live audit feed reads as the realtime service, not as a compliance officer.
 *
 * The feed used to read the audit rows a notification names inside a transaction of
 * whichever compliance user happened to be connected to this process: a read done in
 * someone's name that they never made, and no feed at all for a second process with no
 * officer of its own. realtime_audit_entries() is an owner-rights function granted to
 * clinicpulse_realtime alone: for up to 1000 ids it returns only what the feed sends
 * (id, action, table, actor role, time; never a row key, patient or column list), and
 * only for entries appended in the last 15 minutes, so the role cannot page through the
 * history of the log.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE FUNCTION realtime_audit_entries(p_ids bigint[])
  RETURNS TABLE (audit_id bigint, action text, table_name text, actor_role text, at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT l.audit_id, l.action, l.table_name, l.actor_role, l.at
  FROM audit_log l
  WHERE l.audit_id = ANY (p_ids[1:1000]) AND l.at > now() - interval '15 minutes'
  ORDER BY l.audit_id
$$;
COMMENT ON FUNCTION realtime_audit_entries(bigint[]) IS 'For clinicpulse_realtime: id, action, table, actor role and time (nothing that names a row or patient) of up to 1000 audit entries appended in the last 15 minutes, for the compliance screens'' live feed; older ids return nothing.';
REVOKE EXECUTE ON FUNCTION realtime_audit_entries(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION realtime_audit_entries(bigint[]) TO clinicpulse_realtime;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'DROP FUNCTION IF EXISTS realtime_audit_entries(bigint[])');
}
