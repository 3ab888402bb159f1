/**
 * "A missing identity sees no rows", extended from patient data to everything a staff
 * role can read: reference tables (providers, medications, clinic settings, working
 * hours) and the manager's aggregates get RLS whose only condition is a valid acting
 * identity; the analytics views become security_invoker over aggregate tables (the
 * utilisation view gets its own maintained booked-minutes aggregate), so no view needs
 * the owner's rights. See docs/security.md.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

/** 20261125000010's utilisation view, copied: this migration's down restores it. */
const PROVIDER_UTILISATION_OWNER_RIGHTS = `CREATE VIEW provider_utilisation WITH (security_barrier) AS
  WITH booked AS (
    SELECT a.provider_id, clinic_month(a.scheduled_at) AS month, sum(a.duration_min)::integer AS booked_minutes
    FROM appointments a
    WHERE a.status <> 'cancelled'
    GROUP BY 1, 2)
  SELECT b.provider_id, p.name AS provider_name, b.month, b.booked_minutes, w.working_minutes,
         CASE WHEN w.working_minutes > 0 THEN round(b.booked_minutes::numeric / w.working_minutes, 4) END AS utilisation
  FROM booked b
  JOIN providers p ON p.provider_id = b.provider_id
  CROSS JOIN LATERAL (
    SELECT sum(extract(epoch FROM h.ends_at - h.starts_at) / 60)::integer AS working_minutes
    FROM generate_series(b.month, (b.month + interval '1 month' - interval '1 day')::date, interval '1 day') d(day)
    JOIN provider_working_hours h ON h.provider_id = b.provider_id AND h.iso_weekday = extract(isodow FROM d.day)
  ) w;`;

/** Reference tables readable by any signed-in staff member (and only by one). */
export const IDENTITY_ONLY_TABLES = [
  'providers',
  'medications',
  'clinic_settings',
  'provider_working_hours',
  'appointment_monthly_stats',
] as const;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
${IDENTITY_ONLY_TABLES.map(
  (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON ${t} TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in staff read it" ON ${t} FOR SELECT TO front_desk, clinician, billing, manager, compliance
  USING ((SELECT current_staff_user_id()) IS NOT NULL);`,
).join('\n')}

-- staff_users' own-account policy matched app.user_id alone, so a forged setting (another
-- role's user) or a deactivated account still read that account's row. Only a valid identity.
DROP POLICY "staff see their own account" ON staff_users;
CREATE POLICY "staff see their own account" ON staff_users FOR SELECT
  TO front_desk, clinician, billing, manager, compliance
  USING (user_id = (SELECT current_staff_user_id()));

-- The counters are per provider and month (no patient, no appointment): managers may read
-- them, so the analytics views can run with the reader's rights and RLS.
GRANT SELECT ON appointment_monthly_stats TO manager;
ALTER VIEW provider_no_show_rate SET (security_invoker = true);
ALTER VIEW provider_monthly_volume SET (security_invoker = true);

-- Utilisation needs booked minutes per provider and month. Summing raw appointments on every
-- request meant a 1M-row scan with the owner's rights; instead keep the minutes beside the
-- counters, maintained per statement like appointment_monthly_stats, so the view can run
-- with the reader's rights over aggregates only.
CREATE TABLE appointment_monthly_minutes (
  provider_id integer NOT NULL REFERENCES providers(provider_id),
  month date NOT NULL CONSTRAINT appointment_monthly_minutes_month_first CHECK (extract(day FROM month) = 1),
  booked_minutes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (provider_id, month)
);
COMMENT ON TABLE appointment_monthly_minutes IS 'Booked minutes (appointments not cancelled) per provider and clinic-local month, maintained in the writing transaction by statement-level triggers on appointments. Aggregates only: no patient, no appointment.';
COMMENT ON COLUMN appointment_monthly_minutes.provider_id IS 'The provider.';
COMMENT ON COLUMN appointment_monthly_minutes.month IS 'First day of the clinic-local month.';
COMMENT ON COLUMN appointment_monthly_minutes.booked_minutes IS 'Sum of duration_min of that month''s appointments that are not cancelled.';

-- One function per event: a trigger function can name only the transition tables its event has.
-- Keys are upserted in sorted order so concurrent writers cannot deadlock on the counters.
CREATE FUNCTION appointment_minutes_update() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE tz text := clinic_time_zone();
BEGIN
  INSERT INTO appointment_monthly_minutes AS t (provider_id, month, booked_minutes)
  SELECT provider_id, month, sum(m)
  FROM (SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date AS month, duration_min::bigint AS m
        FROM new_rows WHERE status <> 'cancelled'
        UNION ALL
        SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date, -duration_min::bigint
        FROM old_rows WHERE status <> 'cancelled') d
  GROUP BY provider_id, month HAVING sum(m) <> 0
  ORDER BY provider_id, month
  ON CONFLICT (provider_id, month) DO UPDATE SET booked_minutes = t.booked_minutes + excluded.booked_minutes;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION appointment_minutes_update() IS 'Statement-level: applies the booked-minute changes of an UPDATE (reschedule, cancel, duration) to appointment_monthly_minutes.';

CREATE FUNCTION appointment_minutes_insert() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  INSERT INTO appointment_monthly_minutes AS t (provider_id, month, booked_minutes)
  SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE clinic_time_zone())::date, sum(duration_min)
  FROM new_rows WHERE status <> 'cancelled' GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (provider_id, month) DO UPDATE SET booked_minutes = t.booked_minutes + excluded.booked_minutes;
  RETURN NULL;
END $$;
CREATE FUNCTION appointment_minutes_delete() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  INSERT INTO appointment_monthly_minutes AS t (provider_id, month, booked_minutes)
  SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE clinic_time_zone())::date, -sum(duration_min)
  FROM old_rows WHERE status <> 'cancelled' GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (provider_id, month) DO UPDATE SET booked_minutes = t.booked_minutes + excluded.booked_minutes;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION appointment_minutes_insert() IS 'Statement-level: adds inserted booked minutes to appointment_monthly_minutes.';
COMMENT ON FUNCTION appointment_minutes_delete() IS 'Statement-level: subtracts deleted booked minutes from appointment_monthly_minutes.';

-- Recount from scratch: the clinic's time zone moved months, or appointments were truncated.
CREATE FUNCTION appointment_minutes_rebuild() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  LOCK TABLE appointments IN SHARE MODE;
  DELETE FROM appointment_monthly_minutes;
  IF TG_OP <> 'TRUNCATE' THEN
    INSERT INTO appointment_monthly_minutes (provider_id, month, booked_minutes)
    SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE (SELECT time_zone FROM clinic_settings))::date, sum(duration_min)
    FROM appointments WHERE status <> 'cancelled' GROUP BY 1, 2;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION appointment_minutes_rebuild() IS 'Recounts appointment_monthly_minutes (after a time-zone change) or empties it (after TRUNCATE appointments).';

CREATE TRIGGER appointment_minutes_insert AFTER INSERT ON appointments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_minutes_insert();
CREATE TRIGGER appointment_minutes_update AFTER UPDATE ON appointments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_minutes_update();
CREATE TRIGGER appointment_minutes_delete AFTER DELETE ON appointments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_minutes_delete();
CREATE TRIGGER appointment_minutes_truncate AFTER TRUNCATE ON appointments
  FOR EACH STATEMENT EXECUTE FUNCTION appointment_minutes_rebuild();
CREATE TRIGGER appointment_minutes_time_zone_changed AFTER UPDATE OF time_zone ON clinic_settings
  FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone) EXECUTE FUNCTION appointment_minutes_rebuild();

INSERT INTO appointment_monthly_minutes (provider_id, month, booked_minutes)
SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE (SELECT time_zone FROM clinic_settings))::date, sum(duration_min)
FROM appointments WHERE status <> 'cancelled' GROUP BY 1, 2;

ALTER TABLE appointment_monthly_minutes ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_monthly_minutes FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON appointment_monthly_minutes TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in managers read it" ON appointment_monthly_minutes FOR SELECT TO manager
  USING ((SELECT current_staff_user_id()) IS NOT NULL);

DROP VIEW provider_utilisation;
CREATE VIEW provider_utilisation WITH (security_invoker = true) AS
  SELECT b.provider_id, p.name AS provider_name, b.month, b.booked_minutes, w.working_minutes,
         CASE WHEN w.working_minutes > 0 THEN round(b.booked_minutes::numeric / w.working_minutes, 4) END AS utilisation
  FROM appointment_monthly_minutes b
  JOIN providers p ON p.provider_id = b.provider_id
  CROSS JOIN LATERAL (
    SELECT sum(extract(epoch FROM h.ends_at - h.starts_at) / 60)::integer AS working_minutes
    FROM generate_series(b.month, (b.month + interval '1 month' - interval '1 day')::date, interval '1 day') d(day)
    JOIN provider_working_hours h ON h.provider_id = b.provider_id AND h.iso_weekday = extract(isodow FROM d.day)
  ) w
  WHERE b.booked_minutes > 0;
COMMENT ON VIEW provider_utilisation IS 'Per provider and clinic-local month: booked minutes (not cancelled) vs. working minutes from provider_working_hours (holidays not subtracted). Aggregates only, with the reader''s rights (security_invoker).';
COMMENT ON COLUMN provider_utilisation.provider_id IS 'The provider.';
COMMENT ON COLUMN provider_utilisation.provider_name IS 'The provider''s name.';
COMMENT ON COLUMN provider_utilisation.month IS 'First day of the clinic-local month.';
COMMENT ON COLUMN provider_utilisation.booked_minutes IS 'Sum of duration_min of the month''s appointments that are not cancelled.';
COMMENT ON COLUMN provider_utilisation.working_minutes IS 'Working minutes in the month by provider_working_hours; NULL when none are recorded.';
COMMENT ON COLUMN provider_utilisation.utilisation IS 'booked_minutes / working_minutes, 4 decimals; NULL without working hours.';

REVOKE ALL ON appointment_monthly_minutes, provider_utilisation FROM PUBLIC;
GRANT SELECT ON appointment_monthly_minutes, provider_utilisation TO manager;
REVOKE EXECUTE ON FUNCTION appointment_minutes_update(), appointment_minutes_insert(), appointment_minutes_delete(),
  appointment_minutes_rebuild() FROM PUBLIC;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP VIEW IF EXISTS provider_utilisation;
${PROVIDER_UTILISATION_OWNER_RIGHTS}
GRANT SELECT ON provider_utilisation TO manager;
DROP TABLE IF EXISTS appointment_monthly_minutes;
DROP TRIGGER IF EXISTS appointment_minutes_time_zone_changed ON clinic_settings;
DROP TRIGGER IF EXISTS appointment_minutes_truncate ON appointments;
DROP TRIGGER IF EXISTS appointment_minutes_delete ON appointments;
DROP TRIGGER IF EXISTS appointment_minutes_update ON appointments;
DROP TRIGGER IF EXISTS appointment_minutes_insert ON appointments;
DROP FUNCTION IF EXISTS appointment_minutes_update(), appointment_minutes_insert(), appointment_minutes_delete(), appointment_minutes_rebuild();
ALTER VIEW provider_no_show_rate SET (security_invoker = false);
DROP POLICY IF EXISTS "staff see their own account" ON staff_users;
CREATE POLICY "staff see their own account" ON staff_users FOR SELECT
  TO front_desk, clinician, billing, manager, compliance
  USING (user_id = app_user_id_setting());
ALTER VIEW provider_monthly_volume SET (security_invoker = false);
REVOKE SELECT ON appointment_monthly_stats FROM manager;
${IDENTITY_ONLY_TABLES.map(
  (t) => `DROP POLICY IF EXISTS "signed-in staff read it" ON ${t};
DROP POLICY IF EXISTS "owner: security-definer functions and administration" ON ${t};
ALTER TABLE ${t} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;`,
).join('\n')}
`,
  );
}
