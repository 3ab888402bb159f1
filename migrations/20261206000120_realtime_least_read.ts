/**
 * The live-push role reads only what the outbox just announced, and the read is recorded
 * (issue 9, item 3).
 *
 * Before: realtime_appointments(ids) returned the schedule row and patient name of any
 * appointment id, so clinicpulse_realtime (which any SQL on the service login can become)
 * could page through the whole schedule with names, unaudited. Now it returns rows only for
 * appointments with an outbox event committed in the last 15 minutes, which is what the
 * dispatcher asks for (the events it is fanning out right now), and records one durable
 * 'read' row (actor role clinicpulse_realtime, the patient ids returned) per call that
 * returned anything. A replay for a watcher resuming from an older cursor is read with that
 * watcher's own identity instead (server/realtime/index.ts).
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export const REALTIME_READ_WINDOW = '15 minutes';

const COLUMNS = `appointment_id integer, patient_id integer, provider_id integer, scheduled_at timestamptz,
                 duration_min integer, status text, clinic_date date, created_at timestamptz, updated_at timestamptz,
                 patient_name text`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION realtime_appointments(integer[]);
CREATE FUNCTION realtime_appointments(p_ids integer[])
  RETURNS TABLE (${COLUMNS})
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  announced integer[];
  pids integer[];
BEGIN
  -- Only appointments the outbox announced recently: the committed-batches index finds them.
  announced := ARRAY(SELECT DISTINCT e.appointment_id
                     FROM appointment_event_batches b JOIN appointment_events e ON e.txid = b.txid
                     WHERE b.committed_at > now() - interval '${REALTIME_READ_WINDOW}'
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
COMMENT ON FUNCTION realtime_appointments(integer[]) IS 'For clinicpulse_realtime: schedule rows (with patient name, nothing else about the patient) of up to 1000 appointments that have an outbox event committed in the last ${REALTIME_READ_WINDOW}, to shape live payloads; other ids return nothing. Each call that returns rows appends one durable read audit row listing the patients.';
REVOKE EXECUTE ON FUNCTION realtime_appointments(integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION realtime_appointments(integer[]) TO clinicpulse_realtime;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION realtime_appointments(integer[]);
CREATE FUNCTION realtime_appointments(p_ids integer[])
  RETURNS TABLE (${COLUMNS})
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT a.appointment_id, a.patient_id, a.provider_id, a.scheduled_at, a.duration_min, a.status,
         clinic_day(a.scheduled_at), a.created_at, a.updated_at, pt.name
  FROM appointments a JOIN patients pt ON pt.patient_id = a.patient_id
  WHERE a.appointment_id = ANY (p_ids[1:1000])
$$;
COMMENT ON FUNCTION realtime_appointments(integer[]) IS 'For clinicpulse_realtime: schedule rows (with patient name, nothing else about the patient) of up to 1000 appointments, to shape live payloads.';
REVOKE EXECUTE ON FUNCTION realtime_appointments(integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION realtime_appointments(integer[]) TO clinicpulse_realtime;
`,
  );
}
