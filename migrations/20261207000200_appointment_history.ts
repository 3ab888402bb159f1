/**
 * An appointment's history outlives the live-update log. The front desk's appointment panel
 * lists what happened to an appointment (booked, moved, checked in, cancelled…), when and by
 * whom, from the outbox events and the audit rows of the same transactions. The outbox is
 * pruned after OUTBOX_RETENTION_DAYS (7 by default), so an appointment booked weeks ahead
 * showed no "booked" entry by its day.
 *
 * Pruning now keeps each pruned event's kind, time and transaction in appointment_history
 * (ids and kinds only, like the outbox), in the same statement that deletes it, so every
 * change is in exactly one of the two at any snapshot. Nothing is added to the write path:
 * a booking writes what it wrote before. appointment_status_history() reads both.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const PRUNE_BODY_BEFORE = `
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
END`;

const HISTORY_BEFORE = `
    SELECT f.event_id, f.kind, f.occurred_at, s.username, w.actor_role
    FROM appointment_event_feed f
    JOIN appointments ap ON ap.appointment_id = f.appointment_id
    LEFT JOIN LATERAL (
      -- The audit row of the same write: found through its patient (indexed), then the transaction.
      SELECT al.actor_user_id, al.actor_role FROM audit_log al
      WHERE al.patient_id = ap.patient_id AND al.table_name = 'appointments'
        AND al.row_key = f.appointment_id::text AND al.txid = (f.txid::text)::bigint
      ORDER BY al.audit_id LIMIT 1) w ON true
    LEFT JOIN staff_users s ON s.user_id = w.actor_user_id
    WHERE f.appointment_id = p_appointment_id AND f.kind <> 'patient_updated'
    ORDER BY f.event_id
  `;

const HISTORY_COMMENT_BEFORE =
  "An appointment''s changes (booked, rescheduled, checked_in, cancelled, no_show, completed) with when and which staff member, from the outbox and the audit log; for the front desk''s appointment panel. Only as far back as the outbox retention.";

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE appointment_history (
  event_id bigint NOT NULL,
  appointment_id integer NOT NULL,
  kind text NOT NULL,
  occurred_at timestamptz NOT NULL,
  txid xid8 NOT NULL,
  CONSTRAINT appointment_history_pkey PRIMARY KEY (event_id),
  CONSTRAINT appointment_history_kind_check
    CHECK (kind IN ('booked', 'rescheduled', 'checked_in', 'cancelled', 'no_show', 'completed'))
);
CREATE INDEX appointment_history_appointment_idx ON appointment_history (appointment_id, event_id);
GRANT SELECT ON appointment_history TO clinicpulse_backup;
COMMENT ON TABLE appointment_history IS 'Appointment changes older than the outbox retention: prune_appointment_events() moves each pruned change of an appointment here (patient_updated events are not kept) in the statement that deletes it. Ids and kinds only (no PII); kept indefinitely. Read through appointment_status_history().';
COMMENT ON COLUMN appointment_history.event_id IS 'The event''s id in the outbox (appointment_event_feed.event_id), so archived and live changes order together.';
COMMENT ON COLUMN appointment_history.appointment_id IS 'The appointment that changed.';
COMMENT ON COLUMN appointment_history.kind IS 'booked, rescheduled, checked_in, cancelled, no_show or completed.';
COMMENT ON COLUMN appointment_history.occurred_at IS 'When the changing statement started.';
COMMENT ON COLUMN appointment_history.txid IS 'The writing transaction: its audit rows name the staff member.';
COMMENT ON INDEX appointment_history_appointment_idx IS 'appointment_status_history(): one appointment''s archived changes in order.';

CREATE OR REPLACE FUNCTION prune_appointment_events(p_keep interval)
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
COMMENT ON FUNCTION prune_appointment_events(interval) IS 'For clinicpulse_realtime: deletes committed outbox batches older than the retention, keeps their events'' kinds in appointment_history, and advances appointment_events_retention.';

CREATE OR REPLACE FUNCTION appointment_status_history(p_appointment_id integer)
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
COMMENT ON FUNCTION appointment_status_history(integer) IS 'An appointment''s changes (booked, rescheduled, checked_in, cancelled, no_show, completed) with when and which staff member, from the outbox, appointment_history (what pruning kept) and the audit log; for the front desk''s appointment panel. Complete from this migration on; changes pruned before it are gone.';
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION prune_appointment_events(p_keep interval)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$${PRUNE_BODY_BEFORE} $function$;
COMMENT ON FUNCTION prune_appointment_events(interval) IS 'For clinicpulse_realtime: deletes committed outbox batches older than the retention and advances appointment_events_retention.';
CREATE OR REPLACE FUNCTION appointment_status_history(p_appointment_id integer)
 RETURNS TABLE(event_id bigint, kind text, occurred_at timestamp with time zone, actor_username text, actor_role text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$${HISTORY_BEFORE}$function$;
COMMENT ON FUNCTION appointment_status_history(integer) IS '${HISTORY_COMMENT_BEFORE}';
DROP TABLE appointment_history;
`,
  );
}
