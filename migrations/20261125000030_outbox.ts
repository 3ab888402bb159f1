/**
 * The live-push outbox: every change to appointments is recorded in the same
 * transaction, numbered in COMMIT order, and announced with a NOTIFY carrying
 * ids only. The realtime layer (server/realtime/) reads it as the NOLOGIN role
 * clinicpulse_realtime. Design and guarantees: docs/realtime.md.
 *
 * Why commit order: an identity column is assigned when a row is inserted, not
 * when its transaction commits, so a reader of "id > last" can pass over an id
 * whose transaction commits later and never see it. Here the ids are handed out
 * by a deferred constraint trigger at COMMIT, under a transaction-scoped advisory
 * lock that is released only after the commit is visible; so whenever a reader
 * sees event N, every event below N is either visible too or will never exist.
 *
 * Why two tables: the per-statement trigger writes the event rows once (one
 * INSERT ... SELECT from the transition tables, so a bulk COPY stays cheap) with
 * a per-transaction ordinal; the commit step writes a single batch row that maps
 * the transaction to its block of event ids. event_id = first_event_id + ordinal - 1.
 */
import type { Knex } from 'knex';
import { asOwner, runSql } from './support.js';

/** The advisory lock key that orders outbox commits (any constant unique to this purpose). */
export const OUTBOX_COMMIT_LOCK = 7_340_030;

export async function up(knex: Knex): Promise<void> {
  await runSql(knex, `
    DO $$ BEGIN
      -- The realtime service reads the outbox as this role: nothing else.
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinicpulse_realtime') THEN
        CREATE ROLE clinicpulse_realtime NOLOGIN NOINHERIT;
      END IF;
    END $$;
    GRANT clinicpulse_realtime TO clinicpulse_app;
    GRANT USAGE ON SCHEMA public TO clinicpulse_realtime;
  `);
  await asOwner(
    knex,
    `
-- ===== Tables ================================================================

CREATE TABLE appointment_event_batches (
  txid xid8 PRIMARY KEY,
  event_count integer NOT NULL CONSTRAINT appointment_event_batches_count_positive CHECK (event_count > 0),
  first_event_id bigint CONSTRAINT appointment_event_batches_first_key UNIQUE,
  last_event_id bigint,
  committed_at timestamptz,
  CONSTRAINT appointment_event_batches_sealed_consistently CHECK (
    (first_event_id IS NULL AND last_event_id IS NULL AND committed_at IS NULL)
    OR (last_event_id = first_event_id + event_count - 1 AND committed_at IS NOT NULL))
);
CREATE INDEX appointment_event_batches_last_idx ON appointment_event_batches (last_event_id);
CREATE INDEX appointment_event_batches_committed_idx ON appointment_event_batches (committed_at);

CREATE TABLE appointment_events (
  txid xid8 NOT NULL,
  ordinal integer NOT NULL CONSTRAINT appointment_events_ordinal_positive CHECK (ordinal > 0),
  appointment_id integer NOT NULL,
  kind text NOT NULL CONSTRAINT appointment_events_kind_check
    CHECK (kind IN ('booked','rescheduled','checked_in','cancelled','no_show','completed')),
  provider_id integer NOT NULL,
  day date NOT NULL,
  prev_provider_id integer,
  prev_day date,
  days date[] NOT NULL CONSTRAINT appointment_events_days_nonempty CHECK (cardinality(days) BETWEEN 1 AND 2),
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (txid, ordinal),
  CONSTRAINT appointment_events_prev_together CHECK ((prev_provider_id IS NULL) = (prev_day IS NULL))
);

-- One row: the highest event id pruning has removed, so a resuming client whose
-- cursor is older can be told its history is gone (and given a fresh snapshot).
CREATE TABLE appointment_events_retention (
  singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT appointment_events_retention_singleton CHECK (singleton),
  pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO appointment_events_retention DEFAULT VALUES;

CREATE SEQUENCE appointment_event_id_seq AS bigint;

-- A batch's event ids, for readers: event_id is the commit-ordered cursor clients keep.
CREATE VIEW appointment_event_feed WITH (security_invoker = true) AS
  SELECT b.first_event_id + e.ordinal - 1 AS event_id, e.appointment_id, e.kind, e.provider_id, e.day,
         e.prev_provider_id, e.prev_day, e.days, e.occurred_at, b.committed_at, e.txid
  FROM appointment_event_batches b JOIN appointment_events e ON e.txid = b.txid
  WHERE b.first_event_id IS NOT NULL;

-- ===== Recording (per statement) =============================================

CREATE FUNCTION appointment_events_record() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
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
END $$;

CREATE TRIGGER appointment_events_insert AFTER INSERT ON appointments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_events_record();
CREATE TRIGGER appointment_events_update AFTER UPDATE ON appointments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_events_record();
CREATE TRIGGER appointment_events_delete AFTER DELETE ON appointments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_events_record();

-- ===== Sealing (once per transaction, at COMMIT) ==============================

CREATE FUNCTION appointment_events_seal() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  n integer;
  first bigint;
BEGIN
  -- Held until after this commit is visible (locks are released after the commit is
  -- recorded and published), so the next sealer's ids are both higher and visible later.
  PERFORM pg_advisory_xact_lock(${OUTBOX_COMMIT_LOCK});
  SELECT event_count INTO n FROM appointment_event_batches WHERE txid = NEW.txid AND first_event_id IS NULL;
  IF n IS NULL THEN
    RETURN NULL;
  END IF;
  first := nextval('appointment_event_id_seq');
  IF n > 1 THEN
    -- Only sealers (under the lock) draw from this sequence, so the block is contiguous.
    PERFORM setval('appointment_event_id_seq', first + n - 1);
  END IF;
  UPDATE appointment_event_batches
     SET first_event_id = first, last_event_id = first + n - 1, committed_at = clock_timestamp()
   WHERE txid = NEW.txid;
  -- Ids only: every listener on the database can read a NOTIFY payload.
  PERFORM pg_notify('appointment_events', (first + n - 1)::text);
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER appointment_events_seal AFTER INSERT ON appointment_event_batches
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION appointment_events_seal();

-- ===== What the realtime service may do =======================================

-- The rows a live payload is shaped from, by appointment id: the schedule columns the
-- API's schedule endpoint returns plus the patient's name. No contact details, no dob,
-- no clinical data. The service then trims them per receiving role (server/realtime/shape.ts).
CREATE FUNCTION realtime_appointments(p_ids integer[])
  RETURNS TABLE (appointment_id integer, patient_id integer, provider_id integer, scheduled_at timestamptz,
                 duration_min integer, status text, clinic_date date, created_at timestamptz, updated_at timestamptz,
                 patient_name text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT a.appointment_id, a.patient_id, a.provider_id, a.scheduled_at, a.duration_min, a.status,
         clinic_day(a.scheduled_at), a.created_at, a.updated_at, pt.name
  FROM appointments a JOIN patients pt ON pt.patient_id = a.patient_id
  WHERE a.appointment_id = ANY (p_ids[1:1000])
$$;

-- Retention: delete whole committed batches older than p_keep and remember how far.
CREATE FUNCTION prune_appointment_events(p_keep interval) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  gone xid8[];
  through bigint;
  n integer;
BEGIN
  IF p_keep < interval '1 hour' THEN
    RAISE EXCEPTION 'outbox retention must be at least an hour' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WITH d AS (
    DELETE FROM appointment_event_batches
     WHERE committed_at < now() - p_keep
     RETURNING txid, last_event_id)
  SELECT array_agg(txid), max(last_event_id) INTO gone, through FROM d;
  IF gone IS NULL THEN
    RETURN 0;
  END IF;
  DELETE FROM appointment_events WHERE txid = ANY (gone);
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE appointment_events_retention SET pruned_through = greatest(pruned_through, through);
  RETURN n;
END $$;

REVOKE ALL ON appointment_event_batches, appointment_events, appointment_events_retention, appointment_event_feed FROM PUBLIC;
GRANT SELECT ON appointment_event_batches, appointment_events, appointment_events_retention, appointment_event_feed
  TO clinicpulse_realtime;
REVOKE EXECUTE ON FUNCTION appointment_events_record(), appointment_events_seal(), realtime_appointments(integer[]),
  prune_appointment_events(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION realtime_appointments(integer[]), prune_appointment_events(interval) TO clinicpulse_realtime;

-- ===== Comments ===============================================================

COMMENT ON TABLE appointment_events IS
  'Outbox of appointment changes for live push, one row per changed appointment per statement, written by statement-level triggers in the changing transaction. Holds ids, days and kinds only (no PII). Its public number, event_id, comes from the batch (see appointment_event_feed). Pruned after OUTBOX_RETENTION_DAYS.';
COMMENT ON COLUMN appointment_events.txid IS 'The writing transaction (pg_current_xact_id()); joins the row to its batch.';
COMMENT ON COLUMN appointment_events.ordinal IS 'Position within the transaction, 1..n in statement order: event_id = batch.first_event_id + ordinal - 1.';
COMMENT ON COLUMN appointment_events.appointment_id IS 'The appointment that changed (no foreign key: events outlive deletions and cost no per-row check).';
COMMENT ON COLUMN appointment_events.kind IS 'booked, rescheduled, checked_in, cancelled, no_show or completed (a deletion is recorded as cancelled).';
COMMENT ON COLUMN appointment_events.provider_id IS 'The appointment''s provider after the change.';
COMMENT ON COLUMN appointment_events.day IS 'The clinic-local day the appointment starts on after the change.';
COMMENT ON COLUMN appointment_events.prev_provider_id IS 'Before a move to another provider or day: the old provider (NULL when neither changed).';
COMMENT ON COLUMN appointment_events.prev_day IS 'Before a move to another provider or day: the old clinic-local day (NULL when neither changed).';
COMMENT ON COLUMN appointment_events.days IS 'Every clinic-local day the change touches: the new day, and the old one when it differs.';
COMMENT ON COLUMN appointment_events.occurred_at IS 'When the changing statement started.';
COMMENT ON TABLE appointment_event_batches IS
  'One row per transaction that changed appointments: its block of commit-ordered event ids, assigned at COMMIT by the deferred trigger appointment_events_seal under an advisory lock, so event ids increase in commit order.';
COMMENT ON COLUMN appointment_event_batches.txid IS 'The transaction (pg_current_xact_id()).';
COMMENT ON COLUMN appointment_event_batches.event_count IS 'How many appointment_events rows the transaction wrote.';
COMMENT ON COLUMN appointment_event_batches.first_event_id IS 'First event id of the block, assigned at commit; NULL only inside the still-open transaction.';
COMMENT ON COLUMN appointment_event_batches.last_event_id IS 'Last event id of the block (first_event_id + event_count - 1); the NOTIFY payload.';
COMMENT ON COLUMN appointment_event_batches.committed_at IS 'Clock time of sealing, just before commit; retention is measured from it.';
COMMENT ON TABLE appointment_events_retention IS 'Single row: how far pruning has deleted the outbox, so a resuming client with an older cursor gets a fresh snapshot.';
COMMENT ON COLUMN appointment_events_retention.singleton IS 'Always true: the table has exactly one row.';
COMMENT ON COLUMN appointment_events_retention.pruned_through IS 'The highest event id deleted by prune_appointment_events (0 before any pruning).';
COMMENT ON SEQUENCE appointment_event_id_seq IS 'Event ids, drawn only by appointment_events_seal under the outbox advisory lock.';
COMMENT ON VIEW appointment_event_feed IS 'Committed outbox events with their event_id (the cursor clients keep), in no particular order; order by event_id.';
COMMENT ON COLUMN appointment_event_feed.event_id IS 'Commit-ordered event id: batch.first_event_id + ordinal - 1; the cursor clients keep.';
COMMENT ON COLUMN appointment_event_feed.appointment_id IS 'The appointment that changed.';
COMMENT ON COLUMN appointment_event_feed.kind IS 'booked, rescheduled, checked_in, cancelled, no_show or completed.';
COMMENT ON COLUMN appointment_event_feed.provider_id IS 'The appointment''s provider after the change.';
COMMENT ON COLUMN appointment_event_feed.day IS 'The clinic-local day after the change.';
COMMENT ON COLUMN appointment_event_feed.prev_provider_id IS 'The old provider after a move (NULL otherwise).';
COMMENT ON COLUMN appointment_event_feed.prev_day IS 'The old clinic-local day after a move (NULL otherwise).';
COMMENT ON COLUMN appointment_event_feed.days IS 'Every clinic-local day the change touches.';
COMMENT ON COLUMN appointment_event_feed.occurred_at IS 'When the changing statement started.';
COMMENT ON COLUMN appointment_event_feed.committed_at IS 'When the batch was sealed, just before commit.';
COMMENT ON COLUMN appointment_event_feed.txid IS 'The writing transaction.';
COMMENT ON FUNCTION appointment_events_record() IS 'Statement-level trigger on appointments: records the statement''s changes in appointment_events with one INSERT ... SELECT from the transition tables.';
COMMENT ON FUNCTION appointment_events_seal() IS 'Deferred constraint trigger: at COMMIT, assigns the transaction''s block of event ids under an advisory lock and NOTIFYs appointment_events with the last id.';
COMMENT ON FUNCTION realtime_appointments(integer[]) IS 'For clinicpulse_realtime: schedule rows (with patient name, nothing else about the patient) of up to 1000 appointments, to shape live payloads.';
COMMENT ON FUNCTION prune_appointment_events(interval) IS 'For clinicpulse_realtime: deletes committed outbox batches older than the retention and advances appointment_events_retention.';
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
    DROP TRIGGER IF EXISTS appointment_events_insert ON appointments;
    DROP TRIGGER IF EXISTS appointment_events_update ON appointments;
    DROP TRIGGER IF EXISTS appointment_events_delete ON appointments;
    DROP VIEW IF EXISTS appointment_event_feed;
    DROP TABLE IF EXISTS appointment_events, appointment_event_batches, appointment_events_retention;
    DROP SEQUENCE IF EXISTS appointment_event_id_seq;
    DROP FUNCTION IF EXISTS appointment_events_record(), appointment_events_seal(), realtime_appointments(integer[]),
      prune_appointment_events(interval);
  `,
  );
}
