/**
 * The appointments' audit rows from static SQL (the booking write path, issue 14).
 *
 * audit_rows() serves every audited table, so it builds its INSERT with format() and runs it
 * with EXECUTE: parsed and planned again for every statement, the largest trigger self time
 * of a booking once the chain link was fixed (20261206001900). Appointments are the hot table,
 * so they get their own function with the same three statements written out: same rows (one
 * per written row: key, patient, actor, changed column names less generated ones), same
 * actor, and the plans are kept for the session. The other tables keep audit_rows().
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const TRIGGERS = (fn: string) => `
DROP TRIGGER appointments_audit_insert ON appointments;
DROP TRIGGER appointments_audit_update ON appointments;
DROP TRIGGER appointments_audit_delete ON appointments;
CREATE TRIGGER appointments_audit_insert AFTER INSERT ON appointments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn};
CREATE TRIGGER appointments_audit_update AFTER UPDATE ON appointments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn};
CREATE TRIGGER appointments_audit_delete AFTER DELETE ON appointments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn};`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE FUNCTION appointments_audit_rows() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  who record;
  generated text[];
BEGIN
  SELECT * INTO who FROM audit_actor();
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (actor_user_id, actor_role, action, table_name, row_key, patient_id)
    SELECT who.actor_user_id, who.actor_role, 'insert', TG_TABLE_NAME, r.appointment_id::text, r.patient_id FROM new_rows r;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_log (actor_user_id, actor_role, action, table_name, row_key, patient_id)
    SELECT who.actor_user_id, who.actor_role, 'delete', TG_TABLE_NAME, r.appointment_id::text, r.patient_id FROM old_rows r;
  ELSE
    generated := ARRAY(SELECT a.attname::text FROM pg_attribute a
                       WHERE a.attrelid = TG_RELID AND a.attgenerated <> '' AND NOT a.attisdropped);
    INSERT INTO audit_log (actor_user_id, actor_role, action, table_name, row_key, patient_id, changed_columns)
    SELECT who.actor_user_id, who.actor_role, 'update', TG_TABLE_NAME, r.appointment_id::text, r.patient_id,
           ARRAY(SELECT e.key FROM jsonb_each(j.nj) e
                 WHERE e.value IS DISTINCT FROM j.oj -> e.key AND e.key <> ALL (generated) ORDER BY e.key)
    FROM new_rows r JOIN old_rows o ON o.appointment_id = r.appointment_id
    CROSS JOIN LATERAL (SELECT to_jsonb(r) AS nj, to_jsonb(o) AS oj) j;
  END IF;
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION appointments_audit_rows() FROM PUBLIC;
COMMENT ON FUNCTION appointments_audit_rows() IS 'Statement-level audit trigger of appointments: what audit_rows(''appointment_id'', ''r.patient_id'') writes (one audit row per written row: key, patient id, changed column names, the acting staff member), from static SQL so its plans are kept.';
${TRIGGERS('appointments_audit_rows()')}
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `${TRIGGERS(`audit_rows('appointment_id', 'r.patient_id')`)}
DROP FUNCTION appointments_audit_rows();
`,
  );
}
