/**
 * A doorbell for the waitlist: every statement that adds, changes or removes waitlist entries
 * (a desk adding a patient, a withdrawal, a booking that takes an entry, an erasure) sends
 * NOTIFY waitlist_events at commit, with an empty payload (NOTIFY is visible to every listener
 * of the database: no ids, nothing about the patient). The realtime service turns it into
 * `waitlist:changed` for front-desk screens, which then re-read GET /api/waitlist under their
 * own rights (RLS, audited). Contract: shared/events.ts; flow: docs/realtime.md.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE FUNCTION waitlist_entries_notify() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  -- One per transaction: PostgreSQL folds identical notifications of a transaction into one.
  PERFORM pg_notify('waitlist_events', '');
  RETURN NULL;
END $$;
COMMENT ON FUNCTION waitlist_entries_notify() IS 'Statement-level trigger on waitlist_entries: NOTIFY waitlist_events with an empty payload at commit, so front-desk screens re-read the waitlist (waitlist:changed).';
REVOKE ALL ON FUNCTION waitlist_entries_notify() FROM PUBLIC;
CREATE TRIGGER waitlist_entries_notify AFTER INSERT OR UPDATE OR DELETE ON waitlist_entries
  FOR EACH STATEMENT EXECUTE FUNCTION waitlist_entries_notify();
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'DROP TRIGGER IF EXISTS waitlist_entries_notify ON waitlist_entries; DROP FUNCTION IF EXISTS waitlist_entries_notify();');
}
