-- The current schema of ClinicPulse, generated from a freshly migrated database by
-- `npm run db:schema` (server/db/schema-dump.ts). Do not edit: change a migration instead.
-- Objects are sorted by name, not by creation order; a test fails when this file is stale.

-- ===== Roles ===================================================================

CREATE ROLE billing NOLOGIN NOINHERIT;
CREATE ROLE clinician NOLOGIN NOINHERIT;
CREATE ROLE clinicpulse_app LOGIN NOINHERIT;
GRANT billing, clinician, clinicpulse_auth, clinicpulse_realtime, compliance, front_desk, manager TO clinicpulse_app;
CREATE ROLE clinicpulse_audit_writer LOGIN NOINHERIT;
CREATE ROLE clinicpulse_auth NOLOGIN NOINHERIT;
CREATE ROLE clinicpulse_backup LOGIN BYPASSRLS;
CREATE ROLE clinicpulse_owner NOLOGIN;
CREATE ROLE clinicpulse_realtime NOLOGIN NOINHERIT;
CREATE ROLE compliance NOLOGIN NOINHERIT;
CREATE ROLE front_desk NOLOGIN NOINHERIT;
CREATE ROLE manager NOLOGIN NOINHERIT;

-- ===== Extensions and schema ===================================================

CREATE EXTENSION btree_gist;
CREATE EXTENSION dblink;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION pgcrypto;
GRANT USAGE ON SCHEMA public TO billing;
GRANT USAGE ON SCHEMA public TO clinician;
GRANT USAGE ON SCHEMA public TO clinicpulse_audit_writer;
GRANT USAGE ON SCHEMA public TO clinicpulse_auth;
GRANT USAGE ON SCHEMA public TO clinicpulse_backup;
GRANT CREATE, USAGE ON SCHEMA public TO clinicpulse_owner;
GRANT USAGE ON SCHEMA public TO clinicpulse_realtime;
GRANT USAGE ON SCHEMA public TO compliance;
GRANT USAGE ON SCHEMA public TO front_desk;
GRANT USAGE ON SCHEMA public TO manager;
GRANT CREATE, USAGE ON SCHEMA public TO pg_database_owner;
-- default privileges of clinicpulse_owner on new SEQUENCES (what is granted when one is created):
--   clinicpulse_backup: SELECT
-- default privileges of clinicpulse_owner on new TABLES (what is granted when one is created):
--   clinicpulse_backup: SELECT

-- ===== Types =================================================================

CREATE TYPE appointment_stats_delta AS (provider_id integer, month date, status text, n integer);

-- ===== Tables ======================================================================

-- owner: clinicpulse_owner
CREATE TABLE appointment_event_batches (
  txid xid8 NOT NULL,
  event_count integer NOT NULL,
  first_event_id bigint,
  last_event_id bigint,
  committed_at timestamp with time zone,
  CONSTRAINT appointment_event_batches_count_nonnegative CHECK (event_count >= 0),
  CONSTRAINT appointment_event_batches_first_key UNIQUE (first_event_id),
  CONSTRAINT appointment_event_batches_pkey PRIMARY KEY (txid),
  CONSTRAINT appointment_event_batches_sealed_consistently CHECK (first_event_id IS NULL AND last_event_id IS NULL AND committed_at IS NULL OR last_event_id = (first_event_id + event_count - 1) AND committed_at IS NOT NULL),
  CONSTRAINT appointment_event_batches_sealed_nonempty CHECK (first_event_id IS NULL OR event_count > 0)
);
CREATE INDEX appointment_event_batches_committed_idx ON appointment_event_batches USING btree (committed_at);
CREATE INDEX appointment_event_batches_last_idx ON appointment_event_batches USING btree (last_event_id);
CREATE CONSTRAINT TRIGGER appointment_events_seal AFTER INSERT ON appointment_event_batches DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION appointment_events_seal();
GRANT SELECT ON TABLE appointment_event_batches TO clinicpulse_backup;
GRANT SELECT (txid) ON TABLE appointment_event_batches TO clinicpulse_realtime;
GRANT SELECT (event_count) ON TABLE appointment_event_batches TO clinicpulse_realtime;
GRANT SELECT (first_event_id) ON TABLE appointment_event_batches TO clinicpulse_realtime;
GRANT SELECT (last_event_id) ON TABLE appointment_event_batches TO clinicpulse_realtime;
GRANT SELECT (committed_at) ON TABLE appointment_event_batches TO clinicpulse_realtime;
COMMENT ON TABLE appointment_event_batches IS 'One row per transaction that changed appointments or patient names: its block of commit-ordered event ids, assigned at COMMIT by the deferred trigger appointment_events_seal under an advisory lock, so event ids increase in commit order.';
COMMENT ON COLUMN appointment_event_batches.txid IS 'The transaction (pg_current_xact_id()).';
COMMENT ON COLUMN appointment_event_batches.event_count IS 'How many appointment_events rows the transaction wrote (0 only while open, when it has so far only renamed patients; the seal adds their events).';
COMMENT ON COLUMN appointment_event_batches.first_event_id IS 'First event id of the block, assigned at commit; NULL only inside the still-open transaction.';
COMMENT ON COLUMN appointment_event_batches.last_event_id IS 'Last event id of the block (first_event_id + event_count - 1); the NOTIFY payload.';
COMMENT ON COLUMN appointment_event_batches.committed_at IS 'Clock time of sealing, just before commit; retention is measured from it.';

-- owner: clinicpulse_owner
CREATE TABLE appointment_event_patients (
  txid xid8 NOT NULL,
  patient_id integer NOT NULL,
  changed_at timestamp with time zone NOT NULL,
  CONSTRAINT appointment_event_patients_pkey PRIMARY KEY (txid, patient_id)
);
ALTER TABLE appointment_event_patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_event_patients FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON appointment_event_patients AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON appointment_event_patients AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
GRANT SELECT ON TABLE appointment_event_patients TO clinicpulse_backup;
COMMENT ON TABLE appointment_event_patients IS 'Patients whose name the open transaction changed (a correction, or erase_patient()), noted by the trigger appointment_events_patients; at COMMIT appointment_events_seal turns each into one patient_updated outbox event per non-cancelled appointment and deletes the rows, so outside an open transaction the table is empty. Ids only.';
COMMENT ON COLUMN appointment_event_patients.txid IS 'The changing transaction (pg_current_xact_id()).';
COMMENT ON COLUMN appointment_event_patients.patient_id IS 'The patient whose name changed (once per transaction however often).';
COMMENT ON COLUMN appointment_event_patients.changed_at IS 'When the first changing statement started; becomes the events'' occurred_at.';

-- owner: clinicpulse_owner
CREATE TABLE appointment_events (
  txid xid8 NOT NULL,
  ordinal integer NOT NULL,
  appointment_id integer NOT NULL,
  kind text NOT NULL,
  provider_id integer NOT NULL,
  day date NOT NULL,
  prev_provider_id integer,
  prev_day date,
  days date[] NOT NULL,
  occurred_at timestamp with time zone NOT NULL,
  CONSTRAINT appointment_events_days_nonempty CHECK (cardinality(days) >= 1 AND cardinality(days) <= 2),
  CONSTRAINT appointment_events_kind_check CHECK (kind = ANY (ARRAY['booked'::text, 'rescheduled'::text, 'checked_in'::text, 'cancelled'::text, 'no_show'::text, 'completed'::text, 'patient_updated'::text])),
  CONSTRAINT appointment_events_ordinal_positive CHECK (ordinal > 0),
  CONSTRAINT appointment_events_pkey PRIMARY KEY (txid, ordinal),
  CONSTRAINT appointment_events_prev_together CHECK ((prev_provider_id IS NULL) = (prev_day IS NULL))
);
CREATE INDEX appointment_events_appointment_idx ON appointment_events USING btree (appointment_id);
COMMENT ON INDEX appointment_events_appointment_idx IS 'realtime_appointments(): which of the ids asked about the outbox announced recently, without walking every recent batch.';
GRANT SELECT ON TABLE appointment_events TO clinicpulse_backup;
GRANT SELECT (txid) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (ordinal) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (appointment_id) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (kind) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (provider_id) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (day) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (prev_provider_id) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (prev_day) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (days) ON TABLE appointment_events TO clinicpulse_realtime;
GRANT SELECT (occurred_at) ON TABLE appointment_events TO clinicpulse_realtime;
COMMENT ON TABLE appointment_events IS 'Outbox of appointment changes for live push, one row per changed appointment per statement, written by statement-level triggers in the changing transaction; and, written at COMMIT by the seal, one patient_updated row per non-cancelled appointment of each patient whose name the transaction changed. Holds ids, days and kinds only (no PII). Its public number, event_id, comes from the batch (see appointment_event_feed). Pruned after OUTBOX_RETENTION_DAYS.';
COMMENT ON COLUMN appointment_events.txid IS 'The writing transaction (pg_current_xact_id()); joins the row to its batch.';
COMMENT ON COLUMN appointment_events.ordinal IS 'Position within the transaction, 1..n in statement order: event_id = batch.first_event_id + ordinal - 1.';
COMMENT ON COLUMN appointment_events.appointment_id IS 'The appointment that changed (no foreign key: events outlive deletions and cost no per-row check).';
COMMENT ON COLUMN appointment_events.kind IS 'booked, rescheduled, checked_in, cancelled, no_show or completed (a deletion is recorded as cancelled); patient_updated when the patient''s name changed (correction or erasure), one per non-cancelled appointment of theirs.';
COMMENT ON COLUMN appointment_events.provider_id IS 'The appointment''s provider after the change.';
COMMENT ON COLUMN appointment_events.day IS 'The clinic-local day the appointment starts on after the change.';
COMMENT ON COLUMN appointment_events.prev_provider_id IS 'Before a move to another provider or day: the old provider (NULL when neither changed).';
COMMENT ON COLUMN appointment_events.prev_day IS 'Before a move to another provider or day: the old clinic-local day (NULL when neither changed).';
COMMENT ON COLUMN appointment_events.days IS 'Every clinic-local day the change touches: the new day, and the old one when it differs.';
COMMENT ON COLUMN appointment_events.occurred_at IS 'When the changing statement started.';

-- owner: clinicpulse_owner
CREATE TABLE appointment_events_retention (
  singleton boolean DEFAULT true NOT NULL,
  pruned_through bigint DEFAULT 0 NOT NULL,
  CONSTRAINT appointment_events_retention_pkey PRIMARY KEY (singleton),
  CONSTRAINT appointment_events_retention_singleton CHECK (singleton)
);
GRANT SELECT ON TABLE appointment_events_retention TO clinicpulse_backup;
GRANT SELECT (singleton) ON TABLE appointment_events_retention TO clinicpulse_realtime;
GRANT SELECT (pruned_through) ON TABLE appointment_events_retention TO clinicpulse_realtime;
COMMENT ON TABLE appointment_events_retention IS 'Single row: how far pruning has deleted the outbox, so a resuming client with an older cursor gets a fresh snapshot.';
COMMENT ON COLUMN appointment_events_retention.singleton IS 'Always true: the table has exactly one row.';
COMMENT ON COLUMN appointment_events_retention.pruned_through IS 'The highest event id deleted by prune_appointment_events (0 before any pruning).';

-- owner: clinicpulse_owner
CREATE TABLE appointment_freed_slots (
  freed_id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  txid xid8 NOT NULL,
  appointment_id integer NOT NULL,
  provider_id integer NOT NULL,
  freed tstzrange NOT NULL,
  CONSTRAINT appointment_freed_slots_pkey PRIMARY KEY (freed_id),
  CONSTRAINT appointment_freed_slots_txid_fkey FOREIGN KEY (txid) REFERENCES appointment_event_batches(txid) ON DELETE CASCADE
);
CREATE INDEX appointment_freed_slots_txid_idx ON appointment_freed_slots USING btree (txid, appointment_id);
GRANT SELECT ON TABLE appointment_freed_slots TO clinicpulse_backup;
GRANT SELECT (freed_id) ON TABLE appointment_freed_slots TO clinicpulse_realtime;
GRANT SELECT (txid) ON TABLE appointment_freed_slots TO clinicpulse_realtime;
GRANT SELECT (appointment_id) ON TABLE appointment_freed_slots TO clinicpulse_realtime;
GRANT SELECT (provider_id) ON TABLE appointment_freed_slots TO clinicpulse_realtime;
GRANT SELECT (freed) ON TABLE appointment_freed_slots TO clinicpulse_realtime;
COMMENT ON TABLE appointment_freed_slots IS 'Time given back by a cancellation, a move away or a shortening of a future appointment, recorded in the changing transaction; joined to its outbox event by (txid, appointment_id) to make waitlist offers. No patient. Pruned with its outbox batch.';
COMMENT ON COLUMN appointment_freed_slots.freed_id IS 'Identity (the latest row wins when one transaction changes an appointment twice).';
COMMENT ON COLUMN appointment_freed_slots.txid IS 'The changing transaction; its outbox batch.';
COMMENT ON COLUMN appointment_freed_slots.appointment_id IS 'The appointment that gave the time back.';
COMMENT ON COLUMN appointment_freed_slots.provider_id IS 'Whose time it is (the provider before the change).';
COMMENT ON COLUMN appointment_freed_slots.freed IS 'The freed range: the whole old slot, or the part a move or shortening left.';

-- owner: clinicpulse_owner
CREATE TABLE appointment_history (
  event_id bigint NOT NULL,
  appointment_id integer NOT NULL,
  kind text NOT NULL,
  occurred_at timestamp with time zone NOT NULL,
  txid xid8 NOT NULL,
  CONSTRAINT appointment_history_kind_check CHECK (kind = ANY (ARRAY['booked'::text, 'rescheduled'::text, 'checked_in'::text, 'cancelled'::text, 'no_show'::text, 'completed'::text])),
  CONSTRAINT appointment_history_pkey PRIMARY KEY (event_id)
);
CREATE INDEX appointment_history_appointment_idx ON appointment_history USING btree (appointment_id, event_id);
COMMENT ON INDEX appointment_history_appointment_idx IS 'appointment_status_history(): one appointment''s archived changes in order.';
GRANT SELECT ON TABLE appointment_history TO clinicpulse_backup;
COMMENT ON TABLE appointment_history IS 'Appointment changes older than the outbox retention: prune_appointment_events() moves each pruned change of an appointment here (patient_updated events are not kept) in the statement that deletes it. Ids and kinds only (no PII); kept indefinitely. Read through appointment_status_history().';
COMMENT ON COLUMN appointment_history.event_id IS 'The event''s id in the outbox (appointment_event_feed.event_id), so archived and live changes order together.';
COMMENT ON COLUMN appointment_history.appointment_id IS 'The appointment that changed.';
COMMENT ON COLUMN appointment_history.kind IS 'booked, rescheduled, checked_in, cancelled, no_show or completed.';
COMMENT ON COLUMN appointment_history.occurred_at IS 'When the changing statement started.';
COMMENT ON COLUMN appointment_history.txid IS 'The writing transaction: its audit rows name the staff member.';

-- owner: clinicpulse_owner
CREATE TABLE appointment_monthly_minutes (
  provider_id integer NOT NULL,
  month date NOT NULL,
  booked_minutes bigint DEFAULT 0 NOT NULL,
  CONSTRAINT appointment_monthly_minutes_month_first CHECK (EXTRACT(day FROM month) = 1::numeric),
  CONSTRAINT appointment_monthly_minutes_pkey PRIMARY KEY (provider_id, month),
  CONSTRAINT appointment_monthly_minutes_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id)
);
ALTER TABLE appointment_monthly_minutes ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_monthly_minutes FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON appointment_monthly_minutes AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON appointment_monthly_minutes AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in managers read it" ON appointment_monthly_minutes AS PERMISSIVE FOR SELECT TO manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
GRANT SELECT ON TABLE appointment_monthly_minutes TO clinicpulse_backup;
GRANT SELECT (provider_id) ON TABLE appointment_monthly_minutes TO manager;
GRANT SELECT (month) ON TABLE appointment_monthly_minutes TO manager;
GRANT SELECT (booked_minutes) ON TABLE appointment_monthly_minutes TO manager;
COMMENT ON TABLE appointment_monthly_minutes IS 'Booked minutes (appointments not cancelled) per provider and clinic-local month, maintained in the writing transaction by statement-level triggers on appointments. Aggregates only: no patient, no appointment.';
COMMENT ON COLUMN appointment_monthly_minutes.provider_id IS 'The provider.';
COMMENT ON COLUMN appointment_monthly_minutes.month IS 'First day of the clinic-local month.';
COMMENT ON COLUMN appointment_monthly_minutes.booked_minutes IS 'Sum of duration_min of that month''s appointments that are not cancelled.';

-- owner: clinicpulse_owner
CREATE TABLE appointment_monthly_stats (
  provider_id integer NOT NULL,
  month date NOT NULL,
  total integer DEFAULT 0 NOT NULL,
  scheduled integer DEFAULT 0 NOT NULL,
  checked_in integer DEFAULT 0 NOT NULL,
  completed integer DEFAULT 0 NOT NULL,
  cancelled integer DEFAULT 0 NOT NULL,
  no_show integer DEFAULT 0 NOT NULL,
  CONSTRAINT appointment_monthly_stats_month_first CHECK (EXTRACT(day FROM month) = 1::numeric),
  CONSTRAINT appointment_monthly_stats_pkey PRIMARY KEY (provider_id, month),
  CONSTRAINT appointment_monthly_stats_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id)
);
ALTER TABLE appointment_monthly_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_monthly_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON appointment_monthly_stats AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON appointment_monthly_stats AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in staff read it" ON appointment_monthly_stats AS PERMISSIVE FOR SELECT TO billing, clinician, compliance, front_desk, manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
GRANT SELECT ON TABLE appointment_monthly_stats TO clinicpulse_backup;
GRANT SELECT (provider_id) ON TABLE appointment_monthly_stats TO manager;
GRANT SELECT (month) ON TABLE appointment_monthly_stats TO manager;
GRANT SELECT (total) ON TABLE appointment_monthly_stats TO manager;
GRANT SELECT (scheduled) ON TABLE appointment_monthly_stats TO manager;
GRANT SELECT (checked_in) ON TABLE appointment_monthly_stats TO manager;
GRANT SELECT (completed) ON TABLE appointment_monthly_stats TO manager;
GRANT SELECT (cancelled) ON TABLE appointment_monthly_stats TO manager;
GRANT SELECT (no_show) ON TABLE appointment_monthly_stats TO manager;
COMMENT ON TABLE appointment_monthly_stats IS 'Exact appointment counts per provider and clinic-local month, maintained by statement triggers on appointments in the same transaction as each write (rebuilt when the clinic time zone changes). Read through provider_monthly_volume and provider_no_show_rate; not written by the application.';
COMMENT ON COLUMN appointment_monthly_stats.provider_id IS 'The provider counted.';
COMMENT ON COLUMN appointment_monthly_stats.month IS 'First day of the clinic-local month counted.';
COMMENT ON COLUMN appointment_monthly_stats.total IS 'All appointments starting in the month, any status.';
COMMENT ON COLUMN appointment_monthly_stats.scheduled IS 'Appointments currently scheduled.';
COMMENT ON COLUMN appointment_monthly_stats.checked_in IS 'Appointments currently checked in.';
COMMENT ON COLUMN appointment_monthly_stats.completed IS 'Appointments completed.';
COMMENT ON COLUMN appointment_monthly_stats.cancelled IS 'Appointments cancelled.';
COMMENT ON COLUMN appointment_monthly_stats.no_show IS 'Appointments marked no-show.';

-- owner: clinicpulse_owner
CREATE TABLE appointment_series (
  series_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  patient_id integer NOT NULL,
  provider_id integer NOT NULL,
  every text NOT NULL,
  occurrences integer NOT NULL,
  created_by integer DEFAULT current_staff_user_id(),
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT appointment_series_every_check CHECK (every = ANY (ARRAY['week'::text, '2 weeks'::text, 'month'::text])),
  CONSTRAINT appointment_series_occurrences_range CHECK (occurrences >= 2 AND occurrences <= 52),
  CONSTRAINT appointment_series_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id),
  CONSTRAINT appointment_series_pkey PRIMARY KEY (series_id),
  CONSTRAINT appointment_series_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id)
);
CREATE INDEX appointment_series_patient_idx ON appointment_series USING btree (patient_id);
ALTER TABLE appointment_series ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_series FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON appointment_series AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "front desk books series" ON appointment_series AS PERMISSIVE FOR INSERT TO front_desk WITH CHECK ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "front desk sees series" ON appointment_series AS PERMISSIVE FOR SELECT TO front_desk USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON appointment_series AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER appointment_series_audit_delete AFTER DELETE ON appointment_series REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('series_id', 'r.patient_id');
CREATE TRIGGER appointment_series_audit_insert AFTER INSERT ON appointment_series REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('series_id', 'r.patient_id');
CREATE TRIGGER appointment_series_audit_update AFTER UPDATE ON appointment_series REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('series_id', 'r.patient_id');
GRANT SELECT ON TABLE appointment_series TO clinicpulse_backup;
GRANT SELECT (series_id) ON TABLE appointment_series TO front_desk;
GRANT INSERT, SELECT (patient_id) ON TABLE appointment_series TO front_desk;
GRANT INSERT, SELECT (provider_id) ON TABLE appointment_series TO front_desk;
GRANT INSERT, SELECT (every) ON TABLE appointment_series TO front_desk;
GRANT INSERT, SELECT (occurrences) ON TABLE appointment_series TO front_desk;
GRANT SELECT (created_by) ON TABLE appointment_series TO front_desk;
GRANT SELECT (created_at) ON TABLE appointment_series TO front_desk;
COMMENT ON TABLE appointment_series IS 'A recurring booking (weekly, fortnightly or monthly at the same clinic-local time), booked all or nothing; its occurrences are ordinary appointments with series_id set.';
COMMENT ON COLUMN appointment_series.series_id IS 'Identity.';
COMMENT ON COLUMN appointment_series.patient_id IS 'The patient of every occurrence.';
COMMENT ON COLUMN appointment_series.provider_id IS 'The provider the series was booked with (an occurrence may later be moved).';
COMMENT ON COLUMN appointment_series.every IS 'week, 2 weeks or month (same clinic-local wall time; the 31st becomes the month''s last day).';
COMMENT ON COLUMN appointment_series.occurrences IS 'How many appointments were booked (2-52).';
COMMENT ON COLUMN appointment_series.created_by IS 'staff_users.user_id of the clerk who booked it (derived, never written).';
COMMENT ON COLUMN appointment_series.created_at IS 'When it was booked.';

-- owner: clinicpulse_owner
CREATE TABLE appointments (
  appointment_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  patient_id integer NOT NULL,
  provider_id integer NOT NULL,
  scheduled_at timestamp with time zone NOT NULL,
  duration_min integer NOT NULL,
  status text DEFAULT 'scheduled'::text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  checked_in_at timestamp with time zone,
  outside_hours_reason text,
  overbook_reason text,
  overbook_lane smallint,
  series_id integer,
  CONSTRAINT appointments_duration_min_check CHECK (duration_min >= 5 AND duration_min <= 480),
  CONSTRAINT appointments_id_patient_key UNIQUE (appointment_id, patient_id),
  CONSTRAINT appointments_no_overbook_overlap EXCLUDE USING gist (provider_id WITH =, overbook_lane WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled'::text AND overbook_lane IS NOT NULL),
  CONSTRAINT appointments_no_patient_overlap EXCLUDE USING gist (patient_id WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled'::text),
  CONSTRAINT appointments_no_provider_overlap EXCLUDE USING gist (provider_id WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled'::text AND overbook_lane IS NULL),
  CONSTRAINT appointments_outside_hours_reason_length CHECK (outside_hours_reason ~ '[^[:space:]]'::text AND length(outside_hours_reason) >= 5 AND length(outside_hours_reason) <= 500),
  CONSTRAINT appointments_overbook_consistent CHECK ((overbook_reason IS NULL) = (overbook_lane IS NULL)),
  CONSTRAINT appointments_overbook_lane_range CHECK (overbook_lane >= 1 AND overbook_lane <= 5),
  CONSTRAINT appointments_overbook_reason_length CHECK (length(btrim(overbook_reason)) >= 10 AND length(btrim(overbook_reason)) <= 500),
  CONSTRAINT appointments_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id),
  CONSTRAINT appointments_pkey PRIMARY KEY (appointment_id),
  CONSTRAINT appointments_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id),
  CONSTRAINT appointments_scheduled_at_plausible CHECK (scheduled_at >= '2000-01-01 00:00:00+00'::timestamp with time zone),
  CONSTRAINT appointments_series_id_fkey FOREIGN KEY (series_id) REFERENCES appointment_series(series_id),
  CONSTRAINT appointments_status_check CHECK (status = ANY (ARRAY['scheduled'::text, 'checked_in'::text, 'completed'::text, 'cancelled'::text, 'no_show'::text]))
);
CREATE INDEX appointments_overbooks_idx ON appointments USING btree (provider_id, scheduled_at) WHERE (overbook_lane IS NOT NULL);
CREATE INDEX appointments_patient_id_idx ON appointments USING btree (patient_id, scheduled_at DESC);
CREATE INDEX appointments_provider_id_scheduled_at_idx ON appointments USING btree (provider_id, scheduled_at);
CREATE INDEX appointments_provider_patient_idx ON appointments USING btree (provider_id, patient_id);
CREATE INDEX appointments_series_idx ON appointments USING btree (series_id, scheduled_at) WHERE (series_id IS NOT NULL);
CREATE INDEX appointments_upcoming_idx ON appointments USING btree (scheduled_at) WHERE (status = ANY (ARRAY['scheduled'::text, 'checked_in'::text]));
CREATE INDEX appointments_upcoming_provider_idx ON appointments USING btree (provider_id, scheduled_at) WHERE (status = ANY (ARRAY['scheduled'::text, 'checked_in'::text]));
ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON appointments AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "clinicians complete their own appointments" ON appointments AS PERMISSIVE FOR UPDATE TO clinician USING ((provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id))) WITH CHECK (((provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id)) AND (status = 'completed'::text)));
CREATE POLICY "clinicians see their own schedule and their patients' appointme" ON appointments AS PERMISSIVE FOR SELECT TO clinician USING (((provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id)) OR (patient_id IN ( SELECT staff_patient_ids() AS staff_patient_ids))));
CREATE POLICY "front desk books" ON appointments AS PERMISSIVE FOR INSERT TO front_desk WITH CHECK (((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL) AND (status = 'scheduled'::text)));
CREATE POLICY "front desk reschedules, checks in, cancels, marks no-show" ON appointments AS PERMISSIVE FOR UPDATE TO front_desk USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL)) WITH CHECK (((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL) AND (status = ANY (ARRAY['scheduled'::text, 'checked_in'::text, 'cancelled'::text, 'no_show'::text]))));
CREATE POLICY "front desk sees the schedule" ON appointments AS PERMISSIVE FOR SELECT TO front_desk USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON appointments AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER appointment_events_delete AFTER DELETE ON appointments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_events_record();
CREATE TRIGGER appointment_events_insert AFTER INSERT ON appointments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_events_record();
CREATE TRIGGER appointment_events_update AFTER UPDATE ON appointments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_events_record();
CREATE TRIGGER appointment_freed_slots_delete AFTER DELETE ON appointments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_freed_slots_record();
CREATE TRIGGER appointment_freed_slots_update AFTER UPDATE ON appointments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_freed_slots_record();
CREATE TRIGGER appointment_minutes_delete AFTER DELETE ON appointments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_minutes_delete();
CREATE TRIGGER appointment_minutes_insert AFTER INSERT ON appointments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_minutes_insert();
CREATE TRIGGER appointment_minutes_truncate AFTER TRUNCATE ON appointments FOR EACH STATEMENT EXECUTE FUNCTION appointment_minutes_rebuild();
CREATE TRIGGER appointment_minutes_update AFTER UPDATE ON appointments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_minutes_update();
CREATE TRIGGER appointment_stats_delete AFTER DELETE ON appointments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_stats_apply();
CREATE TRIGGER appointment_stats_insert AFTER INSERT ON appointments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_stats_apply();
CREATE TRIGGER appointment_stats_truncate AFTER TRUNCATE ON appointments FOR EACH STATEMENT EXECUTE FUNCTION appointment_stats_truncated();
CREATE TRIGGER appointment_stats_update AFTER UPDATE ON appointments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_stats_apply();
CREATE TRIGGER appointments_audit_delete AFTER DELETE ON appointments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointments_audit_rows();
CREATE TRIGGER appointments_audit_insert AFTER INSERT ON appointments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointments_audit_rows();
CREATE TRIGGER appointments_audit_outside_hours AFTER INSERT OR UPDATE OF outside_hours_reason, scheduled_at, provider_id, duration_min ON appointments FOR EACH ROW WHEN (new.outside_hours_reason IS NOT NULL) EXECUTE FUNCTION appointments_audit_exceptions();
CREATE TRIGGER appointments_audit_overbook AFTER INSERT OR UPDATE OF overbook_reason ON appointments FOR EACH ROW WHEN (new.overbook_reason IS NOT NULL) EXECUTE FUNCTION appointments_audit_overbook();
CREATE TRIGGER appointments_audit_truncate BEFORE TRUNCATE ON appointments FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('appointment_id', 'r.patient_id');
CREATE TRIGGER appointments_audit_update AFTER UPDATE ON appointments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointments_audit_rows();
CREATE TRIGGER appointments_guard_update BEFORE UPDATE ON appointments FOR EACH ROW EXECUTE FUNCTION appointments_guard_update();
CREATE TRIGGER appointments_http_desk_rules BEFORE INSERT OR UPDATE ON appointments FOR EACH ROW WHEN (current_setting('role'::text) = ANY (ARRAY['front_desk'::text, 'clinician'::text, 'billing'::text, 'manager'::text, 'compliance'::text])) EXECUTE FUNCTION appointments_desk_rules();
CREATE TRIGGER appointments_overbook_rules BEFORE INSERT OR UPDATE OF overbook_lane, provider_id ON appointments FOR EACH ROW WHEN (new.overbook_lane IS NOT NULL) EXECUTE FUNCTION appointments_overbook_rules();
CREATE TRIGGER appointments_stamp_arrival BEFORE UPDATE OF status ON appointments FOR EACH ROW WHEN (new.status = 'checked_in'::text AND old.status IS DISTINCT FROM 'checked_in'::text) EXECUTE FUNCTION appointments_stamp_arrival();
CREATE TRIGGER charges_open_on_completion AFTER UPDATE ON appointments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION charges_open_for_visits();
GRANT SELECT ON TABLE appointments TO clinicpulse_backup;
GRANT SELECT (appointment_id) ON TABLE appointments TO clinician;
GRANT SELECT (appointment_id) ON TABLE appointments TO front_desk;
GRANT SELECT (patient_id) ON TABLE appointments TO clinician;
GRANT INSERT, SELECT (patient_id) ON TABLE appointments TO front_desk;
GRANT SELECT (provider_id) ON TABLE appointments TO clinician;
GRANT INSERT, SELECT, UPDATE (provider_id) ON TABLE appointments TO front_desk;
GRANT SELECT (scheduled_at) ON TABLE appointments TO clinician;
GRANT INSERT, SELECT, UPDATE (scheduled_at) ON TABLE appointments TO front_desk;
GRANT SELECT (duration_min) ON TABLE appointments TO clinician;
GRANT INSERT, SELECT, UPDATE (duration_min) ON TABLE appointments TO front_desk;
GRANT SELECT, UPDATE (status) ON TABLE appointments TO clinician;
GRANT SELECT, UPDATE (status) ON TABLE appointments TO front_desk;
GRANT SELECT (created_at) ON TABLE appointments TO clinician;
GRANT SELECT (created_at) ON TABLE appointments TO front_desk;
GRANT SELECT (updated_at) ON TABLE appointments TO clinician;
GRANT SELECT (updated_at) ON TABLE appointments TO front_desk;
GRANT SELECT (checked_in_at) ON TABLE appointments TO clinician;
GRANT SELECT (checked_in_at) ON TABLE appointments TO front_desk;
GRANT SELECT (outside_hours_reason) ON TABLE appointments TO clinician;
GRANT INSERT, SELECT, UPDATE (outside_hours_reason) ON TABLE appointments TO front_desk;
GRANT SELECT (overbook_reason) ON TABLE appointments TO clinician;
GRANT INSERT, SELECT (overbook_reason) ON TABLE appointments TO front_desk;
GRANT SELECT (overbook_lane) ON TABLE appointments TO clinician;
GRANT INSERT, SELECT (overbook_lane) ON TABLE appointments TO front_desk;
GRANT SELECT (series_id) ON TABLE appointments TO clinician;
GRANT INSERT, SELECT (series_id) ON TABLE appointments TO front_desk;
COMMENT ON TABLE appointments IS 'A patient booked with a provider for a time slot [scheduled_at, scheduled_at + duration_min). Two non-cancelled appointments of one provider, or of one patient, never overlap (exclusion constraints). Status follows scheduled -> checked_in -> completed, scheduled|checked_in -> cancelled, scheduled -> no_show (trigger); completed, cancelled and no_show are final.';
COMMENT ON COLUMN appointments.appointment_id IS 'Identifier, generated by the database.';
COMMENT ON COLUMN appointments.patient_id IS 'The patient (patients.patient_id); cannot change after booking.';
COMMENT ON COLUMN appointments.provider_id IS 'The provider (providers.provider_id); can change only while scheduled.';
COMMENT ON COLUMN appointments.scheduled_at IS 'Start instant (with time zone). Can change only while the appointment is scheduled. Its clinic-local date is the day it belongs to.';
COMMENT ON COLUMN appointments.duration_min IS 'Length in minutes, 5 to 480. The slot is the half-open range from scheduled_at, so back-to-back appointments do not overlap.';
COMMENT ON COLUMN appointments.status IS 'scheduled, checked_in (patient arrived), completed, cancelled (frees the slot) or no_show (patient did not come; the slot stays used).';
COMMENT ON COLUMN appointments.created_at IS 'When the appointment was booked.';
COMMENT ON COLUMN appointments.updated_at IS 'When the appointment last changed (set by trigger).';
COMMENT ON COLUMN appointments.checked_in_at IS 'When the patient was checked in (transaction time of the change to checked_in), set by the database; NULL if never checked in or loaded with that status.';
COMMENT ON COLUMN appointments.outside_hours_reason IS 'Why a staff member booked this outside the provider''s working hours or during their time off (5-500 characters); NULL for a booking inside them. Recorded in the audit log; a move without a new reason clears it.';
COMMENT ON COLUMN appointments.overbook_reason IS 'Why the front desk deliberately booked this on top of the provider''s existing appointment (10-500 characters); NULL for an ordinary appointment. Audited with high severity.';
COMMENT ON COLUMN appointments.overbook_lane IS 'For an overbook: its lane, 1..providers.overbook_limit; overbooks of one lane never overlap. NULL for an ordinary appointment.';
COMMENT ON COLUMN appointments.series_id IS 'The recurring series this appointment is an occurrence of; NULL for a single booking.';

-- owner: clinicpulse_owner
CREATE TABLE audit_chain (
  seq bigint NOT NULL,
  audit_id bigint NOT NULL,
  row_hash bytea NOT NULL,
  chain_hash bytea NOT NULL,
  CONSTRAINT audit_chain_audit_id_key UNIQUE (audit_id),
  CONSTRAINT audit_chain_chain_hash_length CHECK (octet_length(chain_hash) = 32),
  CONSTRAINT audit_chain_pkey PRIMARY KEY (seq),
  CONSTRAINT audit_chain_row_hash_length CHECK (octet_length(row_hash) = 32),
  CONSTRAINT audit_chain_seq_positive CHECK (seq > 0)
);
ALTER TABLE audit_chain ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON audit_chain AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON audit_chain AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER audit_chain_no_delete_stmt BEFORE DELETE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_chain_no_update_stmt BEFORE UPDATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
GRANT SELECT ON TABLE audit_chain TO clinicpulse_backup;
COMMENT ON TABLE audit_chain IS 'The hash chain over audit_log, one link per audit row in commit order, written at COMMIT by audit_chain_link(). An audit row edited, deleted or inserted behind the triggers'' back (e.g. by a superuser with session_replication_role = replica) breaks a link: audit_chain_verify(), npm run audit:verify. Hashes and ids only. Append-only.';
COMMENT ON COLUMN audit_chain.seq IS 'Position in the chain: 1, 2, 3 … without gaps, in commit order (audit_id is insertion order).';
COMMENT ON COLUMN audit_chain.audit_id IS 'The audit row this link covers (no foreign key: the chain must outlive a deleted row to show the deletion).';
COMMENT ON COLUMN audit_chain.row_hash IS 'SHA-256 of the audit row as jsonb text (NULL fields left out, timestamps in UTC).';
COMMENT ON COLUMN audit_chain.chain_hash IS 'SHA-256 of the previous link''s chain_hash (32 zero bytes for seq 1) followed by row_hash. The last one is the head: record it outside the database to anchor the chain.';

-- owner: clinicpulse_owner
CREATE TABLE audit_chain_head (
  singleton boolean DEFAULT true NOT NULL,
  last_txid xid8,
  linked_at timestamp with time zone,
  CONSTRAINT audit_chain_head_pkey PRIMARY KEY (singleton),
  CONSTRAINT audit_chain_head_singleton CHECK (singleton)
);
ALTER TABLE audit_chain_head ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_head FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON audit_chain_head AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON audit_chain_head AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
GRANT SELECT ON TABLE audit_chain_head TO clinicpulse_backup;
COMMENT ON TABLE audit_chain_head IS 'One row, updated by the first link of every transaction: a REPEATABLE READ transaction whose snapshot predates a newer link fails with a serialization error instead of forking the chain.';
COMMENT ON COLUMN audit_chain_head.singleton IS 'Always true: exactly one row.';
COMMENT ON COLUMN audit_chain_head.last_txid IS 'The last transaction that linked audit rows.';
COMMENT ON COLUMN audit_chain_head.linked_at IS 'When it did.';

-- owner: clinicpulse_owner
CREATE TABLE audit_log (
  audit_id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
  txid bigint DEFAULT txid_current() NOT NULL,
  actor_user_id integer,
  actor_role text NOT NULL,
  action text NOT NULL,
  severity text DEFAULT 'info'::text NOT NULL,
  table_name text,
  row_key text,
  patient_id integer,
  changed_columns text[],
  patient_ids integer[],
  CONSTRAINT audit_log_action_check CHECK (action = ANY (ARRAY['insert'::text, 'update'::text, 'delete'::text, 'read'::text, 'break_glass'::text, 'erase'::text, 'erase_refused'::text, 'legal_hold'::text])),
  CONSTRAINT audit_log_changed_columns_shape CHECK (ltrim(array_to_string(changed_columns, ''::text), 'abcdefghijklmnopqrstuvwxyz0123456789_'::text) = ''::text),
  CONSTRAINT audit_log_pkey PRIMARY KEY (audit_id),
  CONSTRAINT audit_log_row_key_shape CHECK (length(row_key) >= 1 AND length(row_key) <= 20 AND ltrim(row_key, '0123456789'::text) = ''::text),
  CONSTRAINT audit_log_severity_check CHECK (severity = ANY (ARRAY['info'::text, 'high'::text])),
  CONSTRAINT audit_log_table_name_shape CHECK (length(table_name) >= 1 AND length(table_name) <= 63 AND ltrim(table_name, 'abcdefghijklmnopqrstuvwxyz0123456789_'::text) = ''::text)
);
CREATE INDEX audit_log_patient_ids_idx ON audit_log USING gin (patient_ids) WHERE (patient_ids IS NOT NULL);
CREATE INDEX audit_log_patient_idx ON audit_log USING btree (patient_id, audit_id) WHERE (patient_id IS NOT NULL);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read the log" ON audit_log AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "compliance reads the log" ON audit_log AS PERMISSIVE FOR SELECT TO compliance USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "the database appends" ON audit_log AS PERMISSIVE FOR INSERT TO clinicpulse_owner WITH CHECK (true);
CREATE POLICY "the database reads back what it appended" ON audit_log AS PERMISSIVE FOR SELECT TO clinicpulse_owner USING (true);
CREATE CONSTRAINT TRIGGER audit_log_chain AFTER INSERT ON audit_log DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_chain_link();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_delete_stmt BEFORE DELETE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_update_stmt BEFORE UPDATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_notify AFTER INSERT ON audit_log REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_log_notify();
GRANT SELECT ON TABLE audit_log TO clinicpulse_backup;
GRANT SELECT (audit_id) ON TABLE audit_log TO compliance;
GRANT SELECT (at) ON TABLE audit_log TO compliance;
GRANT SELECT (txid) ON TABLE audit_log TO compliance;
GRANT SELECT (actor_user_id) ON TABLE audit_log TO compliance;
GRANT SELECT (actor_role) ON TABLE audit_log TO compliance;
GRANT SELECT (action) ON TABLE audit_log TO compliance;
GRANT SELECT (severity) ON TABLE audit_log TO compliance;
GRANT SELECT (table_name) ON TABLE audit_log TO compliance;
GRANT SELECT (row_key) ON TABLE audit_log TO compliance;
GRANT SELECT (patient_id) ON TABLE audit_log TO compliance;
GRANT SELECT (changed_columns) ON TABLE audit_log TO compliance;
GRANT SELECT (patient_ids) ON TABLE audit_log TO compliance;
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
COMMENT ON COLUMN audit_log.patient_ids IS 'For a read that returned several people (a search, a schedule): every patient id returned, so "who saw this patient" finds it. NULL otherwise.';

-- owner: clinicpulse_owner
CREATE TABLE break_glass_grants (
  grant_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  user_id integer NOT NULL,
  patient_id integer NOT NULL,
  reason text NOT NULL,
  granted_at timestamp with time zone DEFAULT now() NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  CONSTRAINT break_glass_grants_duration CHECK (expires_at > granted_at AND expires_at <= (granted_at + '04:00:00'::interval)),
  CONSTRAINT break_glass_grants_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id),
  CONSTRAINT break_glass_grants_pkey PRIMARY KEY (grant_id),
  CONSTRAINT break_glass_grants_reason_length CHECK (length(btrim(reason)) >= 10 AND length(btrim(reason)) <= 1000),
  CONSTRAINT break_glass_grants_user_id_fkey FOREIGN KEY (user_id) REFERENCES staff_users(user_id)
);
CREATE INDEX break_glass_grants_patient_idx ON break_glass_grants USING btree (patient_id);
CREATE INDEX break_glass_grants_user_patient_idx ON break_glass_grants USING btree (user_id, patient_id, expires_at);
ALTER TABLE break_glass_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE break_glass_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON break_glass_grants AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "clinicians see their own committed grants" ON break_glass_grants AS PERMISSIVE FOR SELECT TO clinician USING (((user_id = ( SELECT current_staff_user_id() AS current_staff_user_id)) AND (granted_at < now())));
CREATE POLICY "compliance reviews every grant" ON break_glass_grants AS PERMISSIVE FOR SELECT TO compliance USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON break_glass_grants AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
GRANT SELECT ON TABLE break_glass_grants TO clinicpulse_backup;
GRANT SELECT (grant_id) ON TABLE break_glass_grants TO clinician;
GRANT SELECT (grant_id) ON TABLE break_glass_grants TO compliance;
GRANT SELECT (user_id) ON TABLE break_glass_grants TO clinician;
GRANT SELECT (user_id) ON TABLE break_glass_grants TO compliance;
GRANT SELECT (patient_id) ON TABLE break_glass_grants TO clinician;
GRANT SELECT (patient_id) ON TABLE break_glass_grants TO compliance;
GRANT SELECT (reason) ON TABLE break_glass_grants TO clinician;
GRANT SELECT (reason) ON TABLE break_glass_grants TO compliance;
GRANT SELECT (granted_at) ON TABLE break_glass_grants TO clinician;
GRANT SELECT (granted_at) ON TABLE break_glass_grants TO compliance;
GRANT SELECT (expires_at) ON TABLE break_glass_grants TO clinician;
GRANT SELECT (expires_at) ON TABLE break_glass_grants TO compliance;
COMMENT ON TABLE break_glass_grants IS 'Emergency access: a clinician''s time-limited access to a patient outside their care relationships, with the stated reason. Written only by break_glass(), which also writes a high-severity audit row; reviewed by compliance. The reason is free text and stays here, never in audit_log.';
COMMENT ON COLUMN break_glass_grants.grant_id IS 'Identity; the audit row''s row_key.';
COMMENT ON COLUMN break_glass_grants.user_id IS 'The clinician who broke the glass.';
COMMENT ON COLUMN break_glass_grants.patient_id IS 'The patient opened to them.';
COMMENT ON COLUMN break_glass_grants.reason IS 'Why, in the clinician''s words (10 to 1000 characters). May hold clinical detail: compliance reads it, nobody else but its author.';
COMMENT ON COLUMN break_glass_grants.granted_at IS 'Start of the window (transaction time).';
COMMENT ON COLUMN break_glass_grants.expires_at IS 'End of the window; at most 240 minutes after granted_at.';

-- owner: clinicpulse_owner
CREATE TABLE charges (
  charge_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  visit_id integer NOT NULL,
  patient_id integer NOT NULL,
  provider_id integer NOT NULL,
  service_date date NOT NULL,
  amount_cents integer,
  currency text DEFAULT 'USD'::text NOT NULL,
  status text DEFAULT 'pending'::text NOT NULL,
  payer text,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT charges_amount_positive CHECK (amount_cents > 0 AND amount_cents <= 100000000),
  CONSTRAINT charges_currency_iso4217 CHECK (currency ~ '^[A-Z]{3}$'::text),
  CONSTRAINT charges_payer_not_blank CHECK (btrim(payer) <> ''::text AND length(payer) <= 200),
  CONSTRAINT charges_pkey PRIMARY KEY (charge_id),
  CONSTRAINT charges_priced_before_submission CHECK ((status = ANY (ARRAY['pending'::text, 'void'::text])) OR amount_cents IS NOT NULL AND payer IS NOT NULL),
  CONSTRAINT charges_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id),
  CONSTRAINT charges_status_check CHECK (status = ANY (ARRAY['pending'::text, 'submitted'::text, 'paid'::text, 'denied'::text, 'void'::text])),
  CONSTRAINT charges_visit_fkey FOREIGN KEY (visit_id, patient_id) REFERENCES visits(visit_id, patient_id),
  CONSTRAINT charges_visit_id_key UNIQUE (visit_id)
);
CREATE INDEX charges_patient_id_idx ON charges USING btree (patient_id);
CREATE INDEX charges_service_date_idx ON charges USING btree (service_date DESC, charge_id DESC);
COMMENT ON INDEX charges_service_date_idx IS 'Serves billing''s charge list (GET /api/billing/charges): newest date of service first, keyset paging on (service_date, charge_id).';
ALTER TABLE charges ENABLE ROW LEVEL SECURITY;
ALTER TABLE charges FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON charges AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "billing prices, submits and settles charges" ON charges AS PERMISSIVE FOR UPDATE TO billing USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL)) WITH CHECK ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "billing works every charge" ON charges AS PERMISSIVE FOR SELECT TO billing USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON charges AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER charges_audit_delete AFTER DELETE ON charges REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('charge_id', 'r.patient_id');
CREATE TRIGGER charges_audit_insert AFTER INSERT ON charges REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('charge_id', 'r.patient_id');
CREATE TRIGGER charges_audit_truncate BEFORE TRUNCATE ON charges FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('charge_id', 'r.patient_id');
CREATE TRIGGER charges_audit_update AFTER UPDATE ON charges REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('charge_id', 'r.patient_id');
CREATE TRIGGER charges_guard_update BEFORE UPDATE ON charges FOR EACH ROW EXECUTE FUNCTION charges_guard_update();
GRANT SELECT ON TABLE charges TO clinicpulse_backup;
GRANT SELECT (charge_id) ON TABLE charges TO billing;
GRANT SELECT (visit_id) ON TABLE charges TO billing;
GRANT SELECT (patient_id) ON TABLE charges TO billing;
GRANT SELECT (provider_id) ON TABLE charges TO billing;
GRANT SELECT (service_date) ON TABLE charges TO billing;
GRANT SELECT, UPDATE (amount_cents) ON TABLE charges TO billing;
GRANT SELECT, UPDATE (currency) ON TABLE charges TO billing;
GRANT SELECT, UPDATE (status) ON TABLE charges TO billing;
GRANT SELECT, UPDATE (payer) ON TABLE charges TO billing;
GRANT SELECT (created_at) ON TABLE charges TO billing;
GRANT SELECT (updated_at) ON TABLE charges TO billing;
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

-- owner: clinicpulse_owner
CREATE TABLE clinic_settings (
  singleton boolean DEFAULT true NOT NULL,
  time_zone text DEFAULT 'America/New_York'::text NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  slot_step_min integer DEFAULT 15 NOT NULL,
  CONSTRAINT clinic_settings_pkey PRIMARY KEY (singleton),
  CONSTRAINT clinic_settings_singleton CHECK (singleton),
  CONSTRAINT clinic_settings_slot_step_min_check CHECK (slot_step_min = ANY (ARRAY[5, 10, 15, 20, 30, 60])),
  CONSTRAINT clinic_settings_time_zone_valid CHECK (is_valid_time_zone(time_zone))
);
ALTER TABLE clinic_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON clinic_settings AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON clinic_settings AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in staff read it" ON clinic_settings AS PERMISSIVE FOR SELECT TO billing, clinician, compliance, front_desk, manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE TRIGGER appointment_minutes_time_zone_changed AFTER UPDATE OF time_zone ON clinic_settings FOR EACH ROW WHEN (old.time_zone IS DISTINCT FROM new.time_zone) EXECUTE FUNCTION appointment_minutes_rebuild();
CREATE TRIGGER clinic_settings_keep_row BEFORE DELETE ON clinic_settings FOR EACH ROW EXECUTE FUNCTION clinic_settings_keep_row();
CREATE TRIGGER clinic_settings_keep_row_truncate BEFORE TRUNCATE ON clinic_settings FOR EACH STATEMENT EXECUTE FUNCTION clinic_settings_keep_row();
CREATE TRIGGER clinic_settings_time_zone_changed AFTER UPDATE OF time_zone ON clinic_settings FOR EACH ROW WHEN (old.time_zone IS DISTINCT FROM new.time_zone) EXECUTE FUNCTION clinic_settings_rebuild_stats();
CREATE TRIGGER clinic_settings_touch BEFORE UPDATE ON clinic_settings FOR EACH ROW EXECUTE FUNCTION clinic_settings_changed();
GRANT SELECT ON TABLE clinic_settings TO clinicpulse_backup;
GRANT SELECT (singleton) ON TABLE clinic_settings TO billing;
GRANT SELECT (singleton) ON TABLE clinic_settings TO clinician;
GRANT SELECT (singleton) ON TABLE clinic_settings TO compliance;
GRANT SELECT (singleton) ON TABLE clinic_settings TO front_desk;
GRANT SELECT (singleton) ON TABLE clinic_settings TO manager;
GRANT SELECT (time_zone) ON TABLE clinic_settings TO billing;
GRANT SELECT (time_zone) ON TABLE clinic_settings TO clinician;
GRANT SELECT (time_zone) ON TABLE clinic_settings TO compliance;
GRANT SELECT (time_zone) ON TABLE clinic_settings TO front_desk;
GRANT SELECT (time_zone) ON TABLE clinic_settings TO manager;
GRANT SELECT (updated_at) ON TABLE clinic_settings TO billing;
GRANT SELECT (updated_at) ON TABLE clinic_settings TO clinician;
GRANT SELECT (updated_at) ON TABLE clinic_settings TO compliance;
GRANT SELECT (updated_at) ON TABLE clinic_settings TO front_desk;
GRANT SELECT (updated_at) ON TABLE clinic_settings TO manager;
COMMENT ON TABLE clinic_settings IS 'Clinic-wide settings, exactly one row. Its time zone defines what "a day" and "a month" mean everywhere: schedules, analytics and prescriptions in force today.';
COMMENT ON COLUMN clinic_settings.singleton IS 'Always true; the primary key on it allows a single row. The row cannot be deleted, only updated.';
COMMENT ON COLUMN clinic_settings.time_zone IS 'IANA time zone of the clinic (default America/New_York), checked against pg_timezone_names. Changing it recounts appointment_monthly_stats, since appointments can move between months.';
COMMENT ON COLUMN clinic_settings.updated_at IS 'When the settings last changed (set by trigger).';
COMMENT ON COLUMN clinic_settings.slot_step_min IS 'The grid free slots are offered on, in minutes (5, 10, 15, 20, 30 or 60; default 15), aligned to the clinic-local hour.';

-- owner: clinicpulse_owner
CREATE TABLE diagnoses (
  diagnosis_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  visit_id integer NOT NULL,
  code text NOT NULL,
  description text NOT NULL,
  CONSTRAINT diagnoses_code_icd10cm CHECK (code ~ '^[A-Z][0-9][0-9A-Z]([.][0-9A-Z]{1,4}){0,1}$'::text),
  CONSTRAINT diagnoses_description_not_blank CHECK (description ~ '[^[:space:]]'::text AND length(description) <= 500),
  CONSTRAINT diagnoses_pkey PRIMARY KEY (diagnosis_id),
  CONSTRAINT diagnoses_visit_code_key UNIQUE (visit_id, code),
  CONSTRAINT diagnoses_visit_id_fkey FOREIGN KEY (visit_id) REFERENCES visits(visit_id) ON DELETE CASCADE
);
ALTER TABLE diagnoses ENABLE ROW LEVEL SECURITY;
ALTER TABLE diagnoses FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON diagnoses AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "clinicians diagnose at their own visits" ON diagnoses AS PERMISSIVE FOR INSERT TO clinician WITH CHECK ((EXISTS ( SELECT 1
   FROM (visits v
     JOIN appointments a ON ((a.appointment_id = v.appointment_id)))
  WHERE ((v.visit_id = diagnoses.visit_id) AND (a.provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id))))));
CREATE POLICY "clinicians see ids where they see the visit" ON diagnoses AS PERMISSIVE FOR SELECT TO clinician USING ((EXISTS ( SELECT 1
   FROM visits v
  WHERE (v.visit_id = diagnoses.visit_id))));
CREATE POLICY "owner: security-definer functions and administration" ON diagnoses AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER diagnoses_audit_delete AFTER DELETE ON diagnoses REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('diagnosis_id', '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)');
CREATE TRIGGER diagnoses_audit_insert AFTER INSERT ON diagnoses REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('diagnosis_id', '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)');
CREATE TRIGGER diagnoses_audit_truncate BEFORE TRUNCATE ON diagnoses FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('diagnosis_id', '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)');
CREATE TRIGGER diagnoses_audit_update AFTER UPDATE ON diagnoses REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('diagnosis_id', '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)');
GRANT SELECT ON TABLE diagnoses TO clinicpulse_backup;
GRANT SELECT (diagnosis_id) ON TABLE diagnoses TO clinician;
GRANT INSERT, SELECT (visit_id) ON TABLE diagnoses TO clinician;
GRANT INSERT (code) ON TABLE diagnoses TO clinician;
GRANT INSERT (description) ON TABLE diagnoses TO clinician;
COMMENT ON TABLE diagnoses IS 'Diagnoses recorded at a visit as ICD-10-CM codes; a code appears at most once per visit. Deleted with its visit.';
COMMENT ON COLUMN diagnoses.diagnosis_id IS 'Identifier, generated by the database.';
COMMENT ON COLUMN diagnoses.visit_id IS 'The visit (visits.visit_id).';
COMMENT ON COLUMN diagnoses.code IS 'ICD-10-CM code in dotted form: a capital letter, a digit, a digit or capital letter, then optionally a dot and 1-4 digits or capital letters (E11.9, I10, S72.001A).';
COMMENT ON COLUMN diagnoses.description IS 'Human-readable description of the diagnosis; not blank, at most 500 characters.';

-- owner: clinicpulse_owner
CREATE TABLE erasures (
  erasure_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  patient_id integer NOT NULL,
  outcome text NOT NULL,
  requested_by integer NOT NULL,
  requested_role text NOT NULL,
  requested_at timestamp with time zone DEFAULT now() NOT NULL,
  reason text NOT NULL,
  legal_hold_reason text,
  audit_id bigint NOT NULL,
  CONSTRAINT erasures_outcome_check CHECK (outcome = ANY (ARRAY['erased'::text, 'refused_legal_hold'::text])),
  CONSTRAINT erasures_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id),
  CONSTRAINT erasures_pkey PRIMARY KEY (erasure_id),
  CONSTRAINT erasures_reason_length CHECK (length(btrim(reason)) >= 5 AND length(btrim(reason)) <= 1000),
  CONSTRAINT erasures_refusal_has_hold CHECK ((outcome = 'refused_legal_hold'::text) = (legal_hold_reason IS NOT NULL))
);
CREATE UNIQUE INDEX erasures_one_erasure_per_patient ON erasures USING btree (patient_id) WHERE (outcome = 'erased'::text);
CREATE INDEX erasures_patient_id_idx ON erasures USING btree (patient_id);
ALTER TABLE erasures ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasures FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON erasures AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "compliance reads the ledger" ON erasures AS PERMISSIVE FOR SELECT TO compliance USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON erasures AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER erasures_audit_delete AFTER DELETE ON erasures REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('erasure_id', 'r.patient_id');
CREATE TRIGGER erasures_audit_insert AFTER INSERT ON erasures REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('erasure_id', 'r.patient_id');
CREATE TRIGGER erasures_audit_truncate BEFORE TRUNCATE ON erasures FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('erasure_id', 'r.patient_id');
CREATE TRIGGER erasures_audit_update AFTER UPDATE ON erasures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('erasure_id', 'r.patient_id');
GRANT SELECT ON TABLE erasures TO clinicpulse_backup;
GRANT SELECT (erasure_id) ON TABLE erasures TO compliance;
GRANT SELECT (patient_id) ON TABLE erasures TO compliance;
GRANT SELECT (outcome) ON TABLE erasures TO compliance;
GRANT SELECT (requested_by) ON TABLE erasures TO compliance;
GRANT SELECT (requested_role) ON TABLE erasures TO compliance;
GRANT SELECT (requested_at) ON TABLE erasures TO compliance;
GRANT SELECT (reason) ON TABLE erasures TO compliance;
GRANT SELECT (legal_hold_reason) ON TABLE erasures TO compliance;
GRANT SELECT (audit_id) ON TABLE erasures TO compliance;
COMMENT ON TABLE erasures IS 'The erasure ledger: every erasure request, carried out or refused, with who, when and why. It is the list to re-apply after restoring a backup taken before an erasure (see docs/design-decisions.md). Holds ids and compliance''s own words, never the erased values.';
COMMENT ON COLUMN erasures.erasure_id IS 'Identity.';
COMMENT ON COLUMN erasures.patient_id IS 'The data subject.';
COMMENT ON COLUMN erasures.outcome IS 'erased, or refused_legal_hold (nothing was changed).';
COMMENT ON COLUMN erasures.requested_by IS 'staff_users.user_id of the compliance officer (no foreign key: the ledger outlives accounts).';
COMMENT ON COLUMN erasures.requested_role IS 'Their role when acting (compliance).';
COMMENT ON COLUMN erasures.requested_at IS 'When the request was handled.';
COMMENT ON COLUMN erasures.reason IS 'Compliance''s free-text basis for the request (e.g. "GDPR Art. 17 request, ticket 4711"). Must not repeat the patient''s identity; kept out of audit_log.';
COMMENT ON COLUMN erasures.legal_hold_reason IS 'For a refusal: the legal hold in force at the time, copied so the refusal stays explained after the hold is lifted.';
COMMENT ON COLUMN erasures.audit_id IS 'The high-severity audit row (erase or erase_refused) of this request.';

-- owner: clinicpulse_owner
CREATE TABLE http_sessions (
  sid text NOT NULL,
  user_id integer,
  sess jsonb NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT http_sessions_pkey PRIMARY KEY (sid),
  CONSTRAINT http_sessions_sid_shape CHECK (sid ~ '^[0-9a-f]{64}$'::text),
  CONSTRAINT http_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES staff_users(user_id) ON DELETE CASCADE
);
CREATE INDEX http_sessions_expires_at_idx ON http_sessions USING btree (expires_at);
CREATE INDEX http_sessions_user_id_idx ON http_sessions USING btree (user_id);
GRANT DELETE, INSERT, UPDATE ON TABLE http_sessions TO clinicpulse_auth;
GRANT SELECT ON TABLE http_sessions TO clinicpulse_backup;
GRANT SELECT (sid) ON TABLE http_sessions TO clinicpulse_auth;
GRANT SELECT (user_id) ON TABLE http_sessions TO clinicpulse_auth;
GRANT SELECT (sess) ON TABLE http_sessions TO clinicpulse_auth;
GRANT SELECT (expires_at) ON TABLE http_sessions TO clinicpulse_auth;
GRANT SELECT (created_at) ON TABLE http_sessions TO clinicpulse_auth;
COMMENT ON TABLE http_sessions IS 'Signed-in browser sessions (the express-session store). Deleted when the user is deactivated, changes role or changes password, which signs them out everywhere at once.';
COMMENT ON COLUMN http_sessions.sid IS 'HMAC-SHA256 (hex) of the session id under SESSION_SECRET, never the id itself: a row read from this table cannot be presented as a cookie.';
COMMENT ON COLUMN http_sessions.user_id IS 'The signed-in staff user; null before sign-in completes.';
COMMENT ON COLUMN http_sessions.sess IS 'Session data as JSON (no patient data).';
COMMENT ON COLUMN http_sessions.expires_at IS 'When the session expires; expired rows are pruned.';
COMMENT ON COLUMN http_sessions.created_at IS 'When the session was created.';

-- owner: clinicpulse_owner
CREATE TABLE icd10_codes (
  code text NOT NULL,
  description text NOT NULL,
  search_text text GENERATED ALWAYS AS (((' '::text || lower(regexp_replace(((replace(code, '.'::text, ''::text) || ' '::text) || description), '[^A-Za-z0-9]+'::text, ' '::text, 'g'::text))) || ' '::text)) STORED,
  CONSTRAINT icd10_codes_code_shape CHECK (code ~ '^[A-Z][0-9][0-9A-Z]([.][0-9A-Z]{1,4}){0,1}$'::text),
  CONSTRAINT icd10_codes_description_not_blank CHECK (description ~ '[^[:space:]]'::text AND length(description) <= 500),
  CONSTRAINT icd10_codes_pkey PRIMARY KEY (code)
);
ALTER TABLE icd10_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE icd10_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON icd10_codes AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON icd10_codes AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in clinicians read it" ON icd10_codes AS PERMISSIVE FOR SELECT TO clinician USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
GRANT SELECT ON TABLE icd10_codes TO clinicpulse_backup;
GRANT SELECT (code) ON TABLE icd10_codes TO clinician;
GRANT SELECT (description) ON TABLE icd10_codes TO clinician;
GRANT SELECT (search_text) ON TABLE icd10_codes TO clinician;
COMMENT ON TABLE icd10_codes IS 'The ICD-10-CM codes the product offers when a clinician records a diagnosis (FY2024 code set, official short descriptions). Reference data, no patient content; loaded from seeds/data/icd10.ts.';
COMMENT ON COLUMN icd10_codes.code IS 'ICD-10-CM code in dotted form (E11.9), the same shape diagnoses.code accepts.';
COMMENT ON COLUMN icd10_codes.description IS 'Official short description.';
COMMENT ON COLUMN icd10_codes.search_text IS 'Generated: the undotted code and the description lower-cased, words separated by single spaces and padded with a space at each end, so a word-prefix search is a LIKE.';

-- owner: clinicpulse_owner
CREATE TABLE login_throttle (
  key_digest text NOT NULL,
  failures integer NOT NULL,
  window_ends_at timestamp with time zone NOT NULL,
  CONSTRAINT login_throttle_failures_nonnegative CHECK (failures >= 0),
  CONSTRAINT login_throttle_key_digest_shape CHECK (key_digest ~ '^[0-9a-f]{64}$'::text),
  CONSTRAINT login_throttle_pkey PRIMARY KEY (key_digest)
);
ALTER TABLE login_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_throttle FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON login_throttle AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON login_throttle AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
GRANT SELECT ON TABLE login_throttle TO clinicpulse_backup;
COMMENT ON TABLE login_throttle IS 'Failed sign-in attempts per client address and username in the current window, shared by every server process; written only through login_throttle_hit/_undo/_reset.';
COMMENT ON COLUMN login_throttle.key_digest IS 'HMAC-SHA256 (hex) under SESSION_SECRET of the client address and the lower-cased username: neither is stored, and hashing guesses finds nothing without the secret.';
COMMENT ON COLUMN login_throttle.failures IS 'Failed attempts counted in the window (a successful sign-in takes its own attempt back).';
COMMENT ON COLUMN login_throttle.window_ends_at IS 'When the window ends; the next attempt after it starts a new window at 1.';

-- owner: clinicpulse_owner
CREATE TABLE master_key_check (
  singleton boolean DEFAULT true NOT NULL,
  key_id bytea NOT NULL,
  recorded_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT master_key_check_key_id_length CHECK (octet_length(key_id) = 8),
  CONSTRAINT master_key_check_pkey PRIMARY KEY (singleton),
  CONSTRAINT master_key_check_singleton CHECK (singleton)
);
ALTER TABLE master_key_check ENABLE ROW LEVEL SECURITY;
ALTER TABLE master_key_check FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON master_key_check AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: administration" ON master_key_check AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
GRANT SELECT ON TABLE master_key_check TO clinicpulse_backup;
COMMENT ON TABLE master_key_check IS 'The id of the master key (MASTER_KEY) that wraps the patient data keys: one row, compared by the service at start-up, which refuses to start under another key. Never the key itself.';
COMMENT ON COLUMN master_key_check.singleton IS 'Always true: the table has at most one row.';
COMMENT ON COLUMN master_key_check.key_id IS 'HMAC-SHA256 of the master key, first 8 bytes: the same id that prefixes every wrapped key in patient_keys.';
COMMENT ON COLUMN master_key_check.recorded_at IS 'When the service first started with this key.';

-- owner: clinicpulse_owner
CREATE TABLE master_key_registration (
  singleton boolean DEFAULT true NOT NULL,
  key_id bytea NOT NULL,
  proof_sha256 bytea NOT NULL,
  registered_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT master_key_registration_key_id_length CHECK (octet_length(key_id) = 8),
  CONSTRAINT master_key_registration_pkey PRIMARY KEY (singleton),
  CONSTRAINT master_key_registration_proof_length CHECK (octet_length(proof_sha256) = 32),
  CONSTRAINT master_key_registration_singleton CHECK (singleton)
);
ALTER TABLE master_key_registration ENABLE ROW LEVEL SECURITY;
ALTER TABLE master_key_registration FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON master_key_registration AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON master_key_registration AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
GRANT SELECT ON TABLE master_key_registration TO clinicpulse_backup;
COMMENT ON TABLE master_key_registration IS 'The one master key this database''s data keys are wrapped with: its id and the SHA-256 of the service''s proof of holding it. Pinned by the first registration; nobody but the owner''s functions reads it. Holds nothing that unwraps a key.';
COMMENT ON COLUMN master_key_registration.singleton IS 'Always true: one row at most.';
COMMENT ON COLUMN master_key_registration.key_id IS 'The master key''s 8-byte id (HMAC of the key), the same id every wrapped key carries after its version byte.';
COMMENT ON COLUMN master_key_registration.proof_sha256 IS 'SHA-256 of HMAC-SHA-256(master key, ''clinicpulse key-store proof v1''): the service sends the HMAC with every key it stores.';
COMMENT ON COLUMN master_key_registration.registered_at IS 'When the key was pinned.';

-- owner: clinicpulse_owner
CREATE TABLE master_key_retirements (
  key_id bytea NOT NULL,
  retired_at timestamp with time zone DEFAULT now() NOT NULL,
  rewrapped integer NOT NULL,
  successor_key_id bytea NOT NULL,
  CONSTRAINT master_key_retirements_key_id_length CHECK (octet_length(key_id) = 8),
  CONSTRAINT master_key_retirements_pkey PRIMARY KEY (key_id),
  CONSTRAINT master_key_retirements_rewrapped_nonnegative CHECK (rewrapped >= 0),
  CONSTRAINT master_key_retirements_successor_length CHECK (octet_length(successor_key_id) = 8)
);
GRANT SELECT ON TABLE master_key_retirements TO clinicpulse_backup;
COMMENT ON TABLE master_key_retirements IS 'Master keys retired by npm run keys:rotate: once every data key was re-wrapped under the successor, the old key id is recorded here and the service refuses to start with it. Ids only (an HMAC of the key), never key material.';
COMMENT ON COLUMN master_key_retirements.key_id IS 'The retired key''s 8-byte id (as in byte 1-8 of patient_keys.wrapped_key).';
COMMENT ON COLUMN master_key_retirements.retired_at IS 'When the rotation finished.';
COMMENT ON COLUMN master_key_retirements.rewrapped IS 'How many data keys that rotation re-wrapped in total.';
COMMENT ON COLUMN master_key_retirements.successor_key_id IS 'The id of the key everything is wrapped under now.';

-- owner: clinicpulse_owner
CREATE TABLE medications (
  medication_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  form text NOT NULL,
  strength text NOT NULL,
  CONSTRAINT medications_form_not_blank CHECK (form ~ '[^[:space:]]'::text AND length(form) <= 50),
  CONSTRAINT medications_name_not_blank CHECK (name ~ '[^[:space:]]'::text AND length(name) <= 200),
  CONSTRAINT medications_pkey PRIMARY KEY (medication_id),
  CONSTRAINT medications_strength_not_blank CHECK (strength ~ '[^[:space:]]'::text AND length(strength) <= 50)
);
CREATE UNIQUE INDEX medications_unique_idx ON medications USING btree (lower(name), lower(form), lower(strength));
ALTER TABLE medications ENABLE ROW LEVEL SECURITY;
ALTER TABLE medications FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON medications AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON medications AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in staff read it" ON medications AS PERMISSIVE FOR SELECT TO billing, clinician, compliance, front_desk, manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
GRANT SELECT ON TABLE medications TO clinicpulse_backup;
GRANT SELECT (medication_id) ON TABLE medications TO clinician;
GRANT SELECT (name) ON TABLE medications TO clinician;
GRANT SELECT (form) ON TABLE medications TO clinician;
GRANT SELECT (strength) ON TABLE medications TO clinician;
COMMENT ON TABLE medications IS 'The formulary: medications that can be prescribed. One row per name, form and strength, compared case-insensitively.';
COMMENT ON COLUMN medications.medication_id IS 'Identifier, generated by the database.';
COMMENT ON COLUMN medications.name IS 'Generic name, e.g. "Metformin"; not blank.';
COMMENT ON COLUMN medications.form IS 'Dosage form, e.g. "tablet", "capsule", "inhaler"; not blank.';
COMMENT ON COLUMN medications.strength IS 'Strength per unit, e.g. "500 mg"; not blank.';

-- owner: clinicpulse_owner
CREATE TABLE patient_keys (
  patient_id integer NOT NULL,
  wrapped_key bytea NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT patient_keys_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id),
  CONSTRAINT patient_keys_pkey PRIMARY KEY (patient_id),
  CONSTRAINT patient_keys_wrapped_key_shape CHECK (octet_length(wrapped_key) = 69 AND get_byte(wrapped_key, 0) = 1)
);
ALTER TABLE patient_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON patient_keys AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON patient_keys AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER patient_keys_audit_delete AFTER DELETE ON patient_keys REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('patient_id', 'r.patient_id');
CREATE TRIGGER patient_keys_audit_insert AFTER INSERT ON patient_keys REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('patient_id', 'r.patient_id');
CREATE TRIGGER patient_keys_audit_truncate BEFORE TRUNCATE ON patient_keys FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('patient_id', 'r.patient_id');
CREATE TRIGGER patient_keys_audit_update AFTER UPDATE ON patient_keys REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('patient_id', 'r.patient_id');
GRANT SELECT ON TABLE patient_keys TO clinicpulse_backup;
COMMENT ON TABLE patient_keys IS 'One data key per patient, wrapped (AES-256-GCM) by the master key held only by the service (MASTER_KEY). Deleting the row is crypto-shredding: the patient''s encrypted fields become unreadable.';
COMMENT ON COLUMN patient_keys.patient_id IS 'The patient whose fields this key encrypts.';
COMMENT ON COLUMN patient_keys.wrapped_key IS 'The 32-byte data key encrypted under the master key, bound to patient_id (GCM associated data). Useless without MASTER_KEY.';
COMMENT ON COLUMN patient_keys.created_at IS 'When the key was made (first encrypted field of the patient).';

-- owner: clinicpulse_owner
CREATE TABLE patient_name_suffixes (
  suffix text NOT NULL,
  patient_id integer NOT NULL,
  name text NOT NULL,
  first1 text GENERATED ALWAYS AS ("left"(suffix, 1)) STORED,
  first2 text GENERATED ALWAYS AS ("left"(suffix, 2)) STORED,
  first3 text GENERATED ALWAYS AS ("left"(suffix, 3)) STORED,
  CONSTRAINT patient_name_suffixes_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id) ON DELETE CASCADE,
  CONSTRAINT patient_name_suffixes_pkey PRIMARY KEY (suffix, patient_id) INCLUDE (name)
);
CREATE INDEX patient_name_suffixes_first1_idx ON patient_name_suffixes USING btree (first1, name, patient_id);
COMMENT ON INDEX patient_name_suffixes_first1_idx IS 'One-letter searches: the suffixes starting with a character, in name order, so a page stops early.';
CREATE INDEX patient_name_suffixes_first2_idx ON patient_name_suffixes USING btree (first2, name, patient_id);
COMMENT ON INDEX patient_name_suffixes_first2_idx IS 'Two-letter searches: the suffixes starting with two characters, in name order, so a page stops early.';
CREATE INDEX patient_name_suffixes_first3_idx ON patient_name_suffixes USING btree (first3, name, patient_id);
COMMENT ON INDEX patient_name_suffixes_first3_idx IS 'Three-letter searches: the suffixes starting with three characters, in name order, so a page stops early.';
CREATE INDEX patient_name_suffixes_patient_idx ON patient_name_suffixes USING btree (patient_id);
COMMENT ON INDEX patient_name_suffixes_patient_idx IS 'Finds a patient''s suffixes when the name changes or the patient is deleted.';
ALTER TABLE patient_name_suffixes ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_name_suffixes FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON patient_name_suffixes AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON patient_name_suffixes AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
GRANT SELECT ON TABLE patient_name_suffixes TO clinicpulse_backup;
COMMENT ON TABLE patient_name_suffixes IS 'The front-desk search index: each suffix of a patient''s lower-cased name that starts a word (the whole name, and what follows each space), with the name for ordering; kept by the patients_name_suffixes triggers, read only by patient_name_candidates (owner rights). No staff or service role reads it.';
COMMENT ON COLUMN patient_name_suffixes.suffix IS 'lower(name) from the start of one word to the end (byte order, so a prefix is one key range).';
COMMENT ON COLUMN patient_name_suffixes.patient_id IS 'The patient.';
COMMENT ON COLUMN patient_name_suffixes.name IS 'The patient''s current name (a copy, for the search''s name order without reading patients).';
COMMENT ON COLUMN patient_name_suffixes.first1 IS 'The suffix''s first character (generated): one-letter searches read it by equality, in name order.';
COMMENT ON COLUMN patient_name_suffixes.first2 IS 'The suffix''s first two characters (generated): two-letter searches read it by equality, in name order.';
COMMENT ON COLUMN patient_name_suffixes.first3 IS 'The suffix''s first three characters (generated): three-letter searches read it by equality, in name order.';

-- owner: clinicpulse_owner
CREATE TABLE patients (
  patient_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  dob date NOT NULL,
  email text,
  phone text,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  email_masked text GENERATED ALWAYS AS (
CASE
    WHEN (email IS NULL) THEN NULL::text
    ELSE (("left"(email, 1) || '***@'::text) || split_part(email, '@'::text, 2))
END) STORED,
  phone_last4 text GENERATED ALWAYS AS (
CASE
    WHEN (phone IS NULL) THEN NULL::text
    ELSE ('***-'::text || "right"(regexp_replace(phone, '[^0-9]'::text, ''::text, 'g'::text), 4))
END) STORED,
  legal_hold_reason text,
  erased_at timestamp with time zone,
  CONSTRAINT patients_dob_not_future CHECK (dob <= CURRENT_DATE),
  CONSTRAINT patients_dob_plausible CHECK (dob >= '1900-01-01'::date),
  CONSTRAINT patients_email_key UNIQUE (email),
  CONSTRAINT patients_email_lowercase CHECK (email = lower(email)),
  CONSTRAINT patients_email_shape CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'::text AND length(email) <= 254),
  CONSTRAINT patients_legal_hold_reason_length CHECK (length(btrim(legal_hold_reason)) >= 5 AND length(btrim(legal_hold_reason)) <= 500),
  CONSTRAINT patients_name_not_blank CHECK (name ~ '[^[:space:]]'::text AND length(name) <= 200),
  CONSTRAINT patients_phone_shape CHECK (phone ~ '^[+]{0,1}[0-9][0-9 ().-]{5,22}[0-9]$'::text),
  CONSTRAINT patients_pkey PRIMARY KEY (patient_id)
);
CREATE INDEX patients_dob_idx ON patients USING btree (dob);
CREATE INDEX patients_name_idx ON patients USING btree (lower(name) text_pattern_ops);
CREATE INDEX patients_name_trgm_idx ON patients USING gin (lower(name) gin_trgm_ops);
COMMENT ON INDEX patients_name_trgm_idx IS 'Trigram index for the name search in patient_name_candidates (prefix of the name or of any word in it).';
ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE patients FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON patients AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "billing sees patients it bills" ON patients AS PERMISSIVE FOR SELECT TO billing USING ((EXISTS ( SELECT 1
   FROM charges c
  WHERE (c.patient_id = patients.patient_id))));
CREATE POLICY "clinicians see their patients" ON patients AS PERMISSIVE FOR SELECT TO clinician USING (((EXISTS ( SELECT 1
   FROM appointments a
  WHERE ((a.patient_id = patients.patient_id) AND (a.provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id))))) OR (EXISTS ( SELECT 1
   FROM break_glass_grants g
  WHERE ((g.patient_id = patients.patient_id) AND (g.user_id = ( SELECT current_staff_user_id() AS current_staff_user_id)) AND (g.expires_at > now()))))));
CREATE POLICY "compliance: every patient's identity, to erase and to name audi" ON patients AS PERMISSIVE FOR SELECT TO compliance USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "front desk corrects registration details" ON patients AS PERMISSIVE FOR UPDATE TO front_desk USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL)) WITH CHECK ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "front desk registers patients" ON patients AS PERMISSIVE FOR INSERT TO front_desk WITH CHECK ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "front desk: every patient's scheduling identity" ON patients AS PERMISSIVE FOR SELECT TO front_desk USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON patients AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER appointment_events_patients AFTER UPDATE ON patients REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_events_patients_record();
CREATE TRIGGER patients_audit_delete AFTER DELETE ON patients REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('patient_id', 'r.patient_id');
CREATE TRIGGER patients_audit_insert AFTER INSERT ON patients REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('patient_id', 'r.patient_id');
CREATE TRIGGER patients_audit_truncate BEFORE TRUNCATE ON patients FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('patient_id', 'r.patient_id');
CREATE TRIGGER patients_audit_update AFTER UPDATE ON patients REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('patient_id', 'r.patient_id');
CREATE TRIGGER patients_erased_frozen BEFORE UPDATE ON patients FOR EACH ROW WHEN (old.erased_at IS NOT NULL) EXECUTE FUNCTION patients_erased_frozen();
CREATE TRIGGER patients_name_suffixes_insert AFTER INSERT ON patients REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patient_name_suffixes_insert();
CREATE TRIGGER patients_name_suffixes_update AFTER UPDATE ON patients REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patient_name_suffixes_update();
GRANT SELECT ON TABLE patients TO clinicpulse_backup;
GRANT SELECT (patient_id) ON TABLE patients TO billing;
GRANT SELECT (patient_id) ON TABLE patients TO clinician;
GRANT SELECT (patient_id) ON TABLE patients TO compliance;
GRANT SELECT (patient_id) ON TABLE patients TO front_desk;
GRANT SELECT (name) ON TABLE patients TO billing;
GRANT SELECT (name) ON TABLE patients TO clinician;
GRANT SELECT (name) ON TABLE patients TO compliance;
GRANT INSERT, SELECT, UPDATE (name) ON TABLE patients TO front_desk;
GRANT SELECT (dob) ON TABLE patients TO billing;
GRANT SELECT (dob) ON TABLE patients TO clinician;
GRANT SELECT (dob) ON TABLE patients TO compliance;
GRANT INSERT, SELECT, UPDATE (dob) ON TABLE patients TO front_desk;
GRANT SELECT (email) ON TABLE patients TO clinician;
GRANT INSERT, UPDATE (email) ON TABLE patients TO front_desk;
GRANT SELECT (phone) ON TABLE patients TO clinician;
GRANT INSERT, UPDATE (phone) ON TABLE patients TO front_desk;
GRANT SELECT (created_at) ON TABLE patients TO clinician;
GRANT SELECT (created_at) ON TABLE patients TO compliance;
GRANT SELECT (created_at) ON TABLE patients TO front_desk;
GRANT SELECT (email_masked) ON TABLE patients TO clinician;
GRANT SELECT (email_masked) ON TABLE patients TO front_desk;
GRANT SELECT (phone_last4) ON TABLE patients TO clinician;
GRANT SELECT (phone_last4) ON TABLE patients TO front_desk;
GRANT SELECT (legal_hold_reason) ON TABLE patients TO compliance;
GRANT SELECT (erased_at) ON TABLE patients TO clinician;
GRANT SELECT (erased_at) ON TABLE patients TO compliance;
COMMENT ON TABLE patients IS 'People who receive care. Holds personal data (name, date of birth, contact details); staff who only schedule read patient_summary instead.';
COMMENT ON COLUMN patients.patient_id IS 'Identifier, generated by the database.';
COMMENT ON COLUMN patients.name IS 'Full name as the patient gives it; not blank, at most 200 characters.';
COMMENT ON COLUMN patients.dob IS 'Date of birth; not in the future and not before 1900-01-01.';
COMMENT ON COLUMN patients.email IS 'Contact email, optional; unique across patients, lowercase only and shaped like local@domain.tld (at most 254 characters).';
COMMENT ON COLUMN patients.phone IS 'Contact phone number, optional: digits with an optional leading + and spaces, dots, dashes or parentheses (7-24 characters).';
COMMENT ON COLUMN patients.created_at IS 'When the patient record was created.';
COMMENT ON COLUMN patients.email_masked IS 'First letter and domain of the email (a***@example.org): enough to confirm it with the patient, not to use it. Generated.';
COMMENT ON COLUMN patients.phone_last4 IS 'Last four digits of the phone (***-1234). Generated.';
COMMENT ON COLUMN patients.legal_hold_reason IS 'Why this patient''s records must be preserved (litigation, investigation); while set, erasure is refused. Set and cleared by compliance through set_legal_hold().';
COMMENT ON COLUMN patients.erased_at IS 'When erase_patient() pseudonymised this patient; NULL if never. An erased patient''s identity is frozen.';

-- owner: clinicpulse_owner
CREATE TABLE prescriptions (
  prescription_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  visit_id integer NOT NULL,
  medication_id integer NOT NULL,
  dosage text NOT NULL,
  start_date date NOT NULL,
  end_date date,
  CONSTRAINT prescriptions_dates_ordered CHECK (end_date IS NULL OR end_date >= start_date),
  CONSTRAINT prescriptions_dosage_not_blank CHECK (dosage ~ '[^[:space:]]'::text AND length(dosage) <= 200),
  CONSTRAINT prescriptions_medication_id_fkey FOREIGN KEY (medication_id) REFERENCES medications(medication_id),
  CONSTRAINT prescriptions_pkey PRIMARY KEY (prescription_id),
  CONSTRAINT prescriptions_start_date_plausible CHECK (start_date >= '2000-01-01'::date),
  CONSTRAINT prescriptions_visit_id_fkey FOREIGN KEY (visit_id) REFERENCES visits(visit_id) ON DELETE CASCADE
);
CREATE INDEX prescriptions_visit_id_idx ON prescriptions USING btree (visit_id);
ALTER TABLE prescriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE prescriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON prescriptions AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "clinicians prescribe at their own visits" ON prescriptions AS PERMISSIVE FOR INSERT TO clinician WITH CHECK ((EXISTS ( SELECT 1
   FROM (visits v
     JOIN appointments a ON ((a.appointment_id = v.appointment_id)))
  WHERE ((v.visit_id = prescriptions.visit_id) AND (a.provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id))))));
CREATE POLICY "clinicians see ids where they see the visit" ON prescriptions AS PERMISSIVE FOR SELECT TO clinician USING ((EXISTS ( SELECT 1
   FROM visits v
  WHERE (v.visit_id = prescriptions.visit_id))));
CREATE POLICY "owner: security-definer functions and administration" ON prescriptions AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER prescriptions_audit_delete AFTER DELETE ON prescriptions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('prescription_id', '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)');
CREATE TRIGGER prescriptions_audit_insert AFTER INSERT ON prescriptions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('prescription_id', '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)');
CREATE TRIGGER prescriptions_audit_truncate BEFORE TRUNCATE ON prescriptions FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('prescription_id', '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)');
CREATE TRIGGER prescriptions_audit_update AFTER UPDATE ON prescriptions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('prescription_id', '(SELECT v.patient_id FROM visits v WHERE v.visit_id = r.visit_id)');
GRANT SELECT ON TABLE prescriptions TO clinicpulse_backup;
GRANT SELECT (prescription_id) ON TABLE prescriptions TO clinician;
GRANT INSERT, SELECT (visit_id) ON TABLE prescriptions TO clinician;
GRANT INSERT (medication_id) ON TABLE prescriptions TO clinician;
GRANT INSERT (dosage) ON TABLE prescriptions TO clinician;
GRANT INSERT (start_date) ON TABLE prescriptions TO clinician;
GRANT INSERT (end_date) ON TABLE prescriptions TO clinician;
COMMENT ON TABLE prescriptions IS 'A medication prescribed at a visit. In force on a clinic-local day when start_date <= day and end_date is null or >= day. Deleted with its visit.';
COMMENT ON COLUMN prescriptions.prescription_id IS 'Identifier, generated by the database.';
COMMENT ON COLUMN prescriptions.visit_id IS 'The visit at which it was prescribed (visits.visit_id).';
COMMENT ON COLUMN prescriptions.medication_id IS 'The medication (medications.medication_id).';
COMMENT ON COLUMN prescriptions.dosage IS 'Instructions as written, e.g. "500 mg twice daily with food"; not blank, at most 200 characters.';
COMMENT ON COLUMN prescriptions.start_date IS 'First day in force (clinic-local calendar date), not before 2000-01-01.';
COMMENT ON COLUMN prescriptions.end_date IS 'Last day in force, inclusive; null for open-ended; never before start_date.';

-- owner: clinicpulse_owner
CREATE TABLE provider_time_off (
  time_off_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  provider_id integer NOT NULL,
  period tstzrange NOT NULL,
  category text NOT NULL,
  note text,
  created_by integer DEFAULT current_staff_user_id(),
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT provider_time_off_category_check CHECK (category = ANY (ARRAY['leave'::text, 'training'::text, 'sick'::text])),
  CONSTRAINT provider_time_off_no_overlap EXCLUDE USING gist (provider_id WITH =, period WITH &&),
  CONSTRAINT provider_time_off_note_length CHECK (note ~ '[^[:space:]]'::text AND length(note) <= 500),
  CONSTRAINT provider_time_off_period_shape CHECK (NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period) AND lower_inc(period) AND NOT upper_inc(period) AND (upper(period) - lower(period)) <= '366 days'::interval),
  CONSTRAINT provider_time_off_pkey PRIMARY KEY (time_off_id),
  CONSTRAINT provider_time_off_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id) ON DELETE CASCADE
);
ALTER TABLE provider_time_off ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_time_off FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON provider_time_off AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "managers delete time off" ON provider_time_off AS PERMISSIVE FOR DELETE TO manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "managers record time off" ON provider_time_off AS PERMISSIVE FOR INSERT TO manager WITH CHECK ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON provider_time_off AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in staff who book read it" ON provider_time_off AS PERMISSIVE FOR SELECT TO clinician, front_desk, manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
GRANT SELECT ON TABLE provider_time_off TO clinicpulse_backup;
GRANT DELETE ON TABLE provider_time_off TO manager;
GRANT SELECT (time_off_id) ON TABLE provider_time_off TO clinician;
GRANT SELECT (time_off_id) ON TABLE provider_time_off TO front_desk;
GRANT SELECT (time_off_id) ON TABLE provider_time_off TO manager;
GRANT SELECT (provider_id) ON TABLE provider_time_off TO clinician;
GRANT SELECT (provider_id) ON TABLE provider_time_off TO front_desk;
GRANT INSERT, SELECT (provider_id) ON TABLE provider_time_off TO manager;
GRANT SELECT (period) ON TABLE provider_time_off TO clinician;
GRANT SELECT (period) ON TABLE provider_time_off TO front_desk;
GRANT INSERT, SELECT (period) ON TABLE provider_time_off TO manager;
GRANT SELECT (category) ON TABLE provider_time_off TO clinician;
GRANT SELECT (category) ON TABLE provider_time_off TO front_desk;
GRANT INSERT, SELECT (category) ON TABLE provider_time_off TO manager;
GRANT SELECT (note) ON TABLE provider_time_off TO clinician;
GRANT SELECT (note) ON TABLE provider_time_off TO front_desk;
GRANT INSERT, SELECT (note) ON TABLE provider_time_off TO manager;
GRANT SELECT (created_by) ON TABLE provider_time_off TO clinician;
GRANT SELECT (created_by) ON TABLE provider_time_off TO front_desk;
GRANT SELECT (created_by) ON TABLE provider_time_off TO manager;
GRANT SELECT (created_at) ON TABLE provider_time_off TO clinician;
GRANT SELECT (created_at) ON TABLE provider_time_off TO front_desk;
GRANT SELECT (created_at) ON TABLE provider_time_off TO manager;
COMMENT ON TABLE provider_time_off IS 'A provider''s absences (leave, training, sick) as half-open instant ranges; staff bookings inside one are refused (appointments_within_working_hours) unless a reason is given. Existing appointments are left alone: the API returns them so the desk can move them. Not patient data.';
COMMENT ON COLUMN provider_time_off.time_off_id IS 'Identity.';
COMMENT ON COLUMN provider_time_off.provider_id IS 'The absent provider.';
COMMENT ON COLUMN provider_time_off.period IS 'The absence, [start, end) as instants; at most 366 days; periods of one provider never overlap.';
COMMENT ON COLUMN provider_time_off.category IS 'leave, training or sick.';
COMMENT ON COLUMN provider_time_off.note IS 'Optional short note for the desk (no clinical detail), at most 500 characters.';
COMMENT ON COLUMN provider_time_off.created_by IS 'staff_users.user_id of the manager who recorded it (NULL for administrators).';
COMMENT ON COLUMN provider_time_off.created_at IS 'When it was recorded.';

-- owner: clinicpulse_owner
CREATE TABLE provider_working_hours (
  provider_id integer NOT NULL,
  iso_weekday smallint NOT NULL,
  starts_at time without time zone NOT NULL,
  ends_at time without time zone NOT NULL,
  CONSTRAINT provider_working_hours_no_overlap EXCLUDE USING gist (provider_id WITH =, iso_weekday WITH =, tsrange('2000-01-03'::date + starts_at, '2000-01-03'::date + ends_at, '[)'::text) WITH &&),
  CONSTRAINT provider_working_hours_ordered CHECK (ends_at > starts_at),
  CONSTRAINT provider_working_hours_pkey PRIMARY KEY (provider_id, iso_weekday, starts_at),
  CONSTRAINT provider_working_hours_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id) ON DELETE CASCADE,
  CONSTRAINT provider_working_hours_weekday CHECK (iso_weekday >= 1 AND iso_weekday <= 7)
);
ALTER TABLE provider_working_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_working_hours FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON provider_working_hours AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "managers clear working hours" ON provider_working_hours AS PERMISSIVE FOR DELETE TO manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "managers set working hours" ON provider_working_hours AS PERMISSIVE FOR INSERT TO manager WITH CHECK ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON provider_working_hours AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in staff read it" ON provider_working_hours AS PERMISSIVE FOR SELECT TO billing, clinician, compliance, front_desk, manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
GRANT SELECT ON TABLE provider_working_hours TO clinicpulse_backup;
GRANT DELETE, INSERT ON TABLE provider_working_hours TO manager;
GRANT SELECT (provider_id) ON TABLE provider_working_hours TO clinician;
GRANT SELECT (provider_id) ON TABLE provider_working_hours TO front_desk;
GRANT SELECT (provider_id) ON TABLE provider_working_hours TO manager;
GRANT SELECT (iso_weekday) ON TABLE provider_working_hours TO clinician;
GRANT SELECT (iso_weekday) ON TABLE provider_working_hours TO front_desk;
GRANT SELECT (iso_weekday) ON TABLE provider_working_hours TO manager;
GRANT SELECT (starts_at) ON TABLE provider_working_hours TO clinician;
GRANT SELECT (starts_at) ON TABLE provider_working_hours TO front_desk;
GRANT SELECT (starts_at) ON TABLE provider_working_hours TO manager;
GRANT SELECT (ends_at) ON TABLE provider_working_hours TO clinician;
GRANT SELECT (ends_at) ON TABLE provider_working_hours TO front_desk;
GRANT SELECT (ends_at) ON TABLE provider_working_hours TO manager;
COMMENT ON TABLE provider_working_hours IS 'A provider''s regular clinic-local working hours: one or more non-overlapping intervals per ISO weekday (e.g. 08:00-12:00 and 13:00-17:00). Bookings by staff must fall inside one interval (appointments_within_working_hours) unless a reason is given; a provider with no rows is bookable at any time. Also the denominator of utilisation. Maintained by managers (PUT /api/providers/:id/working-hours).';
COMMENT ON COLUMN provider_working_hours.provider_id IS 'The provider.';
COMMENT ON COLUMN provider_working_hours.iso_weekday IS 'ISO weekday, 1 = Monday … 7 = Sunday.';
COMMENT ON COLUMN provider_working_hours.starts_at IS 'Clinic-local start of the interval.';
COMMENT ON COLUMN provider_working_hours.ends_at IS 'Clinic-local end of the interval (after starts_at; 24:00 for midnight).';

-- owner: clinicpulse_owner
CREATE TABLE providers (
  provider_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  specialty text NOT NULL,
  overbook_limit smallint DEFAULT 1 NOT NULL,
  CONSTRAINT providers_name_not_blank CHECK (name ~ '[^[:space:]]'::text AND length(name) <= 200),
  CONSTRAINT providers_overbook_limit_range CHECK (overbook_limit >= 0 AND overbook_limit <= 5),
  CONSTRAINT providers_pkey PRIMARY KEY (provider_id),
  CONSTRAINT providers_specialty_not_blank CHECK (specialty ~ '[^[:space:]]'::text AND length(specialty) <= 100)
);
ALTER TABLE providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE providers FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON providers AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "managers set the overbook limit" ON providers AS PERMISSIVE FOR UPDATE TO manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL)) WITH CHECK ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON providers AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "signed-in staff read it" ON providers AS PERMISSIVE FOR SELECT TO billing, clinician, compliance, front_desk, manager USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
GRANT SELECT ON TABLE providers TO clinicpulse_backup;
GRANT SELECT (provider_id) ON TABLE providers TO billing;
GRANT SELECT (provider_id) ON TABLE providers TO clinician;
GRANT SELECT (provider_id) ON TABLE providers TO compliance;
GRANT SELECT (provider_id) ON TABLE providers TO front_desk;
GRANT SELECT (provider_id) ON TABLE providers TO manager;
GRANT SELECT (name) ON TABLE providers TO billing;
GRANT SELECT (name) ON TABLE providers TO clinician;
GRANT SELECT (name) ON TABLE providers TO compliance;
GRANT SELECT (name) ON TABLE providers TO front_desk;
GRANT SELECT (name) ON TABLE providers TO manager;
GRANT SELECT (specialty) ON TABLE providers TO billing;
GRANT SELECT (specialty) ON TABLE providers TO clinician;
GRANT SELECT (specialty) ON TABLE providers TO compliance;
GRANT SELECT (specialty) ON TABLE providers TO front_desk;
GRANT SELECT (specialty) ON TABLE providers TO manager;
GRANT SELECT (overbook_limit) ON TABLE providers TO clinician;
GRANT SELECT (overbook_limit) ON TABLE providers TO front_desk;
GRANT SELECT, UPDATE (overbook_limit) ON TABLE providers TO manager;
COMMENT ON TABLE providers IS 'Clinicians who see patients. Each appointment belongs to one provider, who can never be double-booked.';
COMMENT ON COLUMN providers.provider_id IS 'Identifier, generated by the database.';
COMMENT ON COLUMN providers.name IS 'Display name, e.g. "Dr Ana Ruiz"; not blank, at most 200 characters.';
COMMENT ON COLUMN providers.specialty IS 'Medical specialty, e.g. "Cardiology"; not blank, at most 100 characters.';
COMMENT ON COLUMN providers.overbook_limit IS 'How many overbooks may overlap at any moment on top of this provider''s ordinary appointments (0-5, default 1); set by managers.';

-- owner: clinicpulse_owner
CREATE TABLE staff_login_failures (
  user_id integer NOT NULL,
  failures integer NOT NULL,
  last_failure_at timestamp with time zone NOT NULL,
  locked_at timestamp with time zone,
  CONSTRAINT staff_login_failures_failures_positive CHECK (failures > 0),
  CONSTRAINT staff_login_failures_pkey PRIMARY KEY (user_id),
  CONSTRAINT staff_login_failures_user_id_fkey FOREIGN KEY (user_id) REFERENCES staff_users(user_id) ON DELETE CASCADE
);
ALTER TABLE staff_login_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_login_failures FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON staff_login_failures AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON staff_login_failures AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER staff_login_failures_audit_delete AFTER DELETE ON staff_login_failures REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user_id', 'NULL::integer');
CREATE TRIGGER staff_login_failures_audit_insert AFTER INSERT ON staff_login_failures REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user_id', 'NULL::integer');
CREATE TRIGGER staff_login_failures_audit_update AFTER UPDATE ON staff_login_failures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user_id', 'NULL::integer');
GRANT SELECT ON TABLE staff_login_failures TO clinicpulse_backup;
COMMENT ON TABLE staff_login_failures IS 'Consecutive failed sign-ins per staff account, from any client address, and the lock-out they lead to. A row exists only after a failure; a successful sign-in deletes it (unless locked); an administrator''s unlock deletes it. Audited.';
COMMENT ON COLUMN staff_login_failures.user_id IS 'The account signed in to (an unknown username is never counted here).';
COMMENT ON COLUMN staff_login_failures.failures IS 'Failed sign-ins since the last successful one.';
COMMENT ON COLUMN staff_login_failures.last_failure_at IS 'When the latest counted failure happened.';
COMMENT ON COLUMN staff_login_failures.locked_at IS 'When the account was locked (failures reached LOGIN_LOCKOUT_FAILURES); NULL while it is not. A locked account cannot sign in, even with the right password, until an administrator unlocks it.';

-- owner: clinicpulse_owner
CREATE TABLE staff_users (
  user_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  username text NOT NULL,
  role text NOT NULL,
  provider_id integer,
  password_hash text NOT NULL,
  active boolean DEFAULT true NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  deactivated_at timestamp with time zone,
  CONSTRAINT staff_users_clinician_has_provider CHECK ((role = 'clinician'::text) = (provider_id IS NOT NULL)),
  CONSTRAINT staff_users_deactivation_dated CHECK (active = (deactivated_at IS NULL)),
  CONSTRAINT staff_users_password_hash_shape CHECK (password_hash ~~ 'scrypt$%'::text),
  CONSTRAINT staff_users_pkey PRIMARY KEY (user_id),
  CONSTRAINT staff_users_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id),
  CONSTRAINT staff_users_role_check CHECK (role = ANY (ARRAY['front_desk'::text, 'clinician'::text, 'billing'::text, 'manager'::text, 'compliance'::text])),
  CONSTRAINT staff_users_username_key UNIQUE (username),
  CONSTRAINT staff_users_username_shape CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'::text)
);
ALTER TABLE staff_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_users FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON staff_users AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "compliance deactivates accounts" ON staff_users AS PERMISSIVE FOR UPDATE TO compliance USING ((current_staff_user_id() IS NOT NULL)) WITH CHECK ((current_staff_user_id() IS NOT NULL));
CREATE POLICY "compliance sees all accounts" ON staff_users AS PERMISSIVE FOR SELECT TO compliance USING ((current_staff_user_id() IS NOT NULL));
CREATE POLICY "owner manages accounts" ON staff_users AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "staff see their own account" ON staff_users AS PERMISSIVE FOR SELECT TO billing, clinician, compliance, front_desk, manager USING ((user_id = ( SELECT current_staff_user_id() AS current_staff_user_id)));
CREATE TRIGGER staff_users_audit_delete AFTER DELETE ON staff_users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user_id', 'NULL::integer');
CREATE TRIGGER staff_users_audit_insert AFTER INSERT ON staff_users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user_id', 'NULL::integer');
CREATE TRIGGER staff_users_audit_truncate BEFORE TRUNCATE ON staff_users FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('user_id', 'NULL::integer');
CREATE TRIGGER staff_users_audit_update AFTER UPDATE ON staff_users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user_id', 'NULL::integer');
CREATE TRIGGER staff_users_end_sessions AFTER UPDATE ON staff_users FOR EACH ROW EXECUTE FUNCTION staff_users_end_sessions();
GRANT SELECT ON TABLE staff_users TO clinicpulse_backup;
GRANT SELECT (user_id) ON TABLE staff_users TO billing;
GRANT SELECT (user_id) ON TABLE staff_users TO clinician;
GRANT SELECT (user_id) ON TABLE staff_users TO compliance;
GRANT SELECT (user_id) ON TABLE staff_users TO front_desk;
GRANT SELECT (user_id) ON TABLE staff_users TO manager;
GRANT SELECT (username) ON TABLE staff_users TO billing;
GRANT SELECT (username) ON TABLE staff_users TO clinician;
GRANT SELECT (username) ON TABLE staff_users TO compliance;
GRANT SELECT (username) ON TABLE staff_users TO front_desk;
GRANT SELECT (username) ON TABLE staff_users TO manager;
GRANT SELECT (role) ON TABLE staff_users TO billing;
GRANT SELECT (role) ON TABLE staff_users TO clinician;
GRANT SELECT (role) ON TABLE staff_users TO compliance;
GRANT SELECT (role) ON TABLE staff_users TO front_desk;
GRANT SELECT (role) ON TABLE staff_users TO manager;
GRANT SELECT (provider_id) ON TABLE staff_users TO billing;
GRANT SELECT (provider_id) ON TABLE staff_users TO clinician;
GRANT SELECT (provider_id) ON TABLE staff_users TO compliance;
GRANT SELECT (provider_id) ON TABLE staff_users TO front_desk;
GRANT SELECT (provider_id) ON TABLE staff_users TO manager;
GRANT SELECT (active) ON TABLE staff_users TO billing;
GRANT SELECT (active) ON TABLE staff_users TO clinician;
GRANT SELECT, UPDATE (active) ON TABLE staff_users TO compliance;
GRANT SELECT (active) ON TABLE staff_users TO front_desk;
GRANT SELECT (active) ON TABLE staff_users TO manager;
GRANT SELECT (created_at) ON TABLE staff_users TO billing;
GRANT SELECT (created_at) ON TABLE staff_users TO clinician;
GRANT SELECT (created_at) ON TABLE staff_users TO compliance;
GRANT SELECT (created_at) ON TABLE staff_users TO front_desk;
GRANT SELECT (created_at) ON TABLE staff_users TO manager;
GRANT SELECT (deactivated_at) ON TABLE staff_users TO billing;
GRANT SELECT (deactivated_at) ON TABLE staff_users TO clinician;
GRANT SELECT, UPDATE (deactivated_at) ON TABLE staff_users TO compliance;
GRANT SELECT (deactivated_at) ON TABLE staff_users TO front_desk;
GRANT SELECT (deactivated_at) ON TABLE staff_users TO manager;
COMMENT ON TABLE staff_users IS 'Staff accounts. Each holds exactly one role; a request acts as (user_id, role) and the database checks the pair here, so a forged or deactivated identity resolves to no one. Password hashes are readable only through staff_login_lookup() by the sign-in role.';
COMMENT ON COLUMN staff_users.user_id IS 'Identifier, generated by the database; what app.user_id carries.';
COMMENT ON COLUMN staff_users.username IS 'Sign-in name: 3-64 characters, lowercase letters, digits, dot, underscore or dash, starting with a letter or digit; unique.';
COMMENT ON COLUMN staff_users.role IS 'front_desk, clinician, billing, manager or compliance: the PostgreSQL group role the user acts as.';
COMMENT ON COLUMN staff_users.provider_id IS 'The provider a clinician is; required for clinicians and only for them.';
COMMENT ON COLUMN staff_users.password_hash IS 'scrypt hash in the form scrypt$N$r$p$salt$hash (server/auth/passwords.ts); never the password.';
COMMENT ON COLUMN staff_users.active IS 'False once deactivated: the account can no longer sign in and its sessions are deleted.';
COMMENT ON COLUMN staff_users.created_at IS 'When the account was created.';
COMMENT ON COLUMN staff_users.deactivated_at IS 'When the account was deactivated; set exactly when active is false.';

-- owner: clinicpulse_owner
CREATE TABLE visit_notes (
  visit_id integer NOT NULL,
  patient_id integer NOT NULL,
  ciphertext bytea NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT visit_notes_ciphertext_shape CHECK (octet_length(ciphertext) >= 29 AND octet_length(ciphertext) <= 200000 AND get_byte(ciphertext, 0) = 1),
  CONSTRAINT visit_notes_pkey PRIMARY KEY (visit_id),
  CONSTRAINT visit_notes_visit_fkey FOREIGN KEY (visit_id, patient_id) REFERENCES visits(visit_id, patient_id)
);
CREATE INDEX visit_notes_patient_id_idx ON visit_notes USING btree (patient_id);
ALTER TABLE visit_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON visit_notes AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "owner: security-definer functions and administration" ON visit_notes AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER visit_notes_audit_delete AFTER DELETE ON visit_notes REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('visit_id', 'r.patient_id');
CREATE TRIGGER visit_notes_audit_insert AFTER INSERT ON visit_notes REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('visit_id', 'r.patient_id');
CREATE TRIGGER visit_notes_audit_truncate BEFORE TRUNCATE ON visit_notes FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('visit_id', 'r.patient_id');
CREATE TRIGGER visit_notes_audit_update AFTER UPDATE ON visit_notes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('visit_id', 'r.patient_id');
GRANT SELECT ON TABLE visit_notes TO clinicpulse_backup;
COMMENT ON TABLE visit_notes IS 'The clinician''s free-text note of a visit, encrypted in the service with the patient''s data key (AES-256-GCM, bound to visit and patient). The database never sees the text or a usable key. Read and written only through read_visit_note()/save_visit_note().';
COMMENT ON COLUMN visit_notes.visit_id IS 'The visit (one note per visit).';
COMMENT ON COLUMN visit_notes.patient_id IS 'The visit''s patient (the foreign key proves it): selects the data key.';
COMMENT ON COLUMN visit_notes.ciphertext IS 'Version byte, IV, GCM tag and ciphertext of the UTF-8 note.';
COMMENT ON COLUMN visit_notes.created_at IS 'When the note was first saved.';
COMMENT ON COLUMN visit_notes.updated_at IS 'When the note was last saved.';

-- owner: clinicpulse_owner
CREATE TABLE visits (
  visit_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  appointment_id integer NOT NULL,
  patient_id integer NOT NULL,
  started_at timestamp with time zone DEFAULT now() NOT NULL,
  completed_at timestamp with time zone,
  CONSTRAINT visits_appointment_fkey FOREIGN KEY (appointment_id, patient_id) REFERENCES appointments(appointment_id, patient_id),
  CONSTRAINT visits_appointment_id_key UNIQUE (appointment_id),
  CONSTRAINT visits_completed_after_start CHECK (completed_at IS NULL OR completed_at >= started_at),
  CONSTRAINT visits_id_patient_key UNIQUE (visit_id, patient_id),
  CONSTRAINT visits_pkey PRIMARY KEY (visit_id)
);
CREATE INDEX visits_patient_id_idx ON visits USING btree (patient_id);
ALTER TABLE visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE visits FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON visits AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "clinicians close visits of their own appointments" ON visits AS PERMISSIVE FOR UPDATE TO clinician USING ((EXISTS ( SELECT 1
   FROM appointments a
  WHERE ((a.appointment_id = visits.appointment_id) AND (a.provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id)))))) WITH CHECK ((EXISTS ( SELECT 1
   FROM appointments a
  WHERE ((a.appointment_id = visits.appointment_id) AND (a.provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id))))));
CREATE POLICY "clinicians open visits for their own appointments" ON visits AS PERMISSIVE FOR INSERT TO clinician WITH CHECK ((EXISTS ( SELECT 1
   FROM appointments a
  WHERE ((a.appointment_id = visits.appointment_id) AND (a.provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id))))));
CREATE POLICY "clinicians see their patients' visit ids" ON visits AS PERMISSIVE FOR SELECT TO clinician USING (((EXISTS ( SELECT 1
   FROM appointments a
  WHERE ((a.patient_id = visits.patient_id) AND (a.provider_id = ( SELECT current_staff_provider_id() AS current_staff_provider_id))))) OR (EXISTS ( SELECT 1
   FROM break_glass_grants g
  WHERE ((g.patient_id = visits.patient_id) AND (g.user_id = ( SELECT current_staff_user_id() AS current_staff_user_id)) AND (g.expires_at > now()))))));
CREATE POLICY "owner: security-definer functions and administration" ON visits AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER charges_open_on_visit AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION charges_open_for_visits();
CREATE TRIGGER visits_audit_delete AFTER DELETE ON visits REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('visit_id', 'r.patient_id');
CREATE TRIGGER visits_audit_insert AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('visit_id', 'r.patient_id');
CREATE TRIGGER visits_audit_truncate BEFORE TRUNCATE ON visits FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate('visit_id', 'r.patient_id');
CREATE TRIGGER visits_audit_update AFTER UPDATE ON visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('visit_id', 'r.patient_id');
CREATE TRIGGER visits_require_arrival BEFORE INSERT OR UPDATE OF appointment_id ON visits FOR EACH ROW EXECUTE FUNCTION visits_require_arrival();
GRANT SELECT ON TABLE visits TO clinicpulse_backup;
GRANT SELECT (visit_id) ON TABLE visits TO clinician;
GRANT INSERT, SELECT (appointment_id) ON TABLE visits TO clinician;
GRANT INSERT, SELECT (patient_id) ON TABLE visits TO clinician;
GRANT INSERT (started_at) ON TABLE visits TO clinician;
GRANT INSERT, UPDATE (completed_at) ON TABLE visits TO clinician;
COMMENT ON TABLE visits IS 'The clinical encounter of an appointment: at most one per appointment, and only for a checked-in or completed appointment. An appointment with a visit cannot be cancelled.';
COMMENT ON COLUMN visits.visit_id IS 'Identifier, generated by the database.';
COMMENT ON COLUMN visits.appointment_id IS 'The appointment this visit records; unique.';
COMMENT ON COLUMN visits.patient_id IS 'The patient seen; a composite foreign key with appointment_id proves it is the appointment''s patient.';
COMMENT ON COLUMN visits.started_at IS 'When the visit was opened.';
COMMENT ON COLUMN visits.completed_at IS 'When the visit was completed; null while in progress, never before started_at.';

-- owner: clinicpulse_owner
CREATE TABLE waitlist_entries (
  waitlist_id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
  patient_id integer NOT NULL,
  provider_id integer,
  specialty text,
  earliest timestamp with time zone NOT NULL,
  latest timestamp with time zone NOT NULL,
  duration_min integer NOT NULL,
  note text,
  created_by integer DEFAULT current_staff_user_id(),
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT waitlist_entries_duration_min_check CHECK (duration_min >= 5 AND duration_min <= 480),
  CONSTRAINT waitlist_entries_note_length CHECK (note ~ '[^[:space:]]'::text AND length(note) <= 500),
  CONSTRAINT waitlist_entries_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id),
  CONSTRAINT waitlist_entries_pkey PRIMARY KEY (waitlist_id),
  CONSTRAINT waitlist_entries_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers(provider_id),
  CONSTRAINT waitlist_entries_provider_or_specialty CHECK ((provider_id IS NULL) <> (specialty IS NULL)),
  CONSTRAINT waitlist_entries_specialty_not_blank CHECK (specialty ~ '[^[:space:]]'::text AND length(specialty) <= 100),
  CONSTRAINT waitlist_entries_window_fits CHECK (upper(appointment_slot(earliest, duration_min)) <= latest)
);
CREATE INDEX waitlist_entries_patient_idx ON waitlist_entries USING btree (patient_id);
CREATE INDEX waitlist_entries_provider_idx ON waitlist_entries USING btree (provider_id, created_at) WHERE (provider_id IS NOT NULL);
CREATE INDEX waitlist_entries_specialty_idx ON waitlist_entries USING btree (lower(specialty), created_at) WHERE (specialty IS NOT NULL);
ALTER TABLE waitlist_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE waitlist_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY "backups read everything" ON waitlist_entries AS PERMISSIVE FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "front desk adds to the waitlist" ON waitlist_entries AS PERMISSIVE FOR INSERT TO front_desk WITH CHECK ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "front desk removes from the waitlist" ON waitlist_entries AS PERMISSIVE FOR DELETE TO front_desk USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "front desk sees the waitlist" ON waitlist_entries AS PERMISSIVE FOR SELECT TO front_desk USING ((( SELECT current_staff_user_id() AS current_staff_user_id) IS NOT NULL));
CREATE POLICY "owner: security-definer functions and administration" ON waitlist_entries AS PERMISSIVE FOR ALL TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE TRIGGER waitlist_entries_audit_delete AFTER DELETE ON waitlist_entries REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('waitlist_id', 'r.patient_id');
CREATE TRIGGER waitlist_entries_audit_insert AFTER INSERT ON waitlist_entries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('waitlist_id', 'r.patient_id');
CREATE TRIGGER waitlist_entries_audit_update AFTER UPDATE ON waitlist_entries REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('waitlist_id', 'r.patient_id');
CREATE TRIGGER waitlist_entries_notify AFTER INSERT OR DELETE OR UPDATE ON waitlist_entries FOR EACH STATEMENT EXECUTE FUNCTION waitlist_entries_notify();
GRANT SELECT ON TABLE waitlist_entries TO clinicpulse_backup;
GRANT DELETE ON TABLE waitlist_entries TO front_desk;
GRANT SELECT (waitlist_id) ON TABLE waitlist_entries TO front_desk;
GRANT INSERT, SELECT (patient_id) ON TABLE waitlist_entries TO front_desk;
GRANT INSERT, SELECT (provider_id) ON TABLE waitlist_entries TO front_desk;
GRANT INSERT, SELECT (specialty) ON TABLE waitlist_entries TO front_desk;
GRANT INSERT, SELECT (earliest) ON TABLE waitlist_entries TO front_desk;
GRANT INSERT, SELECT (latest) ON TABLE waitlist_entries TO front_desk;
GRANT INSERT, SELECT (duration_min) ON TABLE waitlist_entries TO front_desk;
GRANT INSERT, SELECT (note) ON TABLE waitlist_entries TO front_desk;
GRANT SELECT (created_by) ON TABLE waitlist_entries TO front_desk;
GRANT SELECT (created_at) ON TABLE waitlist_entries TO front_desk;
COMMENT ON TABLE waitlist_entries IS 'Patients waiting for a slot with a provider or in a specialty, within a window; front desk only, audited. An entry is removed when it is booked (POST /api/appointments with waitlistId, same transaction) or withdrawn.';
COMMENT ON COLUMN waitlist_entries.waitlist_id IS 'Identity; the waitlistId of offers and bookings.';
COMMENT ON COLUMN waitlist_entries.patient_id IS 'The waiting patient.';
COMMENT ON COLUMN waitlist_entries.provider_id IS 'The provider wanted; NULL when any provider of the specialty will do.';
COMMENT ON COLUMN waitlist_entries.specialty IS 'The specialty wanted (matched case-insensitively); NULL when a provider is named.';
COMMENT ON COLUMN waitlist_entries.earliest IS 'The earliest acceptable start.';
COMMENT ON COLUMN waitlist_entries.latest IS 'The latest acceptable end.';
COMMENT ON COLUMN waitlist_entries.duration_min IS 'Minutes the appointment needs (5-480).';
COMMENT ON COLUMN waitlist_entries.note IS 'Optional note for the desk (at most 500 characters; no clinical detail).';
COMMENT ON COLUMN waitlist_entries.created_by IS 'staff_users.user_id of the desk clerk who added it (derived, never written).';
COMMENT ON COLUMN waitlist_entries.created_at IS 'Waiting since: offers list candidates longest-waiting first.';

-- ===== Views =======================================================================

-- owner: clinicpulse_owner
CREATE VIEW appointment_event_feed WITH (security_invoker=true) AS
 SELECT b.first_event_id + e.ordinal - 1 AS event_id,
    e.appointment_id,
    e.kind,
    e.provider_id,
    e.day,
    e.prev_provider_id,
    e.prev_day,
    e.days,
    e.occurred_at,
    b.committed_at,
    e.txid
   FROM appointment_event_batches b
     JOIN appointment_events e ON e.txid = b.txid
  WHERE b.first_event_id IS NOT NULL;
GRANT SELECT ON TABLE appointment_event_feed TO clinicpulse_backup;
GRANT SELECT (event_id) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (appointment_id) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (kind) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (provider_id) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (day) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (prev_provider_id) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (prev_day) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (days) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (occurred_at) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (committed_at) ON TABLE appointment_event_feed TO clinicpulse_realtime;
GRANT SELECT (txid) ON TABLE appointment_event_feed TO clinicpulse_realtime;
COMMENT ON VIEW appointment_event_feed IS 'Committed outbox events with their event_id (the cursor clients keep), in no particular order; order by event_id.';
COMMENT ON COLUMN appointment_event_feed.event_id IS 'Commit-ordered event id: batch.first_event_id + ordinal - 1; the cursor clients keep.';
COMMENT ON COLUMN appointment_event_feed.appointment_id IS 'The appointment that changed.';
COMMENT ON COLUMN appointment_event_feed.kind IS 'booked, rescheduled, checked_in, cancelled, no_show, completed or patient_updated.';
COMMENT ON COLUMN appointment_event_feed.provider_id IS 'The appointment''s provider after the change.';
COMMENT ON COLUMN appointment_event_feed.day IS 'The clinic-local day after the change.';
COMMENT ON COLUMN appointment_event_feed.prev_provider_id IS 'The old provider after a move (NULL otherwise).';
COMMENT ON COLUMN appointment_event_feed.prev_day IS 'The old clinic-local day after a move (NULL otherwise).';
COMMENT ON COLUMN appointment_event_feed.days IS 'Every clinic-local day the change touches.';
COMMENT ON COLUMN appointment_event_feed.occurred_at IS 'When the changing statement started.';
COMMENT ON COLUMN appointment_event_feed.committed_at IS 'When the batch was sealed, just before commit.';
COMMENT ON COLUMN appointment_event_feed.txid IS 'The writing transaction.';

-- owner: clinicpulse_owner
CREATE VIEW billing_charges WITH (security_invoker=true) AS
 SELECT c.charge_id,
    c.visit_id,
    c.patient_id,
    p.name AS patient_name,
    p.dob AS patient_dob,
    c.provider_id,
    pr.name AS provider_name,
    c.service_date,
    c.amount_cents,
    c.currency,
    c.status,
    c.payer,
    c.created_at,
    c.updated_at
   FROM charges c
     JOIN patients p ON p.patient_id = c.patient_id
     JOIN providers pr ON pr.provider_id = c.provider_id;
GRANT SELECT ON TABLE billing_charges TO clinicpulse_backup;
GRANT SELECT (charge_id) ON TABLE billing_charges TO billing;
GRANT SELECT (visit_id) ON TABLE billing_charges TO billing;
GRANT SELECT (patient_id) ON TABLE billing_charges TO billing;
GRANT SELECT (patient_name) ON TABLE billing_charges TO billing;
GRANT SELECT (patient_dob) ON TABLE billing_charges TO billing;
GRANT SELECT (provider_id) ON TABLE billing_charges TO billing;
GRANT SELECT (provider_name) ON TABLE billing_charges TO billing;
GRANT SELECT (service_date) ON TABLE billing_charges TO billing;
GRANT SELECT (amount_cents) ON TABLE billing_charges TO billing;
GRANT SELECT (currency) ON TABLE billing_charges TO billing;
GRANT SELECT (status) ON TABLE billing_charges TO billing;
GRANT SELECT (payer) ON TABLE billing_charges TO billing;
GRANT SELECT (created_at) ON TABLE billing_charges TO billing;
GRANT SELECT (updated_at) ON TABLE billing_charges TO billing;
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

-- owner: clinicpulse_owner
CREATE VIEW patient_summary WITH (security_invoker=true) AS
 SELECT patients.patient_id,
    patients.name,
    EXTRACT(year FROM patients.dob)::integer AS birth_year,
    patients.email_masked,
    patients.phone_last4,
    patients.created_at
   FROM patients;
GRANT SELECT ON TABLE patient_summary TO clinicpulse_backup;
GRANT SELECT (patient_id) ON TABLE patient_summary TO front_desk;
GRANT SELECT (name) ON TABLE patient_summary TO front_desk;
GRANT SELECT (birth_year) ON TABLE patient_summary TO front_desk;
GRANT SELECT (email_masked) ON TABLE patient_summary TO front_desk;
GRANT SELECT (phone_last4) ON TABLE patient_summary TO front_desk;
GRANT SELECT (created_at) ON TABLE patient_summary TO front_desk;
COMMENT ON VIEW patient_summary IS 'What scheduling staff need to recognise and reach a patient, without full contact details. security_invoker: RLS on patients applies to the reader.';
COMMENT ON COLUMN patient_summary.patient_id IS 'The patient.';
COMMENT ON COLUMN patient_summary.name IS 'The patient''s name.';
COMMENT ON COLUMN patient_summary.birth_year IS 'Year of birth only.';
COMMENT ON COLUMN patient_summary.email_masked IS 'First character of the email, then ***@ and the domain; null without an email.';
COMMENT ON COLUMN patient_summary.phone_last4 IS 'The last four digits of the phone number after ***-; null without a phone.';
COMMENT ON COLUMN patient_summary.created_at IS 'When the patient record was created.';

-- owner: clinicpulse_owner
CREATE VIEW provider_monthly_volume WITH (security_barrier=true, security_invoker=true) AS
 SELECT s.provider_id,
    p.name AS provider_name,
    s.month,
    s.total - s.cancelled AS appointments
   FROM appointment_monthly_stats s
     JOIN providers p USING (provider_id)
  WHERE (s.total - s.cancelled) > 0;
GRANT SELECT ON TABLE provider_monthly_volume TO clinicpulse_backup;
GRANT SELECT (provider_id) ON TABLE provider_monthly_volume TO manager;
GRANT SELECT (provider_name) ON TABLE provider_monthly_volume TO manager;
GRANT SELECT (month) ON TABLE provider_monthly_volume TO manager;
GRANT SELECT (appointments) ON TABLE provider_monthly_volume TO manager;
COMMENT ON VIEW provider_monthly_volume IS 'Appointment volume per provider per clinic-local month: appointments that were not cancelled (scheduled, checked in, completed or no-show). Months with none are absent. Reads the maintained counters, so it is fast at any size.';
COMMENT ON COLUMN provider_monthly_volume.provider_id IS 'The provider.';
COMMENT ON COLUMN provider_monthly_volume.provider_name IS 'The provider''s display name.';
COMMENT ON COLUMN provider_monthly_volume.month IS 'First day of the clinic-local month.';
COMMENT ON COLUMN provider_monthly_volume.appointments IS 'Appointments in the month that were not cancelled.';

-- owner: clinicpulse_owner
CREATE VIEW provider_no_show_rate WITH (security_barrier=true, security_invoker=true) AS
 SELECT s.provider_id,
    p.name AS provider_name,
    s.month,
    s.completed,
    s.no_show AS no_shows,
        CASE
            WHEN (s.completed + s.no_show) = 0 THEN NULL::numeric
            ELSE round(s.no_show::numeric / (s.completed + s.no_show)::numeric, 4)
        END AS rate
   FROM appointment_monthly_stats s
     JOIN providers p USING (provider_id)
  WHERE (s.completed + s.no_show) > 0;
GRANT SELECT ON TABLE provider_no_show_rate TO clinicpulse_backup;
GRANT SELECT (provider_id) ON TABLE provider_no_show_rate TO manager;
GRANT SELECT (provider_name) ON TABLE provider_no_show_rate TO manager;
GRANT SELECT (month) ON TABLE provider_no_show_rate TO manager;
GRANT SELECT (completed) ON TABLE provider_no_show_rate TO manager;
GRANT SELECT (no_shows) ON TABLE provider_no_show_rate TO manager;
GRANT SELECT (rate) ON TABLE provider_no_show_rate TO manager;
COMMENT ON VIEW provider_no_show_rate IS 'No-show rate per provider per clinic-local month = no_shows / (completed + no_shows): only appointments whose outcome is known count, so future and cancelled appointments do not dilute it. Months with neither are absent. Reads the maintained counters.';
COMMENT ON COLUMN provider_no_show_rate.provider_id IS 'The provider.';
COMMENT ON COLUMN provider_no_show_rate.provider_name IS 'The provider''s display name.';
COMMENT ON COLUMN provider_no_show_rate.month IS 'First day of the clinic-local month.';
COMMENT ON COLUMN provider_no_show_rate.completed IS 'Completed appointments in the month.';
COMMENT ON COLUMN provider_no_show_rate.no_shows IS 'No-show appointments in the month.';
COMMENT ON COLUMN provider_no_show_rate.rate IS 'no_shows / (completed + no_shows), rounded to 4 decimal places; between 0 and 1.';

-- owner: clinicpulse_owner
CREATE VIEW provider_utilisation WITH (security_invoker=true) AS
 SELECT b.provider_id,
    p.name AS provider_name,
    b.month,
    b.booked_minutes,
    w.working_minutes,
        CASE
            WHEN w.working_minutes > 0 THEN round(b.booked_minutes::numeric / w.working_minutes::numeric, 4)
            ELSE NULL::numeric
        END AS utilisation
   FROM appointment_monthly_minutes b
     JOIN providers p ON p.provider_id = b.provider_id
     CROSS JOIN LATERAL ( SELECT sum(EXTRACT(epoch FROM h.ends_at - h.starts_at) / 60::numeric)::integer AS working_minutes
           FROM generate_series(b.month::timestamp with time zone, (b.month + '1 mon'::interval - '1 day'::interval)::date::timestamp with time zone, '1 day'::interval) d(day)
             JOIN provider_working_hours h ON h.provider_id = b.provider_id AND h.iso_weekday::numeric = EXTRACT(isodow FROM d.day)) w
  WHERE b.booked_minutes > 0;
GRANT SELECT ON TABLE provider_utilisation TO clinicpulse_backup;
GRANT SELECT (provider_id) ON TABLE provider_utilisation TO manager;
GRANT SELECT (provider_name) ON TABLE provider_utilisation TO manager;
GRANT SELECT (month) ON TABLE provider_utilisation TO manager;
GRANT SELECT (booked_minutes) ON TABLE provider_utilisation TO manager;
GRANT SELECT (working_minutes) ON TABLE provider_utilisation TO manager;
GRANT SELECT (utilisation) ON TABLE provider_utilisation TO manager;
COMMENT ON VIEW provider_utilisation IS 'Per provider and clinic-local month: booked minutes (not cancelled) vs. working minutes from provider_working_hours (holidays not subtracted). Aggregates only, with the reader''s rights (security_invoker).';
COMMENT ON COLUMN provider_utilisation.provider_id IS 'The provider.';
COMMENT ON COLUMN provider_utilisation.provider_name IS 'The provider''s name.';
COMMENT ON COLUMN provider_utilisation.month IS 'First day of the clinic-local month.';
COMMENT ON COLUMN provider_utilisation.booked_minutes IS 'Sum of duration_min of the month''s appointments that are not cancelled.';
COMMENT ON COLUMN provider_utilisation.working_minutes IS 'Working minutes in the month by provider_working_hours; NULL when none are recorded.';
COMMENT ON COLUMN provider_utilisation.utilisation IS 'booked_minutes / working_minutes, 4 decimals; NULL without working hours.';

-- owner: clinicpulse_owner
CREATE VIEW upcoming_appointments WITH (security_invoker=true) AS
 SELECT a.appointment_id,
    a.scheduled_at,
    a.duration_min,
    a.status,
    (a.scheduled_at AT TIME ZONE (( SELECT clinic_time_zone() AS clinic_time_zone)))::date AS clinic_date,
    a.provider_id,
    pr.name AS provider_name,
    a.patient_id,
    pt.name AS patient_name
   FROM appointments a
     JOIN providers pr ON pr.provider_id = a.provider_id
     JOIN patients pt ON pt.patient_id = a.patient_id
  WHERE (a.status = ANY (ARRAY['scheduled'::text, 'checked_in'::text])) AND a.scheduled_at >= now();
GRANT SELECT ON TABLE upcoming_appointments TO clinicpulse_backup;
GRANT SELECT (appointment_id) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (appointment_id) ON TABLE upcoming_appointments TO front_desk;
GRANT SELECT (scheduled_at) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (scheduled_at) ON TABLE upcoming_appointments TO front_desk;
GRANT SELECT (duration_min) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (duration_min) ON TABLE upcoming_appointments TO front_desk;
GRANT SELECT (status) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (status) ON TABLE upcoming_appointments TO front_desk;
GRANT SELECT (clinic_date) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (clinic_date) ON TABLE upcoming_appointments TO front_desk;
GRANT SELECT (provider_id) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (provider_id) ON TABLE upcoming_appointments TO front_desk;
GRANT SELECT (provider_name) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (provider_name) ON TABLE upcoming_appointments TO front_desk;
GRANT SELECT (patient_id) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (patient_id) ON TABLE upcoming_appointments TO front_desk;
GRANT SELECT (patient_name) ON TABLE upcoming_appointments TO clinician;
GRANT SELECT (patient_name) ON TABLE upcoming_appointments TO front_desk;
COMMENT ON VIEW upcoming_appointments IS 'Scheduled or checked-in appointments starting now or later, with provider and patient names. Runs with the caller''s privileges (security_invoker), so row-level security on the underlying tables applies.';
COMMENT ON COLUMN upcoming_appointments.appointment_id IS 'The appointment.';
COMMENT ON COLUMN upcoming_appointments.scheduled_at IS 'Start instant.';
COMMENT ON COLUMN upcoming_appointments.duration_min IS 'Length in minutes.';
COMMENT ON COLUMN upcoming_appointments.status IS 'scheduled or checked_in.';
COMMENT ON COLUMN upcoming_appointments.clinic_date IS 'The clinic-local date the appointment starts on.';
COMMENT ON COLUMN upcoming_appointments.provider_id IS 'The provider.';
COMMENT ON COLUMN upcoming_appointments.provider_name IS 'The provider''s display name.';
COMMENT ON COLUMN upcoming_appointments.patient_id IS 'The patient.';
COMMENT ON COLUMN upcoming_appointments.patient_name IS 'The patient''s name.';

-- ===== Sequences ===================================================================

CREATE SEQUENCE appointment_event_id_seq AS bigint START 1 INCREMENT 1;
GRANT SELECT ON SEQUENCE appointment_event_id_seq TO clinicpulse_backup;
COMMENT ON SEQUENCE appointment_event_id_seq IS 'Event ids, drawn only by appointment_events_seal under the outbox advisory lock.';

CREATE SEQUENCE appointment_freed_slots_freed_id_seq AS bigint START 1 INCREMENT 1; -- owned by appointment_freed_slots.freed_id
GRANT SELECT ON SEQUENCE appointment_freed_slots_freed_id_seq TO clinicpulse_backup;

CREATE SEQUENCE appointment_series_series_id_seq AS integer START 1 INCREMENT 1; -- owned by appointment_series.series_id
GRANT SELECT ON SEQUENCE appointment_series_series_id_seq TO clinicpulse_backup;

CREATE SEQUENCE appointments_appointment_id_seq AS integer START 1 INCREMENT 1; -- owned by appointments.appointment_id
GRANT SELECT ON SEQUENCE appointments_appointment_id_seq TO clinicpulse_backup;

CREATE SEQUENCE audit_log_audit_id_seq AS bigint START 1 INCREMENT 1; -- owned by audit_log.audit_id
GRANT SELECT ON SEQUENCE audit_log_audit_id_seq TO clinicpulse_backup;

CREATE SEQUENCE break_glass_grants_grant_id_seq AS integer START 1 INCREMENT 1; -- owned by break_glass_grants.grant_id
GRANT SELECT ON SEQUENCE break_glass_grants_grant_id_seq TO clinicpulse_backup;

CREATE SEQUENCE charges_charge_id_seq AS integer START 1 INCREMENT 1; -- owned by charges.charge_id
GRANT SELECT ON SEQUENCE charges_charge_id_seq TO clinicpulse_backup;

CREATE SEQUENCE diagnoses_diagnosis_id_seq AS integer START 1 INCREMENT 1; -- owned by diagnoses.diagnosis_id
GRANT SELECT ON SEQUENCE diagnoses_diagnosis_id_seq TO clinicpulse_backup;

CREATE SEQUENCE erasures_erasure_id_seq AS integer START 1 INCREMENT 1; -- owned by erasures.erasure_id
GRANT SELECT ON SEQUENCE erasures_erasure_id_seq TO clinicpulse_backup;

CREATE SEQUENCE medications_medication_id_seq AS integer START 1 INCREMENT 1; -- owned by medications.medication_id
GRANT SELECT ON SEQUENCE medications_medication_id_seq TO clinicpulse_backup;

CREATE SEQUENCE patients_patient_id_seq AS integer START 1 INCREMENT 1; -- owned by patients.patient_id
GRANT SELECT ON SEQUENCE patients_patient_id_seq TO clinicpulse_backup;

CREATE SEQUENCE prescriptions_prescription_id_seq AS integer START 1 INCREMENT 1; -- owned by prescriptions.prescription_id
GRANT SELECT ON SEQUENCE prescriptions_prescription_id_seq TO clinicpulse_backup;

CREATE SEQUENCE provider_time_off_time_off_id_seq AS integer START 1 INCREMENT 1; -- owned by provider_time_off.time_off_id
GRANT SELECT ON SEQUENCE provider_time_off_time_off_id_seq TO clinicpulse_backup;

CREATE SEQUENCE providers_provider_id_seq AS integer START 1 INCREMENT 1; -- owned by providers.provider_id
GRANT SELECT ON SEQUENCE providers_provider_id_seq TO clinicpulse_backup;

CREATE SEQUENCE staff_users_user_id_seq AS integer START 1 INCREMENT 1; -- owned by staff_users.user_id
GRANT SELECT ON SEQUENCE staff_users_user_id_seq TO clinicpulse_backup;

CREATE SEQUENCE visits_visit_id_seq AS integer START 1 INCREMENT 1; -- owned by visits.visit_id
GRANT SELECT ON SEQUENCE visits_visit_id_seq TO clinicpulse_backup;

CREATE SEQUENCE waitlist_entries_waitlist_id_seq AS integer START 1 INCREMENT 1; -- owned by waitlist_entries.waitlist_id
GRANT SELECT ON SEQUENCE waitlist_entries_waitlist_id_seq TO clinicpulse_backup;

-- ===== Functions ===================================================================

-- owner: clinicpulse_owner
CREATE FUNCTION acting_staff(OUT user_id integer, OUT role text, OUT provider_id integer)
 RETURNS record
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT s.user_id, x.r, s.provider_id
  FROM (SELECT current_setting('role') AS r) x
  CROSS JOIN LATERAL staff_identity(app_user_id_setting(), x.r) s
  WHERE x.r IN ('front_desk','clinician','billing','manager','compliance')
$function$;
COMMENT ON FUNCTION acting_staff() IS 'The valid acting staff member (user, role, provider) for security-definer callers; no row when the identity is missing, forged or deactivated. Not granted to anyone.';

-- owner: clinicpulse_owner
CREATE FUNCTION app_user_id_setting()
 RETURNS integer
 LANGUAGE sql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  SELECT CASE WHEN s ~ '^[1-9][0-9]{0,8}$' THEN s::integer END
  FROM (SELECT current_setting('app.user_id', true) AS s) x
$function$;
GRANT EXECUTE ON FUNCTION app_user_id_setting() TO billing;
GRANT EXECUTE ON FUNCTION app_user_id_setting() TO clinician;
GRANT EXECUTE ON FUNCTION app_user_id_setting() TO compliance;
GRANT EXECUTE ON FUNCTION app_user_id_setting() TO front_desk;
GRANT EXECUTE ON FUNCTION app_user_id_setting() TO manager;
COMMENT ON FUNCTION app_user_id_setting() IS 'The transaction-local setting app.user_id as an integer; NULL when missing, empty or not a number (never an error).';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_events_batch_grow(p_added integer)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  INSERT INTO appointment_event_batches (txid, event_count) VALUES (pg_current_xact_id(), p_added)
  ON CONFLICT (txid) DO UPDATE SET event_count = appointment_event_batches.event_count + excluded.event_count
$function$;
COMMENT ON FUNCTION appointment_events_batch_grow(integer) IS 'Adds to the current transaction''s outbox batch, creating it (which queues the deferred seal) on first use.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_events_batch_open()
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  base integer;
  sealed bigint;
BEGIN
  SELECT event_count, first_event_id INTO base, sealed FROM appointment_event_batches WHERE txid = pg_current_xact_id();
  IF sealed IS NOT NULL THEN
    RAISE EXCEPTION 'appointments changed after this transaction''s outbox batch was sealed'
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'appointment_events_sealed';
  END IF;
  RETURN coalesce(base, 0);
END $function$;
COMMENT ON FUNCTION appointment_events_batch_open() IS 'The number of outbox events the current transaction has recorded (0 if none); refuses (appointment_events_sealed) once its batch is sealed.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_events_patients_record()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows nw JOIN old_rows o ON o.patient_id = nw.patient_id
                 WHERE nw.name IS DISTINCT FROM o.name) THEN
    RETURN NULL;
  END IF;
  PERFORM appointment_events_batch_open();
  INSERT INTO appointment_event_patients (txid, patient_id, changed_at)
  SELECT pg_current_xact_id(), nw.patient_id, statement_timestamp()
  FROM new_rows nw JOIN old_rows o ON o.patient_id = nw.patient_id
  WHERE nw.name IS DISTINCT FROM o.name
  ON CONFLICT (txid, patient_id) DO NOTHING;
  PERFORM appointment_events_batch_grow(0);
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_events_patients_record() IS 'Statement-level trigger on patients: notes the patients whose name changed in appointment_event_patients and opens the outbox batch; the seal expands them into patient_updated events.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_events_record()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  tz text := clinic_time_zone();
  cur xid8 := pg_current_xact_id();
  base integer;
  sealed bigint;
  n integer;
BEGIN
  SELECT event_count, first_event_id INTO base, sealed FROM appointment_event_batches WHERE txid = cur;
  IF sealed IS NOT NULL THEN
    -- Only after SET CONSTRAINTS ... IMMEDIATE: the batch already has its ids.
    RAISE EXCEPTION 'appointments changed after this transaction''s outbox batch was sealed'
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'appointment_events_sealed';
  END IF;
  base := coalesce(base, 0);
  IF TG_OP = 'INSERT' THEN
    INSERT INTO appointment_events (txid, ordinal, appointment_id, kind, provider_id, day, days, occurred_at)
    SELECT cur, base + row_number() OVER (ORDER BY r.appointment_id), r.appointment_id, 'booked', r.provider_id,
           r.d, ARRAY[r.d], statement_timestamp()
    FROM (SELECT appointment_id, provider_id, (scheduled_at AT TIME ZONE tz)::date AS d FROM new_rows) r;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO appointment_events (txid, ordinal, appointment_id, kind, provider_id, day, prev_provider_id, prev_day,
                                    days, occurred_at)
    SELECT cur, base + row_number() OVER (ORDER BY c.appointment_id), c.appointment_id,
           CASE WHEN c.new_status IS DISTINCT FROM c.old_status AND c.new_status <> 'scheduled' THEN c.new_status
                ELSE 'rescheduled' END,
           c.provider_id, c.nd,
           CASE WHEN c.moved THEN c.old_provider_id END, CASE WHEN c.moved THEN c.od END,
           CASE WHEN c.od = c.nd THEN ARRAY[c.nd] ELSE ARRAY[c.od, c.nd] END,
           statement_timestamp()
    FROM (
      SELECT n.appointment_id, n.status AS new_status, o.status AS old_status, n.provider_id, o.provider_id AS old_provider_id,
             (n.scheduled_at AT TIME ZONE tz)::date AS nd, (o.scheduled_at AT TIME ZONE tz)::date AS od,
             (n.provider_id, (n.scheduled_at AT TIME ZONE tz)::date) IS DISTINCT FROM
               (o.provider_id, (o.scheduled_at AT TIME ZONE tz)::date) AS moved
      FROM new_rows n JOIN old_rows o ON o.appointment_id = n.appointment_id
      WHERE n.status IS DISTINCT FROM o.status
         OR (n.scheduled_at, n.duration_min, n.provider_id) IS DISTINCT FROM (o.scheduled_at, o.duration_min, o.provider_id)
    ) c;
  ELSE
    -- A deleted appointment leaves every screen that showed it, like a cancellation.
    INSERT INTO appointment_events (txid, ordinal, appointment_id, kind, provider_id, day, days, occurred_at)
    SELECT cur, base + row_number() OVER (ORDER BY r.appointment_id), r.appointment_id, 'cancelled', r.provider_id,
           r.d, ARRAY[r.d], statement_timestamp()
    FROM (SELECT appointment_id, provider_id, (scheduled_at AT TIME ZONE tz)::date AS d FROM old_rows) r;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    -- The first insert of the transaction queues the deferred seal (below); later ones only count.
    INSERT INTO appointment_event_batches (txid, event_count) VALUES (cur, n)
    ON CONFLICT (txid) DO UPDATE SET event_count = appointment_event_batches.event_count + excluded.event_count;
  END IF;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_events_record() IS 'Statement-level trigger on appointments: records the statement''s changes in appointment_events with one INSERT ... SELECT from the transition tables.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_events_seal()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  n integer;
  added integer := 0;
  first bigint;
  tz text;
BEGIN
  -- Held until after this commit is visible (locks are released after the commit is
  -- recorded and published), so the next sealer's ids are both higher and visible later.
  PERFORM pg_advisory_xact_lock(7340030);
  SELECT event_count INTO n FROM appointment_event_batches WHERE txid = NEW.txid AND first_event_id IS NULL;
  IF n IS NULL THEN
    RETURN NULL;
  END IF;
  -- Renamed patients: one event per appointment that a screen may show, read now. In READ
  -- COMMITTED this statement's snapshot is taken after the lock was granted, so it sees every
  -- appointment change numbered before this batch (see the header of this migration).
  -- Guarded, so a commit that renamed nobody pays one index probe under the lock, not two statements.
  IF EXISTS (SELECT 1 FROM appointment_event_patients WHERE txid = NEW.txid) THEN
    tz := clinic_time_zone();
    INSERT INTO appointment_events (txid, ordinal, appointment_id, kind, provider_id, day, days, occurred_at)
    SELECT NEW.txid, n + row_number() OVER (ORDER BY x.appointment_id), x.appointment_id, 'patient_updated',
           x.provider_id, x.d, ARRAY[x.d], x.changed_at
    FROM (SELECT a.appointment_id, a.provider_id, (a.scheduled_at AT TIME ZONE tz)::date AS d, c.changed_at
          FROM appointment_event_patients c JOIN appointments a ON a.patient_id = c.patient_id
          WHERE c.txid = NEW.txid AND a.status <> 'cancelled') x;
    GET DIAGNOSTICS added = ROW_COUNT;
    DELETE FROM appointment_event_patients WHERE txid = NEW.txid;
  END IF;
  n := n + added;
  IF n = 0 THEN
    -- Only patients without appointments were renamed: nothing to number or announce.
    DELETE FROM appointment_event_batches WHERE txid = NEW.txid;
    RETURN NULL;
  END IF;
  first := nextval('appointment_event_id_seq');
  IF n > 1 THEN
    -- Only sealers (under the lock) draw from this sequence, so the block is contiguous.
    PERFORM setval('appointment_event_id_seq', first + n - 1);
  END IF;
  UPDATE appointment_event_batches
     SET event_count = n, first_event_id = first, last_event_id = first + n - 1, committed_at = clock_timestamp()
   WHERE txid = NEW.txid;
  -- Ids only: every listener on the database can read a NOTIFY payload.
  PERFORM pg_notify('appointment_events', (first + n - 1)::text);
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_events_seal() IS 'Deferred constraint trigger: at COMMIT, under an advisory lock, expands renamed patients into patient_updated events, assigns the transaction''s block of event ids and NOTIFYs appointment_events with the last id.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_freed_slots_record()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO appointment_freed_slots (txid, appointment_id, provider_id, freed)
    SELECT pg_current_xact_id(), o.appointment_id, o.provider_id, appointment_slot(o.scheduled_at, o.duration_min)
    FROM old_rows o
    WHERE o.status IN ('scheduled','checked_in') AND o.scheduled_at > now()
    ORDER BY o.appointment_id;
    RETURN NULL;
  END IF;
  INSERT INTO appointment_freed_slots (txid, appointment_id, provider_id, freed)
  SELECT pg_current_xact_id(), c.appointment_id, c.provider_id, c.freed
  FROM (
    SELECT o.appointment_id, o.provider_id,
           CASE
             WHEN n.status = 'cancelled' THEN appointment_slot(o.scheduled_at, o.duration_min)
             WHEN n.status <> 'scheduled' THEN NULL
             WHEN n.provider_id <> o.provider_id
               OR NOT (appointment_slot(n.scheduled_at, n.duration_min) && appointment_slot(o.scheduled_at, o.duration_min))
               THEN appointment_slot(o.scheduled_at, o.duration_min)
             WHEN n.scheduled_at > o.scheduled_at THEN tstzrange(o.scheduled_at, n.scheduled_at, '[)')
             WHEN upper(appointment_slot(n.scheduled_at, n.duration_min)) < upper(appointment_slot(o.scheduled_at, o.duration_min))
               THEN tstzrange(upper(appointment_slot(n.scheduled_at, n.duration_min)), upper(appointment_slot(o.scheduled_at, o.duration_min)), '[)')
           END AS freed
    FROM old_rows o JOIN new_rows n ON n.appointment_id = o.appointment_id
    WHERE o.status IN ('scheduled','checked_in')
      AND (n.status, n.scheduled_at, n.duration_min, n.provider_id) IS DISTINCT FROM (o.status, o.scheduled_at, o.duration_min, o.provider_id)
  ) c
  WHERE c.freed IS NOT NULL AND lower(c.freed) > now()
  ORDER BY c.appointment_id;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_freed_slots_record() IS 'Statement-level trigger on appointments: records the future time each cancellation, move or shortening gives back (appointment_freed_slots), for waitlist offers.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_minutes_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO appointment_monthly_minutes AS t (provider_id, month, booked_minutes)
  SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE clinic_time_zone())::date, -sum(duration_min)
  FROM old_rows WHERE status <> 'cancelled' GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (provider_id, month) DO UPDATE SET booked_minutes = t.booked_minutes + excluded.booked_minutes;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_minutes_delete() IS 'Statement-level: subtracts deleted booked minutes from appointment_monthly_minutes.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_minutes_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO appointment_monthly_minutes AS t (provider_id, month, booked_minutes)
  SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE clinic_time_zone())::date, sum(duration_min)
  FROM new_rows WHERE status <> 'cancelled' GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (provider_id, month) DO UPDATE SET booked_minutes = t.booked_minutes + excluded.booked_minutes;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_minutes_insert() IS 'Statement-level: adds inserted booked minutes to appointment_monthly_minutes.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_minutes_rebuild()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  LOCK TABLE appointments IN SHARE MODE;
  DELETE FROM appointment_monthly_minutes;
  IF TG_OP <> 'TRUNCATE' THEN
    INSERT INTO appointment_monthly_minutes (provider_id, month, booked_minutes)
    SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE (SELECT time_zone FROM clinic_settings))::date, sum(duration_min)
    FROM appointments WHERE status <> 'cancelled' GROUP BY 1, 2;
  END IF;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_minutes_rebuild() IS 'Recounts appointment_monthly_minutes (after a time-zone change) or empties it (after TRUNCATE appointments).';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_minutes_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION appointment_minutes_update() IS 'Statement-level: applies the booked-minute changes of an UPDATE (reschedule, cancel, duration) to appointment_monthly_minutes.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_slot(starts timestamp with time zone, minutes integer)
 RETURNS tstzrange
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ SELECT pg_catalog.tstzrange(starts,
         ((starts AT TIME ZONE 'UTC') OPERATOR(pg_catalog.+) pg_catalog.make_interval(mins => minutes)) AT TIME ZONE 'UTC',
         '[)') $function$;
GRANT EXECUTE ON FUNCTION appointment_slot(timestamp with time zone,integer) TO billing;
GRANT EXECUTE ON FUNCTION appointment_slot(timestamp with time zone,integer) TO clinician;
GRANT EXECUTE ON FUNCTION appointment_slot(timestamp with time zone,integer) TO compliance;
GRANT EXECUTE ON FUNCTION appointment_slot(timestamp with time zone,integer) TO front_desk;
GRANT EXECUTE ON FUNCTION appointment_slot(timestamp with time zone,integer) TO manager;
COMMENT ON FUNCTION appointment_slot(timestamp with time zone,integer) IS 'The half-open range [starts, starts + minutes) an appointment occupies; inlinable (no SET clause, schema-qualified) because the exclusion constraints evaluate it for every row written.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_stats_apply()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  tz text := clinic_time_zone();
  deltas appointment_stats_delta[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    deltas := ARRAY(SELECT ROW(d.provider_id, d.m, d.status, d.n)::appointment_stats_delta
                    FROM (SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date AS m, status, count(*) AS n
                          FROM new_rows GROUP BY provider_id, m, status) d);
  ELSIF TG_OP = 'DELETE' THEN
    deltas := ARRAY(SELECT ROW(d.provider_id, d.m, d.status, -d.n)::appointment_stats_delta
                    FROM (SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date AS m, status, count(*) AS n
                          FROM old_rows GROUP BY provider_id, m, status) d);
  ELSE
    deltas := ARRAY(SELECT ROW(d.provider_id, d.m, d.status, d.n)::appointment_stats_delta
                    FROM (SELECT provider_id, m, status, sum(sign) AS n
                          FROM (SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date AS m, status, 1 AS sign
                                FROM new_rows
                                UNION ALL
                                SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date, status, -1
                                FROM old_rows) u
                          GROUP BY provider_id, m, status HAVING sum(sign) <> 0) d);
  END IF;
  IF cardinality(deltas) > 0 THEN
    PERFORM appointment_stats_merge(deltas);
  END IF;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_stats_apply() IS 'Statement trigger on appointments: turns the transition tables into per-(provider, clinic month, status) deltas and merges them into appointment_monthly_stats in the same transaction.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_stats_merge(deltas appointment_stats_delta[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN

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
END $function$;
COMMENT ON FUNCTION appointment_stats_merge(appointment_stats_delta[]) IS 'Adds deltas to appointment_monthly_stats, one write per key, keys locked in sorted order so concurrent bookings cannot deadlock on the counters.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_stats_rebuild()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION appointment_stats_rebuild() IS 'Recounts appointment_monthly_stats from the appointments rows (after a clinic time zone change), holding SHARE on appointments so in-flight writers finish first and new ones wait.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_stats_truncated()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  DELETE FROM appointment_monthly_stats;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointment_stats_truncated() IS 'After TRUNCATE of appointments (which fires no row or statement DML triggers): empties the monthly counters.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointment_status_history(p_appointment_id integer)
 RETURNS TABLE(event_id bigint, kind text, occurred_at timestamp with time zone, actor_username text, actor_role text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT f.event_id, f.kind, f.occurred_at, s.username, w.actor_role
    FROM (SELECT h.event_id, h.appointment_id, h.kind, h.occurred_at, h.txid
          FROM appointment_history h WHERE h.appointment_id = p_appointment_id
          UNION ALL
          SELECT l.event_id, l.appointment_id, l.kind, l.occurred_at, l.txid
          FROM appointment_event_feed l WHERE l.appointment_id = p_appointment_id AND l.kind <> 'patient_updated') f
    JOIN appointments ap ON ap.appointment_id = f.appointment_id
    LEFT JOIN LATERAL (
      -- The audit row of the same write: found through its patient (indexed), then the transaction.
      SELECT al.actor_user_id, al.actor_role FROM audit_log al
      WHERE al.patient_id = ap.patient_id AND al.table_name = 'appointments'
        AND al.row_key = f.appointment_id::text AND al.txid = (f.txid::text)::bigint
      ORDER BY al.audit_id LIMIT 1) w ON true
    LEFT JOIN staff_users s ON s.user_id = w.actor_user_id
    ORDER BY f.event_id
  $function$;
GRANT EXECUTE ON FUNCTION appointment_status_history(integer) TO front_desk;
COMMENT ON FUNCTION appointment_status_history(integer) IS 'An appointment''s changes (booked, rescheduled, checked_in, cancelled, no_show, completed) with when and which staff member, from the outbox, appointment_history (what pruning kept) and the audit log; for the front desk''s appointment panel. Complete from this migration on; changes pruned before it are gone.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointments_audit_exceptions()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM audit_append(lower(TG_OP), 'appointments', NEW.appointment_id::text, NEW.patient_id, 'info',
                       ARRAY['outside_hours_reason']);
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointments_audit_exceptions() IS 'Writes an audit row naming outside_hours_reason whenever an appointment is written with one.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointments_audit_overbook()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM audit_append(lower(TG_OP), 'appointments', NEW.appointment_id::text, NEW.patient_id, 'high', ARRAY['overbook_reason']);
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION appointments_audit_overbook() IS 'Writes a high-severity audit row naming overbook_reason whenever an overbook is written.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointments_audit_rows()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION appointments_audit_rows() IS 'Statement-level audit trigger of appointments: what audit_rows(''appointment_id'', ''r.patient_id'') writes (one audit row per written row: key, patient id, changed column names, the acting staff member), from static SQL so its plans are kept.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointments_desk_rules()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION appointments_desk_rules() IS 'Row trigger on appointments for staff writes (the trigger''s WHEN clause: the role in force is a staff role): no booking or move into the past, working hours and time off unless outside_hours_reason, no-show only after the start, check-in only on the clinic-local day. Administrators (seed, generator, fixtures) record history and are not bound.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointments_guard_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION appointments_guard_update() IS 'The appointment state machine: scheduled to checked_in to completed, scheduled or checked_in to cancelled, scheduled to no_show; final states stay final and only a scheduled appointment can move. SQLSTATE 23514 otherwise.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointments_overbook_rules()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE lim smallint;
BEGIN
  SELECT overbook_limit INTO lim FROM providers WHERE provider_id = NEW.provider_id;
  IF lim IS NOT NULL AND NEW.overbook_lane > lim THEN
    RAISE EXCEPTION 'provider % allows % overbook(s) at a time', NEW.provider_id, lim
      USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_overbook_limit',
            DETAIL = json_build_object('providerId', NEW.provider_id, 'limit', lim)::text;
  END IF;
  RETURN NEW;
END $function$;
COMMENT ON FUNCTION appointments_overbook_rules() IS 'Row trigger on appointments (overbooks only): the lane may not exceed the provider''s overbook_limit.';

-- owner: clinicpulse_owner
CREATE FUNCTION appointments_stamp_arrival()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  NEW.checked_in_at := now();
  RETURN NEW;
END $function$;
COMMENT ON FUNCTION appointments_stamp_arrival() IS 'Trigger: stamps appointments.checked_in_at when the status becomes checked_in.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_actor(OUT actor_user_id integer, OUT actor_role text)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
  r text := pg_catalog.current_setting('role');
BEGIN
  IF r = 'none' THEN r := session_user::text; END IF;
  actor_role := r;
  IF r IN ('front_desk', 'clinician', 'billing', 'manager', 'compliance') THEN
    actor_user_id := (SELECT s.user_id FROM public.staff_identity(public.app_user_id_setting(), r) s);
  END IF;
END $function$;
COMMENT ON FUNCTION audit_actor() IS 'The acting staff user and role as the audit log records them; meant for security-definer callers.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_append(p_action text, p_table text, p_row_key text, p_patient_id integer, p_severity text DEFAULT 'info'::text, p_changed_columns text[] DEFAULT NULL::text[])
 RETURNS bigint
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  INSERT INTO audit_log (actor_user_id, actor_role, action, severity, table_name, row_key, patient_id, changed_columns)
  SELECT a.actor_user_id, a.actor_role, p_action, coalesce(p_severity, 'info'), p_table, p_row_key, p_patient_id, p_changed_columns
  FROM audit_actor() a
  RETURNING audit_id
$function$;
COMMENT ON FUNCTION audit_append(text,text,text,integer,text,text[]) IS 'Appends one audit row for the current actor, any action. Owner-only: called by security-definer functions (erase_patient, audit_event).';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_append_autonomous(p_txid bigint, p_actor_user_id integer, p_actor_role text, p_action text, p_table text, p_row_key text, p_patient_id integer, p_severity text, p_patient_ids integer[])
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE id bigint;
BEGIN
  -- Writes, erasures and holds are recorded transactionally by the database itself, never here.
  IF p_action NOT IN ('read', 'break_glass') THEN
    RAISE EXCEPTION 'audit action % is not recorded autonomously', p_action
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_event_action_reserved';
  END IF;
  -- Reads commit without waiting for their WAL flush unless the deployment asks for it
  -- (clinicpulse.audit_reads_synchronous = on); break_glass always waits.
  IF p_action = 'read' AND NOT coalesce(nullif(current_setting('clinicpulse.audit_reads_synchronous', true), ''), 'off')::boolean THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  INSERT INTO audit_log (txid, actor_user_id, actor_role, action, severity, table_name, row_key, patient_id, patient_ids)
  VALUES (p_txid, p_actor_user_id, p_actor_role, p_action, coalesce(p_severity, 'info'), p_table, p_row_key,
          p_patient_id, p_patient_ids)
  RETURNING audit_id INTO id;
  RETURN id;
END $function$;
GRANT EXECUTE ON FUNCTION audit_append_autonomous(bigint,integer,text,text,text,text,integer,text,integer[]) TO clinicpulse_audit_writer;
COMMENT ON FUNCTION audit_append_autonomous(bigint,integer,text,text,text,text,integer,text,integer[]) IS 'The autonomous end of audit_append_durable: run by clinicpulse_audit_writer over dblink, in its own transaction; appends one read or break_glass row with the actor and txid the caller''s side derived. Read rows commit asynchronously (no wait for the WAL flush) unless clinicpulse.audit_reads_synchronous = on; break_glass rows always wait. Returns the audit_id.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_append_durable(p_action text, p_table text, p_row_key text, p_patient_id integer, p_severity text DEFAULT 'info'::text, p_patient_ids integer[] DEFAULT NULL::integer[])
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  conn constant text := 'clinicpulse_audit';
  who record;
  stmt text;
  id bigint;
BEGIN
  SELECT * INTO who FROM audit_actor();
  stmt := format('SELECT public.audit_append_autonomous(%s, %L, %L, %L, %L, %L, %L, %L, %L)',
                 txid_current(), who.actor_user_id, who.actor_role, p_action, p_table, p_row_key, p_patient_id,
                 p_severity, p_patient_ids);
  IF NOT (conn = ANY (coalesce(clinicpulse_link.dblink_get_connections(), '{}'))) THEN
    PERFORM clinicpulse_link.dblink_connect(conn, audit_link_conninfo());
  END IF;
  BEGIN
    SELECT t.id INTO id FROM clinicpulse_link.dblink(conn, stmt) AS t(id bigint);
  EXCEPTION WHEN connection_exception THEN
    -- The kept connection died (its backend was terminated, the server restarted): once more.
    PERFORM clinicpulse_link.dblink_disconnect(conn);
    PERFORM clinicpulse_link.dblink_connect(conn, audit_link_conninfo());
    SELECT t.id INTO id FROM clinicpulse_link.dblink(conn, stmt) AS t(id bigint);
  END;
  RETURN id;
END $function$;
COMMENT ON FUNCTION audit_append_durable(text,text,text,integer,text,integer[]) IS 'Appends one read or break_glass audit row for the acting staff member through a second connection (dblink, clinicpulse_audit_writer) that commits at once, so the row survives a rollback of the caller. Owner-only.';

-- owner: clinicpulse_owner
-- aggregate;
COMMENT ON FUNCTION audit_chain_fold(bytea,bytea) IS 'Running audit-chain hash over (prev, row_hash) rows: used OVER (ORDER BY …) to link a transaction''s rows in one statement.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_chain_link()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  prev record;
  last_id bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM audit_chain WHERE audit_id = NEW.audit_id) THEN
    RETURN NULL;
  END IF;
  -- Commit order: the outbox's commit lock, then the chain (see the header of 20261206000203).
  PERFORM pg_advisory_xact_lock(7340030);
  IF (SELECT xmin FROM audit_chain_head) <> pg_current_xact_id()::xid THEN
    UPDATE audit_chain_head SET last_txid = pg_current_xact_id(), linked_at = clock_timestamp();
  END IF;
  SELECT c.seq, c.chain_hash INTO prev FROM audit_chain c ORDER BY c.seq DESC LIMIT 1;
  -- Every row of this transaction has its id by now: the sequence's last value bounds them
  -- (never below this row, which is linked here whatever the sequence says).
  last_id := greatest(NEW.audit_id, pg_sequence_last_value('audit_log_audit_id_seq'::regclass));
  -- This transaction's rows: from this (its first) row on, written under its txid (an
  -- autonomous audit write carries its caller's txid; the caller's own rows are not visible
  -- to it yet), not linked yet. Rows of other transactions in the range are linked already.
  -- Both ends of the range are known, so even the generic plan is a primary-key range scan
  -- (open-ended, it was estimated at a third of the log and read all of it).
  INSERT INTO audit_chain (seq, audit_id, row_hash, chain_hash)
  SELECT coalesce(prev.seq, 0) + row_number() OVER w, x.audit_id, x.rh,
         audit_chain_fold(coalesce(prev.chain_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea), x.rh) OVER w
  FROM (SELECT a.audit_id, digest(jsonb_strip_nulls(to_jsonb(a))::text, 'sha256') AS rh
        FROM audit_log a
        WHERE a.audit_id BETWEEN NEW.audit_id AND last_id
          AND (a.txid = NEW.txid OR a.audit_id = NEW.audit_id)
          AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.audit_id)) x
  WINDOW w AS (ORDER BY x.audit_id);
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION audit_chain_link() IS 'Deferred constraint trigger on audit_log: at COMMIT, under the commit lock, appends the row''s link to audit_chain.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_chain_step(state bytea, prev bytea, row_hash bytea)
 RETURNS bytea
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT public.digest(coalesce(state, prev) || row_hash, 'sha256') $function$;
COMMENT ON FUNCTION audit_chain_step(bytea,bytea,bytea) IS 'SHA-256(coalesce(state, prev) || row_hash): one link of the audit chain.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_chain_verify(OUT intact boolean, OUT links bigint, OUT audit_rows bigint, OUT broken_seq bigint, OUT broken_audit_id bigint, OUT problem text, OUT head bytea)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
BEGIN
  SELECT count(*), (SELECT c.chain_hash FROM audit_chain c ORDER BY c.seq DESC LIMIT 1) INTO links, head FROM audit_chain;
  SELECT count(*) INTO audit_rows FROM audit_log;
  SELECT l.seq, l.audit_id, l.problem INTO broken_seq, broken_audit_id, problem
  FROM (
    SELECT c.seq, c.audit_id,
           CASE
             WHEN c.seq <> row_number() OVER w THEN 'a link is missing before this one (chain rows were deleted)'
             WHEN a.audit_id IS NULL THEN 'the audit row was deleted'
             WHEN digest(jsonb_strip_nulls(to_jsonb(a))::text, 'sha256') <> c.row_hash THEN 'the audit row was changed after it was written'
             WHEN c.chain_hash <> digest(coalesce(lag(c.chain_hash) OVER w, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea) || c.row_hash, 'sha256')
               THEN 'the link does not follow from the previous one (the chain was rewritten)'
           END AS problem
    FROM audit_chain c LEFT JOIN audit_log a ON a.audit_id = c.audit_id
    WINDOW w AS (ORDER BY c.seq)
  ) l
  WHERE l.problem IS NOT NULL
  ORDER BY l.seq LIMIT 1;
  IF broken_seq IS NULL THEN
    -- Rows with no link were inserted with the triggers switched off.
    SELECT a.audit_id INTO broken_audit_id FROM audit_log a
    WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.audit_id)
    ORDER BY a.audit_id LIMIT 1;
    IF broken_audit_id IS NOT NULL THEN
      problem := 'the audit row has no link (it was inserted with the triggers switched off)';
    END IF;
  END IF;
  intact := problem IS NULL;
END $function$;
COMMENT ON FUNCTION audit_chain_verify() IS 'Checks every link of audit_chain against audit_log: reports the first missing link, deleted or changed row, or rewritten link, then any unlinked row; with the count and the head hash. Run by npm run audit:verify (administrator).';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_event(p_action text, p_table text, p_row_key text, p_patient_id integer, p_severity text DEFAULT 'info'::text, p_changed_columns text[] DEFAULT NULL::text[])
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  IF p_action IN ('insert','update','delete','erase','erase_refused','legal_hold') OR p_changed_columns IS NOT NULL THEN
    RAISE EXCEPTION 'audit action % is recorded by the database itself', p_action
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_event_action_reserved';
  END IF;
  RETURN audit_append_durable(p_action, p_table, p_row_key, p_patient_id, p_severity);
END $function$;
COMMENT ON FUNCTION audit_event(text,text,text,integer,text,text[]) IS 'Records a read or break-glass for the acting staff member (derived here, never chosen by the caller), durably: the row survives a rollback of the caller. Callable only by the owner''s definer functions. Returns the audit_id.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_link_conninfo()
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT string_agg(format('%s=''%s''', o.k, replace(replace(o.v, '\', '\\'), '''', '\''')), ' ' ORDER BY o.ord)
  FROM (
    SELECT 1 AS ord, 'host' AS k, coalesce(host(inet_server_addr()),
                                           nullif(btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''),
                                           'localhost') AS v
    UNION ALL SELECT 2, 'port', current_setting('port')
    UNION ALL SELECT 3, 'dbname', current_database()
    UNION ALL SELECT 4, 'application_name', 'clinicpulse-audit-writer'
    UNION ALL SELECT 5, split_part(opt, '=', 1), substr(opt, strpos(opt, '=') + 1)
      FROM pg_foreign_server s, unnest(s.srvoptions) opt WHERE s.srvname = 'clinicpulse_audit_link'
    UNION ALL SELECT 6, split_part(opt, '=', 1), substr(opt, strpos(opt, '=') + 1)
      FROM pg_user_mappings m, unnest(m.umoptions) opt
      WHERE m.srvname = 'clinicpulse_audit_link' AND m.usename = 'clinicpulse_owner'
  ) o
$function$;
COMMENT ON FUNCTION audit_link_conninfo() IS 'libpq connection string of the autonomous audit writer (includes its password): owner-only, used by audit_append_durable.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_log_notify()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE n bigint; lo bigint; hi bigint;
BEGIN
  SELECT count(*), min(audit_id), max(audit_id) INTO n, lo, hi FROM new_rows;
  IF n > 1000 THEN
    PERFORM pg_notify('audit_events', lo::text || '-' || hi::text);
  ELSE
    PERFORM pg_notify('audit_events', r.audit_id::text) FROM new_rows r ORDER BY r.audit_id;
  END IF;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION audit_log_notify() IS 'NOTIFY audit_events with the audit_id (ids only) of every audit row, delivered on commit; one "<first>-<last>" range for a statement of more than 1000 rows.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_log_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_log_append_only';
END $function$;
COMMENT ON FUNCTION audit_log_refuse_change() IS 'Refuses UPDATE, DELETE and TRUNCATE on audit_log, whoever asks (the owner included).';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_read(p_table text, p_patient_ids integer[])
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE ids integer[];
BEGIN
  IF p_table IS NULL OR p_table NOT IN ('patients', 'appointments') THEN
    RAISE EXCEPTION 'audit_read records reads of patients or appointments'
      USING ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'audit_read_table';
  END IF;
  ids := ARRAY(SELECT DISTINCT i FROM unnest(p_patient_ids) i WHERE i IS NOT NULL ORDER BY i);
  IF cardinality(ids) = 0 THEN
    -- Nothing identifiable was returned: nothing to record.
    RETURN NULL;
  END IF;
  RETURN audit_append_durable('read', p_table, NULL, CASE WHEN cardinality(ids) = 1 THEN ids[1] END, 'info', ids);
END $function$;
GRANT EXECUTE ON FUNCTION audit_read(text,integer[]) TO billing;
GRANT EXECUTE ON FUNCTION audit_read(text,integer[]) TO clinician;
GRANT EXECUTE ON FUNCTION audit_read(text,integer[]) TO compliance;
GRANT EXECUTE ON FUNCTION audit_read(text,integer[]) TO front_desk;
COMMENT ON FUNCTION audit_read(text,integer[]) IS 'Records one durable read row for the acting staff member (derived, never chosen): the table read (patients or appointments) and every patient id the request returned (patient_id too when there is exactly one). No row when no patient was returned. Returns the audit_id.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_rows()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION audit_rows() IS 'Statement-level audit trigger: one audit row per written row (key, patient id, changed column names), attributed to the acting staff member.';

-- owner: clinicpulse_owner
CREATE FUNCTION audit_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  who record;
BEGIN
  SELECT * INTO who FROM audit_actor();
  EXECUTE format($q$INSERT INTO audit_log (actor_user_id, actor_role, action, severity, table_name, row_key, patient_id)
                   SELECT $1, $2, 'delete', 'high', $3, r.%I::text, %s FROM %I.%I r$q$,
                 TG_ARGV[0], coalesce(TG_ARGV[1], 'NULL::integer'), TG_TABLE_SCHEMA, TG_TABLE_NAME)
    USING who.actor_user_id, who.actor_role, TG_TABLE_NAME;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION audit_truncate() IS 'BEFORE TRUNCATE audit trigger: one high-severity delete row per row about to be truncated.';

-- owner: clinicpulse_owner
CREATE FUNCTION break_glass(p_patient_id integer, p_reason text, p_minutes integer DEFAULT 60)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
GRANT EXECUTE ON FUNCTION break_glass(integer,text,integer) TO clinician;
COMMENT ON FUNCTION break_glass(integer,text,integer) IS 'Emergency access for the acting clinician to one patient for p_minutes (1-240, default 60) with a stated reason (>= 10 characters). Writes a high-severity audit row. Returns when access ends.';

-- owner: clinicpulse_owner
CREATE FUNCTION charges_guard_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION charges_guard_update() IS 'The life of a charge, whatever the client: legal status transitions only; a paid or void charge is frozen.';

-- owner: clinicpulse_owner
CREATE FUNCTION charges_open_for_visits()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION charges_open_for_visits() IS 'Opens a pending charge for every visit whose appointment is completed (one per visit).';

-- owner: clinicpulse_owner
CREATE FUNCTION clinic_day(ts timestamp with time zone)
 RETURNS date
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$ SELECT (ts AT TIME ZONE clinic_time_zone())::date $function$;
GRANT EXECUTE ON FUNCTION clinic_day(timestamp with time zone) TO billing;
GRANT EXECUTE ON FUNCTION clinic_day(timestamp with time zone) TO clinician;
GRANT EXECUTE ON FUNCTION clinic_day(timestamp with time zone) TO compliance;
GRANT EXECUTE ON FUNCTION clinic_day(timestamp with time zone) TO front_desk;
GRANT EXECUTE ON FUNCTION clinic_day(timestamp with time zone) TO manager;
COMMENT ON FUNCTION clinic_day(timestamp with time zone) IS 'The clinic-local calendar day of an instant, in clinic_settings.time_zone.';

-- owner: clinicpulse_owner
CREATE FUNCTION clinic_day_range(day date)
 RETURNS tstzrange
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$ SELECT tstzrange(day::timestamp AT TIME ZONE clinic_time_zone(),
                          (day + 1)::timestamp AT TIME ZONE clinic_time_zone(), '[)') $function$;
GRANT EXECUTE ON FUNCTION clinic_day_range(date) TO billing;
GRANT EXECUTE ON FUNCTION clinic_day_range(date) TO clinician;
GRANT EXECUTE ON FUNCTION clinic_day_range(date) TO compliance;
GRANT EXECUTE ON FUNCTION clinic_day_range(date) TO front_desk;
GRANT EXECUTE ON FUNCTION clinic_day_range(date) TO manager;
COMMENT ON FUNCTION clinic_day_range(date) IS 'The half-open instant range [local midnight, next local midnight) of a clinic day: 23 or 25 hours across DST.';

-- owner: clinicpulse_owner
CREATE FUNCTION clinic_local_text(ts timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$ SELECT to_char(ts AT TIME ZONE clinic_time_zone(), 'YYYY-MM-DD HH24:MI') $function$;
GRANT EXECUTE ON FUNCTION clinic_local_text(timestamp with time zone) TO clinician;
GRANT EXECUTE ON FUNCTION clinic_local_text(timestamp with time zone) TO front_desk;
GRANT EXECUTE ON FUNCTION clinic_local_text(timestamp with time zone) TO manager;
COMMENT ON FUNCTION clinic_local_text(timestamp with time zone) IS 'An instant as clinic-local ''YYYY-MM-DD HH24:MI'' text, for error details.';

-- owner: clinicpulse_owner
CREATE FUNCTION clinic_month(ts timestamp with time zone)
 RETURNS date
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$ SELECT date_trunc('month', ts AT TIME ZONE clinic_time_zone())::date $function$;
GRANT EXECUTE ON FUNCTION clinic_month(timestamp with time zone) TO billing;
GRANT EXECUTE ON FUNCTION clinic_month(timestamp with time zone) TO clinician;
GRANT EXECUTE ON FUNCTION clinic_month(timestamp with time zone) TO compliance;
GRANT EXECUTE ON FUNCTION clinic_month(timestamp with time zone) TO front_desk;
GRANT EXECUTE ON FUNCTION clinic_month(timestamp with time zone) TO manager;
COMMENT ON FUNCTION clinic_month(timestamp with time zone) IS 'The first day of the clinic-local month of an instant.';

-- owner: clinicpulse_owner
CREATE FUNCTION clinic_settings_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $function$;
COMMENT ON FUNCTION clinic_settings_changed() IS 'Before UPDATE of clinic_settings: stamps updated_at.';

-- owner: clinicpulse_owner
CREATE FUNCTION clinic_settings_keep_row()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  RAISE EXCEPTION 'the clinic settings row cannot be removed; update it instead'
    USING ERRCODE = 'check_violation', CONSTRAINT = 'clinic_settings_singleton';
END $function$;
COMMENT ON FUNCTION clinic_settings_keep_row() IS 'Refuses DELETE and TRUNCATE of the single clinic_settings row: without it every clinic day and month would be NULL.';

-- owner: clinicpulse_owner
CREATE FUNCTION clinic_settings_rebuild_stats()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM appointment_stats_rebuild();
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION clinic_settings_rebuild_stats() IS 'After the clinic time zone changes: rebuilds the monthly counters, whose months depend on it.';

-- owner: clinicpulse_owner
CREATE FUNCTION clinic_time_zone()
 RETURNS text
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$ BEGIN RETURN (SELECT s.time_zone FROM public.clinic_settings s); END $function$;
GRANT EXECUTE ON FUNCTION clinic_time_zone() TO billing;
GRANT EXECUTE ON FUNCTION clinic_time_zone() TO clinician;
GRANT EXECUTE ON FUNCTION clinic_time_zone() TO compliance;
GRANT EXECUTE ON FUNCTION clinic_time_zone() TO front_desk;
GRANT EXECUTE ON FUNCTION clinic_time_zone() TO manager;
COMMENT ON FUNCTION clinic_time_zone() IS 'The clinic''s IANA time zone (clinic_settings.time_zone); every clinic day and month is in it. Owner''s rights: the zone is configuration, so it answers without running the identity check of clinic_settings'' policy on every call.';

-- owner: clinicpulse_owner
CREATE FUNCTION current_staff_provider_id()
 RETURNS integer
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT provider_id FROM staff_identity(app_user_id_setting(), current_user::text) WHERE current_user = 'clinician'
$function$;
GRANT EXECUTE ON FUNCTION current_staff_provider_id() TO billing;
GRANT EXECUTE ON FUNCTION current_staff_provider_id() TO clinician;
GRANT EXECUTE ON FUNCTION current_staff_provider_id() TO compliance;
GRANT EXECUTE ON FUNCTION current_staff_provider_id() TO front_desk;
GRANT EXECUTE ON FUNCTION current_staff_provider_id() TO manager;
COMMENT ON FUNCTION current_staff_provider_id() IS 'The provider the acting clinician is linked to; NULL for other roles or without a valid identity.';

-- owner: clinicpulse_owner
CREATE FUNCTION current_staff_user_id()
 RETURNS integer
 LANGUAGE sql
 STABLE
BEGIN ATOMIC
 SELECT staff_identity_user_id(app_user_id_setting(), (CURRENT_USER)::text) AS staff_identity_user_id;
END;
GRANT EXECUTE ON FUNCTION current_staff_user_id() TO billing;
GRANT EXECUTE ON FUNCTION current_staff_user_id() TO clinician;
GRANT EXECUTE ON FUNCTION current_staff_user_id() TO compliance;
GRANT EXECUTE ON FUNCTION current_staff_user_id() TO front_desk;
GRANT EXECUTE ON FUNCTION current_staff_user_id() TO manager;
COMMENT ON FUNCTION current_staff_user_id() IS 'The acting staff user: app.user_id when it names an active account whose role is the current role, else NULL. Security invoker on purpose: current_user must be the caller''s role.';

-- owner: clinicpulse_owner
CREATE FUNCTION erase_patient(p_patient_id integer, p_reason text)
 RETURNS TABLE(outcome text, erasure_id integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  me integer := erasure_require_compliance();
  p record;
  aid bigint;
  eid integer;
BEGIN
  IF p_reason IS NULL OR length(btrim(p_reason)) NOT BETWEEN 5 AND 1000 THEN
    RAISE EXCEPTION 'an erasure needs a reason (5 to 1000 characters)'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'erasures_reason_length';
  END IF;
  -- The row lock serialises concurrent erasures, legal holds and first key creation.
  SELECT pt.patient_id, pt.erased_at, pt.legal_hold_reason INTO p FROM patients pt WHERE pt.patient_id = p_patient_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such patient' USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'erasures_patient_id_fkey';
  END IF;
  IF p.erased_at IS NOT NULL THEN
    RETURN QUERY SELECT 'already_erased'::text, e.erasure_id FROM erasures e
      WHERE e.patient_id = p_patient_id AND e.outcome = 'erased';
    RETURN;
  END IF;
  IF p.legal_hold_reason IS NOT NULL THEN
    aid := audit_append('erase_refused', 'patients', p_patient_id::text, p_patient_id, 'high');
    INSERT INTO erasures (patient_id, outcome, requested_by, requested_role, reason, legal_hold_reason, audit_id)
    VALUES (p_patient_id, 'refused_legal_hold', me, 'compliance', btrim(p_reason), p.legal_hold_reason, aid)
    RETURNING erasures.erasure_id INTO eid;
    RETURN QUERY SELECT 'refused_legal_hold'::text, eid;
    RETURN;
  END IF;
  aid := erasure_apply(p_patient_id, now());
  INSERT INTO erasures (patient_id, outcome, requested_by, requested_role, reason, audit_id)
  VALUES (p_patient_id, 'erased', me, 'compliance', btrim(p_reason), aid)
  RETURNING erasures.erasure_id INTO eid;
  RETURN QUERY SELECT 'erased'::text, eid;
END $function$;
GRANT EXECUTE ON FUNCTION erase_patient(integer,text) TO compliance;
COMMENT ON FUNCTION erase_patient(integer,text) IS 'Right to erasure: pseudonymises the patient (name, dob, email, phone), destroys their data key, deletes their waitlist entries, keeps appointments and visits (aggregates unchanged), records the act in erasures and audit_log (erase, high). Under legal hold: changes nothing, records the refusal, returns refused_legal_hold. Idempotent: already_erased. Compliance only.';

-- owner: clinicpulse_owner
CREATE FUNCTION erasure_apply(p_patient_id integer, p_erased_at timestamp with time zone)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  aid bigint;
BEGIN
  -- 1900-01-01: the earliest date patients_dob_plausible allows, so dob stays NOT NULL for
  -- every reader while carrying nothing about the person (see docs/security.md).
  UPDATE patients SET name = 'Erased patient ' || p_patient_id, dob = date '1900-01-01', email = NULL, phone = NULL,
                      erased_at = p_erased_at
  WHERE patients.patient_id = p_patient_id;
  -- Crypto-shredding: without this row no copy of the ciphertext can be read again.
  DELETE FROM patient_keys WHERE patient_keys.patient_id = p_patient_id;
  -- The waitlist is a wish for a future slot, not a record the law keeps: it goes (each delete
  -- audited by the table's trigger), so no desk is ever offered a slot for the placeholder.
  DELETE FROM waitlist_entries WHERE waitlist_entries.patient_id = p_patient_id;
  aid := audit_append('erase', 'patients', p_patient_id::text, p_patient_id, 'high');
  RETURN aid;
END $function$;
COMMENT ON FUNCTION erasure_apply(integer,timestamp with time zone) IS 'The steps of an erasure, shared by erase_patient and reapply_erasure: pseudonymises the patient (erased_at as given), destroys their data key, deletes their waitlist entries, appends the erase audit row (high) and returns its id. The caller has locked the patient row and checked that it may erase; it writes the erasures ledger row. Owner only.';

-- owner: clinicpulse_owner
CREATE FUNCTION erasure_require_compliance()
 RETURNS integer
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE me record;
BEGIN
  SELECT * INTO me FROM acting_staff();
  IF me.user_id IS NULL OR me.role <> 'compliance' THEN
    RAISE EXCEPTION 'only a signed-in compliance officer may do this'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'erasure_compliance_only';
  END IF;
  RETURN me.user_id;
END $function$;
COMMENT ON FUNCTION erasure_require_compliance() IS 'The acting compliance officer''s user id, or 42501: erasure and legal holds are a named person''s act. Called by security-definer functions.';

-- owner: clinicpulse_owner
CREATE FUNCTION free_slots(p_provider_ids integer[], p_from date, p_to date, p_minutes integer, p_limit integer DEFAULT 1000)
 RETURNS TABLE(provider_id integer, starts timestamp with time zone, ends timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  WITH s AS MATERIALIZED (
    SELECT cs.time_zone AS tz, cs.slot_step_min * 60 AS step_s, make_interval(mins => cs.slot_step_min) AS step,
           make_interval(mins => p_minutes) AS len,
           greatest(lower(clinic_day_range(p_from)), now() + interval '1 minute') AS w_from,
           upper(clinic_day_range(p_to)) AS w_to
    FROM clinic_settings cs
  ),
  prov AS MATERIALIZED (
    SELECT DISTINCT x.id AS provider_id FROM unnest(p_provider_ids[1:200]) x(id)
    WHERE EXISTS (SELECT 1 FROM providers pr WHERE pr.provider_id = x.id)
  ),
  windows AS (
    SELECT h.provider_id,
           tstzrange((d.day::date + h.starts_at) AT TIME ZONE s.tz, (d.day::date + h.ends_at) AT TIME ZONE s.tz, '[)') AS r
    FROM s CROSS JOIN prov p
    JOIN provider_working_hours h ON h.provider_id = p.provider_id
    CROSS JOIN generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') d(day)
    WHERE h.iso_weekday = extract(isodow FROM d.day)
    UNION ALL
    SELECT p.provider_id, tstzrange(s.w_from, s.w_to, '[)')
    FROM s CROSS JOIN prov p
    WHERE NOT EXISTS (SELECT 1 FROM provider_working_hours h WHERE h.provider_id = p.provider_id)
  ),
  -- Once per provider (MATERIALIZED: inlined, it would be re-run for every working interval).
  -- The start bound lets appointments(provider_id, scheduled_at) serve it as a range scan:
  -- nothing lasts more than 480 minutes.
  blocked AS MATERIALIZED (
    SELECT p.provider_id,
           coalesce((SELECT range_agg(appointment_slot(a.scheduled_at, a.duration_min)) FROM appointments a
                     WHERE a.provider_id = p.provider_id AND a.status <> 'cancelled'
                       AND a.scheduled_at >= s.w_from - interval '480 minutes' AND a.scheduled_at < s.w_to
                       AND appointment_slot(a.scheduled_at, a.duration_min) && tstzrange(s.w_from, s.w_to)),
                    '{}'::tstzmultirange)
           + coalesce((SELECT range_agg(t.period) FROM provider_time_off t
                       WHERE t.provider_id = p.provider_id AND t.period && tstzrange(s.w_from, s.w_to)),
                      '{}'::tstzmultirange) AS m
    FROM s CROSS JOIN prov p
  ),
  free AS (
    SELECT w.provider_id, f.r
    FROM s CROSS JOIN windows w JOIN blocked b ON b.provider_id = w.provider_id
    CROSS JOIN LATERAL unnest(tstzmultirange(w.r * tstzrange(s.w_from, s.w_to, '[)')) - b.m) f(r)
    WHERE upper(f.r) - lower(f.r) >= s.len
  )
  SELECT f.provider_id, g.st, g.st + s.len
  FROM s CROSS JOIN free f
  -- The first grid point at or after the piece's start, on the clinic-local clock.
  CROSS JOIN LATERAL generate_series(
    (to_timestamp(ceil(extract(epoch FROM (lower(f.r) AT TIME ZONE s.tz)) / s.step_s) * s.step_s) AT TIME ZONE 'UTC') AT TIME ZONE s.tz,
    upper(f.r) - s.len, s.step) g(st)
  ORDER BY g.st, f.provider_id
  LIMIT greatest(least(p_limit, 5000), 1)
$function$;
GRANT EXECUTE ON FUNCTION free_slots(integer[],date,date,integer,integer) TO clinician;
GRANT EXECUTE ON FUNCTION free_slots(integer[],date,date,integer,integer) TO front_desk;
GRANT EXECUTE ON FUNCTION free_slots(integer[],date,date,integer,integer) TO manager;
COMMENT ON FUNCTION free_slots(integer[],date,date,integer,integer) IS 'Free slots of up to 200 providers over clinic-local days [from, to]: starts on the clinic slot grid, at least a minute from now, inside one working interval (any time without working hours), overlapping no non-cancelled appointment and no time off; sorted by start, then provider; at most 5000. Busy times only, no patient: owner''s rights.';

-- owner: clinicpulse_owner
CREATE FUNCTION is_valid_time_zone(tz text)
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz) $function$;
GRANT EXECUTE ON FUNCTION is_valid_time_zone(text) TO billing;
GRANT EXECUTE ON FUNCTION is_valid_time_zone(text) TO clinician;
GRANT EXECUTE ON FUNCTION is_valid_time_zone(text) TO compliance;
GRANT EXECUTE ON FUNCTION is_valid_time_zone(text) TO front_desk;
GRANT EXECUTE ON FUNCTION is_valid_time_zone(text) TO manager;
COMMENT ON FUNCTION is_valid_time_zone(text) IS 'Whether PostgreSQL knows the named time zone (the check on clinic_settings.time_zone).';

-- owner: clinicpulse_owner
CREATE FUNCTION login_throttle_hit(p_key_digest text, p_window_ms integer)
 RETURNS TABLE(failures integer, window_ends_at timestamp with time zone)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  -- Windows long over are removed now and then (one call in a hundred): the table stays small.
  DELETE FROM login_throttle WHERE window_ends_at < clock_timestamp() - interval '1 day' AND (SELECT random()) < 0.01;
  INSERT INTO login_throttle AS t (key_digest, failures, window_ends_at)
  VALUES (p_key_digest, 1, clock_timestamp() + make_interval(secs => p_window_ms / 1000.0))
  ON CONFLICT (key_digest) DO UPDATE SET
    failures = CASE WHEN t.window_ends_at <= clock_timestamp() THEN 1 ELSE t.failures + 1 END,
    window_ends_at = CASE WHEN t.window_ends_at <= clock_timestamp() THEN excluded.window_ends_at ELSE t.window_ends_at END
  RETURNING t.failures, t.window_ends_at;
$function$;
GRANT EXECUTE ON FUNCTION login_throttle_hit(text,integer) TO clinicpulse_auth;
COMMENT ON FUNCTION login_throttle_hit(text,integer) IS 'Counts one sign-in attempt for a key and returns the count and the end of its window (a new window when the last one ended).';

-- owner: clinicpulse_owner
CREATE FUNCTION login_throttle_reset(p_key_digest text)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  DELETE FROM login_throttle WHERE key_digest = p_key_digest
$function$;
GRANT EXECUTE ON FUNCTION login_throttle_reset(text) TO clinicpulse_auth;
COMMENT ON FUNCTION login_throttle_reset(text) IS 'Forgets a key''s attempts.';

-- owner: clinicpulse_owner
CREATE FUNCTION login_throttle_undo(p_key_digest text)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  UPDATE login_throttle SET failures = greatest(failures - 1, 0)
  WHERE key_digest = p_key_digest AND window_ends_at > clock_timestamp()
$function$;
GRANT EXECUTE ON FUNCTION login_throttle_undo(text) TO clinicpulse_auth;
COMMENT ON FUNCTION login_throttle_undo(text) IS 'Takes back one attempt (the sign-in succeeded: only failures count).';

-- owner: clinicpulse_owner
CREATE FUNCTION master_key_check(p_key_id bytea, p_proof bytea)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE reg record;
BEGIN
  IF p_key_id IS NULL OR octet_length(p_key_id) <> 8 OR p_proof IS NULL OR octet_length(p_proof) <> 32 THEN
    RAISE EXCEPTION 'storing a data key needs the master key''s id and proof'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'master_key_proof';
  END IF;
  SELECT * INTO reg FROM master_key_registration;
  IF NOT FOUND THEN
    -- First registration. Data keys stored before it must include one wrapped by this key,
    -- so a wrong MASTER_KEY cannot pin itself over existing data.
    IF EXISTS (SELECT 1 FROM patient_keys)
       AND NOT EXISTS (SELECT 1 FROM patient_keys WHERE substring(wrapped_key FROM 2 FOR 8) = p_key_id) THEN
      RAISE EXCEPTION 'this master key wrapped none of the stored data keys'
        USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'master_key_proof';
    END IF;
    INSERT INTO master_key_registration (key_id, proof_sha256) VALUES (p_key_id, digest(p_proof, 'sha256'))
    ON CONFLICT (singleton) DO NOTHING;
    IF FOUND THEN
      PERFORM audit_append('insert', 'master_key_registration', NULL, NULL, 'high');
    END IF;
    SELECT * INTO reg FROM master_key_registration;
  END IF;
  IF reg.key_id <> p_key_id OR reg.proof_sha256 <> digest(p_proof, 'sha256') THEN
    RAISE EXCEPTION 'not the master key registered for this database'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'master_key_proof';
  END IF;
END $function$;
COMMENT ON FUNCTION master_key_check(bytea,bytea) IS 'Passes only for the registered master key''s id and proof (registering them on first use, if no stored data key contradicts them); 42501 master_key_proof otherwise. Called by the key functions, and by the administrator at start-up.';

-- owner: clinicpulse_owner
CREATE FUNCTION patient_name_candidates(p_q text, p_dob date DEFAULT NULL::date, p_limit integer DEFAULT NULL::integer, p_offset integer DEFAULT 0)
 RETURNS SETOF integer
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER ROWS 50
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
DECLARE
  n text COLLATE "C" := lower(btrim(p_q));
  c integer;
  upto text COLLATE "C";
BEGIN
  IF n IS NULL OR length(n) = 0 OR NOT EXISTS (SELECT 1 FROM staff_identity(app_user_id_setting(), 'front_desk')) THEN
    RETURN;
  END IF;
  IF length(n) <= 2 AND p_dob IS NOT NULL THEN
    -- The patients born that day (few), each checked against the needle's suffix range.
    RETURN QUERY
      SELECT p.patient_id FROM patients p
      WHERE p.dob = p_dob
        AND EXISTS (SELECT 1 FROM patient_name_suffixes s WHERE s.patient_id = p.patient_id AND starts_with(s.suffix, n))
      ORDER BY p.name, p.patient_id
      LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0);
  ELSIF length(n) = 1 THEN
    RETURN QUERY
      SELECT m.patient_id FROM (
        SELECT DISTINCT s.name, s.patient_id FROM patient_name_suffixes s WHERE s.first1 = n
        ORDER BY s.name, s.patient_id
        LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)
      ) m;
  ELSIF length(n) = 2 THEN
    RETURN QUERY
      SELECT m.patient_id FROM (
        SELECT DISTINCT s.name, s.patient_id FROM patient_name_suffixes s WHERE s.first2 = n
        ORDER BY s.name, s.patient_id
        LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)
      ) m;
  ELSIF length(n) = 3 AND p_dob IS NULL THEN
    RETURN QUERY
      SELECT m.patient_id FROM (
        SELECT DISTINCT s.name, s.patient_id FROM patient_name_suffixes s WHERE s.first3 = n
        ORDER BY s.name, s.patient_id
        LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0)
      ) m;
  ELSE
    -- [n, upto): every string that starts with n, in byte order (the code point after the
    -- last one; past the surrogates; none after U+10FFFF, so such a needle finds nothing).
    c := ascii(right(n, 1));
    upto := CASE WHEN c < 55295 OR (c >= 57344 AND c < 1114111) THEN left(n, -1) || chr(c + 1)
                 WHEN c = 55295 THEN left(n, -1) || chr(57344) END;
    IF upto IS NULL THEN
      RETURN;
    END IF;
    RETURN QUERY 
    SELECT m.patient_id
    FROM (
      SELECT DISTINCT s.patient_id, s.name
      FROM patient_name_suffixes s
      WHERE s.suffix >= n AND s.suffix < upto AND starts_with(s.suffix, n)
        AND (p_dob IS NULL OR EXISTS (SELECT 1 FROM patients p WHERE p.patient_id = s.patient_id AND p.dob = p_dob))
    ) m
    ORDER BY m.name, m.patient_id
    LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0);
  END IF;
END $function$;
GRANT EXECUTE ON FUNCTION patient_name_candidates(text,date,integer,integer) TO front_desk;
COMMENT ON FUNCTION patient_name_candidates(text,date,integer,integer) IS 'Ids of patients whose name, or a word in it, starts with p_q (case-insensitive; every character matches itself), optionally with date of birth p_dob; with p_limit/p_offset one page of them in name order. One to three characters: read in name order from patient_name_suffixes_first1_idx / _first2_idx / _first3_idx and stopped at the page''s end (or, with p_dob, the patients born that day; three characters with p_dob: the key range below); four or more: one key range of the suffixes'' primary key (index-only), sorted. Owner rights only so the index can be used beneath the row-level policy: the caller reads the ids through the policy. Granted to front_desk alone, and empty unless app.user_id names an active front-desk account.';

-- owner: clinicpulse_owner
CREATE FUNCTION patient_name_suffixes_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO patient_name_suffixes (suffix, patient_id, name)
  SELECT s, n.patient_id, n.name FROM new_rows n, patient_name_word_suffixes(n.name) s;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION patient_name_suffixes_insert() IS 'Adds the search suffixes of new patients (statement level, one INSERT per statement).';

-- owner: clinicpulse_owner
CREATE FUNCTION patient_name_suffixes_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  DELETE FROM patient_name_suffixes w
  USING old_rows o JOIN new_rows n ON n.patient_id = o.patient_id
  WHERE w.patient_id = o.patient_id AND o.name IS DISTINCT FROM n.name;
  INSERT INTO patient_name_suffixes (suffix, patient_id, name)
  SELECT s, n.patient_id, n.name
  FROM old_rows o JOIN new_rows n ON n.patient_id = o.patient_id, patient_name_word_suffixes(n.name) s
  WHERE o.name IS DISTINCT FROM n.name;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION patient_name_suffixes_update() IS 'Replaces the search suffixes of renamed patients (a correction, or erase_patient()); other updates leave them.';

-- owner: clinicpulse_owner
CREATE FUNCTION patient_name_word_suffixes(p_name text)
 RETURNS SETOF text
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT x.l FROM (SELECT lower(p_name) AS l) x WHERE x.l <> '' AND left(x.l, 1) <> ' '
  UNION ALL
  SELECT substr(x.l, i + 1)
  FROM (SELECT lower(p_name) AS l) x, generate_series(1, length(x.l) - 1) i
  WHERE substr(x.l, i, 1) = ' ' AND substr(x.l, i + 1, 1) <> ' '
$function$;
COMMENT ON FUNCTION patient_name_word_suffixes(text) IS 'Each suffix of lower(p_name) that starts a word: the whole name, and what follows each space (none starting with a space).';

-- owner: clinicpulse_owner
CREATE FUNCTION patient_prescriptions(p_patient_id integer, p_active_only boolean DEFAULT false)
 RETURNS TABLE(prescription_id integer, visit_id integer, medication_id integer, medication_name text, form text, strength text, dosage text, start_date date, end_date date, prescribed_at timestamp with time zone)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
GRANT EXECUTE ON FUNCTION patient_prescriptions(integer,boolean) TO clinician;
COMMENT ON FUNCTION patient_prescriptions(integer,boolean) IS 'A patient''s prescriptions (active on the clinic-local today when p_active_only) for a clinician who may see them; one audit row per call. Empty otherwise.';

-- owner: clinicpulse_owner
CREATE FUNCTION patient_visits(p_patient_id integer)
 RETURNS TABLE(visit_id integer, appointment_id integer, provider_id integer, started_at timestamp with time zone, completed_at timestamp with time zone, diagnoses jsonb, prescriptions jsonb)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
GRANT EXECUTE ON FUNCTION patient_visits(integer) TO clinician;
COMMENT ON FUNCTION patient_visits(integer) IS 'A patient''s visits, newest first, each with its diagnoses and prescriptions as jsonb, for a clinician who may see them; one audit row per call. Empty otherwise.';

-- owner: clinicpulse_owner
CREATE FUNCTION patient_wrapped_key(p_patient_id integer)
 RETURNS bytea
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  IF NOT staff_can_access_clinical(p_patient_id) THEN
    RAISE EXCEPTION 'no clinical access to this patient'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'visit_notes_clinical_access';
  END IF;
  IF EXISTS (SELECT 1 FROM patients WHERE patient_id = p_patient_id AND erased_at IS NOT NULL) THEN
    RAISE EXCEPTION 'patient % was erased', p_patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;
  RETURN (SELECT wrapped_key FROM patient_keys WHERE patient_id = p_patient_id);
END $function$;
GRANT EXECUTE ON FUNCTION patient_wrapped_key(integer) TO clinician;
COMMENT ON FUNCTION patient_wrapped_key(integer) IS 'The patient''s wrapped data key for a clinician with clinical access; NULL if none yet. Refuses an erased patient.';

-- owner: clinicpulse_owner
CREATE FUNCTION patients_erased_frozen()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF (NEW.name, NEW.dob, NEW.email, NEW.phone, NEW.erased_at) IS DISTINCT FROM (OLD.name, OLD.dob, OLD.email, OLD.phone, OLD.erased_at) THEN
    RAISE EXCEPTION 'patient % was erased; their identity can no longer change', OLD.patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;
  RETURN NEW;
END $function$;
COMMENT ON FUNCTION patients_erased_frozen() IS 'Refuses any change to the identity of an erased patient.';

-- owner: clinicpulse_owner
CREATE FUNCTION provider_available(p_provider_id integer, p_start timestamp with time zone, p_minutes integer)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
GRANT EXECUTE ON FUNCTION provider_available(integer,timestamp with time zone,integer) TO clinician;
GRANT EXECUTE ON FUNCTION provider_available(integer,timestamp with time zone,integer) TO front_desk;
GRANT EXECUTE ON FUNCTION provider_available(integer,timestamp with time zone,integer) TO manager;
COMMENT ON FUNCTION provider_available(integer,timestamp with time zone,integer) IS 'True when [start, start + minutes) lies inside one working-hours interval of the provider (clinic-local, same day) and overlaps none of their time off; a provider without working hours is available at any time outside time off.';

-- owner: clinicpulse_owner
CREATE FUNCTION provider_monthly_overbooks(p_from date, p_to date)
 RETURNS TABLE(provider_id integer, provider_name text, month date, overbooks integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT a.provider_id, pr.name, date_trunc('month', a.scheduled_at AT TIME ZONE s.time_zone)::date AS m, count(*)::integer
  FROM clinic_settings s
  CROSS JOIN appointments a
  JOIN providers pr ON pr.provider_id = a.provider_id
  WHERE a.overbook_lane IS NOT NULL AND a.status <> 'cancelled'
    AND a.scheduled_at >= lower(clinic_day_range(p_from)) AND a.scheduled_at < upper(clinic_day_range(p_to))
  GROUP BY a.provider_id, pr.name, m
  ORDER BY m, a.provider_id
$function$;
GRANT EXECUTE ON FUNCTION provider_monthly_overbooks(date,date) TO manager;
COMMENT ON FUNCTION provider_monthly_overbooks(date,date) IS 'For managers: how many overbooks (not cancelled) each provider had per clinic-local month between two days; aggregates only.';

-- owner: clinicpulse_owner
CREATE FUNCTION prune_appointment_events(p_keep interval)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  through bigint;
  n integer;
BEGIN
  IF p_keep < interval '1 hour' THEN
    RAISE EXCEPTION 'outbox retention must be at least an hour' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- One statement: the batches, their events, and the events' archive rows, so a reader's
  -- snapshot sees each change in the outbox or in appointment_history, never neither or both.
  WITH d AS (
    DELETE FROM appointment_event_batches
     WHERE committed_at < now() - p_keep
     RETURNING txid, first_event_id, last_event_id),
  e AS (
    DELETE FROM appointment_events e USING d
     WHERE e.txid = d.txid
     RETURNING d.first_event_id + e.ordinal - 1 AS event_id, e.appointment_id, e.kind, e.occurred_at, e.txid),
  kept AS (
    INSERT INTO appointment_history (event_id, appointment_id, kind, occurred_at, txid)
    -- The kinds the table accepts, named (not "all but patient_updated"): a kind added to the
    -- outbox later is left out here instead of failing every prune on the CHECK.
    SELECT event_id, appointment_id, kind, occurred_at, txid FROM e
     WHERE kind IN ('booked', 'rescheduled', 'checked_in', 'cancelled', 'no_show', 'completed'))
  SELECT (SELECT max(last_event_id) FROM d), (SELECT count(*) FROM e) INTO through, n;
  IF through IS NULL THEN
    RETURN 0;
  END IF;
  UPDATE appointment_events_retention SET pruned_through = greatest(pruned_through, through);
  RETURN n;
END $function$;
GRANT EXECUTE ON FUNCTION prune_appointment_events(interval) TO clinicpulse_realtime;
COMMENT ON FUNCTION prune_appointment_events(interval) IS 'For clinicpulse_realtime: deletes committed outbox batches older than the retention, keeps their events'' kinds in appointment_history, and advances appointment_events_retention.';

-- owner: clinicpulse_owner
CREATE FUNCTION read_visit_note(p_visit_id integer)
 RETURNS TABLE(patient_id integer, ciphertext bytea, wrapped_key bytea, erased boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE n record;
BEGIN
  SELECT vn.patient_id, vn.ciphertext INTO n FROM visit_notes vn WHERE vn.visit_id = p_visit_id;
  IF NOT FOUND OR NOT staff_can_access_clinical(n.patient_id) THEN
    RETURN;
  END IF;
  PERFORM audit_event('read', 'visit_notes', p_visit_id::text, n.patient_id);
  RETURN QUERY
    SELECT n.patient_id, n.ciphertext, k.wrapped_key, p.erased_at IS NOT NULL
    FROM patients p LEFT JOIN patient_keys k ON k.patient_id = p.patient_id
    WHERE p.patient_id = n.patient_id;
END $function$;
GRANT EXECUTE ON FUNCTION read_visit_note(integer) TO clinician;
COMMENT ON FUNCTION read_visit_note(integer) IS 'A visit''s encrypted note with the patient''s wrapped key (NULL once erased) for a clinician with clinical access; one read audit row per call. Empty otherwise.';

-- owner: clinicpulse_owner
CREATE FUNCTION realtime_appointments(p_ids integer[])
 RETURNS TABLE(appointment_id integer, patient_id integer, provider_id integer, scheduled_at timestamp with time zone, duration_min integer, status text, clinic_date date, created_at timestamp with time zone, updated_at timestamp with time zone, patient_name text, overbook_reason text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
GRANT EXECUTE ON FUNCTION realtime_appointments(integer[]) TO clinicpulse_realtime;
COMMENT ON FUNCTION realtime_appointments(integer[]) IS 'For clinicpulse_realtime: schedule rows (with patient name and overbook reason, nothing else about the patient) of up to 1000 appointments that have an outbox event committed in the last 15 minutes, to shape live payloads; other ids return nothing. Each call that returns rows appends one durable read audit row listing the patients.';

-- owner: clinicpulse_owner
CREATE FUNCTION realtime_audit_entries(p_ids bigint[])
 RETURNS TABLE(audit_id bigint, action text, table_name text, actor_role text, at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT l.audit_id, l.action, l.table_name, l.actor_role, l.at
  FROM audit_log l
  WHERE l.audit_id = ANY (p_ids[1:1000]) AND l.at > now() - interval '15 minutes'
  ORDER BY l.audit_id
$function$;
GRANT EXECUTE ON FUNCTION realtime_audit_entries(bigint[]) TO clinicpulse_realtime;
COMMENT ON FUNCTION realtime_audit_entries(bigint[]) IS 'For clinicpulse_realtime: id, action, table, actor role and time (nothing that names a row or patient) of up to 1000 audit entries appended in the last 15 minutes, for the compliance screens'' live feed; older ids return nothing.';

-- owner: clinicpulse_owner
CREATE FUNCTION reapply_erasure(p_erasure_id integer, p_patient_id integer, p_requested_by integer, p_requested_at timestamp with time zone, p_reason text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
  erased timestamptz;
  aid bigint;
BEGIN
  SELECT pt.erased_at INTO erased FROM public.patients pt WHERE pt.patient_id = p_patient_id FOR UPDATE;
  -- A patient the backup does not hold, or one already erased in it: nothing to do.
  IF NOT FOUND OR erased IS NOT NULL THEN
    RETURN false;
  END IF;
  aid := public.erasure_apply(p_patient_id, p_requested_at);
  IF EXISTS (SELECT 1 FROM public.erasures e WHERE e.erasure_id = p_erasure_id) THEN
    INSERT INTO public.erasures (patient_id, outcome, requested_by, requested_role, requested_at, reason, audit_id)
    VALUES (p_patient_id, 'erased', p_requested_by, 'compliance', p_requested_at, p_reason, aid);
  ELSE
    INSERT INTO public.erasures (erasure_id, patient_id, outcome, requested_by, requested_role, requested_at, reason, audit_id)
    OVERRIDING SYSTEM VALUE
    VALUES (p_erasure_id, p_patient_id, 'erased', p_requested_by, 'compliance', p_requested_at, p_reason, aid);
  END IF;
  RETURN true;
END $function$;
COMMENT ON FUNCTION reapply_erasure(integer,integer,integer,timestamp with time zone,text) IS 'After a restore: carries out again an erasure recorded in the ledger after the backup was taken (same pseudonymisation, key destruction and waitlist removal as erase_patient, original ledger id, officer, time and reason; audited as erase, high). Returns false when the patient is absent or already erased. Owner only: run by npm run restore.';

-- owner: clinicpulse_owner
CREATE FUNCTION replace_patient_key(p_patient_id integer, p_unusable bytea, p_wrapped_key bytea, p_proof bytea)
 RETURNS bytea
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE erased timestamptz;
BEGIN
  
  IF NOT staff_can_access_clinical(p_patient_id) THEN
    RAISE EXCEPTION 'no clinical access to this patient'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'visit_notes_clinical_access';
  END IF;
  -- The share lock waits for a concurrent erasure (which holds the row FOR UPDATE) and then
  -- sees it: no key can appear after the shredding.
  SELECT erased_at INTO erased FROM patients WHERE patient_id = p_patient_id FOR SHARE;
  IF erased IS NOT NULL THEN
    RAISE EXCEPTION 'patient % was erased', p_patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;
  
  IF p_wrapped_key IS NULL OR octet_length(p_wrapped_key) <> 69 OR get_byte(p_wrapped_key, 0) <> 1 THEN
    RAISE EXCEPTION 'a wrapped data key is 69 bytes: version 1, master key id, iv, tag, key'
      USING ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'patient_keys_wrapped_key_shape';
  END IF;
  PERFORM master_key_check(substring(p_wrapped_key FROM 2 FOR 8), p_proof);
  UPDATE patient_keys SET wrapped_key = p_wrapped_key, created_at = now()
  WHERE patient_id = p_patient_id AND wrapped_key = p_unusable;
  IF FOUND THEN
    PERFORM audit_append('update', 'patient_keys', p_patient_id::text, p_patient_id, 'high', ARRAY['wrapped_key']);
  END IF;
  RETURN (SELECT wrapped_key FROM patient_keys WHERE patient_id = p_patient_id);
END $function$;
GRANT EXECUTE ON FUNCTION replace_patient_key(integer,bytea,bytea,bytea) TO clinician;
COMMENT ON FUNCTION replace_patient_key(integer,bytea,bytea,bytea) IS 'Replaces a stored data key that the service could not unwrap (p_unusable, compare-and-swap) with a fresh one; returns the stored key. Needs the registered master key''s proof, so only the service can; a high-severity audit row records it.';

-- owner: clinicpulse_owner
CREATE FUNCTION save_visit_note(p_visit_id integer, p_patient_id integer, p_ciphertext bytea)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE me record;
BEGIN
  SELECT * INTO me FROM acting_staff();
  IF me.user_id IS NULL OR me.role <> 'clinician' OR NOT EXISTS (
       SELECT 1 FROM visits v JOIN appointments a ON a.appointment_id = v.appointment_id
       WHERE v.visit_id = p_visit_id AND v.patient_id = p_patient_id AND a.provider_id = me.provider_id) THEN
    RAISE EXCEPTION 'notes are written by the clinician of the visit'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'visit_notes_own_visit';
  END IF;
  IF EXISTS (SELECT 1 FROM patients WHERE patient_id = p_patient_id AND erased_at IS NOT NULL) THEN
    RAISE EXCEPTION 'patient % was erased', p_patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM patient_keys WHERE patient_id = p_patient_id) THEN
    RAISE EXCEPTION 'patient % has no data key yet', p_patient_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'visit_notes_patient_key';
  END IF;
  INSERT INTO visit_notes AS n (visit_id, patient_id, ciphertext) VALUES (p_visit_id, p_patient_id, p_ciphertext)
  ON CONFLICT (visit_id) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = now();
END $function$;
GRANT EXECUTE ON FUNCTION save_visit_note(integer,integer,bytea) TO clinician;
COMMENT ON FUNCTION save_visit_note(integer,integer,bytea) IS 'Stores (or replaces) the encrypted note of a visit; only the visit''s own clinician, only once the patient has a data key, never for an erased patient. Audited as a write.';

-- owner: clinicpulse_owner
CREATE FUNCTION set_legal_hold(p_patient_id integer, p_reason text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM erasure_require_compliance();
  UPDATE patients SET legal_hold_reason = nullif(btrim(p_reason), '') WHERE patient_id = p_patient_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such patient' USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'erasures_patient_id_fkey';
  END IF;
  PERFORM audit_append('legal_hold', 'patients', p_patient_id::text, p_patient_id, 'high');
END $function$;
GRANT EXECUTE ON FUNCTION set_legal_hold(integer,text) TO compliance;
COMMENT ON FUNCTION set_legal_hold(integer,text) IS 'Places (reason) or lifts (NULL) a legal hold on a patient. Compliance only; audited with high severity.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_can_access_clinical(p_patient_id integer)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT EXISTS (SELECT 1 FROM acting_staff() me WHERE me.role = 'clinician') AND staff_can_access_patient(p_patient_id)
$function$;
GRANT EXECUTE ON FUNCTION staff_can_access_clinical(integer) TO billing;
GRANT EXECUTE ON FUNCTION staff_can_access_clinical(integer) TO clinician;
GRANT EXECUTE ON FUNCTION staff_can_access_clinical(integer) TO compliance;
GRANT EXECUTE ON FUNCTION staff_can_access_clinical(integer) TO front_desk;
GRANT EXECUTE ON FUNCTION staff_can_access_clinical(integer) TO manager;
COMMENT ON FUNCTION staff_can_access_clinical(integer) IS 'May the acting staff member read this patient''s clinical content? A clinician with a care relationship or an unexpired break-glass grant.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_can_access_patient(p_patient_id integer)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
                     WHERE g.user_id = me.user_id AND g.patient_id = p_patient_id AND g.expires_at > now() AND g.granted_at < now());
    WHEN 'billing' THEN
      RETURN EXISTS (SELECT 1 FROM charges c WHERE c.patient_id = p_patient_id);
    ELSE
      RETURN false;
  END CASE;
END $function$;
GRANT EXECUTE ON FUNCTION staff_can_access_patient(integer) TO billing;
GRANT EXECUTE ON FUNCTION staff_can_access_patient(integer) TO clinician;
GRANT EXECUTE ON FUNCTION staff_can_access_patient(integer) TO compliance;
GRANT EXECUTE ON FUNCTION staff_can_access_patient(integer) TO front_desk;
GRANT EXECUTE ON FUNCTION staff_can_access_patient(integer) TO manager;
COMMENT ON FUNCTION staff_can_access_patient(integer) IS 'May the acting staff member see rows about this patient? The single statement of the care relationship (see docs/security.md). False without a valid identity.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_identity(p_user_id integer, p_role text)
 RETURNS TABLE(user_id integer, provider_id integer)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  RETURN QUERY SELECT u.user_id, u.provider_id FROM staff_users u
    WHERE u.user_id = p_user_id AND u.active AND u.role = p_role;
END $function$;
GRANT EXECUTE ON FUNCTION staff_identity(integer,text) TO billing;
GRANT EXECUTE ON FUNCTION staff_identity(integer,text) TO clinician;
GRANT EXECUTE ON FUNCTION staff_identity(integer,text) TO compliance;
GRANT EXECUTE ON FUNCTION staff_identity(integer,text) TO front_desk;
GRANT EXECUTE ON FUNCTION staff_identity(integer,text) TO manager;
COMMENT ON FUNCTION staff_identity(integer,text) IS 'Whether (user, role) is an active account holding that role, plus its provider. Security definer because staff roles cannot read staff_users; it answers only that.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_identity_user_id(p_user_id integer, p_role text)
 RETURNS integer
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$ BEGIN
    RETURN (SELECT u.user_id FROM staff_users u WHERE u.user_id = p_user_id AND u.active AND u.role = p_role);
  END $function$;
GRANT EXECUTE ON FUNCTION staff_identity_user_id(integer,text) TO billing;
GRANT EXECUTE ON FUNCTION staff_identity_user_id(integer,text) TO clinician;
GRANT EXECUTE ON FUNCTION staff_identity_user_id(integer,text) TO compliance;
GRANT EXECUTE ON FUNCTION staff_identity_user_id(integer,text) TO front_desk;
GRANT EXECUTE ON FUNCTION staff_identity_user_id(integer,text) TO manager;
COMMENT ON FUNCTION staff_identity_user_id(integer,text) IS 'p_user_id when it is an active account holding role p_role, else NULL: staff_identity() without the provider, as a scalar the planner can call from an inlined current_staff_user_id(). Security definer because staff roles cannot read staff_users; it answers only that.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_login_failed(p_user_id integer, p_lock_after integer)
 RETURNS boolean
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  WITH hit AS (
    INSERT INTO staff_login_failures AS f (user_id, failures, last_failure_at, locked_at)
    VALUES (p_user_id, 1, clock_timestamp(), CASE WHEN p_lock_after <= 1 THEN clock_timestamp() END)
    ON CONFLICT (user_id) DO UPDATE SET
      failures = f.failures + 1,
      last_failure_at = excluded.last_failure_at,
      locked_at = CASE WHEN f.failures + 1 >= p_lock_after THEN excluded.last_failure_at END
    WHERE f.locked_at IS NULL
    RETURNING f.locked_at IS NOT NULL AS locked
  )
  SELECT coalesce((SELECT locked FROM hit), true)
$function$;
GRANT EXECUTE ON FUNCTION staff_login_failed(integer,integer) TO clinicpulse_auth;
COMMENT ON FUNCTION staff_login_failed(integer,integer) IS 'Counts a failed sign-in against an account and locks it when the count reaches p_lock_after; returns whether the account is locked.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_login_lookup(p_username text)
 RETURNS TABLE(user_id integer, username text, role text, provider_id integer, password_hash text, active boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT user_id, username, role, provider_id, password_hash, active FROM staff_users WHERE username = p_username
$function$;
GRANT EXECUTE ON FUNCTION staff_login_lookup(text) TO clinicpulse_auth;
COMMENT ON FUNCTION staff_login_lookup(text) IS 'Sign-in: the only way to read a password hash, by exact username, for clinicpulse_auth alone.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_login_succeeded(p_user_id integer)
 RETURNS boolean
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  WITH cleared AS (DELETE FROM staff_login_failures WHERE user_id = p_user_id AND locked_at IS NULL RETURNING 1)
  SELECT NOT EXISTS (SELECT 1 FROM staff_login_failures WHERE user_id = p_user_id AND locked_at IS NOT NULL)
$function$;
GRANT EXECUTE ON FUNCTION staff_login_succeeded(integer) TO clinicpulse_auth;
COMMENT ON FUNCTION staff_login_succeeded(integer) IS 'Called after a correct password: clears the account''s failure count and returns true, or returns false when the account is locked (the sign-in must be refused).';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_patient_ids()
 RETURNS SETOF integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT a.patient_id FROM acting_staff() me JOIN appointments a ON a.provider_id = me.provider_id
  WHERE me.role = 'clinician'
  UNION
  SELECT g.patient_id FROM acting_staff() me JOIN break_glass_grants g ON g.user_id = me.user_id
  WHERE me.role = 'clinician' AND g.expires_at > now() AND g.granted_at < now()
$function$;
GRANT EXECUTE ON FUNCTION staff_patient_ids() TO clinician;
COMMENT ON FUNCTION staff_patient_ids() IS 'The acting clinician''s patients (care relationship or unexpired break-glass) as a set; empty for any other role or without identity. Same rule as staff_can_access_patient.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_session_enter(p_sid text, p_touch boolean, p_idle_ms bigint, p_slack_ms bigint, p_absolute_ms bigint)
 RETURNS TABLE(user_id integer, username text, role text, provider_id integer)
 LANGUAGE plpgsql
AS $function$
DECLARE
  r record;
BEGIN
  SELECT * INTO r FROM public.staff_session_resume(p_sid, p_touch, p_idle_ms, p_slack_ms, p_absolute_ms);
  IF NOT FOUND OR r.role NOT IN ('front_desk', 'clinician', 'billing', 'manager', 'compliance') THEN RETURN; END IF;
  PERFORM pg_catalog.set_config('app.user_id', r.user_id::text, true);
  EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r.role);
  user_id := r.user_id;
  username := r.username;
  role := r.role;
  provider_id := r.provider_id;
  RETURN NEXT;
END $function$;
GRANT EXECUTE ON FUNCTION staff_session_enter(text,boolean,bigint,bigint,bigint) TO clinicpulse_auth;
COMMENT ON FUNCTION staff_session_enter(text,boolean,bigint,bigint,bigint) IS 'Starts an API request''s transaction: staff_session_resume, then becomes that staff member for the rest of the transaction (SET LOCAL ROLE to their group role and the transaction-local app.user_id), as asStaff does. Returns the account, or no row (and changes nothing) when the session is not valid. Caller''s rights, because SET ROLE is refused inside owner-rights functions; called as clinicpulse_auth.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_session_resume(p_sid text, p_touch boolean, p_idle_ms bigint, p_slack_ms bigint, p_absolute_ms bigint)
 RETURNS TABLE(user_id integer, username text, role text, provider_id integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
  s record;
  issued timestamptz;
  deadline timestamptz;
BEGIN
  SELECT h.user_id AS uid, h.sess, h.expires_at INTO s FROM http_sessions h WHERE h.sid = p_sid AND h.expires_at > now();
  IF NOT FOUND OR s.uid IS NULL THEN RETURN; END IF;
  IF jsonb_typeof(s.sess -> 'issuedAt') IS DISTINCT FROM 'number' THEN
    DELETE FROM http_sessions h WHERE h.sid = p_sid;
    RETURN;
  END IF;
  issued := to_timestamp((s.sess ->> 'issuedAt')::double precision / 1000);
  IF now() >= issued + make_interval(secs => p_absolute_ms / 1000.0) THEN
    DELETE FROM http_sessions h WHERE h.sid = p_sid;
    RETURN;
  END IF;
  RETURN QUERY SELECT u.user_id, u.username, u.role, u.provider_id FROM staff_users u
    WHERE u.user_id = s.uid AND u.active AND u.role = (s.sess ->> 'role');
  IF NOT FOUND THEN
    DELETE FROM http_sessions h WHERE h.sid = p_sid;
    RETURN;
  END IF;
  IF p_touch THEN
    deadline := least(now() + make_interval(secs => p_idle_ms / 1000.0), issued + make_interval(secs => p_absolute_ms / 1000.0));
    -- Only when due (about once a minute): most requests run no UPDATE at all. The UPDATE
    -- re-checks the deadline, so a concurrent request's write is never moved backwards.
    IF s.expires_at < deadline - make_interval(secs => p_slack_ms / 1000.0) THEN
      UPDATE http_sessions h SET expires_at = deadline
        WHERE h.sid = p_sid AND h.expires_at < deadline - make_interval(secs => p_slack_ms / 1000.0);
    END IF;
  END IF;
END $function$;
GRANT EXECUTE ON FUNCTION staff_session_resume(text,boolean,bigint,bigint,bigint) TO clinicpulse_auth;
COMMENT ON FUNCTION staff_session_resume(text,boolean,bigint,bigint,bigint) IS 'The account behind an unexpired session (by stored id, the HMAC): returned only when the account is active, still holds the role it signed in with and the absolute lifetime has not passed (otherwise the session row is deleted). With p_touch, moves the idle deadline to now + p_idle_ms (capped by the absolute deadline) only if that moves it by at least p_slack_ms, so an active session is written about once a minute, not on every request.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_session_user(p_user_id integer)
 RETURNS TABLE(user_id integer, username text, role text, provider_id integer, active boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT user_id, username, role, provider_id, active FROM staff_users WHERE user_id = p_user_id
$function$;
GRANT EXECUTE ON FUNCTION staff_session_user(integer) TO clinicpulse_auth;
COMMENT ON FUNCTION staff_session_user(integer) IS 'A session''s account as it is now (active, role, provider), re-read by the session store on every request and by the realtime layer.';

-- owner: clinicpulse_owner
CREATE FUNCTION staff_users_end_sessions()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  IF NOT NEW.active OR NEW.role IS DISTINCT FROM OLD.role OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    DELETE FROM http_sessions WHERE user_id = NEW.user_id;
  END IF;
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION staff_users_end_sessions() IS 'After an account is deactivated or its role or password changes: deletes its sessions, so it is signed out everywhere at once.';

-- owner: clinicpulse_owner
CREATE FUNCTION store_patient_key(p_patient_id integer, p_wrapped_key bytea, p_proof bytea)
 RETURNS bytea
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE erased timestamptz;
BEGIN
  
  IF NOT staff_can_access_clinical(p_patient_id) THEN
    RAISE EXCEPTION 'no clinical access to this patient'
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'visit_notes_clinical_access';
  END IF;
  -- The share lock waits for a concurrent erasure (which holds the row FOR UPDATE) and then
  -- sees it: no key can appear after the shredding.
  SELECT erased_at INTO erased FROM patients WHERE patient_id = p_patient_id FOR SHARE;
  IF erased IS NOT NULL THEN
    RAISE EXCEPTION 'patient % was erased', p_patient_id
      USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'patients_erased';
  END IF;
  
  IF p_wrapped_key IS NULL OR octet_length(p_wrapped_key) <> 69 OR get_byte(p_wrapped_key, 0) <> 1 THEN
    RAISE EXCEPTION 'a wrapped data key is 69 bytes: version 1, master key id, iv, tag, key'
      USING ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'patient_keys_wrapped_key_shape';
  END IF;
  PERFORM master_key_check(substring(p_wrapped_key FROM 2 FOR 8), p_proof);
  INSERT INTO patient_keys (patient_id, wrapped_key) VALUES (p_patient_id, p_wrapped_key)
  ON CONFLICT (patient_id) DO NOTHING;
  RETURN (SELECT wrapped_key FROM patient_keys WHERE patient_id = p_patient_id);
END $function$;
GRANT EXECUTE ON FUNCTION store_patient_key(integer,bytea,bytea) TO clinician;
COMMENT ON FUNCTION store_patient_key(integer,bytea,bytea) IS 'Stores the patient''s first wrapped data key (or keeps the existing one) and returns the stored key. Only with the registered master key''s proof, and only a 69-byte key carrying the registered key id; clinicians with clinical access; refuses an erased patient.';

-- owner: clinicpulse_owner
CREATE FUNCTION time_off_affected_appointments(p_time_off_id integer)
 RETURNS TABLE(appointment_id integer, scheduled_at timestamp with time zone, duration_min integer, status text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT a.appointment_id, a.scheduled_at, a.duration_min, a.status
  FROM provider_time_off t
  JOIN appointments a ON a.provider_id = t.provider_id
   AND appointment_slot(a.scheduled_at, a.duration_min) && t.period
   AND a.status IN ('scheduled','checked_in')
  WHERE t.time_off_id = p_time_off_id
  ORDER BY a.scheduled_at, a.appointment_id
$function$;
GRANT EXECUTE ON FUNCTION time_off_affected_appointments(integer) TO manager;
COMMENT ON FUNCTION time_off_affected_appointments(integer) IS 'For managers: the scheduled or checked-in appointments (ids and times, no patient) that a time-off period overlaps.';

-- owner: clinicpulse_owner
CREATE FUNCTION visits_require_arrival()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE s text;
BEGIN
  SELECT status INTO s FROM appointments WHERE appointment_id = NEW.appointment_id FOR NO KEY UPDATE;
  IF s IS NOT NULL AND s NOT IN ('checked_in','completed') THEN
    RAISE EXCEPTION 'a visit needs a checked-in or completed appointment; appointment % is %', NEW.appointment_id, s
      USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_require_arrival';
  END IF;
  RETURN NEW;
END $function$;
COMMENT ON FUNCTION visits_require_arrival() IS 'A visit only for a checked-in or completed appointment of the same patient, locking the appointment row (FOR NO KEY UPDATE) so a concurrent cancel cannot slip between.';

-- owner: clinicpulse_owner
CREATE FUNCTION waitlist_entries_notify()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
  -- One per transaction: PostgreSQL folds identical notifications of a transaction into one.
  PERFORM pg_notify('waitlist_events', '');
  RETURN NULL;
END $function$;
COMMENT ON FUNCTION waitlist_entries_notify() IS 'Statement-level trigger on waitlist_entries: NOTIFY waitlist_events with an empty payload at commit, so front-desk screens re-read the waitlist (waitlist:changed).';

-- owner: clinicpulse_owner
CREATE FUNCTION waitlist_offer_candidates(p_provider_id integer, p_start timestamp with time zone, p_end timestamp with time zone)
 RETURNS TABLE(waitlist_id integer, patient_id integer, patient_name text, waiting_since timestamp with time zone, duration_min integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
  SELECT w.waitlist_id, w.patient_id, pt.name, w.created_at, w.duration_min
  FROM providers pr
  JOIN waitlist_entries w
    ON (w.provider_id = pr.provider_id OR (w.provider_id IS NULL AND lower(w.specialty) = lower(pr.specialty)))
  JOIN patients pt ON pt.patient_id = w.patient_id
  WHERE pr.provider_id = p_provider_id
    AND p_start > now()
    AND upper(appointment_slot(greatest(w.earliest, p_start), w.duration_min)) <= least(w.latest, p_end)
    -- Still free: nobody has been booked into it since.
    AND NOT EXISTS (SELECT 1 FROM appointments a
                    WHERE a.provider_id = p_provider_id AND a.status <> 'cancelled'
                      AND appointment_slot(a.scheduled_at, a.duration_min) && tstzrange(p_start, p_end, '[)'))
    -- And not the patient's own time elsewhere.
    AND NOT EXISTS (SELECT 1 FROM appointments a
                    WHERE a.patient_id = w.patient_id AND a.status <> 'cancelled'
                      AND appointment_slot(a.scheduled_at, a.duration_min) && appointment_slot(greatest(w.earliest, p_start), w.duration_min))
  ORDER BY w.created_at, w.waitlist_id
  LIMIT 20
$function$;
GRANT EXECUTE ON FUNCTION waitlist_offer_candidates(integer,timestamp with time zone,timestamp with time zone) TO clinicpulse_realtime;
COMMENT ON FUNCTION waitlist_offer_candidates(integer,timestamp with time zone,timestamp with time zone) IS 'For clinicpulse_realtime: up to 20 waitlist entries (id, patient id and name, waiting since) that fit a freed slot of the provider (their provider or specialty, window and duration), longest-waiting first; none when the slot is no longer free or no longer in the future.';
