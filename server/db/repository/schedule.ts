/**
 * Schedules: one provider's clinic-local day, and what is coming up.
 *
 * A "day" is the clinic's local calendar day, the half-open instant range
 * [local midnight, next local midnight) from clinic_day_range(): 23 or 25 hours
 * across DST changes. The query compares scheduled_at to the range bounds (not
 * `<@`), so appointments(provider_id, scheduled_at) serves it as an index range scan.
 *
 * A provider's day is read on every screen refresh and live update, and planning it (with
 * both tables' policies) took about as long as running it, so it is a prepared statement whose
 * generic plan is reused. The bounds are sub-selects on purpose: as plain expressions the
 * planner evaluates clinic_day_range() while planning each call's own plan, estimates a
 * third of the rows the generic plan assumes, and so never switches to the generic plan.
 */
import type { Knex } from 'knex';
import type { Transaction } from '../index.js';
import { appointmentColumns, toAppointment, type Appointment, type AppointmentRow } from './appointments.js';
import { type AppointmentStatus, assertDay, boundedLimit, clinicDateOf, iso, preparedRows, type Queryable, selected } from './common.js';
import { selectAudited } from './access-log.js';

export interface ScheduleEntry extends Appointment {
  patientName: string;
  /** Set when the front desk booked it on top of another appointment (an overbook), with this reason. */
  overbookReason: string | null;
  /** When the patient was checked in (appointments.checked_in_at); null if not (or not recorded). */
  checkedInAt: string | null;
}

export interface ScheduleOptions {
  /** Show cancelled appointments too (default false: they no longer hold the slot). */
  includeCancelled?: boolean;
}

/** The columns of a {@link ScheduleEntry}, over appointments `a` joined to patients `pt`. */
const SCHEDULE_COLUMNS = [
  ...appointmentColumns('a'),
  `${clinicDateOf('a.scheduled_at')} AS clinic_date`,
  'pt.name AS patient_name',
  'a.overbook_reason',
  'a.checked_in_at',
].join(', ');

// Written once as text rather than built per call: compiling a builder cost ~0.12 ms a call,
// a quarter of the prepared statement's whole round trip (0.42 ms p50 at 1M, one connection).
const scheduleSql = (includeCancelled: boolean) => `SELECT ${SCHEDULE_COLUMNS}
  FROM appointments a JOIN patients pt ON pt.patient_id = a.patient_id
  WHERE a.provider_id = ?
    AND a.scheduled_at >= (SELECT lower(clinic_day_range(?::date)))
    AND a.scheduled_at < (SELECT upper(clinic_day_range(?::date)))${includeCancelled ? '' : "\n    AND a.status <> 'cancelled'"}
  ORDER BY a.scheduled_at`;
const SCHEDULE_SQL = { open: scheduleSql(false), all: scheduleSql(true) };

/** The query behind {@link providerDaySchedule}, unexecuted (EXPLAIN in tests and docs). */
export function providerScheduleQuery(db: Queryable, providerId: number, day: string, opts: ScheduleOptions = {}): Knex.Raw {
  assertDay(day, 'day');
  return db.raw(opts.includeCancelled ? SCHEDULE_SQL.all : SCHEDULE_SQL.open, [providerId, day, day]);
}

/** A provider's appointments starting on clinic-local day `day` ('YYYY-MM-DD'), in time order. */
export async function providerDaySchedule(
  trx: Transaction,
  providerId: number,
  day: string,
  opts: ScheduleOptions = {},
): Promise<ScheduleEntry[]> {
  const rows = await preparedRows<ScheduleRow>(providerScheduleQuery(trx, providerId, day, opts));
  return rows.map(toScheduleEntry);
}

/**
 * {@link providerDaySchedule} and its durable audit row (every patient on the day) in one
 * statement (access-log.ts, selectAudited): the rows come back only once the audit row is
 * committed. Cancelled appointments are left out.
 */
export async function providerDayScheduleAudited(trx: Transaction, providerId: number, day: string): Promise<ScheduleEntry[]> {
  // knex puts a query builder bound into a raw statement in parentheses, but not a raw one; the CTE needs them.
  const statement = providerScheduleQuery(trx, providerId, day).wrap('(', ')');
  const rows = await selectAudited<ScheduleRow>(trx, 'appointments', statement, {
    patientColumn: 'patient_id',
    orderBy: 'scheduled_at, appointment_id',
    prepared: true,
  });
  return rows.map(toScheduleEntry);
}

type ScheduleRow = AppointmentRow & { patient_name: string; overbook_reason: string | null; checked_in_at: Date | null };

function toScheduleEntry(r: ScheduleRow): ScheduleEntry {
  return {
    ...toAppointment(r),
    patientName: r.patient_name,
    overbookReason: r.overbook_reason,
    checkedInAt: r.checked_in_at ? r.checked_in_at.toISOString() : null,
  };
}

/**
 * The current schedule rows of these appointments that the caller may see (row-level security
 * decides; cancelled ones included, since a cancellation must reach the screen), by id.
 */
export async function scheduleRowsByIds(trx: Transaction, appointmentIds: readonly number[]): Promise<ScheduleEntry[]> {
  if (appointmentIds.length === 0) return [];
  const result: { rows: ScheduleRow[] } = await trx.raw(
    `SELECT ${SCHEDULE_COLUMNS} FROM appointments a JOIN patients pt ON pt.patient_id = a.patient_id WHERE a.appointment_id = ANY (?::integer[])`,
    [[...appointmentIds]],
  );
  return result.rows.map(toScheduleEntry);
}

export interface UpcomingAppointment {
  appointmentId: number;
  scheduledAt: string;
  durationMin: number;
  status: Extract<AppointmentStatus, 'scheduled' | 'checked_in'>;
  clinicDate: string;
  providerId: number;
  providerName: string;
  patientId: number;
  patientName: string;
}

export interface UpcomingOptions {
  providerId?: number;
  patientId?: number;
  /** At most this many rows (default 50, at most 500). */
  limit?: number;
}

/** The query behind {@link upcomingAppointments}: the view upcoming_appointments, soonest first. */
export function upcomingQuery(db: Queryable, opts: UpcomingOptions = {}): Knex.QueryBuilder {
  const limit = boundedLimit(opts.limit, 50, 500);
  const q = db('upcoming_appointments')
    .select('*')
    .orderBy('scheduled_at', 'asc')
    .orderBy('appointment_id', 'asc')
    .limit(limit);
  if (opts.providerId !== undefined) q.where('provider_id', opts.providerId);
  if (opts.patientId !== undefined) q.where('patient_id', opts.patientId);
  return q;
}

/** Scheduled or checked-in appointments from now on, soonest first. */
export async function upcomingAppointments(trx: Transaction, opts: UpcomingOptions & { audited?: boolean } = {}): Promise<UpcomingAppointment[]> {
  // With `audited`, the list and its durable audit row (every patient in it) come from one statement.
  const query = upcomingQuery(trx, opts);
  const rows: {
    appointment_id: number;
    scheduled_at: Date;
    duration_min: number;
    status: 'scheduled' | 'checked_in';
    clinic_date: string;
    provider_id: number;
    provider_name: string;
    patient_id: number;
    patient_name: string;
  }[] = opts.audited
    ? await selectAudited(trx, 'appointments', query, { patientColumn: 'patient_id', orderBy: 'scheduled_at, appointment_id' })
    : await selected(query);
  return rows.map((r) => ({
    appointmentId: r.appointment_id,
    scheduledAt: iso(r.scheduled_at),
    durationMin: r.duration_min,
    status: r.status,
    clinicDate: r.clinic_date,
    providerId: r.provider_id,
    providerName: r.provider_name,
    patientId: r.patient_id,
    patientName: r.patient_name,
  }));
}
