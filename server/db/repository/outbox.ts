/**
 * Reading the appointment outbox (migration 20261125000030) as the NOLOGIN role
 * clinicpulse_realtime: events after a cursor in event-id (= commit) order, the
 * rows that live payloads are shaped from, the current head, and pruning.
 */
import type { Knex } from 'knex';
import { asService, REALTIME_ROLE } from '../index.js';
import type { AppointmentEventKind, ScheduleAppointment, WaitlistOffer } from '../../../shared/events.js';

export interface OutboxEvent {
  eventId: number;
  appointmentId: number;
  kind: AppointmentEventKind;
  providerId: number;
  day: string;
  /** Set when the change moved the appointment off another provider or day. */
  prevProviderId: number | null;
  prevDay: string | null;
}

interface EventRow {
  event_id: number;
  appointment_id: number;
  kind: AppointmentEventKind;
  provider_id: number;
  day: string;
  prev_provider_id: number | null;
  prev_day: string | null;
}

const toEvent = (r: EventRow): OutboxEvent => ({
  eventId: r.event_id,
  appointmentId: r.appointment_id,
  kind: r.kind,
  providerId: r.provider_id,
  day: r.day,
  prevProviderId: r.prev_provider_id,
  prevDay: r.prev_day,
});

// Batches hold disjoint, increasing blocks of ids, so (last_event_id, ordinal) order is event-id order
// and the scan walks the batches index from the cursor.
const EVENTS_SQL = `
  SELECT b.first_event_id + e.ordinal - 1 AS event_id, e.appointment_id, e.kind, e.provider_id, e.day,
         e.prev_provider_id, e.prev_day
  FROM appointment_event_batches b JOIN appointment_events e ON e.txid = b.txid
  WHERE b.last_event_id > :after AND b.first_event_id + e.ordinal - 1 > :after`;

/** Where the outbox stands: the highest committed event id and how far pruning has deleted. */
export interface OutboxHead {
  head: number;
  prunedThrough: number;
}

export class OutboxReader {
  constructor(private readonly knex: Knex) {}

  private run<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return asService(this.knex, REALTIME_ROLE, work, { readOnly: true });
  }

  /** Up to `limit` committed events with id > after, in id order. */
  async after(after: number, limit: number): Promise<OutboxEvent[]> {
    const { rows } = await this.run((trx) =>
      trx.raw<{ rows: EventRow[] }>(`${EVENTS_SQL} ORDER BY b.last_event_id, e.ordinal LIMIT :limit`, { after, limit }),
    );
    return rows.map(toEvent);
  }

  /**
   * Up to `limit` events after `after` plus the current rows of their appointments, in one
   * transaction (the dispatcher's hot path: fewer round trips between COMMIT and the sockets).
   */
  async afterWithRows(after: number, limit: number): Promise<{ events: OutboxEvent[]; rows: Map<number, ScheduleAppointment> }> {
    // One statement: the events, and the shaping rows of their appointments beside them.
    const { rows } = await this.run((trx) =>
      trx.raw<{ rows: (EventRow & { row: AppointmentJson | null })[] }>(
        `WITH ev AS (${EVENTS_SQL} ORDER BY b.last_event_id, e.ordinal LIMIT :limit)
         SELECT ev.*, to_jsonb(r) AS row
         FROM ev LEFT JOIN realtime_appointments(ARRAY(SELECT DISTINCT appointment_id FROM ev)) r
           ON r.appointment_id = ev.appointment_id
         ORDER BY ev.event_id`,
        { after, limit },
      ),
    );
    const out = new Map<number, ScheduleAppointment>();
    for (const r of rows) {
      if (r.row && !out.has(r.row.appointment_id)) {
        const j = r.row;
        out.set(j.appointment_id, toScheduleAppointment({ ...j, scheduled_at: new Date(j.scheduled_at), created_at: new Date(j.created_at), updated_at: new Date(j.updated_at) }));
      }
    }
    return { events: rows.map(toEvent), rows: out };
  }

  /** The events in (after, upTo] that touch one provider's day, in id order. */
  async forDay(providerId: number, day: string, after: number, upTo: number): Promise<OutboxEvent[]> {
    const { rows } = await this.run((trx) =>
      trx.raw<{ rows: EventRow[] }>(
        `${EVENTS_SQL} AND b.first_event_id <= :upTo AND b.first_event_id + e.ordinal - 1 <= :upTo
           AND ((e.provider_id = :providerId AND e.day = :day::date)
                OR (e.prev_provider_id = :providerId AND e.prev_day = :day::date))
         ORDER BY b.last_event_id, e.ordinal`,
        { after, upTo, providerId, day },
      ),
    );
    return rows.map(toEvent);
  }

  /** The events in (after, upTo] that touch clinic-local `day` for any provider, in id order. */
  async forClinicDay(day: string, after: number, upTo: number): Promise<OutboxEvent[]> {
    const { rows } = await this.run((trx) =>
      trx.raw<{ rows: EventRow[] }>(
        `${EVENTS_SQL} AND b.first_event_id <= :upTo AND b.first_event_id + e.ordinal - 1 <= :upTo
           AND (e.day = :day::date OR e.prev_day = :day::date)
         ORDER BY b.last_event_id, e.ordinal`,
        { after, upTo, day },
      ),
    );
    return rows.map(toEvent);
  }

  async head(): Promise<OutboxHead> {
    const { rows } = await this.run((trx) =>
      trx.raw<{ rows: { head: number; pruned: number }[] }>(
        // Never below what pruning removed: with every batch pruned, ids still continue from there.
        `SELECT greatest(coalesce((SELECT max(last_event_id) FROM appointment_event_batches), 0),
                         (SELECT pruned_through FROM appointment_events_retention))::bigint AS head,
                (SELECT pruned_through FROM appointment_events_retention) AS pruned`,
      ),
    );
    return { head: rows[0]!.head, prunedThrough: rows[0]!.pruned };
  }

  /**
   * The future time given back by the events in (after, upTo] (cancellations, moves away,
   * shortenings: migration 20261206000602), in event order, each with the waitlist entries
   * that fit it now; slots no longer free or with no candidate are left out.
   */
  async waitlistOffers(after: number, upTo: number): Promise<WaitlistOffer[]> {
    if (upTo <= after) return [];
    const { rows } = await this.run((trx) =>
      trx.raw<{ rows: { event_id: number; provider_id: number; starts: Date; ends: Date; candidates: { waitlist_id: number; patient_id: number; patient_name: string; waiting_since: string; duration_min: number }[] }[] }>(
        `SELECT ev.event_id, f.provider_id, lower(f.freed) AS starts, upper(f.freed) AS ends, c.candidates
         FROM (SELECT b.first_event_id + e.ordinal - 1 AS event_id, e.txid, e.appointment_id
               FROM appointment_event_batches b JOIN appointment_events e ON e.txid = b.txid
               WHERE b.last_event_id > :after AND b.first_event_id <= :upTo
                 AND b.first_event_id + e.ordinal - 1 > :after AND b.first_event_id + e.ordinal - 1 <= :upTo
                 AND e.kind IN ('cancelled', 'rescheduled')) ev
         CROSS JOIN LATERAL (SELECT s.provider_id, s.freed FROM appointment_freed_slots s
                             WHERE s.txid = ev.txid AND s.appointment_id = ev.appointment_id
                             ORDER BY s.freed_id DESC LIMIT 1) f
         CROSS JOIN LATERAL (SELECT json_agg(w ORDER BY w.waiting_since, w.waitlist_id) AS candidates
                             FROM waitlist_offer_candidates(f.provider_id, lower(f.freed), upper(f.freed)) w) c
         WHERE c.candidates IS NOT NULL
         ORDER BY ev.event_id`,
        { after, upTo },
      ),
    );
    return rows.map((r) => ({
      cursor: Number(r.event_id),
      slot: { providerId: r.provider_id, start: r.starts.toISOString(), end: r.ends.toISOString() },
      candidates: r.candidates.map((c) => ({
        waitlistId: c.waitlist_id,
        patientId: c.patient_id,
        patientName: c.patient_name,
        waitingSince: new Date(c.waiting_since).toISOString(),
        durationMin: c.duration_min,
      })),
    }));
  }

  /** Delete outbox batches older than the retention; returns how many events went. */
  async prune(retentionDays: number): Promise<number> {
    const { rows } = await asService(this.knex, REALTIME_ROLE, (trx) =>
      trx.raw<{ rows: { n: number }[] }>('SELECT prune_appointment_events(make_interval(days => ?)) AS n', [retentionDays]),
    );
    return rows[0]!.n;
  }
}

/** An AppointmentRow as to_jsonb renders it: instants as strings. */
type AppointmentJson = Omit<AppointmentRow, 'scheduled_at' | 'created_at' | 'updated_at'> & {
  scheduled_at: string;
  created_at: string;
  updated_at: string;
};

interface AppointmentRow {
  appointment_id: number;
  patient_id: number;
  provider_id: number;
  scheduled_at: Date;
  duration_min: number;
  status: ScheduleAppointment['status'];
  clinic_date: string;
  created_at: Date;
  updated_at: Date;
  patient_name: string;
  overbook_reason?: string | null;
}

function toScheduleAppointment(r: AppointmentRow): ScheduleAppointment {
  return {
    appointmentId: r.appointment_id,
    patientId: r.patient_id,
    providerId: r.provider_id,
    scheduledAt: r.scheduled_at.toISOString(),
    durationMin: r.duration_min,
    status: r.status,
    clinicDate: r.clinic_date,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    patientName: r.patient_name,
    overbookReason: r.overbook_reason ?? null,
  };
}
