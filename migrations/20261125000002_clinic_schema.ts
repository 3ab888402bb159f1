/**
 * The clinic schema: the seed DDL's tables and columns, kept as the contract,
 * plus everything that makes bad data impossible to store. Every rule here is
 * enforced by PostgreSQL; the API only mirrors them for friendlier messages.
 * Why each rule exists: docs/design-decisions.md.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- ===== Clinic settings and clinic-local time ==================================

CREATE FUNCTION is_valid_time_zone(tz text) RETURNS boolean
  LANGUAGE sql STABLE SET search_path = pg_catalog
  AS $$ SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz) $$;

CREATE TABLE clinic_settings (
  singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT clinic_settings_singleton CHECK (singleton),
  time_zone text NOT NULL DEFAULT 'America/New_York'
    CONSTRAINT clinic_settings_time_zone_valid CHECK (is_valid_time_zone(time_zone)),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO clinic_settings DEFAULT VALUES;

CREATE FUNCTION clinic_time_zone() RETURNS text
  LANGUAGE sql STABLE SET search_path = public, pg_catalog
  AS $$ SELECT time_zone FROM clinic_settings $$;

-- The half-open instant range [local midnight, next local midnight): 23 or 25 hours across DST.
CREATE FUNCTION clinic_day_range(day date) RETURNS tstzrange
  LANGUAGE sql STABLE SET search_path = public, pg_catalog
  AS $$ SELECT tstzrange(day::timestamp AT TIME ZONE clinic_time_zone(),
                          (day + 1)::timestamp AT TIME ZONE clinic_time_zone(), '[)') $$;

CREATE FUNCTION clinic_day(ts timestamptz) RETURNS date
  LANGUAGE sql STABLE SET search_path = public, pg_catalog
  AS $$ SELECT (ts AT TIME ZONE clinic_time_zone())::date $$;

CREATE FUNCTION clinic_month(ts timestamptz) RETURNS date
  LANGUAGE sql STABLE SET search_path = public, pg_catalog
  AS $$ SELECT date_trunc('month', ts AT TIME ZONE clinic_time_zone())::date $$;

-- Adding whole minutes to an instant does not depend on the session time zone, so this is
-- truly immutable (timestamptz + interval in general is only stable: days and months shift).
CREATE FUNCTION appointment_slot(starts timestamptz, minutes integer) RETURNS tstzrange
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog
  AS $$ SELECT tstzrange(starts, starts + minutes * interval '1 minute', '[)') $$;

-- ===== Patients ===============================================================

CREATE TABLE patients (
  patient_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CONSTRAINT patients_name_not_blank CHECK (btrim(name) <> '' AND length(name) <= 200),
  dob date NOT NULL
    CONSTRAINT patients_dob_not_future CHECK (dob <= current_date)
    CONSTRAINT patients_dob_plausible CHECK (dob >= date '1900-01-01'),
  email text UNIQUE
    CONSTRAINT patients_email_shape CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$' AND length(email) <= 254)
    CONSTRAINT patients_email_lowercase CHECK (email = lower(email)),
  phone text CONSTRAINT patients_phone_shape CHECK (phone ~ '^\\+?[0-9][0-9 ().-]{5,22}[0-9]$'),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_name_idx ON patients (lower(name) text_pattern_ops);

-- ===== Providers ==============================================================

CREATE TABLE providers (
  provider_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CONSTRAINT providers_name_not_blank CHECK (btrim(name) <> '' AND length(name) <= 200),
  specialty text NOT NULL CONSTRAINT providers_specialty_not_blank CHECK (btrim(specialty) <> '' AND length(specialty) <= 100)
);

-- ===== Appointments ===========================================================

CREATE TABLE appointments (
  appointment_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES patients(patient_id),
  provider_id integer NOT NULL REFERENCES providers(provider_id),
  scheduled_at timestamptz NOT NULL
    CONSTRAINT appointments_scheduled_at_plausible CHECK (scheduled_at >= timestamptz '2000-01-01 00:00Z'),
  duration_min integer NOT NULL CONSTRAINT appointments_duration_min_check CHECK (duration_min BETWEEN 5 AND 480),
  status text NOT NULL DEFAULT 'scheduled'
    CONSTRAINT appointments_status_check CHECK (status IN ('scheduled','checked_in','completed','cancelled','no_show')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Lets visits carry the patient with a foreign key that proves it matches the appointment.
  CONSTRAINT appointments_id_patient_key UNIQUE (appointment_id, patient_id),
  CONSTRAINT appointments_no_provider_overlap EXCLUDE USING gist
    (provider_id WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled'),
  CONSTRAINT appointments_no_patient_overlap EXCLUDE USING gist
    (patient_id WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled')
);
CREATE INDEX appointments_patient_id_idx ON appointments (patient_id, scheduled_at DESC);
CREATE INDEX appointments_provider_id_scheduled_at_idx ON appointments (provider_id, scheduled_at);
CREATE INDEX appointments_upcoming_idx ON appointments (scheduled_at) WHERE status IN ('scheduled','checked_in');

-- The life of an appointment, enforced whatever the client:
--   scheduled -> checked_in -> completed; scheduled|checked_in -> cancelled; scheduled -> no_show.
-- completed, cancelled and no_show are final. Only a scheduled appointment can be moved.
CREATE FUNCTION appointments_guard_update() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'scheduled'  AND NEW.status IN ('checked_in','cancelled','no_show'))
    OR (OLD.status = 'checked_in' AND NEW.status IN ('completed','cancelled'))) THEN
    RAISE EXCEPTION 'appointment % cannot go from % to %', OLD.appointment_id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_status_transition',
            DETAIL = format('from=%s to=%s', OLD.status, NEW.status);
  END IF;
  IF NEW.patient_id IS DISTINCT FROM OLD.patient_id THEN
    RAISE EXCEPTION 'an appointment cannot be moved to another patient; cancel it and book a new one'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_patient_fixed';
  END IF;
  IF (NEW.scheduled_at, NEW.duration_min, NEW.provider_id) IS DISTINCT FROM (OLD.scheduled_at, OLD.duration_min, OLD.provider_id)
     AND OLD.status <> 'scheduled' THEN
    RAISE EXCEPTION 'appointment % is % and can no longer be rescheduled', OLD.appointment_id, OLD.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_reschedule_only_scheduled';
  END IF;
  IF NEW.status = 'cancelled' AND OLD.status <> 'cancelled'
     AND EXISTS (SELECT 1 FROM visits v WHERE v.appointment_id = OLD.appointment_id) THEN
    RAISE EXCEPTION 'appointment % has a visit and cannot be cancelled', OLD.appointment_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_visit_requires_arrival';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;

-- ===== Visits =================================================================

CREATE TABLE visits (
  visit_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  appointment_id integer NOT NULL UNIQUE,
  patient_id integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CONSTRAINT visits_appointment_fkey FOREIGN KEY (appointment_id, patient_id)
    REFERENCES appointments (appointment_id, patient_id),
  CONSTRAINT visits_completed_after_start CHECK (completed_at IS NULL OR completed_at >= started_at)
);
CREATE INDEX visits_patient_id_idx ON visits (patient_id);

CREATE FUNCTION visits_require_arrival() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE s text;
BEGIN
  SELECT status INTO s FROM appointments WHERE appointment_id = NEW.appointment_id;
  IF s IS NOT NULL AND s NOT IN ('checked_in','completed') THEN
    RAISE EXCEPTION 'a visit needs a checked-in or completed appointment; appointment % is %', NEW.appointment_id, s
      USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_require_arrival';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER visits_require_arrival BEFORE INSERT OR UPDATE OF appointment_id ON visits
  FOR EACH ROW EXECUTE FUNCTION visits_require_arrival();
CREATE TRIGGER appointments_guard_update BEFORE UPDATE ON appointments
  FOR EACH ROW EXECUTE FUNCTION appointments_guard_update();

-- ===== Medications, prescriptions, diagnoses ==================================

CREATE TABLE medications (
  medication_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CONSTRAINT medications_name_not_blank CHECK (btrim(name) <> '' AND length(name) <= 200),
  form text NOT NULL CONSTRAINT medications_form_not_blank CHECK (btrim(form) <> '' AND length(form) <= 50),
  strength text NOT NULL CONSTRAINT medications_strength_not_blank CHECK (btrim(strength) <> '' AND length(strength) <= 50)
);
CREATE UNIQUE INDEX medications_unique_idx ON medications (lower(name), lower(form), lower(strength));

CREATE TABLE prescriptions (
  prescription_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  visit_id integer NOT NULL REFERENCES visits(visit_id) ON DELETE CASCADE,
  medication_id integer NOT NULL REFERENCES medications(medication_id),
  dosage text NOT NULL CONSTRAINT prescriptions_dosage_not_blank CHECK (btrim(dosage) <> '' AND length(dosage) <= 200),
  start_date date NOT NULL CONSTRAINT prescriptions_start_date_plausible CHECK (start_date >= date '2000-01-01'),
  end_date date,
  CONSTRAINT prescriptions_dates_ordered CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX prescriptions_visit_id_idx ON prescriptions (visit_id);

CREATE TABLE diagnoses (
  diagnosis_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  visit_id integer NOT NULL REFERENCES visits(visit_id) ON DELETE CASCADE,
  -- ICD-10-CM: a letter (U is reserved), two characters, then optionally a dot and 1-4 more.
  code text NOT NULL CONSTRAINT diagnoses_code_icd10cm CHECK (code ~ '^[A-TV-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?$'),
  description text NOT NULL CONSTRAINT diagnoses_description_not_blank CHECK (btrim(description) <> '' AND length(description) <= 500),
  CONSTRAINT diagnoses_visit_code_key UNIQUE (visit_id, code)
);

-- ===== Exact monthly aggregates, maintained in the same transaction ===========

CREATE TABLE appointment_monthly_stats (
  provider_id integer NOT NULL REFERENCES providers(provider_id),
  month date NOT NULL CONSTRAINT appointment_monthly_stats_month_first CHECK (extract(day FROM month) = 1),
  total integer NOT NULL DEFAULT 0,
  scheduled integer NOT NULL DEFAULT 0,
  checked_in integer NOT NULL DEFAULT 0,
  completed integer NOT NULL DEFAULT 0,
  cancelled integer NOT NULL DEFAULT 0,
  no_show integer NOT NULL DEFAULT 0,
  PRIMARY KEY (provider_id, month)
);

-- Statement-level with transition tables: one grouped upsert per statement, so a COPY of a
-- million rows costs one write per (provider, month), not a million. Keys are locked in
-- sorted order so concurrent bookings cannot deadlock on the counters.
CREATE TYPE appointment_stats_delta AS (provider_id integer, month date, status text, n integer);

CREATE FUNCTION appointment_stats_merge(deltas appointment_stats_delta[]) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  INSERT INTO appointment_monthly_stats AS s
    (provider_id, month, total, scheduled, checked_in, completed, cancelled, no_show)
  SELECT provider_id, month, sum(n),
         coalesce(sum(n) FILTER (WHERE status = 'scheduled'), 0), coalesce(sum(n) FILTER (WHERE status = 'checked_in'), 0),
         coalesce(sum(n) FILTER (WHERE status = 'completed'), 0), coalesce(sum(n) FILTER (WHERE status = 'cancelled'), 0),
         coalesce(sum(n) FILTER (WHERE status = 'no_show'), 0)
  FROM unnest(deltas)
  GROUP BY provider_id, month
  ORDER BY provider_id, month
  ON CONFLICT (provider_id, month) DO UPDATE SET
    total = s.total + excluded.total,
    scheduled = s.scheduled + excluded.scheduled,
    checked_in = s.checked_in + excluded.checked_in,
    completed = s.completed + excluded.completed,
    cancelled = s.cancelled + excluded.cancelled,
    no_show = s.no_show + excluded.no_show;
$$;
REVOKE EXECUTE ON FUNCTION appointment_stats_merge(appointment_stats_delta[]) FROM PUBLIC;

CREATE FUNCTION appointment_stats_apply() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  tz text := clinic_time_zone();
  deltas appointment_stats_delta[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    deltas := ARRAY(SELECT ROW(provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date, status, count(*))::appointment_stats_delta
                    FROM new_rows GROUP BY 1, 2, 3);
  ELSIF TG_OP = 'DELETE' THEN
    deltas := ARRAY(SELECT ROW(provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date, status, -count(*))::appointment_stats_delta
                    FROM old_rows GROUP BY 1, 2, 3);
  ELSE
    deltas := ARRAY(SELECT ROW(provider_id, m, status, sum(sign))::appointment_stats_delta
                    FROM (SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date AS m, status, 1 AS sign FROM new_rows
                          UNION ALL
                          SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date, status, -1 FROM old_rows) d
                    GROUP BY provider_id, m, status HAVING sum(sign) <> 0);
  END IF;
  IF cardinality(deltas) > 0 THEN
    PERFORM appointment_stats_merge(deltas);
  END IF;
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION appointment_stats_apply() FROM PUBLIC;
CREATE TRIGGER appointment_stats_insert AFTER INSERT ON appointments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_stats_apply();
CREATE TRIGGER appointment_stats_update AFTER UPDATE ON appointments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_stats_apply();
CREATE TRIGGER appointment_stats_delete AFTER DELETE ON appointments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_stats_apply();

-- Recount from scratch (used when the clinic's time zone changes, since months move).
CREATE FUNCTION appointment_stats_rebuild() RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  DELETE FROM appointment_monthly_stats;
  INSERT INTO appointment_monthly_stats (provider_id, month, total, scheduled, checked_in, completed, cancelled, no_show)
  SELECT provider_id, clinic_month(scheduled_at), count(*),
         count(*) FILTER (WHERE status = 'scheduled'), count(*) FILTER (WHERE status = 'checked_in'),
         count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'cancelled'),
         count(*) FILTER (WHERE status = 'no_show')
  FROM appointments GROUP BY 1, 2;
$$;
REVOKE EXECUTE ON FUNCTION appointment_stats_rebuild() FROM PUBLIC;

CREATE FUNCTION clinic_settings_changed() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public, pg_catalog AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER clinic_settings_touch BEFORE UPDATE ON clinic_settings
  FOR EACH ROW EXECUTE FUNCTION clinic_settings_changed();
CREATE FUNCTION clinic_settings_rebuild_stats() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  PERFORM appointment_stats_rebuild();
  RETURN NULL;
END $$;
CREATE TRIGGER clinic_settings_time_zone_changed AFTER UPDATE OF time_zone ON clinic_settings
  FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
  EXECUTE FUNCTION clinic_settings_rebuild_stats();

-- ===== Views ==================================================================

-- Months by clinic-local calendar. Volume = appointments not cancelled.
-- No-show rate = no_show / (completed + no_show): only appointments whose outcome is known.
CREATE VIEW provider_monthly_volume WITH (security_barrier) AS
  SELECT s.provider_id, p.name AS provider_name, s.month, (s.total - s.cancelled) AS appointments
  FROM appointment_monthly_stats s JOIN providers p USING (provider_id)
  WHERE s.total - s.cancelled > 0;

CREATE VIEW provider_no_show_rate WITH (security_barrier) AS
  SELECT s.provider_id, p.name AS provider_name, s.month, s.completed, s.no_show AS no_shows,
         CASE WHEN s.completed + s.no_show = 0 THEN NULL
              ELSE round(s.no_show::numeric / (s.completed + s.no_show), 4) END AS rate
  FROM appointment_monthly_stats s JOIN providers p USING (provider_id)
  WHERE s.completed + s.no_show > 0;

CREATE VIEW upcoming_appointments WITH (security_invoker = true) AS
  SELECT a.appointment_id, a.scheduled_at, a.duration_min, a.status, clinic_day(a.scheduled_at) AS clinic_date,
         a.provider_id, pr.name AS provider_name, a.patient_id, pt.name AS patient_name
  FROM appointments a
  JOIN providers pr ON pr.provider_id = a.provider_id
  JOIN patients pt ON pt.patient_id = a.patient_id
  WHERE a.status IN ('scheduled','checked_in') AND a.scheduled_at >= now();

-- What scheduling staff need to recognise and reach a patient, without full contact details.
CREATE VIEW patient_summary WITH (security_invoker = true) AS
  SELECT patient_id, name, extract(year FROM dob)::integer AS birth_year,
         CASE WHEN email IS NULL THEN NULL
              ELSE left(email, 1) || '***@' || split_part(email, '@', 2) END AS email_masked,
         CASE WHEN phone IS NULL THEN NULL
              ELSE '***-' || right(regexp_replace(phone, '[^0-9]', '', 'g'), 4) END AS phone_last4,
         created_at
  FROM patients;

-- ===== Function privileges ====================================================
-- Nothing is executable by PUBLIC; the read-only clock helpers are granted to staff roles.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE clinicpulse_owner IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
GRANT EXECUTE ON FUNCTION is_valid_time_zone(text), clinic_time_zone(), clinic_day_range(date), clinic_day(timestamptz),
  clinic_month(timestamptz), appointment_slot(timestamptz, integer)
  TO front_desk, clinician, billing, manager, compliance;
`);
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
    DROP VIEW IF EXISTS patient_summary, upcoming_appointments, provider_no_show_rate, provider_monthly_volume;
    DROP TABLE IF EXISTS appointment_monthly_stats, diagnoses, prescriptions, medications, visits, appointments, providers, patients, clinic_settings CASCADE;
    DROP FUNCTION IF EXISTS clinic_settings_rebuild_stats(), clinic_settings_changed(), appointment_stats_rebuild(),
      appointment_stats_apply(), appointment_stats_merge(appointment_stats_delta[]), visits_require_arrival(), appointments_guard_update(), appointment_slot(timestamptz, integer),
      clinic_month(timestamptz), clinic_day(timestamptz), clinic_day_range(date), clinic_time_zone(), is_valid_time_zone(text);
    DROP TYPE IF EXISTS appointment_stats_delta;
  `,
  );
}
