/** The appointment outbox as the realtime service reads it (appointment_event_feed), for tests. */
import type { Knex } from 'knex';

export interface FeedRow {
  event_id: number;
  appointment_id: number;
  kind: string;
  provider_id: number;
  day: string;
  prev_provider_id: number | null;
  prev_day: string | null;
  days: string[] | string;
}

/** Events after a cursor, in commit order. */
export const feedAfter = async (knex: Knex, after: number): Promise<FeedRow[]> =>
  (await knex.raw('SELECT * FROM appointment_event_feed WHERE event_id > ? ORDER BY event_id', [after])).rows;

/** The newest event id handed out so far (0 before any). */
export const lastEventId = async (knex: Knex): Promise<number> =>
  (await knex.raw('SELECT coalesce(max(last_event_id), 0) AS m FROM appointment_event_batches')).rows[0].m;
