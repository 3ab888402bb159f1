/**
 * The waitlist (issue 13, part 3): patients waiting for an earlier slot with a provider or
 * in a specialty, and the freed slots that live offers are made of.
 *
 * - waitlist_entries: patient data (RLS enabled and forced, audited like every patient
 *   table), front desk only. Booking a candidate with `waitlistId` deletes the entry in
 *   the booking's transaction, so two desks taking one offer cannot both succeed.
 * - appointment_freed_slots: for each cancellation, move away or shortening of a future
 *   appointment, the time it gave back, written in the changing transaction beside the
 *   outbox event (same txid, same appointment), so a `waitlist:offer` rides the outbox:
 *   commit-ordered, replayable from a cursor, pruned with its batch (foreign key, cascade).
 * - waitlist_offer_candidates(): for the realtime service, the entries that fit a freed
 *   slot that is still free and in the future, longest-waiting first, with patient names.
 * Design: docs/design-decisions.md ("The waitlist"); events: docs/realtime.md.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- ===== Entries ====================================================================

CREATE TABLE waitlist_entries (
  waitlist_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES patients(patient_id),
  provider_id integer REFERENCES providers(provider_id),
  specialty text CONSTRAINT waitlist_entries_specialty_not_blank CHECK (specialty ~ '[^[:space:]]' AND length(specialty) <= 100),
  earliest timestamptz NOT NULL,
  latest timestamptz NOT NULL,
  duration_min integer NOT NULL CONSTRAINT waitlist_entries_duration_min_check CHECK (duration_min BETWEEN 5 AND 480),
  note text CONSTRAINT waitlist_entries_note_length CHECK (note ~ '[^[:space:]]' AND length(note) <= 500),
  created_by integer DEFAULT current_staff_user_id(),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT waitlist_entries_provider_or_specialty CHECK ((provider_id IS NULL) <> (specialty IS NULL)),
  CONSTRAINT waitlist_entries_window_fits CHECK (upper(appointment_slot(earliest, duration_min)) <= latest)
);
CREATE INDEX waitlist_entries_provider_idx ON waitlist_entries (provider_id, created_at) WHERE provider_id IS NOT NULL;
CREATE INDEX waitlist_entries_specialty_idx ON waitlist_entries (lower(specialty), created_at) WHERE specialty IS NOT NULL;
CREATE INDEX waitlist_entries_patient_idx ON waitlist_entries (patient_id);
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

ALTER TABLE waitlist_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE waitlist_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON waitlist_entries TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "front desk sees the waitlist" ON waitlist_entries FOR SELECT TO front_desk
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "front desk adds to the waitlist" ON waitlist_entries FOR INSERT TO front_desk
  WITH CHECK ((SELECT current_staff_user_id()) IS NOT NULL);
CREATE POLICY "front desk removes from the waitlist" ON waitlist_entries FOR DELETE TO front_desk
  USING ((SELECT current_staff_user_id()) IS NOT NULL);
${auditTriggersSql('waitlist_entries', 'waitlist_id', 'r.patient_id')}

REVOKE ALL ON waitlist_entries FROM PUBLIC;
GRANT SELECT, DELETE ON waitlist_entries TO front_desk;
GRANT INSERT (patient_id, provider_id, specialty, earliest, latest, duration_min, note) ON waitlist_entries TO front_desk;

-- ===== Freed slots, beside the outbox =============================================

CREATE TABLE appointment_freed_slots (
  freed_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  txid xid8 NOT NULL REFERENCES appointment_event_batches(txid) ON DELETE CASCADE,
  appointment_id integer NOT NULL,
  provider_id integer NOT NULL,
  freed tstzrange NOT NULL
);
CREATE INDEX appointment_freed_slots_txid_idx ON appointment_freed_slots (txid, appointment_id);
COMMENT ON TABLE appointment_freed_slots IS 'Time given back by a cancellation, a move away or a shortening of a future appointment, recorded in the changing transaction; joined to its outbox event by (txid, appointment_id) to make waitlist offers. No patient. Pruned with its outbox batch.';
COMMENT ON COLUMN appointment_freed_slots.freed_id IS 'Identity (the latest row wins when one transaction changes an appointment twice).';
COMMENT ON COLUMN appointment_freed_slots.txid IS 'The changing transaction; its outbox batch.';
COMMENT ON COLUMN appointment_freed_slots.appointment_id IS 'The appointment that gave the time back.';
COMMENT ON COLUMN appointment_freed_slots.provider_id IS 'Whose time it is (the provider before the change).';
COMMENT ON COLUMN appointment_freed_slots.freed IS 'The freed range: the whole old slot, or the part a move or shortening left.';

-- Named to sort after appointment_events_update/_delete (AFTER triggers fire in name order),
-- so the outbox batch row this references already exists.
CREATE FUNCTION appointment_freed_slots_record() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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
END $$;
COMMENT ON FUNCTION appointment_freed_slots_record() IS 'Statement-level trigger on appointments: records the future time each cancellation, move or shortening gives back (appointment_freed_slots), for waitlist offers.';
CREATE TRIGGER appointment_freed_slots_update AFTER UPDATE ON appointments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_freed_slots_record();
CREATE TRIGGER appointment_freed_slots_delete AFTER DELETE ON appointments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appointment_freed_slots_record();

-- ===== Candidates for an offer ======================================================

CREATE FUNCTION waitlist_offer_candidates(p_provider_id integer, p_start timestamptz, p_end timestamptz)
  RETURNS TABLE (waitlist_id integer, patient_id integer, patient_name text, waiting_since timestamptz, duration_min integer)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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
$$;
COMMENT ON FUNCTION waitlist_offer_candidates(integer, timestamptz, timestamptz) IS 'For clinicpulse_realtime: up to 20 waitlist entries (id, patient id and name, waiting since) that fit a freed slot of the provider (their provider or specialty, window and duration), longest-waiting first; none when the slot is no longer free or no longer in the future.';

REVOKE ALL ON appointment_freed_slots FROM PUBLIC;
GRANT SELECT ON appointment_freed_slots TO clinicpulse_realtime;
REVOKE EXECUTE ON FUNCTION appointment_freed_slots_record(), waitlist_offer_candidates(integer, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION waitlist_offer_candidates(integer, timestamptz, timestamptz) TO clinicpulse_realtime;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION IF EXISTS waitlist_offer_candidates(integer, timestamptz, timestamptz);
DROP TRIGGER IF EXISTS appointment_freed_slots_update ON appointments;
DROP TRIGGER IF EXISTS appointment_freed_slots_delete ON appointments;
DROP FUNCTION IF EXISTS appointment_freed_slots_record();
DROP TABLE IF EXISTS appointment_freed_slots;
${dropAuditTriggersSql('waitlist_entries')}
DROP TABLE IF EXISTS waitlist_entries;
`,
  );
}

/** The three statement-level audit triggers of one table (a copy: migrations never import each other). */
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
