/**
 * Audited overbooking (issue 13, part 4): the front desk may deliberately put an urgent
 * patient on top of a provider's existing appointment, with a stated reason, but:
 *
 * - never a patient in two places (appointments_no_patient_overlap is unchanged);
 * - never two overbooks on top of each other beyond the provider's limit: an overbook
 *   takes a numbered lane (1..providers.overbook_limit, default 1, set by a manager) and
 *   overbooks of one lane never overlap (appointments_no_overbook_overlap); the lane is
 *   checked against the limit (appointments_overbook_limit);
 * - without a reason nothing changes: appointments_no_provider_overlap keeps its name and
 *   refuses any overlap between ordinary appointments, exactly as before (the 100-way race
 *   still yields one booking). Ordinary and overbook rows are simply in different constraints.
 *
 * Each overbook writes a high-severity audit row naming overbook_reason (never its text);
 * managers count them per provider and clinic-local month (provider_monthly_overbooks()).
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
ALTER TABLE providers ADD COLUMN overbook_limit smallint NOT NULL DEFAULT 1
  CONSTRAINT providers_overbook_limit_range CHECK (overbook_limit BETWEEN 0 AND 5);
COMMENT ON COLUMN providers.overbook_limit IS 'How many overbooks may overlap at any moment on top of this provider''s ordinary appointments (0-5, default 1); set by managers.';

ALTER TABLE appointments
  ADD COLUMN overbook_reason text
    CONSTRAINT appointments_overbook_reason_length CHECK (length(btrim(overbook_reason)) BETWEEN 10 AND 500),
  ADD COLUMN overbook_lane smallint
    CONSTRAINT appointments_overbook_lane_range CHECK (overbook_lane BETWEEN 1 AND 5),
  ADD CONSTRAINT appointments_overbook_consistent CHECK ((overbook_reason IS NULL) = (overbook_lane IS NULL));
COMMENT ON COLUMN appointments.overbook_reason IS 'Why the front desk deliberately booked this on top of the provider''s existing appointment (10-500 characters); NULL for an ordinary appointment. Audited with high severity.';
COMMENT ON COLUMN appointments.overbook_lane IS 'For an overbook: its lane, 1..providers.overbook_limit; overbooks of one lane never overlap. NULL for an ordinary appointment.';

-- Ordinary appointments: as strict as before, same name. Overbooks: their own lanes.
ALTER TABLE appointments DROP CONSTRAINT appointments_no_provider_overlap;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_provider_overlap EXCLUDE USING gist
  (provider_id WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled' AND overbook_lane IS NULL);
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overbook_overlap EXCLUDE USING gist
  (provider_id WITH =, overbook_lane WITH =, appointment_slot(scheduled_at, duration_min) WITH &&)
  WHERE (status <> 'cancelled' AND overbook_lane IS NOT NULL);
CREATE INDEX appointments_overbooks_idx ON appointments (provider_id, scheduled_at) WHERE overbook_lane IS NOT NULL;

CREATE FUNCTION appointments_overbook_rules() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE lim smallint;
BEGIN
  SELECT overbook_limit INTO lim FROM providers WHERE provider_id = NEW.provider_id;
  IF lim IS NOT NULL AND NEW.overbook_lane > lim THEN
    RAISE EXCEPTION 'provider % allows % overbook(s) at a time', NEW.provider_id, lim
      USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_overbook_limit',
            DETAIL = json_build_object('providerId', NEW.provider_id, 'limit', lim)::text;
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION appointments_overbook_rules() IS 'Row trigger on appointments (overbooks only): the lane may not exceed the provider''s overbook_limit.';
CREATE TRIGGER appointments_overbook_rules BEFORE INSERT OR UPDATE OF overbook_lane, provider_id ON appointments
  FOR EACH ROW WHEN (NEW.overbook_lane IS NOT NULL) EXECUTE FUNCTION appointments_overbook_rules();

CREATE FUNCTION appointments_audit_overbook() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM audit_append(lower(TG_OP), 'appointments', NEW.appointment_id::text, NEW.patient_id, 'high', ARRAY['overbook_reason']);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION appointments_audit_overbook() IS 'Writes a high-severity audit row naming overbook_reason whenever an overbook is written.';
CREATE TRIGGER appointments_audit_overbook AFTER INSERT OR UPDATE OF overbook_reason ON appointments
  FOR EACH ROW WHEN (NEW.overbook_reason IS NOT NULL) EXECUTE FUNCTION appointments_audit_overbook();

-- Managers see aggregates only: overbooks per provider and clinic-local month (not cancelled).
CREATE FUNCTION provider_monthly_overbooks(p_from date, p_to date)
  RETURNS TABLE (provider_id integer, provider_name text, month date, overbooks integer)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT a.provider_id, pr.name, date_trunc('month', a.scheduled_at AT TIME ZONE s.time_zone)::date AS m, count(*)::integer
  FROM clinic_settings s
  CROSS JOIN appointments a
  JOIN providers pr ON pr.provider_id = a.provider_id
  WHERE a.overbook_lane IS NOT NULL AND a.status <> 'cancelled'
    AND a.scheduled_at >= lower(clinic_day_range(p_from)) AND a.scheduled_at < upper(clinic_day_range(p_to))
  GROUP BY a.provider_id, pr.name, m
  ORDER BY m, a.provider_id
$$;
COMMENT ON FUNCTION provider_monthly_overbooks(date, date) IS 'For managers: how many overbooks (not cancelled) each provider had per clinic-local month between two days; aggregates only.';

-- Live schedule rows carry the overbook too (the result type changes, so drop and create);
-- still only for appointments the outbox just announced, each call audited (20261206000120).
DROP FUNCTION realtime_appointments(integer[]);
CREATE FUNCTION realtime_appointments(p_ids integer[])
  RETURNS TABLE (appointment_id integer, patient_id integer, provider_id integer, scheduled_at timestamptz,
                 duration_min integer, status text, clinic_date date, created_at timestamptz, updated_at timestamptz,
                 patient_name text, overbook_reason text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  announced integer[];
  pids integer[];
BEGIN
  announced := ARRAY(SELECT DISTINCT e.appointment_id
                     FROM appointment_event_batches b JOIN appointment_events e ON e.txid = b.txid
                     WHERE b.committed_at > now() - interval '15 minutes'
                       AND e.appointment_id = ANY (p_ids[1:1000]));
  IF cardinality(announced) = 0 THEN
    RETURN;
  END IF;
  pids := ARRAY(SELECT DISTINCT a.patient_id FROM appointments a WHERE a.appointment_id = ANY (announced));
  PERFORM audit_append_durable('read', 'appointments', NULL, NULL, 'info', pids);
  RETURN QUERY
    SELECT a.appointment_id, a.patient_id, a.provider_id, a.scheduled_at, a.duration_min, a.status,
           clinic_day(a.scheduled_at), a.created_at, a.updated_at, pt.name, a.overbook_reason
    FROM appointments a JOIN patients pt ON pt.patient_id = a.patient_id
    WHERE a.appointment_id = ANY (announced);
END $$;
COMMENT ON FUNCTION realtime_appointments(integer[]) IS 'For clinicpulse_realtime: schedule rows (with patient name and overbook reason, nothing else about the patient) of up to 1000 appointments that have an outbox event committed in the last 15 minutes, to shape live payloads; other ids return nothing. Each call that returns rows appends one durable read audit row listing the patients.';
REVOKE EXECUTE ON FUNCTION realtime_appointments(integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION realtime_appointments(integer[]) TO clinicpulse_realtime;

CREATE POLICY "managers set the overbook limit" ON providers FOR UPDATE TO manager
  USING ((SELECT current_staff_user_id()) IS NOT NULL) WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL);
GRANT UPDATE (overbook_limit) ON providers TO manager;
GRANT INSERT (overbook_reason, overbook_lane) ON appointments TO front_desk;
REVOKE EXECUTE ON FUNCTION appointments_overbook_rules(), appointments_audit_overbook(), provider_monthly_overbooks(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provider_monthly_overbooks(date, date) TO manager;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
REVOKE UPDATE (overbook_limit) ON providers FROM manager;
DROP POLICY IF EXISTS "managers set the overbook limit" ON providers;
DROP FUNCTION IF EXISTS provider_monthly_overbooks(date, date);
DROP FUNCTION realtime_appointments(integer[]);
CREATE FUNCTION realtime_appointments(p_ids integer[])
  RETURNS TABLE (appointment_id integer, patient_id integer, provider_id integer, scheduled_at timestamptz,
                 duration_min integer, status text, clinic_date date, created_at timestamptz, updated_at timestamptz,
                 patient_name text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  announced integer[];
  pids integer[];
BEGIN
  announced := ARRAY(SELECT DISTINCT e.appointment_id
                     FROM appointment_event_batches b JOIN appointment_events e ON e.txid = b.txid
                     WHERE b.committed_at > now() - interval '15 minutes'
                       AND e.appointment_id = ANY (p_ids[1:1000]));
  IF cardinality(announced) = 0 THEN
    RETURN;
  END IF;
  pids := ARRAY(SELECT DISTINCT a.patient_id FROM appointments a WHERE a.appointment_id = ANY (announced));
  PERFORM audit_append_durable('read', 'appointments', NULL, NULL, 'info', pids);
  RETURN QUERY
    SELECT a.appointment_id, a.patient_id, a.provider_id, a.scheduled_at, a.duration_min, a.status,
           clinic_day(a.scheduled_at), a.created_at, a.updated_at, pt.name
    FROM appointments a JOIN patients pt ON pt.patient_id = a.patient_id
    WHERE a.appointment_id = ANY (announced);
END $$;
COMMENT ON FUNCTION realtime_appointments(integer[]) IS 'For clinicpulse_realtime: schedule rows (with patient name, nothing else about the patient) of up to 1000 appointments that have an outbox event committed in the last 15 minutes, to shape live payloads; other ids return nothing. Each call that returns rows appends one durable read audit row listing the patients.';
REVOKE EXECUTE ON FUNCTION realtime_appointments(integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION realtime_appointments(integer[]) TO clinicpulse_realtime;

DROP TRIGGER IF EXISTS appointments_audit_overbook ON appointments;
DROP TRIGGER IF EXISTS appointments_overbook_rules ON appointments;
DROP FUNCTION IF EXISTS appointments_audit_overbook(), appointments_overbook_rules();
DELETE FROM appointments WHERE overbook_lane IS NOT NULL;
DROP INDEX IF EXISTS appointments_overbooks_idx;
ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_no_overbook_overlap;
ALTER TABLE appointments DROP CONSTRAINT appointments_no_provider_overlap;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_provider_overlap EXCLUDE USING gist
  (provider_id WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled');
ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_overbook_consistent,
  DROP COLUMN IF EXISTS overbook_lane, DROP COLUMN IF EXISTS overbook_reason;
ALTER TABLE providers DROP COLUMN IF EXISTS overbook_limit;
`,
  );
}
