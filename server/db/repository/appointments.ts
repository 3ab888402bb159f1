/**
 * Appointments: booking and every status change. The rules (no double-booking, the
 * state machine, only a scheduled appointment moves) live in PostgreSQL; these
 * functions issue the plain statement and let the database refuse it, so the error
 * that reaches the API is the database's own SQLSTATE and constraint name
 * (see server/db/errors.ts). A row the caller may not see (RLS) reads as absent.
 */
import type { Knex } from 'knex';
import type { Transaction } from '../index.js';
import { type AppointmentStatus, firstRow, instant, iso } from './common.js';
import { takeWaitlistEntry } from './waitlist.js';
import { isPgError, SqlState } from '../errors.js';
import { DomainError } from '../../domain/errors.js';

export interface Appointment {
  appointmentId: number;
  patientId: number;
  providerId: number;
  /** Start, ISO-8601 instant. */
  scheduledAt: string;
  durationMin: number;
  status: AppointmentStatus;
  /** The clinic-local calendar day the appointment starts on, 'YYYY-MM-DD'. */
  clinicDate: string;
  createdAt: string;
  updatedAt: string;
}

export interface AppointmentRow {
  appointment_id: number;
  patient_id: number;
  provider_id: number;
  scheduled_at: Date;
  duration_min: number;
  status: AppointmentStatus;
  clinic_date: string;
  created_at: Date;
  updated_at: Date;
}

/** Columns of an Appointment, qualified by `alias`; clinic_date is computed in the clinic time zone. */
export function appointmentColumns(alias = 'a'): string[] {
  return [
    `${alias}.appointment_id`,
    `${alias}.patient_id`,
    `${alias}.provider_id`,
    `${alias}.scheduled_at`,
    `${alias}.duration_min`,
    `${alias}.status`,
    `${alias}.created_at`,
    `${alias}.updated_at`,
  ];
}

/** What every write returns: the row plus its clinic-local day, in the same round trip. */
export function appointmentReturning(trx: Transaction): (string | Knex.Raw)[] {
  return [
    'appointment_id',
    'patient_id',
    'provider_id',
    'scheduled_at',
    'duration_min',
    'status',
    'created_at',
    'updated_at',
    trx.raw('clinic_day(scheduled_at) AS clinic_date'),
  ];
}

export function toAppointment(r: AppointmentRow): Appointment {
  return {
    appointmentId: r.appointment_id,
    patientId: r.patient_id,
    providerId: r.provider_id,
    scheduledAt: iso(r.scheduled_at),
    durationMin: r.duration_min,
    status: r.status,
    clinicDate: r.clinic_date,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function first(rows: AppointmentRow[]): Appointment | undefined {
  return rows[0] && toAppointment(rows[0]);
}

/** One appointment, or undefined when it does not exist or the caller may not see it. */
export async function getAppointment(trx: Transaction, appointmentId: number): Promise<Appointment | undefined> {
  const row = await trx('appointments as a')
    .select(appointmentColumns('a'))
    .select(trx.raw('clinic_day(a.scheduled_at) AS clinic_date'))
    .where('a.appointment_id', appointmentId)
    .first<AppointmentRow | undefined>();
  return row && toAppointment(row);
}

export interface BookingInput {
  patientId: number;
  providerId: number;
  /** ISO-8601 instant with an offset, or a Date. */
  scheduledAt: string | Date;
  durationMin: number;
  /** Book outside the provider's working hours or during their time off, for this stated reason (stored, audited). */
  outsideHoursReason?: string;
  /** Book this patient's waitlist entry: it is removed in the same transaction (a conflict when already gone). */
  waitlistId?: number;
  /** Deliberately overlap the provider's existing appointment, for this reason (10-500 characters; audited, high severity). */
  overbook?: { reason: string };
}

/**
 * Make writes that could collide on a provider's or a patient's time queue behind each
 * other before they write. The exclusion constraints still decide what is allowed; this
 * only prevents the deadlock that two concurrent, conflicting inserts otherwise form while
 * each waits on the other's uncommitted index entry (PostgreSQL then aborts one with
 * 40P01, and under contention the retries can livelock). Locks are transaction-scoped,
 * in the two-key advisory space (1 = provider, 2 = patient) and always taken providers
 * first, ascending, then the patient, so no two bookings can wait on each other in a cycle.
 */
export async function queueBehindConflictingWrites(trx: Transaction, providerIds: number[], patientId: number): Promise<void> {
  const providers = [...new Set(providerIds)].sort((a, b) => a - b);
  const locks = [...providers.map(() => 'pg_advisory_xact_lock(1, ?::int)'), 'pg_advisory_xact_lock(2, ?::int)'];
  // Target-list expressions are evaluated left to right, which fixes the order.
  await trx.raw(`SELECT ${locks.join(', ')}`, [...providers, patientId]);
}

/**
 * Book a new appointment (status scheduled).
 * Refused by PostgreSQL with 23P01 `appointments_no_provider_overlap` or
 * `appointments_no_patient_overlap` when it overlaps a non-cancelled appointment,
 * 23514 for a duration outside 5–480 minutes, 23503 for an unknown patient or provider.
 */
export async function bookAppointment(trx: Transaction, input: BookingInput): Promise<Appointment> {
  if (input.waitlistId === undefined && !input.overbook) return bookQueued(trx, input);
  await queueBehindConflictingWrites(trx, [input.providerId], input.patientId);
  if (input.waitlistId !== undefined) await takeWaitlistEntry(trx, input.waitlistId, input.patientId);
  const row = {
    patient_id: input.patientId,
    provider_id: input.providerId,
    scheduled_at: instant(input.scheduledAt),
    duration_min: input.durationMin,
    ...(input.outsideHoursReason !== undefined ? { outside_hours_reason: input.outsideHoursReason } : {}),
  };
  const insert = async (db: Transaction, extra: Record<string, unknown>) =>
    first((await db('appointments').insert({ ...row, ...extra }).returning(appointmentReturning(db) as string[])) as AppointmentRow[])!;
  if (!input.overbook) return insert(trx, {});
  return bookOverbook(trx, input.providerId, (db, lane) => insert(db, { overbook_reason: input.overbook!.reason, overbook_lane: lane }));
}

/**
 * A plain booking in one statement (one round trip): the row is produced by a subquery that
 * first takes the same advisory locks as queueBehindConflictingWrites (provider, then
 * patient), so the insert, its constraints and triggers run only once the locks are held.
 */
async function bookQueued(trx: Transaction, input: BookingInput): Promise<Appointment> {
  const cols = ['patient_id', 'provider_id', 'scheduled_at', 'duration_min'];
  const values: string[] = ['?::integer', '?::integer', '?::timestamptz', '?::integer'];
  const bindings: Knex.Value[] = [input.patientId, input.providerId, instant(input.scheduledAt), input.durationMin];
  if (input.outsideHoursReason !== undefined) {
    cols.push('outside_hours_reason');
    values.push('?::text');
    bindings.push(input.outsideHoursReason);
  }
  const { rows } = (await trx.raw(
    `INSERT INTO appointments (${cols.join(', ')})
     SELECT ${values.join(', ')} FROM (SELECT pg_advisory_xact_lock(1, ?::int), pg_advisory_xact_lock(2, ?::int)) AS queued
     RETURNING appointment_id, patient_id, provider_id, scheduled_at, duration_min, status, created_at, updated_at, clinic_day(scheduled_at) AS clinic_date`,
    [...bindings, input.providerId, input.patientId],
  )) as { rows: AppointmentRow[] };
  return first(rows)!;
}

/**
 * An overbook takes the lowest free lane, 1..the provider's overbook_limit: each try in a
 * savepoint, the next lane only when this one already has an overlapping overbook
 * (appointments_no_overbook_overlap). The database decides; the last refusal is the answer.
 */
async function bookOverbook(trx: Transaction, providerId: number, insert: (db: Transaction, lane: number) => Promise<Appointment>): Promise<Appointment> {
  const p = (await trx('providers').select('overbook_limit').where('provider_id', providerId).first()) as { overbook_limit: number } | undefined;
  if (p && p.overbook_limit === 0) {
    throw new DomainError('conflict', 'overbook_not_allowed', 'This provider takes no overbooks; choose a free slot (GET /api/slots) or ask a manager to allow overbooking.', { providerId, limit: 0 });
  }
  const lanes = p?.overbook_limit ?? 1;
  for (let lane = 1; ; lane++) {
    try {
      return await trx.transaction((sp) => insert(sp as Transaction, lane));
    } catch (err) {
      const taken = isPgError(err) && err.code === SqlState.exclusionViolation && err.constraint === 'appointments_no_overbook_overlap';
      if (!taken || lane >= lanes) throw err;
    }
  }
}

export interface RescheduleInput {
  scheduledAt: string | Date;
  /** Keep the current duration when omitted. */
  durationMin?: number;
  /** Move to another provider; keep the current one when omitted. */
  providerId?: number;
  /** Why the new time may be outside working hours; a move without one clears the old reason. */
  outsideHoursReason?: string;
}

/**
 * Move a scheduled appointment. Refused with 23514 `appointments_reschedule_only_scheduled`
 * unless it is still scheduled, and with 23P01 when the new slot overlaps.
 * Undefined when the appointment does not exist (or is not visible to the caller).
 */
export async function rescheduleAppointment(
  trx: Transaction,
  appointmentId: number,
  input: RescheduleInput,
): Promise<Appointment | undefined> {
  const current: { provider_id: number; patient_id: number } | undefined = await firstRow(trx('appointments')
    .select('provider_id', 'patient_id')
    .where('appointment_id', appointmentId));
  if (!current) return undefined;
  await queueBehindConflictingWrites(trx, [input.providerId ?? current.provider_id], current.patient_id);
  const patch: Record<string, unknown> = { scheduled_at: instant(input.scheduledAt) };
  if (input.durationMin !== undefined) patch.duration_min = input.durationMin;
  if (input.providerId !== undefined) patch.provider_id = input.providerId;
  patch.outside_hours_reason = input.outsideHoursReason ?? null;
  const rows = await trx('appointments')
    .update(patch)
    .where('appointment_id', appointmentId)
    .returning(appointmentReturning(trx) as string[]);
  return first(rows as AppointmentRow[]);
}

/**
 * Change the status; the trigger `appointments_guard_update` refuses anything outside
 * scheduled→checked_in→completed, scheduled|checked_in→cancelled, scheduled→no_show
 * with 23514 `appointments_status_transition`.
 */
export async function setAppointmentStatus(
  trx: Transaction,
  appointmentId: number,
  status: AppointmentStatus,
): Promise<Appointment | undefined> {
  const rows = await trx('appointments')
    .update({ status })
    .where('appointment_id', appointmentId)
    .returning(appointmentReturning(trx) as string[]);
  return first(rows as AppointmentRow[]);
}

/** The patient has arrived: scheduled → checked_in. */
export function checkInAppointment(trx: Transaction, appointmentId: number): Promise<Appointment | undefined> {
  return setAppointmentStatus(trx, appointmentId, 'checked_in');
}

/**
 * scheduled|checked_in → cancelled; frees the slot. Refused with 23514
 * `appointments_visit_requires_arrival` when a visit was already recorded.
 */
export function cancelAppointment(trx: Transaction, appointmentId: number): Promise<Appointment | undefined> {
  return setAppointmentStatus(trx, appointmentId, 'cancelled');
}

/** scheduled → no_show. The slot stays occupied (the provider's time was spent). */
export function markNoShow(trx: Transaction, appointmentId: number): Promise<Appointment | undefined> {
  return setAppointmentStatus(trx, appointmentId, 'no_show');
}

export interface SlotConflict {
  appointmentId: number;
  scheduledAt: string;
  durationMin: number;
  /** Start and end in the clinic's time zone, 'YYYY-MM-DD HH:MI' and 'HH:MI', for messages. */
  localStart: string;
  localEnd: string;
}

/**
 * The non-cancelled appointment of `providerId` that overlaps [start, start + minutes),
 * if the caller may see it; used to name the conflicting time after a 23P01.
 */
export async function providerSlotConflict(
  trx: Transaction,
  providerId: number,
  start: string,
  minutes: number,
  excludeAppointmentId?: number,
): Promise<SlotConflict | undefined> {
  const q = trx('appointments')
    .select(
      'appointment_id',
      'scheduled_at',
      'duration_min',
      trx.raw(`to_char(scheduled_at AT TIME ZONE clinic_time_zone(), 'YYYY-MM-DD HH24:MI') AS local_start`),
      trx.raw(`to_char((scheduled_at + duration_min * interval '1 minute') AT TIME ZONE clinic_time_zone(), 'HH24:MI') AS local_end`),
    )
    .where('provider_id', providerId)
    .whereNot('status', 'cancelled')
    .whereRaw('appointment_slot(scheduled_at, duration_min) && appointment_slot(?::timestamptz, ?::integer)', [start, minutes])
    .orderBy('scheduled_at');
  if (excludeAppointmentId !== undefined) q.whereNot('appointment_id', excludeAppointmentId);
  const row = (await q.first()) as
    | { appointment_id: number; scheduled_at: Date; duration_min: number; local_start: string; local_end: string }
    | undefined;
  return (
    row && {
      appointmentId: row.appointment_id,
      scheduledAt: iso(row.scheduled_at),
      durationMin: row.duration_min,
      localStart: row.local_start,
      localEnd: row.local_end,
    }
  );
}
