/**
 * TRUNCATE is a delete too. No staff role may TRUNCATE, but the owner and a superuser
 * can, and TRUNCATE fires no row or DELETE trigger, so the write audit of
 * 20261125000006 would not see it. Before the rows go, record one high-severity
 * delete row per row, read from the table itself. The trigger is BEFORE TRUNCATE,
 * so with CASCADE every table still has its rows when its trigger runs.
 * See docs/security.md ("Audit log").
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

/** Every audited table: 20261125000006's, charges (…10) and the encryption and erasure tables (…21). */
const TABLES: ReadonlyArray<{ table: string; key: string; patient: string }> = [
  // 20261125000006's AUDITED_TABLES, copied.
  { table: 'patients', key: 'patient_id', patient: 'r.patient_id' },
  { table: 'appointments', key: 'appointment_id', patient: 'r.patient_id' },
  { table: 'visits', key: 'visit_id', patient: 'r.patient_id' },
  { table: 'diagnoses', key: 'diagnosis_id', patient: '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)' },
  { table: 'prescriptions', key: 'prescription_id', patient: '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)' },
  { table: 'staff_users', key: 'user_id', patient: 'NULL::integer' },
  { table: 'charges', key: 'charge_id', patient: 'r.patient_id' },
  { table: 'patient_keys', key: 'patient_id', patient: 'r.patient_id' },
  { table: 'visit_notes', key: 'visit_id', patient: 'r.patient_id' },
  { table: 'erasures', key: 'erasure_id', patient: 'r.patient_id' },
];

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- TG_ARGV as for audit_rows(): the key column, and trusted SQL over the row alias r naming the patient.
CREATE FUNCTION audit_truncate() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $fn$
DECLARE
  who record;
BEGIN
  SELECT * INTO who FROM audit_actor();
  EXECUTE format($q$INSERT INTO audit_log (actor_user_id, actor_role, action, severity, table_name, row_key, patient_id)
                   SELECT $1, $2, 'delete', 'high', $3, r.%I::text, %s FROM %I.%I r$q$,
                 TG_ARGV[0], coalesce(TG_ARGV[1], 'NULL::integer'), TG_TABLE_SCHEMA, TG_TABLE_NAME)
    USING who.actor_user_id, who.actor_role, TG_TABLE_NAME;
  RETURN NULL;
END $fn$;
COMMENT ON FUNCTION audit_truncate() IS 'BEFORE TRUNCATE audit trigger: one high-severity delete row per row about to be truncated.';
REVOKE EXECUTE ON FUNCTION audit_truncate() FROM PUBLIC;

${TABLES.map(
  (t) => `CREATE TRIGGER ${t.table}_audit_truncate BEFORE TRUNCATE ON ${t.table}
  FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate(${quote(t.key)}, ${quote(t.patient)});`,
).join('\n')}
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
${TABLES.map((t) => `DROP TRIGGER IF EXISTS ${t.table}_audit_truncate ON ${t.table};`).join('\n')}
DROP FUNCTION IF EXISTS audit_truncate();
`,
  );
}
