/**
 * The front desk's appointment panel shows an appointment's status history: what happened
 * (the outbox's event kinds) and who did it (the audit log's actor of the same transaction),
 * from data the product already records. Front desk may read neither table directly, so one
 * owner-rights function returns exactly that and nothing else (no values, no other rows).
 * History goes back as far as the outbox retention (OUTBOX_RETENTION_DAYS, default 7).
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE FUNCTION appointment_status_history(p_appointment_id integer)
  RETURNS TABLE (event_id bigint, kind text, occurred_at timestamptz, actor_username text, actor_role text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
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
  $$;
COMMENT ON FUNCTION appointment_status_history(integer) IS 'An appointment''s changes (booked, rescheduled, checked_in, cancelled, no_show, completed) with when and which staff member, from the outbox and the audit log; for the front desk''s appointment panel. Only as far back as the outbox retention.';
REVOKE EXECUTE ON FUNCTION appointment_status_history(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION appointment_status_history(integer) TO front_desk;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'DROP FUNCTION IF EXISTS appointment_status_history(integer);');
}
