/**
 * The append-only audit log: who wrote which row of patient data (and staff
 * accounts), when, in which transaction, and which columns changed: ids and
 * column names only, never a value, so the log holds no PII and erasure never
 * has to rewrite it. Writes are recorded by statement-level triggers with
 * transition tables (one INSERT…SELECT per statement, so bulk loads stay cheap);
 * reads, break-glass and erasure are recorded through audit_event(). Nobody,
 * not even the owner, can update, delete or truncate the log.
 * See docs/security.md ("Audit log").
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

/** Tables audited here, with the SQL (over the written row `r`) that names the data subject. */
export const AUDITED_TABLES: ReadonlyArray<{ table: string; key: string; patient: string }> = [
  { table: 'patients', key: 'patient_id', patient: 'r.patient_id' },
  { table: 'appointments', key: 'appointment_id', patient: 'r.patient_id' },
  { table: 'visits', key: 'visit_id', patient: 'r.patient_id' },
  { table: 'diagnoses', key: 'diagnosis_id', patient: '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)' },
  { table: 'prescriptions', key: 'prescription_id', patient: '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)' },
  { table: 'staff_users', key: 'user_id', patient: 'NULL::integer' },
];

/** SQL creating the three statement-level audit triggers of one table (later migrations keep their own copy). */
export function auditTriggersSql(table: string, key: string, patient: string): string {
  const args = `${quoteLiteral(key)}, ${quoteLiteral(patient)}`;
  return `
CREATE TRIGGER ${table}_audit_insert AFTER INSERT ON ${table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
CREATE TRIGGER ${table}_audit_update AFTER UPDATE ON ${table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
CREATE TRIGGER ${table}_audit_delete AFTER DELETE ON ${table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
`;
}

export function dropAuditTriggersSql(table: string): string {
  return ['insert', 'update', 'delete'].map((op) => `DROP TRIGGER IF EXISTS ${table}_audit_${op} ON ${table};`).join('\n');
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- ===== The log ================================================================

CREATE TABLE audit_log (
  audit_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  txid bigint NOT NULL DEFAULT txid_current(),
  actor_user_id integer,
  actor_role text NOT NULL,
  action text NOT NULL CONSTRAINT audit_log_action_check
    CHECK (action IN ('insert','update','delete','read','break_glass','erase','erase_refused','legal_hold')),
  severity text NOT NULL DEFAULT 'info' CONSTRAINT audit_log_severity_check CHECK (severity IN ('info','high')),
  -- Identifiers and digits only, so no value (a name, an email) can be smuggled into the log.
  -- ltrim with a character set rather than a regex: a bulk load checks a million of these.
  table_name text CONSTRAINT audit_log_table_name_shape
    CHECK (length(table_name) BETWEEN 1 AND 63 AND ltrim(table_name, 'abcdefghijklmnopqrstuvwxyz0123456789_') = ''),
  row_key text CONSTRAINT audit_log_row_key_shape
    CHECK (length(row_key) BETWEEN 1 AND 20 AND ltrim(row_key, '0123456789') = ''),
  patient_id integer,
  changed_columns text[] CONSTRAINT audit_log_changed_columns_shape
    CHECK (ltrim(array_to_string(changed_columns, ''), 'abcdefghijklmnopqrstuvwxyz0123456789_') = '')
);
-- No sequence CACHE: cached blocks would hand each session its own range, so ids would stop
-- following the order rows were written across sessions, which readers rely on.
CREATE INDEX audit_log_patient_idx ON audit_log (patient_id, audit_id) WHERE patient_id IS NOT NULL;

COMMENT ON TABLE audit_log IS 'Append-only record of every write to patient data and staff accounts, every audited clinical read, break-glass and erasure. Ids and column names only, never a value: it holds no PII, so erasure never rewrites it. No role may update, delete or truncate it; triggers refuse that even to its owner.';
COMMENT ON COLUMN audit_log.audit_id IS 'Increasing id; also the NOTIFY payload on channel audit_events.';
COMMENT ON COLUMN audit_log.at IS 'When the event was recorded (clock_timestamp, not the transaction start).';
COMMENT ON COLUMN audit_log.txid IS 'The writing transaction (txid_current()): groups the rows of one request and lets a reviewer look for gaps.';
COMMENT ON COLUMN audit_log.actor_user_id IS 'staff_users.user_id of the acting staff member, derived in the database from SET ROLE + app.user_id; NULL when there is no valid staff identity (seed, generator, migrations). No foreign key, so the history survives account changes.';
COMMENT ON COLUMN audit_log.actor_role IS 'The role in force (SET ROLE), or the session user when no role was set (e.g. a superuser bulk load).';
COMMENT ON COLUMN audit_log.action IS 'insert/update/delete (triggers), read (audited clinical read functions), break_glass, erase, erase_refused, legal_hold.';
COMMENT ON COLUMN audit_log.severity IS 'high for break-glass, erasure and refusals: what a reviewer looks at first.';
COMMENT ON COLUMN audit_log.table_name IS 'The table the event concerns.';
COMMENT ON COLUMN audit_log.row_key IS 'Primary key of the row concerned, as text (digits only).';
COMMENT ON COLUMN audit_log.patient_id IS 'The data subject, by id only (NULL for staff accounts); lets compliance answer "who touched this patient".';
COMMENT ON COLUMN audit_log.changed_columns IS 'For updates: names of the columns whose value changed (never the values).';

-- ===== Who is acting ==========================================================

-- Called only from security-definer functions, where current_user is the owner: the role the
-- staff member became is still visible as the 'role' setting. app.user_id counts only when it
-- names an active account holding that role, so a forged setting is recorded as no one.
CREATE FUNCTION audit_actor(OUT actor_user_id integer, OUT actor_role text)
  LANGUAGE sql STABLE SET search_path = public, pg_catalog AS $$
  SELECT CASE WHEN r IN ('front_desk','clinician','billing','manager','compliance')
              THEN (SELECT s.user_id FROM staff_identity(app_user_id_setting(), r) s) END,
         r
  FROM (SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text
                    ELSE current_setting('role') END AS r) x
$$;
COMMENT ON FUNCTION audit_actor() IS 'The acting staff user and role as the audit log records them; meant for security-definer callers.';

-- Internal append used by the definer functions of this and later migrations (not granted).
CREATE FUNCTION audit_append(p_action text, p_table text, p_row_key text, p_patient_id integer,
                             p_severity text DEFAULT 'info', p_changed_columns text[] DEFAULT NULL)
  RETURNS bigint LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  INSERT INTO audit_log (actor_user_id, actor_role, action, severity, table_name, row_key, patient_id, changed_columns)
  SELECT a.actor_user_id, a.actor_role, p_action, coalesce(p_severity, 'info'), p_table, p_row_key, p_patient_id, p_changed_columns
  FROM audit_actor() a
  RETURNING audit_id
$$;
COMMENT ON FUNCTION audit_append(text, text, text, integer, text, text[]) IS 'Appends one audit row for the current actor, any action. Owner-only: called by security-definer functions (erase_patient, audit_event).';

-- What a staff role may declare about itself. Writes and erasures are recorded by the
-- database alone, so a caller cannot fabricate one; the actor is never the caller's choice.
CREATE FUNCTION audit_event(p_action text, p_table text, p_row_key text, p_patient_id integer,
                            p_severity text DEFAULT 'info', p_changed_columns text[] DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF p_action IN ('insert','update','delete','erase','erase_refused','legal_hold') THEN
    RAISE EXCEPTION 'audit action % is recorded by the database itself', p_action
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_event_action_reserved';
  END IF;
  RETURN audit_append(p_action, p_table, p_row_key, p_patient_id, p_severity, p_changed_columns);
END $$;
COMMENT ON FUNCTION audit_event(text, text, text, integer, text, text[]) IS 'Records a read, break-glass or other declared event for the acting staff member (derived here, never chosen by the caller). Returns the audit_id.';

-- ===== Write triggers =========================================================

-- One INSERT…SELECT per statement from the transition table: a COPY of a million rows is one
-- audit statement, not a million trigger calls. TG_ARGV: the key column, and trusted SQL over
-- the row alias r naming the patient (written by migrations only: only the owner creates triggers).
CREATE FUNCTION audit_rows() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $fn$
DECLARE
  key_col text := TG_ARGV[0];
  patient_sql text := coalesce(TG_ARGV[1], 'NULL::integer');
  generated text[];
  who record;
BEGIN
  SELECT * INTO who FROM audit_actor();
  IF TG_OP = 'INSERT' THEN
    EXECUTE format($q$INSERT INTO audit_log (actor_user_id, actor_role, action, table_name, row_key, patient_id)
                     SELECT $1, $2, 'insert', $3, r.%I::text, %s FROM new_rows r$q$, key_col, patient_sql)
      USING who.actor_user_id, who.actor_role, TG_TABLE_NAME;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format($q$INSERT INTO audit_log (actor_user_id, actor_role, action, table_name, row_key, patient_id)
                     SELECT $1, $2, 'delete', $3, r.%I::text, %s FROM old_rows r$q$, key_col, patient_sql)
      USING who.actor_user_id, who.actor_role, TG_TABLE_NAME;
  ELSE
    -- Changed columns: keys whose jsonb value differs between the old and the new row, less
    -- generated columns (nobody writes those; they follow the columns already listed).
    generated := ARRAY(SELECT a.attname::text FROM pg_attribute a
                       WHERE a.attrelid = TG_RELID AND a.attgenerated <> '' AND NOT a.attisdropped);
    EXECUTE format($q$INSERT INTO audit_log (actor_user_id, actor_role, action, table_name, row_key, patient_id, changed_columns)
                     SELECT $1, $2, 'update', $3, r.%1$I::text, %2$s,
                            ARRAY(SELECT e.key FROM jsonb_each(j.nj) e
                                  WHERE e.value IS DISTINCT FROM j.oj -> e.key AND e.key <> ALL ($4) ORDER BY e.key)
                     FROM new_rows r JOIN old_rows o ON o.%1$I = r.%1$I
                     CROSS JOIN LATERAL (SELECT to_jsonb(r) AS nj, to_jsonb(o) AS oj) j$q$, key_col, patient_sql)
      USING who.actor_user_id, who.actor_role, TG_TABLE_NAME, generated;
  END IF;
  RETURN NULL;
END $fn$;
COMMENT ON FUNCTION audit_rows() IS 'Statement-level audit trigger: one audit row per written row (key, patient id, changed column names), attributed to the acting staff member.';

-- ===== Append-only ============================================================

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_log_append_only';
END $$;
COMMENT ON FUNCTION audit_log_refuse_change() IS 'Refuses UPDATE, DELETE and TRUNCATE on audit_log, whoever asks (the owner included).';

-- The statement-level triggers fire even when RLS or a WHERE leaves no row to touch, so an
-- attempt is always an error, never a silent no-op; the row-level ones are belt and braces.
CREATE TRIGGER audit_log_no_update_stmt BEFORE UPDATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_delete_stmt BEFORE DELETE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- ===== Notification ===========================================================

-- NOTIFY is visible to every listener on the database: the payload is ids, nothing else.
-- Payload: '<audit_id>' per audit row. A statement that appends more than 1000 rows (a bulk
-- load) sends one '<first>-<last>' instead: a million notifications would cost the loader
-- seconds and flood every listener; the range covers all of the statement's rows (rows of
-- concurrent transactions may interleave inside it, so a consumer reads the range back).
CREATE FUNCTION audit_log_notify() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE n bigint; lo bigint; hi bigint;
BEGIN
  SELECT count(*), min(audit_id), max(audit_id) INTO n, lo, hi FROM new_rows;
  IF n > 1000 THEN
    PERFORM pg_notify('audit_events', lo::text || '-' || hi::text);
  ELSE
    PERFORM pg_notify('audit_events', r.audit_id::text) FROM new_rows r ORDER BY r.audit_id;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION audit_log_notify() IS 'NOTIFY audit_events with the audit_id (ids only) of every audit row, delivered on commit; one "<first>-<last>" range for a statement of more than 1000 rows.';
CREATE TRIGGER audit_log_notify AFTER INSERT ON audit_log
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_log_notify();

-- ===== Who may read it ========================================================

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY "the database appends" ON audit_log FOR INSERT TO clinicpulse_owner WITH CHECK (true);
CREATE POLICY "the database reads back what it appended" ON audit_log FOR SELECT TO clinicpulse_owner USING (true);
CREATE POLICY "compliance reads the log" ON audit_log FOR SELECT TO compliance
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "backups read the log" ON audit_log FOR SELECT TO clinicpulse_backup USING (true);

REVOKE ALL ON audit_log FROM PUBLIC;
GRANT SELECT ON audit_log TO compliance, clinicpulse_backup;

REVOKE EXECUTE ON FUNCTION audit_actor(), audit_append(text, text, text, integer, text, text[]),
  audit_event(text, text, text, integer, text, text[]), audit_rows(), audit_log_refuse_change(), audit_log_notify() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_event(text, text, text, integer, text, text[])
  TO front_desk, clinician, billing, manager, compliance;

${AUDITED_TABLES.map((t) => auditTriggersSql(t.table, t.key, t.patient)).join('\n')}
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
${AUDITED_TABLES.map((t) => dropAuditTriggersSql(t.table)).join('\n')}
DROP TABLE IF EXISTS audit_log;
DROP FUNCTION IF EXISTS audit_rows(), audit_log_refuse_change(), audit_log_notify(),
  audit_event(text, text, text, integer, text, text[]), audit_append(text, text, text, integer, text, text[]), audit_actor();
`,
  );
}
