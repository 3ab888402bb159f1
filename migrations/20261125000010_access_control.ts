/**
 * Who may see and change what: column grants per group role, row-level security
 * (enabled and forced) on every table that holds patient data, the care-relationship
 * predicate, break-the-glass, audited clinical reads, billing's charges and the
 * manager's utilisation view. Everything here is decided by PostgreSQL, whatever the
 * application asks. The design, and why each grant exists: docs/security.md.
 */
import type { Knex } from 'knex';
import { asOwner, runSql } from './support.js';

/** Tables holding patient data created before or by this migration: RLS enabled and forced on each. */
export const PATIENT_DATA_TABLES = [
  'patients',
  'appointments',
  'visits',
  'diagnoses',
  'prescriptions',
  'charges',
  'break_glass_grants',
] as const;

const STAFF = 'front_desk, clinician, billing, manager, compliance';

/** This migration's utilisation view (20261125000011 replaces it; its down restores this). */
export const PROVIDER_UTILISATION_OWNER_RIGHTS = `CREATE VIEW provider_utilisation WITH (security_barrier) AS
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

/**
 * The clinician's care relationship as a policy condition on a table with patient_id:
 * the same rule as staff_can_access_patient(), written as correlated EXISTS so the planner
 * probes an index for a single patient and hashes for a scan, instead of calling a
 * function per row. Both subqueries run under the clinician's own RLS (their appointments,
 * their grants), which never refers back to patients or visits, so no policy recursion.
 */
const CARE_RELATIONSHIP = (table: string) => `
    EXISTS (SELECT 1 FROM appointments a
            WHERE a.patient_id = ${table}.patient_id AND a.provider_id = (SELECT current_staff_provider_id()))
    OR EXISTS (SELECT 1 FROM break_glass_grants g
               WHERE g.patient_id = ${table}.patient_id AND g.user_id = (SELECT current_staff_user_id()) AND g.expires_at > now())`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- ===== Who is acting, seen from inside a security-definer function ==============
-- Inside a SECURITY DEFINER function current_user is the owner; the role the staff member
-- became is still the 'role' setting (only SET ROLE changes it, and SET ROLE checks
-- membership). app.user_id counts only if it names an active account holding that role.
CREATE FUNCTION acting_staff(OUT user_id integer, OUT role text, OUT provider_id integer)
  LANGUAGE sql STABLE SET search_path = public, pg_catalog AS $$
  SELECT s.user_id, x.r, s.provider_id
  FROM (SELECT current_setting('role') AS r) x
  CROSS JOIN LATERAL staff_identity(app_user_id_setting(), x.r) s
  WHERE x.r IN ('front_desk','clinician','billing','manager','compliance')
$$;
COMMENT ON FUNCTION acting_staff() IS 'The valid acting staff member (user, role, provider) for security-definer callers; no row when the identity is missing, forged or deactivated. Not granted to anyone.';

-- ===== Charges: what billing works on ========================================

-- Lets a charge carry its patient with a foreign key that proves it matches the visit.
ALTER TABLE visits ADD CONSTRAINT visits_id_patient_key UNIQUE (visit_id, patient_id);

CREATE TABLE charges (
  charge_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  visit_id integer NOT NULL CONSTRAINT charges_visit_id_key UNIQUE,
  patient_id integer NOT NULL,
  provider_id integer NOT NULL REFERENCES providers(provider_id),
  service_date date NOT NULL,
  amount_cents integer CONSTRAINT charges_amount_positive CHECK (amount_cents > 0 AND amount_cents <= 100000000),
  currency text NOT NULL DEFAULT 'USD' CONSTRAINT charges_currency_iso4217 CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL DEFAULT 'pending'
    CONSTRAINT charges_status_check CHECK (status IN ('pending','submitted','paid','denied','void')),
  payer text CONSTRAINT charges_payer_not_blank CHECK (btrim(payer) <> '' AND length(payer) <= 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT charges_visit_fkey FOREIGN KEY (visit_id, patient_id) REFERENCES visits (visit_id, patient_id),
  CONSTRAINT charges_priced_before_submission
    CHECK (status IN ('pending','void') OR (amount_cents IS NOT NULL AND payer IS NOT NULL))
);
CREATE INDEX charges_patient_id_idx ON charges (patient_id);
COMMENT ON TABLE charges IS 'One charge per completed visit, opened by the database (status pending) when a visit exists and its appointment is completed; billing prices, submits and settles it. Carries no clinical content.';
COMMENT ON COLUMN charges.charge_id IS 'Identity.';
COMMENT ON COLUMN charges.visit_id IS 'The billed visit; unique: one charge per visit.';
COMMENT ON COLUMN charges.patient_id IS 'The billed patient; the foreign key (visit_id, patient_id) proves it is the visit''s patient. Billing sees a patient''s name and dob only through a charge.';
COMMENT ON COLUMN charges.provider_id IS 'The rendering provider (from the appointment), needed on a claim.';
COMMENT ON COLUMN charges.service_date IS 'Date of service: the clinic-local day of the appointment.';
COMMENT ON COLUMN charges.amount_cents IS 'Amount in minor units; NULL until billing prices a pending charge.';
COMMENT ON COLUMN charges.currency IS 'ISO 4217 code.';
COMMENT ON COLUMN charges.status IS 'pending -> submitted -> paid | denied; denied -> submitted; anything not paid -> void. paid and void are final.';
COMMENT ON COLUMN charges.payer IS 'Who is billed: an insurer''s name or self-pay. Not the patient''s contact.';
COMMENT ON COLUMN charges.created_at IS 'When the database opened the charge.';
COMMENT ON COLUMN charges.updated_at IS 'Last change, set by the database.';

CREATE FUNCTION charges_guard_update() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public, pg_catalog AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'pending'   AND NEW.status IN ('submitted','void'))
    OR (OLD.status = 'submitted' AND NEW.status IN ('paid','denied','void'))
    OR (OLD.status = 'denied'    AND NEW.status IN ('submitted','void'))) THEN
    RAISE EXCEPTION 'charge % cannot go from % to %', OLD.charge_id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'charges_status_transition';
  END IF;
  IF OLD.status IN ('paid','void') AND (NEW.amount_cents, NEW.currency, NEW.payer) IS DISTINCT FROM (OLD.amount_cents, OLD.currency, OLD.payer) THEN
    RAISE EXCEPTION 'charge % is % and can no longer change', OLD.charge_id, OLD.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'charges_settled_fixed';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
COMMENT ON FUNCTION charges_guard_update() IS 'The life of a charge, whatever the client: legal status transitions only; a paid or void charge is frozen.';
CREATE TRIGGER charges_guard_update BEFORE UPDATE ON charges FOR EACH ROW EXECUTE FUNCTION charges_guard_update();
-- Every write to a charge is audited like the clinical tables (20261125000006_audit).
${auditTriggersSql('charges', 'charge_id', 'r.patient_id')}

-- A visit is billable once it exists and its appointment is completed, in either order.
-- Statement-level with transition tables so a bulk load opens its charges in one INSERT.
CREATE FUNCTION charges_open_for_visits() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF TG_TABLE_NAME = 'visits' THEN
    INSERT INTO charges (visit_id, patient_id, provider_id, service_date)
    SELECT v.visit_id, v.patient_id, a.provider_id, clinic_day(a.scheduled_at)
    FROM new_rows v JOIN appointments a ON a.appointment_id = v.appointment_id
    WHERE a.status = 'completed'
    ORDER BY v.visit_id
    ON CONFLICT (visit_id) DO NOTHING;
  ELSE
    INSERT INTO charges (visit_id, patient_id, provider_id, service_date)
    SELECT v.visit_id, v.patient_id, n.provider_id, clinic_day(n.scheduled_at)
    FROM new_rows n JOIN old_rows o ON o.appointment_id = n.appointment_id
    JOIN visits v ON v.appointment_id = n.appointment_id
    WHERE n.status = 'completed' AND o.status <> 'completed'
    ORDER BY v.visit_id
    ON CONFLICT (visit_id) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION charges_open_for_visits() IS 'Opens a pending charge for every visit whose appointment is completed (one per visit).';
CREATE TRIGGER charges_open_on_visit AFTER INSERT ON visits
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION charges_open_for_visits();
CREATE TRIGGER charges_open_on_completion AFTER UPDATE ON appointments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION charges_open_for_visits();

-- ===== Break-the-glass =======================================================

CREATE TABLE break_glass_grants (
  grant_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id integer NOT NULL REFERENCES staff_users(user_id),
  patient_id integer NOT NULL REFERENCES patients(patient_id),
  reason text NOT NULL CONSTRAINT break_glass_grants_reason_length CHECK (length(btrim(reason)) BETWEEN 10 AND 1000),
  granted_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CONSTRAINT break_glass_grants_duration CHECK (expires_at > granted_at AND expires_at <= granted_at + interval '240 minutes')
);
CREATE INDEX break_glass_grants_user_patient_idx ON break_glass_grants (user_id, patient_id, expires_at);
CREATE INDEX break_glass_grants_patient_idx ON break_glass_grants (patient_id);
COMMENT ON TABLE break_glass_grants IS 'Emergency access: a clinician''s time-limited access to a patient outside their care relationships, with the stated reason. Written only by break_glass(), which also writes a high-severity audit row; reviewed by compliance. The reason is free text and stays here, never in audit_log.';
COMMENT ON COLUMN break_glass_grants.grant_id IS 'Identity; the audit row''s row_key.';
COMMENT ON COLUMN break_glass_grants.user_id IS 'The clinician who broke the glass.';
COMMENT ON COLUMN break_glass_grants.patient_id IS 'The patient opened to them.';
COMMENT ON COLUMN break_glass_grants.reason IS 'Why, in the clinician''s words (10 to 1000 characters). May hold clinical detail: compliance reads it, nobody else but its author.';
COMMENT ON COLUMN break_glass_grants.granted_at IS 'Start of the window (transaction time).';
COMMENT ON COLUMN break_glass_grants.expires_at IS 'End of the window; at most 240 minutes after granted_at.';

-- ===== Utilisation for managers ==============================================

CREATE TABLE provider_working_hours (
  provider_id integer NOT NULL REFERENCES providers(provider_id) ON DELETE CASCADE,
  iso_weekday smallint NOT NULL CONSTRAINT provider_working_hours_weekday CHECK (iso_weekday BETWEEN 1 AND 7),
  starts_at time NOT NULL,
  ends_at time NOT NULL,
  PRIMARY KEY (provider_id, iso_weekday),
  CONSTRAINT provider_working_hours_ordered CHECK (ends_at > starts_at)
);
COMMENT ON TABLE provider_working_hours IS 'A provider''s regular clinic-local working hours per weekday: the denominator of utilisation. Maintained by administrators (owner).';
COMMENT ON COLUMN provider_working_hours.provider_id IS 'The provider.';
COMMENT ON COLUMN provider_working_hours.iso_weekday IS 'ISO weekday, 1 = Monday … 7 = Sunday.';
COMMENT ON COLUMN provider_working_hours.starts_at IS 'Clinic-local start of the working day.';
COMMENT ON COLUMN provider_working_hours.ends_at IS 'Clinic-local end of the working day (after starts_at).';

-- Booked minutes (appointments not cancelled) per provider and clinic-local month against the
-- provider's working minutes that month. Owner's rights on purpose (reads every appointment),
-- but every output row is a (provider, month) aggregate: no patient id, no appointment id.
${PROVIDER_UTILISATION_OWNER_RIGHTS}
COMMENT ON VIEW provider_utilisation IS 'Per provider and clinic-local month: booked minutes (not cancelled) vs. working minutes from provider_working_hours (holidays not subtracted). Aggregates only: no row names a patient.';
COMMENT ON COLUMN provider_utilisation.provider_id IS 'The provider.';
COMMENT ON COLUMN provider_utilisation.provider_name IS 'The provider''s name.';
COMMENT ON COLUMN provider_utilisation.month IS 'First day of the clinic-local month.';
COMMENT ON COLUMN provider_utilisation.booked_minutes IS 'Sum of duration_min of the month''s appointments that are not cancelled.';
COMMENT ON COLUMN provider_utilisation.working_minutes IS 'Working minutes in the month by provider_working_hours; NULL when none are recorded.';
COMMENT ON COLUMN provider_utilisation.utilisation IS 'booked_minutes / working_minutes, 4 decimals; NULL without working hours.';

-- ===== Masked contact, readable without the contact itself ====================
-- Column privileges cannot grant an expression, and a security-invoker view needs the
-- invoker to read every column it uses. Storing the masks as generated columns lets front
-- desk read the mask and not the address, while patient_summary stays security_invoker
-- (so RLS still applies) and the masks follow every change, erasure included.
ALTER TABLE patients
  ADD COLUMN email_masked text GENERATED ALWAYS AS
    (CASE WHEN email IS NULL THEN NULL ELSE left(email, 1) || '***@' || split_part(email, '@', 2) END) STORED,
  ADD COLUMN phone_last4 text GENERATED ALWAYS AS
    (CASE WHEN phone IS NULL THEN NULL ELSE '***-' || right(regexp_replace(phone, '[^0-9]', '', 'g'), 4) END) STORED;
COMMENT ON COLUMN patients.email_masked IS 'First letter and domain of the email (a***@example.org): enough to confirm it with the patient, not to use it. Generated.';
COMMENT ON COLUMN patients.phone_last4 IS 'Last four digits of the phone (***-1234). Generated.';

CREATE OR REPLACE VIEW patient_summary WITH (security_invoker = true) AS
  SELECT patient_id, name, extract(year FROM dob)::integer AS birth_year, email_masked, phone_last4, created_at
  FROM patients;
COMMENT ON VIEW patient_summary IS 'What scheduling staff need to recognise and reach a patient, without full contact details. security_invoker: RLS on patients applies to the reader.';

-- ===== The care-relationship predicate =========================================

-- Supports the clinician's patient set (index-only) and the per-patient probe.
CREATE INDEX appointments_provider_patient_idx ON appointments (provider_id, patient_id);

-- May the acting staff member see rows about this patient? clinician: a care relationship
-- (any appointment with their provider, any status) or an unexpired break-glass grant;
-- front_desk: every patient's scheduling identity (table grants keep clinical tables
-- closed to them); billing: patients with a charge; anyone else, or no valid identity: no.
CREATE FUNCTION staff_can_access_patient(p_patient_id integer) RETURNS boolean
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
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
COMMENT ON FUNCTION staff_can_access_patient(integer) IS 'May the acting staff member see rows about this patient? The single statement of the care relationship (see docs/security.md). False without a valid identity.';

-- Clinical content (visits, diagnoses, prescriptions, notes): clinicians only.
CREATE FUNCTION staff_can_access_clinical(p_patient_id integer) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT EXISTS (SELECT 1 FROM acting_staff() me WHERE me.role = 'clinician') AND staff_can_access_patient(p_patient_id)
$$;
COMMENT ON FUNCTION staff_can_access_clinical(integer) IS 'May the acting staff member read this patient''s clinical content? A clinician with a care relationship or an unexpired break-glass grant.';

-- The same relationship as a set, for the policy on appointments itself (which cannot query
-- appointments without recursing): evaluated at most once per statement as a hashed subplan,
-- and only when a row is not the clinician's own appointment, instead of a call per row.
CREATE FUNCTION staff_patient_ids() RETURNS SETOF integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog ROWS 1000 AS $$
  SELECT a.patient_id FROM acting_staff() me JOIN appointments a ON a.provider_id = me.provider_id
  WHERE me.role = 'clinician'
  UNION
  SELECT g.patient_id FROM acting_staff() me JOIN break_glass_grants g ON g.user_id = me.user_id
  WHERE me.role = 'clinician' AND g.expires_at > now()
$$;
COMMENT ON FUNCTION staff_patient_ids() IS 'The acting clinician''s patients (care relationship or unexpired break-glass) as a set; empty for any other role or without identity. Same rule as staff_can_access_patient.';

-- ===== Break-the-glass function ==============================================

CREATE FUNCTION break_glass(p_patient_id integer, p_reason text, p_minutes integer DEFAULT 60) RETURNS timestamptz
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  me record;
  g record;
BEGIN
  SELECT * INTO me FROM acting_staff();
  IF me.user_id IS NULL OR me.role <> 'clinician' THEN
    RAISE EXCEPTION 'break-the-glass is for a signed-in clinician'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'break_glass_clinician_only';
  END IF;
  IF p_minutes IS NULL OR p_minutes < 1 OR p_minutes > 240 THEN
    RAISE EXCEPTION 'break-the-glass lasts 1 to 240 minutes'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'break_glass_grants_duration';
  END IF;
  IF p_reason IS NULL OR length(btrim(p_reason)) < 10 THEN
    RAISE EXCEPTION 'break-the-glass needs a reason of at least 10 characters'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'break_glass_grants_reason_length';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM patients WHERE patient_id = p_patient_id) THEN
    RAISE EXCEPTION 'no such patient'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'break_glass_grants_patient_id_fkey';
  END IF;
  INSERT INTO break_glass_grants (user_id, patient_id, reason, expires_at)
  VALUES (me.user_id, p_patient_id, btrim(p_reason), now() + p_minutes * interval '1 minute')
  RETURNING grant_id, expires_at INTO g;
  -- Ids only: the reason stays in break_glass_grants, out of the audit log and NOTIFY.
  PERFORM audit_event('break_glass', 'break_glass_grants', g.grant_id::text, p_patient_id, 'high');
  RETURN g.expires_at;
END $$;
COMMENT ON FUNCTION break_glass(integer, text, integer) IS 'Emergency access for the acting clinician to one patient for p_minutes (1-240, default 60) with a stated reason (>= 10 characters). Writes a high-severity audit row. Returns when access ends.';

-- ===== Audited clinical reads ================================================
-- SELECT fires no trigger, so clinicians cannot SELECT clinical columns at all: these
-- functions are the only path, and each call that returns a patient's records appends one
-- 'read' audit row. A patient the caller may not see reads as empty (never "forbidden":
-- that would confirm the patient exists) and leaves no audit row.

CREATE FUNCTION patient_prescriptions(p_patient_id integer, p_active_only boolean DEFAULT false)
  RETURNS TABLE (prescription_id integer, visit_id integer, medication_id integer, medication_name text,
                 form text, strength text, dosage text, start_date date, end_date date, prescribed_at timestamptz)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE today date := clinic_day(now());
BEGIN
  IF NOT staff_can_access_clinical(p_patient_id) THEN
    RETURN;
  END IF;
  PERFORM audit_event('read', 'prescriptions', NULL, p_patient_id);
  RETURN QUERY
    SELECT rx.prescription_id, rx.visit_id, rx.medication_id, m.name, m.form, m.strength, rx.dosage,
           rx.start_date, rx.end_date, v.started_at
    FROM visits v
    JOIN prescriptions rx ON rx.visit_id = v.visit_id
    JOIN medications m ON m.medication_id = rx.medication_id
    WHERE v.patient_id = p_patient_id
      AND (NOT coalesce(p_active_only, false)
           OR (rx.start_date <= today AND (rx.end_date IS NULL OR rx.end_date >= today)))
    ORDER BY rx.start_date DESC, rx.prescription_id DESC;
END $$;
COMMENT ON FUNCTION patient_prescriptions(integer, boolean) IS 'A patient''s prescriptions (active on the clinic-local today when p_active_only) for a clinician who may see them; one audit row per call. Empty otherwise.';

CREATE FUNCTION patient_visits(p_patient_id integer)
  RETURNS TABLE (visit_id integer, appointment_id integer, provider_id integer, started_at timestamptz,
                 completed_at timestamptz, diagnoses jsonb, prescriptions jsonb)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF NOT staff_can_access_clinical(p_patient_id) THEN
    RETURN;
  END IF;
  PERFORM audit_event('read', 'visits', NULL, p_patient_id);
  RETURN QUERY
    SELECT v.visit_id, v.appointment_id, a.provider_id, v.started_at, v.completed_at,
           coalesce((SELECT jsonb_agg(jsonb_build_object('diagnosisId', d.diagnosis_id, 'code', d.code,
                                                         'description', d.description) ORDER BY d.diagnosis_id)
                     FROM diagnoses d WHERE d.visit_id = v.visit_id), '[]'::jsonb),
           coalesce((SELECT jsonb_agg(jsonb_build_object('prescriptionId', rx.prescription_id, 'medicationId', rx.medication_id,
                                                         'medicationName', m.name, 'form', m.form, 'strength', m.strength,
                                                         'dosage', rx.dosage, 'startDate', rx.start_date, 'endDate', rx.end_date)
                                      ORDER BY rx.prescription_id)
                     FROM prescriptions rx JOIN medications m ON m.medication_id = rx.medication_id
                     WHERE rx.visit_id = v.visit_id), '[]'::jsonb)
    FROM visits v JOIN appointments a ON a.appointment_id = v.appointment_id
    WHERE v.patient_id = p_patient_id
    ORDER BY v.started_at DESC, v.visit_id DESC;
END $$;
COMMENT ON FUNCTION patient_visits(integer) IS 'A patient''s visits, newest first, each with its diagnoses and prescriptions as jsonb, for a clinician who may see them; one audit row per call. Empty otherwise.';

-- ===== Row-level security ====================================================

${PATIENT_DATA_TABLES.map((t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON ${t} TO clinicpulse_owner USING (true) WITH CHECK (true);`).join('\n')}

-- A missing, forged or deactivated identity makes every staff policy false, so it sees no
-- rows and changes nothing. Identity calls are wrapped in (SELECT …): one initplan per
-- statement, not one call per row.

-- patients
CREATE POLICY "front desk: every patient's scheduling identity" ON patients FOR SELECT TO front_desk
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "front desk registers patients" ON patients FOR INSERT TO front_desk
  WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "front desk corrects registration details" ON patients FOR UPDATE TO front_desk
  USING ((SELECT current_staff_user_id()) IS NOT NULL) WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "clinicians see their patients" ON patients FOR SELECT TO clinician
  USING (${CARE_RELATIONSHIP('patients')});
CREATE POLICY "billing sees patients it bills" ON patients FOR SELECT TO billing
  USING (EXISTS (SELECT 1 FROM charges c WHERE c.patient_id = patients.patient_id));

-- appointments
CREATE POLICY "front desk sees the schedule" ON appointments FOR SELECT TO front_desk
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "front desk books" ON appointments FOR INSERT TO front_desk
  WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL AND status = 'scheduled');
CREATE POLICY "front desk reschedules, checks in, cancels, marks no-show" ON appointments FOR UPDATE TO front_desk
  USING ((SELECT current_staff_user_id()) IS NOT NULL)
  WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL AND status IN ('scheduled','checked_in','cancelled','no_show'));
CREATE POLICY "clinicians see their own schedule and their patients' appointments" ON appointments FOR SELECT TO clinician
  USING (provider_id = (SELECT current_staff_provider_id()) OR patient_id IN (SELECT staff_patient_ids()));
CREATE POLICY "clinicians complete their own appointments" ON appointments FOR UPDATE TO clinician
  USING (provider_id = (SELECT current_staff_provider_id()))
  WITH CHECK (provider_id = (SELECT current_staff_provider_id()) AND status = 'completed');

-- visits: ids are visible (RETURNING, completing); content only through the audited functions.
CREATE POLICY "clinicians see their patients' visit ids" ON visits FOR SELECT TO clinician
  USING (${CARE_RELATIONSHIP('visits')});
CREATE POLICY "clinicians open visits for their own appointments" ON visits FOR INSERT TO clinician
  WITH CHECK (EXISTS (SELECT 1 FROM appointments a
                      WHERE a.appointment_id = visits.appointment_id AND a.provider_id = (SELECT current_staff_provider_id())));
CREATE POLICY "clinicians close visits of their own appointments" ON visits FOR UPDATE TO clinician
  USING (EXISTS (SELECT 1 FROM appointments a
                 WHERE a.appointment_id = visits.appointment_id AND a.provider_id = (SELECT current_staff_provider_id())))
  WITH CHECK (EXISTS (SELECT 1 FROM appointments a
                      WHERE a.appointment_id = visits.appointment_id AND a.provider_id = (SELECT current_staff_provider_id())));

-- diagnoses and prescriptions: visible (ids) where the visit is; written for own appointments only.
CREATE POLICY "clinicians see ids where they see the visit" ON diagnoses FOR SELECT TO clinician
  USING (EXISTS (SELECT 1 FROM visits v WHERE v.visit_id = diagnoses.visit_id));
CREATE POLICY "clinicians diagnose at their own visits" ON diagnoses FOR INSERT TO clinician
  WITH CHECK (EXISTS (SELECT 1 FROM visits v JOIN appointments a ON a.appointment_id = v.appointment_id
                      WHERE v.visit_id = diagnoses.visit_id AND a.provider_id = (SELECT current_staff_provider_id())));
CREATE POLICY "clinicians see ids where they see the visit" ON prescriptions FOR SELECT TO clinician
  USING (EXISTS (SELECT 1 FROM visits v WHERE v.visit_id = prescriptions.visit_id));
CREATE POLICY "clinicians prescribe at their own visits" ON prescriptions FOR INSERT TO clinician
  WITH CHECK (EXISTS (SELECT 1 FROM visits v JOIN appointments a ON a.appointment_id = v.appointment_id
                      WHERE v.visit_id = prescriptions.visit_id AND a.provider_id = (SELECT current_staff_provider_id())));

-- charges
CREATE POLICY "billing works every charge" ON charges FOR SELECT TO billing
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "billing prices, submits and settles charges" ON charges FOR UPDATE TO billing
  USING ((SELECT current_staff_user_id()) IS NOT NULL) WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL);

-- break-glass grants: written only by break_glass(); read by their author and by compliance.
CREATE POLICY "clinicians see their own grants" ON break_glass_grants FOR SELECT TO clinician
  USING (user_id = (SELECT current_staff_user_id()));
CREATE POLICY "compliance reviews every grant" ON break_glass_grants FOR SELECT TO compliance
  USING ((SELECT current_staff_user_id()) IS NOT NULL);

-- ===== Billing's view ========================================================

CREATE VIEW billing_charges WITH (security_invoker = true) AS
  SELECT c.charge_id, c.visit_id, c.patient_id, p.name AS patient_name, p.dob AS patient_dob,
         c.provider_id, pr.name AS provider_name, c.service_date, c.amount_cents, c.currency, c.status, c.payer,
         c.created_at, c.updated_at
  FROM charges c
  JOIN patients p ON p.patient_id = c.patient_id
  JOIN providers pr ON pr.provider_id = c.provider_id;
COMMENT ON VIEW billing_charges IS 'A charge with exactly the identity a claim needs: patient name and date of birth, rendering provider, date of service, payer. No contact, no clinical content. security_invoker: RLS applies to the reader.';
COMMENT ON COLUMN billing_charges.charge_id IS 'The charge.';
COMMENT ON COLUMN billing_charges.visit_id IS 'The billed visit.';
COMMENT ON COLUMN billing_charges.patient_id IS 'The billed patient.';
COMMENT ON COLUMN billing_charges.patient_name IS 'Patient name as on the claim.';
COMMENT ON COLUMN billing_charges.patient_dob IS 'Patient date of birth (payers match members by name and dob).';
COMMENT ON COLUMN billing_charges.provider_id IS 'Rendering provider.';
COMMENT ON COLUMN billing_charges.provider_name IS 'Rendering provider''s name.';
COMMENT ON COLUMN billing_charges.service_date IS 'Date of service (clinic-local).';
COMMENT ON COLUMN billing_charges.amount_cents IS 'Amount in minor units; NULL while unpriced.';
COMMENT ON COLUMN billing_charges.currency IS 'ISO 4217 code.';
COMMENT ON COLUMN billing_charges.status IS 'pending, submitted, paid, denied or void.';
COMMENT ON COLUMN billing_charges.payer IS 'Who is billed.';
COMMENT ON COLUMN billing_charges.created_at IS 'When the charge was opened.';
COMMENT ON COLUMN billing_charges.updated_at IS 'Last change.';

-- ===== Grants ================================================================
-- Start from nothing on the objects this migration governs, then grant per role.
REVOKE ALL ON patients, providers, appointments, visits, medications, prescriptions, diagnoses,
  appointment_monthly_stats, clinic_settings, charges, break_glass_grants, provider_working_hours,
  upcoming_appointments, patient_summary, provider_no_show_rate, provider_monthly_volume,
  provider_utilisation, billing_charges
  FROM PUBLIC, ${STAFF}, clinicpulse_app, clinicpulse_auth;

-- Reference data every staff member may read.
GRANT SELECT ON providers, clinic_settings TO ${STAFF};
GRANT SELECT ON provider_working_hours TO front_desk, clinician, manager;

-- front_desk: identity without full contact; the schedule. No clinical table at all.
GRANT SELECT (patient_id, name, dob, email_masked, phone_last4, created_at) ON patients TO front_desk;
GRANT INSERT (name, dob, email, phone), UPDATE (name, dob, email, phone) ON patients TO front_desk;
GRANT SELECT ON appointments TO front_desk;
GRANT INSERT (patient_id, provider_id, scheduled_at, duration_min) ON appointments TO front_desk;
GRANT UPDATE (scheduled_at, duration_min, provider_id, status) ON appointments TO front_desk;
GRANT SELECT ON upcoming_appointments, patient_summary TO front_desk;

-- clinician: own patients in full (RLS), completes own appointments, writes clinical rows,
-- reads clinical content only through the audited functions.
GRANT SELECT ON patients, appointments, medications TO clinician;
GRANT UPDATE (status) ON appointments TO clinician;
GRANT SELECT (visit_id, appointment_id, patient_id) ON visits TO clinician;
GRANT INSERT (appointment_id, patient_id, started_at, completed_at), UPDATE (completed_at) ON visits TO clinician;
GRANT SELECT (diagnosis_id, visit_id) ON diagnoses TO clinician;
GRANT INSERT (visit_id, code, description) ON diagnoses TO clinician;
GRANT SELECT (prescription_id, visit_id) ON prescriptions TO clinician;
GRANT INSERT (visit_id, medication_id, dosage, start_date, end_date) ON prescriptions TO clinician;
GRANT SELECT ON break_glass_grants TO clinician;
GRANT SELECT ON upcoming_appointments TO clinician;

-- billing: charges, and name + dob of billed patients.
GRANT SELECT ON charges, billing_charges TO billing;
GRANT UPDATE (amount_cents, currency, payer, status) ON charges TO billing;
GRANT SELECT (patient_id, name, dob) ON patients TO billing;

-- manager: aggregates only.
GRANT SELECT ON provider_no_show_rate, provider_monthly_volume, provider_utilisation TO manager;

-- compliance: break-glass review (the audit log and staff accounts are granted elsewhere).
GRANT SELECT ON break_glass_grants TO compliance;

-- Functions: nothing for PUBLIC; each granted to the roles whose policies or work need it.
REVOKE EXECUTE ON FUNCTION acting_staff(), charges_guard_update(), charges_open_for_visits(),
  staff_can_access_patient(integer), staff_can_access_clinical(integer), staff_patient_ids(),
  break_glass(integer, text, integer), patient_prescriptions(integer, boolean), patient_visits(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION staff_can_access_patient(integer), staff_can_access_clinical(integer) TO ${STAFF};
GRANT EXECUTE ON FUNCTION staff_patient_ids() TO clinician;
GRANT EXECUTE ON FUNCTION break_glass(integer, text, integer), patient_prescriptions(integer, boolean),
  patient_visits(integer) TO clinician;
`,
  );
  // Backups read everything, including tables created later by the owner. Run as the migrating
  // superuser so knex's own bookkeeping tables (owned by it) are covered too.
  await runSql(knex, `
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO clinicpulse_backup;
    GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO clinicpulse_backup;
    ALTER DEFAULT PRIVILEGES FOR ROLE clinicpulse_owner IN SCHEMA public GRANT SELECT ON TABLES TO clinicpulse_backup;
    ALTER DEFAULT PRIVILEGES FOR ROLE clinicpulse_owner IN SCHEMA public GRANT SELECT ON SEQUENCES TO clinicpulse_backup;
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM clinicpulse_app;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runSql(knex, `
    ALTER DEFAULT PRIVILEGES FOR ROLE clinicpulse_owner IN SCHEMA public REVOKE SELECT ON TABLES FROM clinicpulse_backup;
    ALTER DEFAULT PRIVILEGES FOR ROLE clinicpulse_owner IN SCHEMA public REVOKE SELECT ON SEQUENCES FROM clinicpulse_backup;
  `);
  await asOwner(
    knex,
    `
DROP VIEW IF EXISTS billing_charges, provider_utilisation;
${PATIENT_DATA_TABLES.filter((t) => !['charges', 'break_glass_grants'].includes(t))
  .map((t) => `DROP POLICY IF EXISTS "owner: security-definer functions and administration" ON ${t};`)
  .join('\n')}
DROP POLICY IF EXISTS "front desk: every patient's scheduling identity" ON patients;
DROP POLICY IF EXISTS "front desk registers patients" ON patients;
DROP POLICY IF EXISTS "front desk corrects registration details" ON patients;
DROP POLICY IF EXISTS "clinicians see their patients" ON patients;
DROP POLICY IF EXISTS "billing sees patients it bills" ON patients;
DROP POLICY IF EXISTS "front desk sees the schedule" ON appointments;
DROP POLICY IF EXISTS "front desk books" ON appointments;
DROP POLICY IF EXISTS "front desk reschedules, checks in, cancels, marks no-show" ON appointments;
DROP POLICY IF EXISTS "clinicians see their own schedule and their patients' appointments" ON appointments;
DROP POLICY IF EXISTS "clinicians complete their own appointments" ON appointments;
DROP POLICY IF EXISTS "clinicians see their patients' visit ids" ON visits;
DROP POLICY IF EXISTS "clinicians open visits for their own appointments" ON visits;
DROP POLICY IF EXISTS "clinicians close visits of their own appointments" ON visits;
DROP POLICY IF EXISTS "clinicians see ids where they see the visit" ON diagnoses;
DROP POLICY IF EXISTS "clinicians diagnose at their own visits" ON diagnoses;
DROP POLICY IF EXISTS "clinicians see ids where they see the visit" ON prescriptions;
DROP POLICY IF EXISTS "clinicians prescribe at their own visits" ON prescriptions;
ALTER TABLE patients NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE appointments NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE visits NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE diagnoses NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE prescriptions NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
DROP FUNCTION IF EXISTS patient_visits(integer), patient_prescriptions(integer, boolean), break_glass(integer, text, integer),
  staff_patient_ids(), staff_can_access_clinical(integer), staff_can_access_patient(integer);
DROP INDEX IF EXISTS appointments_provider_patient_idx;
CREATE OR REPLACE VIEW patient_summary WITH (security_invoker = true) AS
  SELECT patient_id, name, extract(year FROM dob)::integer AS birth_year,
         CASE WHEN email IS NULL THEN NULL
              ELSE left(email, 1) || '***@' || split_part(email, '@', 2) END AS email_masked,
         CASE WHEN phone IS NULL THEN NULL
              ELSE '***-' || right(regexp_replace(phone, '[^0-9]', '', 'g'), 4) END AS phone_last4,
         created_at
  FROM patients;
ALTER TABLE patients DROP COLUMN IF EXISTS email_masked, DROP COLUMN IF EXISTS phone_last4;
DROP TABLE IF EXISTS provider_working_hours, break_glass_grants;
DROP TRIGGER IF EXISTS charges_open_on_completion ON appointments;
DROP TRIGGER IF EXISTS charges_open_on_visit ON visits;
${dropAuditTriggersSql('charges')}
DROP TABLE IF EXISTS charges;
DROP FUNCTION IF EXISTS charges_open_for_visits(), charges_guard_update(), acting_staff();
ALTER TABLE visits DROP CONSTRAINT IF EXISTS visits_id_patient_key;
`,
  );
}

// ---- Copied from 20261125000006_audit (each migration keeps its own copy, so editing one
// migration never changes what another one ran).

/** SQL creating the three statement-level audit triggers of one table. */
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
