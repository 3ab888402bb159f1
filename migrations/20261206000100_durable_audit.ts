/**
 * Audited reads and break-the-glass survive a rollback (issue 9, items 2 and 9).
 *
 * Before: a read's audit row was part of the reader's transaction, so "read, then ROLLBACK"
 * left no trace. Now every event recorded through audit_event() (reads, break-the-glass) is
 * written by a second connection, in its own transaction, that commits before the caller's
 * function returns its data: an autonomous write through dblink to this same database,
 * logged in as clinicpulse_audit_writer. That login can do exactly one thing:
 * audit_append_autonomous(), which appends a 'read' or 'break_glass' row and nothing else.
 *
 * - dblink lives in its own schema (clinicpulse_link) that no staff or service role may use,
 *   with EXECUTE revoked from PUBLIC: only the owner's definer functions reach it.
 * - The writer's password is kept where no role but a superuser can read it: the options of
 *   the owner's user mapping on the foreign server clinicpulse_audit_link (the service sets
 *   it at start-up from DATA_DIR, like the app login's: server/db/connect.ts). The mapping
 *   holds the login; the server may hold host/port overrides; the database is always the
 *   caller's own (current_database()), so test clones audit into themselves.
 * - One dblink connection per backend, opened on first use and kept (a reconnect on a broken
 *   connection, once): one extra round trip and commit per audited call, not a login.
 * - audit_event() is no longer callable by staff roles (item 9): only the owner's definer
 *   functions record declared events, so nobody can write a fake break_glass row.
 * - A break-the-glass grant opens the record only from the next transaction on
 *   (granted_at < now()): a grant that is rolled back never opened anything, while its
 *   high-severity audit row stays.
 * - audit_log.patient_ids: one read row can name every patient a request returned
 *   (a search, a schedule); see migration 20261206000110.
 */
import type { Knex } from 'knex';
import { asOwner, runSql } from './support.js';

export const AUDIT_WRITER_ROLE = 'clinicpulse_audit_writer';
export const AUDIT_LINK_SERVER = 'clinicpulse_audit_link';

async function currentDatabase(knex: Knex): Promise<string> {
  const { rows } = await knex.raw<{ rows: { db: string }[] }>('SELECT quote_ident(current_database()) AS db');
  return rows[0]!.db;
}

const ACTING_GRANT = `g.expires_at > now() AND g.granted_at < now()`;

export async function up(knex: Knex): Promise<void> {
  // Cluster- and extension-level groundwork needs the migrating (superuser) role.
  await runSql(knex, `
    DO $$ BEGIN
      -- Writes autonomous audit rows and nothing else; owns nothing, inherits nothing.
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${AUDIT_WRITER_ROLE}') THEN
        CREATE ROLE ${AUDIT_WRITER_ROLE} LOGIN NOINHERIT;
      END IF;
    END $$;
    -- IF NOT EXISTS: on a managed PostgreSQL the platform's superuser creates dblink (not a
    -- trusted extension) in this schema before migrating (docs/operations.md).
    CREATE SCHEMA IF NOT EXISTS clinicpulse_link AUTHORIZATION clinicpulse_owner;
    COMMENT ON SCHEMA clinicpulse_link IS 'The dblink extension, for autonomous audit writes only: no role but the owner may use it.';
    CREATE EXTENSION IF NOT EXISTS dblink SCHEMA clinicpulse_link;
    REVOKE ALL ON SCHEMA clinicpulse_link FROM PUBLIC;
    GRANT USAGE ON SCHEMA clinicpulse_link TO clinicpulse_owner;
    REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA clinicpulse_link FROM PUBLIC;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA clinicpulse_link TO clinicpulse_owner;
    GRANT USAGE ON FOREIGN DATA WRAPPER dblink_fdw TO clinicpulse_owner;
    GRANT USAGE ON SCHEMA public TO ${AUDIT_WRITER_ROLE};
  `);
  await runSql(knex, `GRANT CONNECT ON DATABASE ${await currentDatabase(knex)} TO ${AUDIT_WRITER_ROLE}`);
  await asOwner(
    knex,
    `
-- ===== Where the autonomous writer connects ===================================

-- host/port default to the address the caller reached this server on (or its socket
-- directory); set them as server options when that is not reachable from the server itself.
CREATE SERVER ${AUDIT_LINK_SERVER} FOREIGN DATA WRAPPER dblink_fdw;
COMMENT ON SERVER ${AUDIT_LINK_SERVER} IS 'Loopback to this database for autonomous audit writes; options may override host and port.';
-- Placeholder password: the service sets the real one at start-up (server/db/connect.ts).
CREATE USER MAPPING FOR clinicpulse_owner SERVER ${AUDIT_LINK_SERVER}
  OPTIONS (user '${AUDIT_WRITER_ROLE}', password 'not-set-yet');

-- ===== Many patients in one read row ===========================================

ALTER TABLE audit_log ADD COLUMN patient_ids integer[];
COMMENT ON COLUMN audit_log.patient_ids IS 'For a read that returned several people (a search, a schedule): every patient id returned, so "who saw this patient" finds it. NULL otherwise.';
CREATE INDEX audit_log_patient_ids_idx ON audit_log USING gin (patient_ids) WHERE patient_ids IS NOT NULL;

-- ===== The remote end: what the writer login may do ==============================

CREATE FUNCTION audit_append_autonomous(p_txid bigint, p_actor_user_id integer, p_actor_role text, p_action text,
                                        p_table text, p_row_key text, p_patient_id integer, p_severity text,
                                        p_patient_ids integer[])
  RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE id bigint;
BEGIN
  -- Writes, erasures and holds are recorded transactionally by the database itself, never here.
  IF p_action NOT IN ('read', 'break_glass') THEN
    RAISE EXCEPTION 'audit action % is not recorded autonomously', p_action
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_event_action_reserved';
  END IF;
  INSERT INTO audit_log (txid, actor_user_id, actor_role, action, severity, table_name, row_key, patient_id, patient_ids)
  VALUES (p_txid, p_actor_user_id, p_actor_role, p_action, coalesce(p_severity, 'info'), p_table, p_row_key,
          p_patient_id, p_patient_ids)
  RETURNING audit_id INTO id;
  RETURN id;
END $$;
COMMENT ON FUNCTION audit_append_autonomous(bigint, integer, text, text, text, text, integer, text, integer[]) IS 'The autonomous end of audit_append_durable: run by clinicpulse_audit_writer over dblink, in its own transaction; appends one read or break_glass row with the actor and txid the caller''s side derived. Returns the audit_id.';

-- ===== The local end ==========================================================

-- The writer's connection string: host and port the caller reached (overridable by server
-- options), this database, and the login from the owner's user mapping (readable by the
-- owner and superusers only). Owner-only: it returns a password.
CREATE FUNCTION audit_link_conninfo() RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT string_agg(format('%s=''%s''', o.k, replace(replace(o.v, '\\', '\\\\'), '''', '\\''')), ' ' ORDER BY o.ord)
  FROM (
    SELECT 1 AS ord, 'host' AS k, coalesce(host(inet_server_addr()),
                                           nullif(btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''),
                                           'localhost') AS v
    UNION ALL SELECT 2, 'port', current_setting('port')
    UNION ALL SELECT 3, 'dbname', current_database()
    UNION ALL SELECT 4, 'application_name', 'clinicpulse-audit-writer'
    UNION ALL SELECT 5, split_part(opt, '=', 1), substr(opt, strpos(opt, '=') + 1)
      FROM pg_foreign_server s, unnest(s.srvoptions) opt WHERE s.srvname = '${AUDIT_LINK_SERVER}'
    UNION ALL SELECT 6, split_part(opt, '=', 1), substr(opt, strpos(opt, '=') + 1)
      FROM pg_user_mappings m, unnest(m.umoptions) opt
      WHERE m.srvname = '${AUDIT_LINK_SERVER}' AND m.usename = 'clinicpulse_owner'
  ) o
$$;
COMMENT ON FUNCTION audit_link_conninfo() IS 'libpq connection string of the autonomous audit writer (includes its password): owner-only, used by audit_append_durable.';

-- Append one read/break_glass row for the acting staff member in a separate, already
-- committed transaction: it stays whatever the caller's transaction does next.
CREATE FUNCTION audit_append_durable(p_action text, p_table text, p_row_key text, p_patient_id integer,
                                     p_severity text DEFAULT 'info', p_patient_ids integer[] DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  conn constant text := 'clinicpulse_audit';
  who record;
  stmt text;
  id bigint;
BEGIN
  SELECT * INTO who FROM audit_actor();
  stmt := format('SELECT public.audit_append_autonomous(%s, %L, %L, %L, %L, %L, %L, %L, %L)',
                 txid_current(), who.actor_user_id, who.actor_role, p_action, p_table, p_row_key, p_patient_id,
                 p_severity, p_patient_ids);
  IF NOT (conn = ANY (coalesce(clinicpulse_link.dblink_get_connections(), '{}'))) THEN
    PERFORM clinicpulse_link.dblink_connect(conn, audit_link_conninfo());
  END IF;
  BEGIN
    SELECT t.id INTO id FROM clinicpulse_link.dblink(conn, stmt) AS t(id bigint);
  EXCEPTION WHEN connection_exception THEN
    -- The kept connection died (its backend was terminated, the server restarted): once more.
    PERFORM clinicpulse_link.dblink_disconnect(conn);
    PERFORM clinicpulse_link.dblink_connect(conn, audit_link_conninfo());
    SELECT t.id INTO id FROM clinicpulse_link.dblink(conn, stmt) AS t(id bigint);
  END;
  RETURN id;
END $$;
COMMENT ON FUNCTION audit_append_durable(text, text, text, integer, text, integer[]) IS 'Appends one read or break_glass audit row for the acting staff member through a second connection (dblink, clinicpulse_audit_writer) that commits at once, so the row survives a rollback of the caller. Owner-only.';

-- Same contract as before, now durable; callable only from the owner's definer functions.
CREATE OR REPLACE FUNCTION audit_event(p_action text, p_table text, p_row_key text, p_patient_id integer,
                                       p_severity text DEFAULT 'info', p_changed_columns text[] DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF p_action IN ('insert','update','delete','erase','erase_refused','legal_hold') OR p_changed_columns IS NOT NULL THEN
    RAISE EXCEPTION 'audit action % is recorded by the database itself', p_action
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_event_action_reserved';
  END IF;
  RETURN audit_append_durable(p_action, p_table, p_row_key, p_patient_id, p_severity);
END $$;
COMMENT ON FUNCTION audit_event(text, text, text, integer, text, text[]) IS 'Records a read or break-glass for the acting staff member (derived here, never chosen by the caller), durably: the row survives a rollback of the caller. Callable only by the owner''s definer functions. Returns the audit_id.';

REVOKE EXECUTE ON FUNCTION audit_event(text, text, text, integer, text, text[])
  FROM front_desk, clinician, billing, manager, compliance;
REVOKE EXECUTE ON FUNCTION audit_append_autonomous(bigint, integer, text, text, text, text, integer, text, integer[]),
  audit_link_conninfo(), audit_append_durable(text, text, text, integer, text, integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append_autonomous(bigint, integer, text, text, text, text, integer, text, integer[])
  TO ${AUDIT_WRITER_ROLE};

-- ===== Break-the-glass takes effect once committed ===============================
-- granted_at is the granting transaction's now(): no later-starting transaction shares it,
-- so the granting transaction itself never sees the grant as open.

DROP POLICY "clinicians see their own grants" ON break_glass_grants;
CREATE POLICY "clinicians see their own committed grants" ON break_glass_grants FOR SELECT TO clinician
  USING (user_id = (SELECT current_staff_user_id()) AND granted_at < now());

CREATE OR REPLACE FUNCTION staff_can_access_patient(p_patient_id integer) RETURNS boolean
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE me record;
BEGIN
  IF p_patient_id IS NULL THEN
    RETURN false;
  END IF;
  SELECT * INTO me FROM acting_staff();
  IF me.user_id IS NULL THEN
    RETURN false;
  END IF;
  CASE me.role
    WHEN 'front_desk' THEN
      RETURN true;
    WHEN 'clinician' THEN
      RETURN EXISTS (SELECT 1 FROM appointments a WHERE a.patient_id = p_patient_id AND a.provider_id = me.provider_id)
          OR EXISTS (SELECT 1 FROM break_glass_grants g
                     WHERE g.user_id = me.user_id AND g.patient_id = p_patient_id AND ${ACTING_GRANT});
    WHEN 'billing' THEN
      RETURN EXISTS (SELECT 1 FROM charges c WHERE c.patient_id = p_patient_id);
    ELSE
      RETURN false;
  END CASE;
END $$;

CREATE OR REPLACE FUNCTION staff_patient_ids() RETURNS SETOF integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp ROWS 1000 AS $$
  SELECT a.patient_id FROM acting_staff() me JOIN appointments a ON a.provider_id = me.provider_id
  WHERE me.role = 'clinician'
  UNION
  SELECT g.patient_id FROM acting_staff() me JOIN break_glass_grants g ON g.user_id = me.user_id
  WHERE me.role = 'clinician' AND ${ACTING_GRANT}
$$;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION staff_patient_ids() RETURNS SETOF integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp ROWS 1000 AS $$
  SELECT a.patient_id FROM acting_staff() me JOIN appointments a ON a.provider_id = me.provider_id
  WHERE me.role = 'clinician'
  UNION
  SELECT g.patient_id FROM acting_staff() me JOIN break_glass_grants g ON g.user_id = me.user_id
  WHERE me.role = 'clinician' AND g.expires_at > now()
$$;
CREATE OR REPLACE FUNCTION staff_can_access_patient(p_patient_id integer) RETURNS boolean
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE me record;
BEGIN
  IF p_patient_id IS NULL THEN
    RETURN false;
  END IF;
  SELECT * INTO me FROM acting_staff();
  IF me.user_id IS NULL THEN
    RETURN false;
  END IF;
  CASE me.role
    WHEN 'front_desk' THEN
      RETURN true;
    WHEN 'clinician' THEN
      RETURN EXISTS (SELECT 1 FROM appointments a WHERE a.patient_id = p_patient_id AND a.provider_id = me.provider_id)
          OR EXISTS (SELECT 1 FROM break_glass_grants g
                     WHERE g.user_id = me.user_id AND g.patient_id = p_patient_id AND g.expires_at > now());
    WHEN 'billing' THEN
      RETURN EXISTS (SELECT 1 FROM charges c WHERE c.patient_id = p_patient_id);
    ELSE
      RETURN false;
  END CASE;
END $$;
DROP POLICY IF EXISTS "clinicians see their own committed grants" ON break_glass_grants;
CREATE POLICY "clinicians see their own grants" ON break_glass_grants FOR SELECT TO clinician
  USING (user_id = (SELECT current_staff_user_id()));

CREATE OR REPLACE FUNCTION audit_event(p_action text, p_table text, p_row_key text, p_patient_id integer,
                                       p_severity text DEFAULT 'info', p_changed_columns text[] DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF p_action IN ('insert','update','delete','erase','erase_refused','legal_hold') THEN
    RAISE EXCEPTION 'audit action % is recorded by the database itself', p_action
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_event_action_reserved';
  END IF;
  RETURN audit_append(p_action, p_table, p_row_key, p_patient_id, p_severity, p_changed_columns);
END $$;
GRANT EXECUTE ON FUNCTION audit_event(text, text, text, integer, text, text[])
  TO front_desk, clinician, billing, manager, compliance;
DROP FUNCTION IF EXISTS audit_append_durable(text, text, text, integer, text, integer[]), audit_link_conninfo(),
  audit_append_autonomous(bigint, integer, text, text, text, text, integer, text, integer[]);
DROP INDEX IF EXISTS audit_log_patient_ids_idx;
ALTER TABLE audit_log DROP COLUMN IF EXISTS patient_ids;
DROP SERVER IF EXISTS ${AUDIT_LINK_SERVER} CASCADE;
`,
  );
  await runSql(knex, `
    DROP EXTENSION IF EXISTS dblink;
    DROP SCHEMA IF EXISTS clinicpulse_link;
    REVOKE USAGE ON SCHEMA public FROM ${AUDIT_WRITER_ROLE};
  `);
  await runSql(knex, `REVOKE CONNECT ON DATABASE ${await currentDatabase(knex)} FROM ${AUDIT_WRITER_ROLE}`);
}
