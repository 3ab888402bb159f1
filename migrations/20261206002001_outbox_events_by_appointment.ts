/**
 * realtime_appointments(ids) shapes only appointments the outbox announced in the last 15
 * minutes. With no index on the events' appointment id, finding their events was a sequential
 * scan of every retained event: 1M events (the bench's 1M generated appointments, or a busy
 * clinic's retention window) cost ~130 ms per dispatch, and commit-to-socket rose from ~25 ms
 * to 100–500 ms p50. With the index the same lookup takes under 1 ms on that dataset. Same
 * rows, same restriction; one more btree entry per event written.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `CREATE INDEX appointment_events_appointment_idx ON appointment_events (appointment_id);
COMMENT ON INDEX appointment_events_appointment_idx IS 'realtime_appointments(): which of the ids asked about the outbox announced recently, without walking every recent batch.';`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, 'DROP INDEX IF EXISTS appointment_events_appointment_idx;');
}
