/**
 * Clinic-local time without a per-row function call. clinic_day() and clinic_month()
 * read clinic_settings through non-inlinable functions (tens of microseconds each),
 * which is invisible on one row and dominant on a million: recounting the monthly
 * stats after a time zone change took minutes at 1M appointments, while holding the
 * SHARE lock that stops bookings. These versions read the zone once.
 * Also an index for "upcoming appointments of one provider", the realtime screens' query.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION appointment_stats_rebuild() RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE tz text;
BEGIN
  LOCK TABLE appointments IN SHARE MODE;
  tz := clinic_time_zone();
  DELETE FROM appointment_monthly_stats;
  INSERT INTO appointment_monthly_stats (provider_id, month, total, scheduled, checked_in, completed, cancelled, no_show)
  SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date, count(*),
         count(*) FILTER (WHERE status = 'scheduled'), count(*) FILTER (WHERE status = 'checked_in'),
         count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'cancelled'),
         count(*) FILTER (WHERE status = 'no_show')
  FROM appointments GROUP BY 1, 2;
END $$;
REVOKE EXECUTE ON FUNCTION appointment_stats_rebuild() FROM PUBLIC;

-- Same columns, same meaning; the uncorrelated subquery runs once per query (an InitPlan).
CREATE OR REPLACE VIEW upcoming_appointments WITH (security_invoker = true) AS
  SELECT a.appointment_id, a.scheduled_at, a.duration_min, a.status,
         (a.scheduled_at AT TIME ZONE (SELECT clinic_time_zone()))::date AS clinic_date,
         a.provider_id, pr.name AS provider_name, a.patient_id, pt.name AS patient_name
  FROM appointments a
  JOIN providers pr ON pr.provider_id = a.provider_id
  JOIN patients pt ON pt.patient_id = a.patient_id
  WHERE a.status IN ('scheduled','checked_in') AND a.scheduled_at >= now();

CREATE INDEX appointments_upcoming_provider_idx ON appointments (provider_id, scheduled_at)
  WHERE status IN ('scheduled','checked_in');
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP INDEX IF EXISTS appointments_upcoming_provider_idx;
CREATE OR REPLACE VIEW upcoming_appointments WITH (security_invoker = true) AS
  SELECT a.appointment_id, a.scheduled_at, a.duration_min, a.status, clinic_day(a.scheduled_at) AS clinic_date,
         a.provider_id, pr.name AS provider_name, a.patient_id, pt.name AS patient_name
  FROM appointments a
  JOIN providers pr ON pr.provider_id = a.provider_id
  JOIN patients pt ON pt.patient_id = a.patient_id
  WHERE a.status IN ('scheduled','checked_in') AND a.scheduled_at >= now();
`,
  );
}
