/**
 * The rules a front desk expects, enforced by PostgreSQL for every staff write
 * (issue 13, part 1), and the availability they are checked against:
 *
 * - a new booking, or a move, may not start in the past (`appointments_not_in_the_past`);
 * - a no-show only once the start has passed (`appointments_no_show_after_start`);
 * - a check-in only on the appointment's clinic-local day (`appointments_check_in_on_the_day`);
 * - a booking inside the provider's working hours and outside their time off
 *   (`appointments_within_working_hours`), unless it carries outside_hours_reason;
 *   a provider with no working hours at all is bookable at any time.
 *
 * Who the rules bind: writes made as a staff role (SET ROLE front_desk, clinician, …),
 * i.e. everything the API does. The owner and administrators (the demo seed, the
 * `npm run generate` COPY, migrations, test fixtures) record history, which is in the
 * past by nature, so the trigger's WHEN clause skips them, and costs a bulk load nothing.
 *
 * Working hours become several intervals per weekday (a lunch break), and the new
 * provider_time_off holds leave, training and sick time as instant ranges.
 * Why: docs/design-decisions.md, "Rules at the desk".
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const STAFF_ROLES_SQL = `'front_desk','clinician','billing','manager','compliance'`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- ===== Working hours: several intervals per weekday =================================

ALTER TABLE provider_working_hours DROP CONSTRAINT provider_working_hours_pkey;
ALTER TABLE provider_working_hours
  ADD CONSTRAINT provider_working_hours_pkey PRIMARY KEY (provider_id, iso_weekday, starts_at),
  ADD CONSTRAINT provider_working_hours_no_overlap EXCLUDE USING gist
    (provider_id WITH =, iso_weekday WITH =, tsrange(date '2000-01-03' + starts_at, date '2000-01-03' + ends_at, '[)') WITH &&);
COMMENT ON TABLE provider_working_hours IS 'A provider''s regular clinic-local working hours: one or more non-overlapping intervals per ISO weekday (e.g. 08:00-12:00 and 13:00-17:00). Bookings by staff must fall inside one interval (appointments_within_working_hours) unless a reason is given; a provider with no rows is bookable at any time. Also the denominator of utilisation. Maintained by managers (PUT /api/providers/:id/working-hours).';
COMMENT ON COLUMN provider_working_hours.starts_at IS 'Clinic-local start of the interval.';
COMMENT ON COLUMN provider_working_hours.ends_at IS 'Clinic-local end of the interval (after starts_at; 24:00 for midnight).';

-- ===== Time off ===================================================================

CREATE TABLE provider_time_off (
  time_off_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider_id integer NOT NULL REFERENCES providers(provider_id) ON DELETE CASCADE,
  period tstzrange NOT NULL CONSTRAINT provider_time_off_period_shape CHECK (
    NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period)
    AND lower_inc(period) AND NOT upper_inc(period) AND upper(period) - lower(period) <= interval '366 days'),
  category text NOT NULL CONSTRAINT provider_time_off_category_check CHECK (category IN ('leave','training','sick')),
  note text CONSTRAINT provider_time_off_note_length CHECK (note ~ '[^[:space:]]' AND length(note) <= 500),
  created_by integer DEFAULT current_staff_user_id(),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT provider_time_off_no_overlap EXCLUDE USING gist (provider_id WITH =, period WITH &&)
);
COMMENT ON TABLE provider_time_off IS 'A provider''s absences (leave, training, sick) as half-open instant ranges; staff bookings inside one are refused (appointments_within_working_hours) unless a reason is given. Existing appointments are left alone: the API returns them so the desk can move them. Not patient data.';
COMMENT ON COLUMN provider_time_off.time_off_id IS 'Identity.';
COMMENT ON COLUMN provider_time_off.provider_id IS 'The absent provider.';
COMMENT ON COLUMN provider_time_off.period IS 'The absence, [start, end) as instants; at most 366 days; periods of one provider never overlap.';
COMMENT ON COLUMN provider_time_off.category IS 'leave, training or sick.';
COMMENT ON COLUMN provider_time_off.note IS 'Optional short note for the desk (no clinical detail), at most 500 characters.';
COMMENT ON COLUMN provider_time_off.created_by IS 'staff_users.user_id of the manager who recorded it (NULL for administrators).';
COMMENT ON COLUMN provider_time_off.created_at IS 'When it was recorded.';

-- ===== The exception the desk may make ==============================================

ALTER TABLE appointments ADD COLUMN outside_hours_reason text
  CONSTRAINT appointments_outside_hours_reason_length CHECK (outside_hours_reason ~ '[^[:space:]]' AND length(outside_hours_reason) BETWEEN 5 AND 500);
COMMENT ON COLUMN appointments.outside_hours_reason IS 'Why a staff member booked this outside the provider''s working hours or during their time off (5-500 characters); NULL for a booking inside them. Recorded in the audit log; a move without a new reason clears it.';

-- ===== The rules ==================================================================

-- Clinic-local wall time of an instant, for messages.
CREATE FUNCTION clinic_local_text(ts timestamptz) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp
  AS $$ SELECT to_char(ts AT TIME ZONE clinic_time_zone(), 'YYYY-MM-DD HH24:MI') $$;
COMMENT ON FUNCTION clinic_local_text(timestamptz) IS 'An instant as clinic-local ''YYYY-MM-DD HH24:MI'' text, for error details.';

-- Whether [start, start + minutes) lies inside the provider's working hours and outside their time off.
CREATE FUNCTION provider_available(p_provider_id integer, p_start timestamptz, p_minutes integer) RETURNS boolean
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  tz text := clinic_time_zone();
  ls timestamp := p_start AT TIME ZONE tz;
  le timestamp;
BEGIN
  le := upper(appointment_slot(p_start, p_minutes)) AT TIME ZONE tz;
  IF EXISTS (SELECT 1 FROM provider_time_off t
             WHERE t.provider_id = p_provider_id AND t.period && appointment_slot(p_start, p_minutes)) THEN
    RETURN false;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM provider_working_hours h WHERE h.provider_id = p_provider_id) THEN
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM provider_working_hours h
                 WHERE h.provider_id = p_provider_id AND h.iso_weekday = extract(isodow FROM ls)
                   AND ls::date + h.starts_at <= ls AND le <= ls::date + h.ends_at);
END $$;
COMMENT ON FUNCTION provider_available(integer, timestamptz, integer) IS 'True when [start, start + minutes) lies inside one working-hours interval of the provider (clinic-local, same day) and overlaps none of their time off; a provider without working hours is available at any time outside time off.';

CREATE FUNCTION appointments_desk_rules() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  tz text := clinic_time_zone();
  slot tstzrange := appointment_slot(NEW.scheduled_at, NEW.duration_min);
  moved boolean;
  started boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    moved := true;
    started := true;
  ELSE
    moved := (NEW.scheduled_at, NEW.duration_min, NEW.provider_id) IS DISTINCT FROM (OLD.scheduled_at, OLD.duration_min, OLD.provider_id);
    started := (NEW.scheduled_at, NEW.provider_id) IS DISTINCT FROM (OLD.scheduled_at, OLD.provider_id);
  END IF;

  IF started AND NEW.scheduled_at < now() THEN
    RAISE EXCEPTION 'an appointment cannot be booked or moved to a start in the past'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_not_in_the_past',
            DETAIL = json_build_object('start', clinic_local_text(NEW.scheduled_at), 'now', clinic_local_text(now()),
                                       'timeZone', tz)::text;
  END IF;

  IF moved AND NEW.status = 'scheduled' AND NEW.outside_hours_reason IS NULL
     AND NOT provider_available(NEW.provider_id, NEW.scheduled_at, NEW.duration_min) THEN
    RAISE EXCEPTION 'the appointment is outside the provider''s working hours or during their time off'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_within_working_hours',
            DETAIL = json_build_object(
              'providerId', NEW.provider_id,
              'start', clinic_local_text(lower(slot)), 'end', clinic_local_text(upper(slot)), 'timeZone', tz,
              'workingHours', (SELECT coalesce(json_agg(json_build_object('start', to_char(h.starts_at, 'HH24:MI'),
                                                                          'end', to_char(h.ends_at, 'HH24:MI'))
                                                        ORDER BY h.starts_at), '[]'::json)
                               FROM provider_working_hours h
                               WHERE h.provider_id = NEW.provider_id
                                 AND h.iso_weekday = extract(isodow FROM NEW.scheduled_at AT TIME ZONE tz)),
              'hasWorkingHours', EXISTS (SELECT 1 FROM provider_working_hours h WHERE h.provider_id = NEW.provider_id),
              'timeOff', (SELECT coalesce(json_agg(json_build_object('timeOffId', t.time_off_id, 'category', t.category,
                                                                     'start', clinic_local_text(lower(t.period)),
                                                                     'end', clinic_local_text(upper(t.period)))
                                                   ORDER BY lower(t.period)), '[]'::json)
                          FROM provider_time_off t WHERE t.provider_id = NEW.provider_id AND t.period && slot))::text;
  END IF;

  IF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status THEN
    IF NEW.status = 'no_show' AND now() < OLD.scheduled_at THEN
      RAISE EXCEPTION 'a no-show can be recorded only after the appointment''s start'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_no_show_after_start',
              DETAIL = json_build_object('start', clinic_local_text(OLD.scheduled_at), 'now', clinic_local_text(now()),
                                         'timeZone', tz)::text;
    END IF;
    IF NEW.status = 'checked_in' AND (now() AT TIME ZONE tz)::date <> (OLD.scheduled_at AT TIME ZONE tz)::date THEN
      RAISE EXCEPTION 'a check-in is possible only on the appointment''s clinic-local day'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_check_in_on_the_day',
              DETAIL = json_build_object('appointmentDay', (OLD.scheduled_at AT TIME ZONE tz)::date,
                                         'start', clinic_local_text(OLD.scheduled_at),
                                         'today', (now() AT TIME ZONE tz)::date, 'timeZone', tz)::text;
    END IF;
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION appointments_desk_rules() IS 'Row trigger on appointments for staff writes (the trigger''s WHEN clause: the role in force is a staff role): no booking or move into the past, working hours and time off unless outside_hours_reason, no-show only after the start, check-in only on the clinic-local day. Administrators (seed, generator, fixtures) record history and are not bound.';
-- Named to sort after appointments_guard_update (BEFORE row triggers fire in name order):
-- the state machine refuses an illegal transition first, with its own message.
CREATE TRIGGER appointments_http_desk_rules BEFORE INSERT OR UPDATE ON appointments
  FOR EACH ROW WHEN (current_setting('role') IN (${STAFF_ROLES_SQL}))
  EXECUTE FUNCTION appointments_desk_rules();

-- The exception is recorded in the audit log on its own row, naming the column (never its text).
CREATE FUNCTION appointments_audit_exceptions() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM audit_append(lower(TG_OP), 'appointments', NEW.appointment_id::text, NEW.patient_id, 'info',
                       ARRAY['outside_hours_reason']);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION appointments_audit_exceptions() IS 'Writes an audit row naming outside_hours_reason whenever an appointment is written with one.';
CREATE TRIGGER appointments_audit_outside_hours AFTER INSERT OR UPDATE OF outside_hours_reason, scheduled_at, provider_id, duration_min
  ON appointments FOR EACH ROW WHEN (NEW.outside_hours_reason IS NOT NULL)
  EXECUTE FUNCTION appointments_audit_exceptions();

-- What a new absence collides with, for the manager who records it: ids and times only
-- (a manager sees no appointment rows, and no patient), so the desk can move them.
CREATE FUNCTION time_off_affected_appointments(p_time_off_id integer)
  RETURNS TABLE (appointment_id integer, scheduled_at timestamptz, duration_min integer, status text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT a.appointment_id, a.scheduled_at, a.duration_min, a.status
  FROM provider_time_off t
  JOIN appointments a ON a.provider_id = t.provider_id
   AND appointment_slot(a.scheduled_at, a.duration_min) && t.period
   AND a.status IN ('scheduled','checked_in')
  WHERE t.time_off_id = p_time_off_id
  ORDER BY a.scheduled_at, a.appointment_id
$$;
COMMENT ON FUNCTION time_off_affected_appointments(integer) IS 'For managers: the scheduled or checked-in appointments (ids and times, no patient) that a time-off period overlaps.';

-- ===== Grants =====================================================================

-- Like every reference table (20261125000011): a missing or forged identity sees and changes nothing.
ALTER TABLE provider_time_off ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_time_off FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON provider_time_off TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in staff who book read it" ON provider_time_off FOR SELECT TO front_desk, clinician, manager
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "managers record time off" ON provider_time_off FOR INSERT TO manager
  WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "managers delete time off" ON provider_time_off FOR DELETE TO manager
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "managers set working hours" ON provider_working_hours FOR INSERT TO manager
  WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "managers clear working hours" ON provider_working_hours FOR DELETE TO manager
  USING ((SELECT current_staff_user_id()) IS NOT NULL);

REVOKE ALL ON provider_time_off FROM PUBLIC;
GRANT SELECT ON provider_time_off TO front_desk, clinician, manager;
GRANT INSERT (provider_id, period, category, note), DELETE ON provider_time_off TO manager;
GRANT INSERT, DELETE ON provider_working_hours TO manager;
GRANT INSERT (outside_hours_reason), UPDATE (outside_hours_reason) ON appointments TO front_desk;
REVOKE EXECUTE ON FUNCTION clinic_local_text(timestamptz), provider_available(integer, timestamptz, integer),
  appointments_desk_rules(), appointments_audit_exceptions(), time_off_affected_appointments(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION time_off_affected_appointments(integer) TO manager;
GRANT EXECUTE ON FUNCTION clinic_local_text(timestamptz), provider_available(integer, timestamptz, integer)
  TO front_desk, clinician, manager;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP POLICY IF EXISTS "managers set working hours" ON provider_working_hours;
DROP POLICY IF EXISTS "managers clear working hours" ON provider_working_hours;
REVOKE INSERT, DELETE ON provider_working_hours FROM manager;
REVOKE INSERT (outside_hours_reason), UPDATE (outside_hours_reason) ON appointments FROM front_desk;
DROP TRIGGER IF EXISTS appointments_audit_outside_hours ON appointments;
DROP TRIGGER IF EXISTS appointments_http_desk_rules ON appointments;
DROP FUNCTION IF EXISTS time_off_affected_appointments(integer), appointments_audit_exceptions(), appointments_desk_rules(),
  provider_available(integer, timestamptz, integer), clinic_local_text(timestamptz);
ALTER TABLE appointments DROP COLUMN IF EXISTS outside_hours_reason;
DROP TABLE IF EXISTS provider_time_off;
-- Back to one interval per weekday: keep the earliest of each day.
DELETE FROM provider_working_hours h USING provider_working_hours e
  WHERE e.provider_id = h.provider_id AND e.iso_weekday = h.iso_weekday AND e.starts_at < h.starts_at;
ALTER TABLE provider_working_hours DROP CONSTRAINT IF EXISTS provider_working_hours_no_overlap;
ALTER TABLE provider_working_hours DROP CONSTRAINT provider_working_hours_pkey;
ALTER TABLE provider_working_hours ADD CONSTRAINT provider_working_hours_pkey PRIMARY KEY (provider_id, iso_weekday);
COMMENT ON TABLE provider_working_hours IS 'A provider''s regular clinic-local working hours per weekday: the denominator of utilisation. Maintained by administrators (owner).';
COMMENT ON COLUMN provider_working_hours.starts_at IS 'Clinic-local start of the working day.';
COMMENT ON COLUMN provider_working_hours.ends_at IS 'Clinic-local end of the working day (after starts_at).';
`,
  );
}
