/**
 * A patient's name is on every schedule row of theirs (realtime_appointments() joins it), so
 * correcting a name, or erase_patient() overwriting it with the placeholder, must reach every
 * open screen showing one of their appointments, through the same outbox as appointment
 * changes: commit-ordered, replayable from a cursor, delivered once per cursor.
 *
 * How: a statement-level trigger on patients notes, in the changing transaction, which patients'
 * names changed (appointment_event_patients) and opens the transaction's outbox batch, which
 * queues the deferred seal. At COMMIT the seal, under the outbox commit lock, expands each noted
 * patient into one 'patient_updated' event per non-cancelled appointment (its provider and
 * clinic-local day as they are at that moment) before numbering the batch.
 *
 * Why at the seal and not in the patients trigger: the expansion must see every appointment
 * change that is numbered before this transaction. An appointment booked or moved by another
 * transaction that commits after the name UPDATE's snapshot, but before this COMMIT, is fanned
 * out (with the old name, since this transaction is not yet visible) to its new day; a
 * statement-time expansion would not see it and would send the correction to the old day only,
 * leaving the old name on that screen. Under the lock, every earlier-numbered commit is visible
 * to the seal's next statement (READ COMMITTED), and every later one is dispatched after this
 * commit is visible, so it carries the new name itself.
 *
 * Why every non-cancelled appointment, past ones too: a screen may watch any day (the dashboard
 * has a date picker, the schedule endpoint takes any date), and an erased name must not stay on
 * one showing last year. Cancelled rows are on no screen (snapshots leave them out, a
 * cancellation removes them). The cost is one outbox row per appointment of the changed patient
 * (an index range on appointments_patient_id_idx), paid only when a name changes.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

/** The advisory lock key the outbox's commit step takes (20261125000030_outbox): the same lock, so patient events seal in the same order. */
const OUTBOX_COMMIT_LOCK = 7_340_030;

const KINDS_BEFORE = `'booked','rescheduled','checked_in','cancelled','no_show','completed'`;
const KINDS_AFTER = `${KINDS_BEFORE},'patient_updated'`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- ===== Outbox tables: a new kind, and batches that may be empty until sealed ======

ALTER TABLE appointment_events DROP CONSTRAINT appointment_events_kind_check,
  ADD CONSTRAINT appointment_events_kind_check CHECK (kind IN (${KINDS_AFTER}));

-- A transaction that only renamed patients opens its batch with no events yet; the seal adds
-- them (or deletes the batch when the patients have no appointments). A sealed batch is never empty.
ALTER TABLE appointment_event_batches DROP CONSTRAINT appointment_event_batches_count_positive,
  ADD CONSTRAINT appointment_event_batches_count_nonnegative CHECK (event_count >= 0),
  ADD CONSTRAINT appointment_event_batches_sealed_nonempty CHECK (first_event_id IS NULL OR event_count > 0);

-- Patients whose name the open transaction changed, until its seal expands them into events.
CREATE TABLE appointment_event_patients (
  txid xid8 NOT NULL,
  patient_id integer NOT NULL,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (txid, patient_id)
);
ALTER TABLE appointment_event_patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_event_patients FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON appointment_event_patients
  TO clinicpulse_owner USING (true) WITH CHECK (true);
REVOKE ALL ON appointment_event_patients FROM PUBLIC;

-- ===== Batch bookkeeping shared by the recorders ==============================

-- How many events the current transaction has recorded so far (0 if none); refuses once its
-- batch is sealed (only after SET CONSTRAINTS ... IMMEDIATE), as appointment_events_record does.
CREATE FUNCTION appointment_events_batch_open() RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
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
END $$;

-- Count n more events in the current transaction's batch; the first call of a transaction
-- inserts the batch row, which queues the deferred seal (n may be 0: the seal adds them).
CREATE FUNCTION appointment_events_batch_grow(p_added integer) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  INSERT INTO appointment_event_batches (txid, event_count) VALUES (pg_current_xact_id(), p_added)
  ON CONFLICT (txid) DO UPDATE SET event_count = appointment_event_batches.event_count + excluded.event_count
$$;

-- ===== Recording a name change (per statement) ================================

CREATE FUNCTION appointment_events_patients_record() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
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
END $$;

-- Column lists (UPDATE OF name) cannot be combined with transition tables; the function
-- compares the names itself, so a phone or legal-hold change records nothing.
CREATE TRIGGER appointment_events_patients AFTER UPDATE ON patients
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION appointment_events_patients_record();

-- ===== Sealing: expand renamed patients, then number =========================

CREATE OR REPLACE FUNCTION appointment_events_seal() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  n integer;
  added integer := 0;
  first bigint;
  tz text;
BEGIN
  -- Held until after this commit is visible (locks are released after the commit is
  -- recorded and published), so the next sealer's ids are both higher and visible later.
  PERFORM pg_advisory_xact_lock(${OUTBOX_COMMIT_LOCK});
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
END $$;

REVOKE EXECUTE ON FUNCTION appointment_events_batch_open(), appointment_events_batch_grow(integer),
  appointment_events_patients_record() FROM PUBLIC;

-- ===== Comments ===============================================================

COMMENT ON TABLE appointment_event_patients IS
  'Patients whose name the open transaction changed (a correction, or erase_patient()), noted by the trigger appointment_events_patients; at COMMIT appointment_events_seal turns each into one patient_updated outbox event per non-cancelled appointment and deletes the rows, so outside an open transaction the table is empty. Ids only.';
COMMENT ON COLUMN appointment_event_patients.txid IS 'The changing transaction (pg_current_xact_id()).';
COMMENT ON COLUMN appointment_event_patients.patient_id IS 'The patient whose name changed (once per transaction however often).';
COMMENT ON COLUMN appointment_event_patients.changed_at IS 'When the first changing statement started; becomes the events'' occurred_at.';
COMMENT ON COLUMN appointment_events.kind IS 'booked, rescheduled, checked_in, cancelled, no_show or completed (a deletion is recorded as cancelled); patient_updated when the patient''s name changed (correction or erasure), one per non-cancelled appointment of theirs.';
COMMENT ON COLUMN appointment_event_feed.kind IS 'booked, rescheduled, checked_in, cancelled, no_show, completed or patient_updated.';
COMMENT ON TABLE appointment_events IS
  'Outbox of appointment changes for live push, one row per changed appointment per statement, written by statement-level triggers in the changing transaction; and, written at COMMIT by the seal, one patient_updated row per non-cancelled appointment of each patient whose name the transaction changed. Holds ids, days and kinds only (no PII). Its public number, event_id, comes from the batch (see appointment_event_feed). Pruned after OUTBOX_RETENTION_DAYS.';
COMMENT ON COLUMN appointment_event_batches.event_count IS 'How many appointment_events rows the transaction wrote (0 only while open, when it has so far only renamed patients; the seal adds their events).';
COMMENT ON TABLE appointment_event_batches IS
  'One row per transaction that changed appointments or patient names: its block of commit-ordered event ids, assigned at COMMIT by the deferred trigger appointment_events_seal under an advisory lock, so event ids increase in commit order.';
COMMENT ON FUNCTION appointment_events_batch_open() IS 'The number of outbox events the current transaction has recorded (0 if none); refuses (appointment_events_sealed) once its batch is sealed.';
COMMENT ON FUNCTION appointment_events_batch_grow(integer) IS 'Adds to the current transaction''s outbox batch, creating it (which queues the deferred seal) on first use.';
COMMENT ON FUNCTION appointment_events_patients_record() IS 'Statement-level trigger on patients: notes the patients whose name changed in appointment_event_patients and opens the outbox batch; the seal expands them into patient_updated events.';
COMMENT ON FUNCTION appointment_events_seal() IS 'Deferred constraint trigger: at COMMIT, under an advisory lock, expands renamed patients into patient_updated events, assigns the transaction''s block of event ids and NOTIFYs appointment_events with the last id.';
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP TRIGGER IF EXISTS appointment_events_patients ON patients;
DROP FUNCTION IF EXISTS appointment_events_patients_record(), appointment_events_batch_grow(integer),
  appointment_events_batch_open();
DROP TABLE IF EXISTS appointment_event_patients;

-- The seal as migration 20261125000030 made it.
CREATE OR REPLACE FUNCTION appointment_events_seal() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  n integer;
  first bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(${OUTBOX_COMMIT_LOCK});
  SELECT event_count INTO n FROM appointment_event_batches WHERE txid = NEW.txid AND first_event_id IS NULL;
  IF n IS NULL THEN
    RETURN NULL;
  END IF;
  first := nextval('appointment_event_id_seq');
  IF n > 1 THEN
    PERFORM setval('appointment_event_id_seq', first + n - 1);
  END IF;
  UPDATE appointment_event_batches
     SET first_event_id = first, last_event_id = first + n - 1, committed_at = clock_timestamp()
   WHERE txid = NEW.txid;
  PERFORM pg_notify('appointment_events', (first + n - 1)::text);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION appointment_events_seal() IS 'Deferred constraint trigger: at COMMIT, assigns the transaction''s block of event ids under an advisory lock and NOTIFYs appointment_events with the last id.';

-- The old CHECK cannot hold patient_updated rows. Dropping them leaves gaps in their batches'
-- id blocks, which readers never notice (they read event rows, not ranges); screens that
-- missed one of them resnapshot on their next reload.
DELETE FROM appointment_events WHERE kind = 'patient_updated';
ALTER TABLE appointment_events DROP CONSTRAINT appointment_events_kind_check,
  ADD CONSTRAINT appointment_events_kind_check CHECK (kind IN (${KINDS_BEFORE}));
ALTER TABLE appointment_event_batches DROP CONSTRAINT appointment_event_batches_sealed_nonempty,
  DROP CONSTRAINT appointment_event_batches_count_nonnegative,
  ADD CONSTRAINT appointment_event_batches_count_positive CHECK (event_count > 0);
COMMENT ON COLUMN appointment_events.kind IS 'booked, rescheduled, checked_in, cancelled, no_show or completed (a deletion is recorded as cancelled).';
COMMENT ON COLUMN appointment_event_feed.kind IS 'booked, rescheduled, checked_in, cancelled, no_show or completed.';
COMMENT ON TABLE appointment_events IS
  'Outbox of appointment changes for live push, one row per changed appointment per statement, written by statement-level triggers in the changing transaction. Holds ids, days and kinds only (no PII). Its public number, event_id, comes from the batch (see appointment_event_feed). Pruned after OUTBOX_RETENTION_DAYS.';
COMMENT ON COLUMN appointment_event_batches.event_count IS 'How many appointment_events rows the transaction wrote.';
COMMENT ON TABLE appointment_event_batches IS
  'One row per transaction that changed appointments: its block of commit-ordered event ids, assigned at COMMIT by the deferred trigger appointment_events_seal under an advisory lock, so event ids increase in commit order.';
`,
  );
}
