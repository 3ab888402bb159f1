/**
 * Recurring appointments (issue 13, part 5): a series is booked all or nothing, each
 * occurrence an ordinary appointment (every rule and constraint applies to each) linked
 * by appointments.series_id, so "cancel this and following" is one statement.
 * The series row names a patient: RLS like the other patient tables, audited.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE appointment_series (
  series_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES patients(patient_id),
  provider_id integer NOT NULL REFERENCES providers(provider_id),
  every text NOT NULL CONSTRAINT appointment_series_every_check CHECK (every IN ('week', '2 weeks', 'month')),
  occurrences integer NOT NULL CONSTRAINT appointment_series_occurrences_range CHECK (occurrences BETWEEN 2 AND 52),
  created_by integer DEFAULT current_staff_user_id(),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointment_series_patient_idx ON appointment_series (patient_id);
COMMENT ON TABLE appointment_series IS 'A recurring booking (weekly, fortnightly or monthly at the same clinic-local time), booked all or nothing; its occurrences are ordinary appointments with series_id set.';
COMMENT ON COLUMN appointment_series.series_id IS 'Identity.';
COMMENT ON COLUMN appointment_series.patient_id IS 'The patient of every occurrence.';
COMMENT ON COLUMN appointment_series.provider_id IS 'The provider the series was booked with (an occurrence may later be moved).';
COMMENT ON COLUMN appointment_series.every IS 'week, 2 weeks or month (same clinic-local wall time; the 31st becomes the month''s last day).';
COMMENT ON COLUMN appointment_series.occurrences IS 'How many appointments were booked (2-52).';
COMMENT ON COLUMN appointment_series.created_by IS 'staff_users.user_id of the clerk who booked it (derived, never written).';
COMMENT ON COLUMN appointment_series.created_at IS 'When it was booked.';

ALTER TABLE appointments ADD COLUMN series_id integer CONSTRAINT appointments_series_id_fkey REFERENCES appointment_series(series_id);
CREATE INDEX appointments_series_idx ON appointments (series_id, scheduled_at) WHERE series_id IS NOT NULL;
COMMENT ON COLUMN appointments.series_id IS 'The recurring series this appointment is an occurrence of; NULL for a single booking.';

ALTER TABLE appointment_series ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_series FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON appointment_series TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "front desk sees series" ON appointment_series FOR SELECT TO front_desk
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "front desk books series" ON appointment_series FOR INSERT TO front_desk
  WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL);
${auditTriggersSql('appointment_series', 'series_id', 'r.patient_id')}

REVOKE ALL ON appointment_series FROM PUBLIC;
GRANT SELECT ON appointment_series TO front_desk;
GRANT INSERT (patient_id, provider_id, every, occurrences) ON appointment_series TO front_desk;
GRANT INSERT (series_id) ON appointments TO front_desk;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP INDEX IF EXISTS appointments_series_idx;
ALTER TABLE appointments DROP COLUMN IF EXISTS series_id;
${dropAuditTriggersSql('appointment_series')}
DROP TABLE IF EXISTS appointment_series;
`,
  );
}

/** The three statement-level audit triggers of one table (a copy: migrations never import each other). */
function auditTriggersSql(table: string, key: string, patient: string): string {
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

function dropAuditTriggersSql(table: string): string {
  return ['insert', 'update', 'delete'].map((op) => `DROP TRIGGER IF EXISTS ${table}_audit_${op} ON ${table};`).join('\n');
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
