/**
 * Provider availability: weekly working hours (several intervals a day) and time off
 * (migration 20261206000600). Managers write them; everyone who books reads them.
 * The booking rules that use them live in the database (appointments_desk_rules).
 */
import { raw } from 'objection';
import type { Transaction } from '../index.js';
import { iso } from './common.js';
import { ProviderModel, TimeOffModel, WorkingIntervalModel } from './models.js';
import { TIME_OFF_CATEGORIES } from '../../../shared/clinic.js';

export interface WorkingInterval {
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  isoWeekday: number;
  /** Clinic-local 'HH:MM'. */
  start: string;
  /** Clinic-local 'HH:MM' ('24:00' for midnight). */
  end: string;
}

/** 'HH:MM:SS' (PostgreSQL time) → 'HH:MM'. */
const hhmm = (t: string) => t.slice(0, 5);

export async function workingHours(trx: Transaction, providerId: number): Promise<WorkingInterval[]> {
  const rows = await ProviderModel.relatedQuery('workingHours', trx)
    .for(providerId)
    .select('iso_weekday', 'starts_at', 'ends_at')
    .orderBy(['iso_weekday', 'starts_at']);
  return rows.map((r) => ({ isoWeekday: r.isoWeekday, start: hhmm(r.startsAt), end: hhmm(r.endsAt) }));
}

/** Replace the provider's whole week in one statement pair; the database refuses overlaps. */
export async function replaceWorkingHours(trx: Transaction, providerId: number, items: WorkingInterval[]): Promise<WorkingInterval[]> {
  await ProviderModel.relatedQuery('workingHours', trx).for(providerId).delete();
  if (items.length > 0) {
    await WorkingIntervalModel.query(trx).insert(items.map((i) => ({ providerId, isoWeekday: i.isoWeekday, startsAt: i.start, endsAt: i.end })));
  }
  return workingHours(trx, providerId);
}

export type TimeOffCategory = (typeof TIME_OFF_CATEGORIES)[number];

export interface TimeOff {
  timeOffId: number;
  providerId: number;
  start: string;
  end: string;
  category: TimeOffCategory;
  note: string | null;
  createdAt: string;
}

/** A time-off row with its period's bounds, as the queries below select it. */
type TimeOffRow = TimeOffModel & { starts: Date; ends: Date };

const toTimeOff = (r: TimeOffRow): TimeOff => ({
  timeOffId: r.timeOffId,
  providerId: r.providerId,
  start: iso(r.starts),
  end: iso(r.ends),
  category: r.category as TimeOffCategory,
  note: r.note,
  createdAt: iso(r.createdAt),
});

const TIME_OFF_COLUMNS = ['time_off_id', 'provider_id', raw('lower(period)').as('starts'), raw('upper(period)').as('ends'), 'category', 'note', 'created_at'];

/** Time off of a provider overlapping the clinic-local days [from, to] (both optional), by start. */
export async function listTimeOff(trx: Transaction, providerId: number, range: { from?: string; to?: string }): Promise<TimeOff[]> {
  const q = ProviderModel.relatedQuery('timeOff', trx)
    .for(providerId)
    .select(TIME_OFF_COLUMNS)
    .orderByRaw('lower(period), time_off_id');
  if (range.from) q.whereRaw('upper(period) > lower(clinic_day_range(?::date))', [range.from]);
  if (range.to) q.whereRaw('lower(period) < upper(clinic_day_range(?::date))', [range.to]);
  return ((await q) as TimeOffRow[]).map(toTimeOff);
}

export interface AffectedAppointment {
  appointmentId: number;
  scheduledAt: string;
  durationMin: number;
  status: string;
}

/** Record time off; also answers the scheduled or checked-in appointments it overlaps (ids and times only). */
export async function addTimeOff(
  trx: Transaction,
  providerId: number,
  input: { start: string; end: string; category: TimeOffCategory; note?: string },
): Promise<{ timeOff: TimeOff; affectedAppointments: AffectedAppointment[] }> {
  const row = (await TimeOffModel.query(trx)
    .insert({
      providerId,
      period: raw(`tstzrange(?::timestamptz, ?::timestamptz, '[)')`, [input.start, input.end]),
      category: input.category,
      note: input.note ?? null,
    })
    .returning(TIME_OFF_COLUMNS)) as unknown as TimeOffRow;
  const timeOff = toTimeOff(row);
  const { rows } = await trx.raw<{ rows: { appointment_id: number; scheduled_at: Date; duration_min: number; status: string }[] }>(
    'SELECT * FROM time_off_affected_appointments(?)',
    [timeOff.timeOffId],
  );
  return {
    timeOff,
    affectedAppointments: rows.map((r) => ({ appointmentId: r.appointment_id, scheduledAt: iso(r.scheduled_at), durationMin: r.duration_min, status: r.status })),
  };
}

/** Delete one period of the provider; false when there is none with that id. */
export async function deleteTimeOff(trx: Transaction, providerId: number, timeOffId: number): Promise<boolean> {
  const n = await ProviderModel.relatedQuery('timeOff', trx).for(providerId).deleteById(timeOffId);
  return n > 0;
}

export interface FreeSlot {
  providerId: number;
  start: string;
  end: string;
}

/** Providers of one specialty (case-insensitive), by id. */
export async function providersOfSpecialty(trx: Transaction, specialty: string): Promise<number[]> {
  const rows = await ProviderModel.query(trx).select('provider_id').whereRaw('lower(specialty) = lower(?)', [specialty]).orderBy('provider_id');
  return rows.map((r) => r.providerId);
}

/**
 * Free slots of these providers over clinic-local days [from, to], sorted by start then
 * provider: each one a POST /api/appointments would accept right now (free_slots(), 20261206000601).
 */
export async function freeSlots(
  trx: Transaction,
  q: { providerIds: number[]; from: string; to: string; durationMin: number; limit: number },
): Promise<FreeSlot[]> {
  if (q.providerIds.length === 0) return [];
  const { rows } = await trx.raw<{ rows: { provider_id: number; starts: Date; ends: Date }[] }>(
    'SELECT provider_id, starts, ends FROM free_slots(?::integer[], ?::date, ?::date, ?::integer, ?::integer)',
    [q.providerIds, q.from, q.to, q.durationMin, q.limit],
  );
  return rows.map((r) => ({ providerId: r.provider_id, start: iso(r.starts), end: iso(r.ends) }));
}

/** Set how many overbooks may overlap at once for a provider (0-5); false when there is no such provider. */
export async function setOverbookLimit(trx: Transaction, providerId: number, limit: number): Promise<boolean> {
  return (await trx('providers').update({ overbook_limit: limit }).where('provider_id', providerId)) > 0;
}

export interface MonthlyOverbooks {
  providerId: number;
  providerName: string;
  /** 'YYYY-MM' */
  month: string;
  overbooks: number;
}

/** Overbooks (not cancelled) per provider and clinic-local month between two days: aggregates only. */
export async function monthlyOverbooks(trx: Transaction, from: string, to: string): Promise<MonthlyOverbooks[]> {
  const { rows } = await trx.raw<{ rows: { provider_id: number; provider_name: string; month: string; overbooks: number }[] }>(
    `SELECT provider_id, provider_name, to_char(month, 'YYYY-MM') AS month, overbooks FROM provider_monthly_overbooks(?::date, ?::date)`,
    [from, to],
  );
  return rows.map((r) => ({ providerId: r.provider_id, providerName: r.provider_name, month: r.month, overbooks: r.overbooks }));
}
