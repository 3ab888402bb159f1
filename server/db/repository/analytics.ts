/**
 * Provider analytics by clinic-local month, read from the views provider_no_show_rate
 * and provider_monthly_volume. Both read appointment_monthly_stats, which statement
 * triggers on appointments keep exact in the same transaction as every write, so a
 * chart at 1M appointments reads a few hundred rows instead of scanning them.
 *
 * Definitions (docs/design-decisions.md):
 *  - volume   = appointments that were not cancelled;
 *  - no-show rate = no_show / (completed + no_show), null when that is 0.
 *
 * test/support/analytics-reference.ts computes the same numbers straight from the raw
 * appointments rows, so tests can prove the maintained counters exact.
 */
import type { Knex } from 'knex';
import type { Transaction } from '../index.js';
import { monthStart, type Queryable, selected } from './common.js';

export interface MonthFilter {
  /** First month included, 'YYYY-MM' (clinic-local). */
  from?: string;
  /** Last month included, 'YYYY-MM' (clinic-local). */
  to?: string;
  providerId?: number;
  /** Only these providers (any of them). */
  providerIds?: readonly number[];
  /** Only providers of this specialty. */
  specialty?: string;
}

export interface NoShowRate {
  providerId: number;
  providerName: string;
  /** 'YYYY-MM', clinic-local. */
  month: string;
  completed: number;
  noShows: number;
  /** noShows / (completed + noShows), rounded to 4 places; null when both are 0. */
  rate: number | null;
}

export interface MonthlyVolume {
  providerId: number;
  providerName: string;
  month: string;
  /** Appointments that were not cancelled (any other status). */
  appointments: number;
}

function filtered(q: Knex.QueryBuilder, f: MonthFilter, monthColumn: string): Knex.QueryBuilder {
  if (f.from !== undefined) q.where(monthColumn, '>=', monthStart(f.from, 'from'));
  if (f.to !== undefined) q.where(monthColumn, '<=', monthStart(f.to, 'to'));
  if (f.providerId !== undefined) q.where('provider_id', f.providerId);
  if (f.providerIds !== undefined && f.providerIds.length > 0) q.whereIn('provider_id', [...f.providerIds]);
  if (f.specialty !== undefined) q.whereIn('provider_id', (sub) => {
    sub.select('provider_id').from('providers').where('specialty', f.specialty!);
  });
  return q;
}

/** The query behind {@link providerNoShowRates}, unexecuted. */
export function noShowRateQuery(db: Queryable, f: MonthFilter = {}): Knex.QueryBuilder {
  return filtered(
    db('provider_no_show_rate')
      .select('provider_id', 'provider_name', 'month', 'completed', 'no_shows', 'rate')
      .orderBy([{ column: 'provider_id' }, { column: 'provider_no_show_rate.month' }]),
    f,
    'provider_no_show_rate.month',
  );
}

/** The query behind {@link providerMonthlyVolume}, unexecuted. */
export function monthlyVolumeQuery(db: Queryable, f: MonthFilter = {}): Knex.QueryBuilder {
  return filtered(
    db('provider_monthly_volume')
      .select('provider_id', 'provider_name', 'month', 'appointments')
      .orderBy([{ column: 'provider_id' }, { column: 'provider_monthly_volume.month' }]),
    f,
    'provider_monthly_volume.month',
  );
}

interface RateRow {
  provider_id: number;
  provider_name: string;
  month: string;
  completed: number;
  no_shows: number;
  rate: number | null;
}
interface VolumeRow {
  provider_id: number;
  provider_name: string;
  month: string;
  appointments: number;
}

// month arrives as 'YYYY-MM-01' (dates are strings, see server/db/knex.ts); cutting it in JS
// is measurably cheaper than to_char() per row on the few thousand rows of a full chart.
const toRate = (r: RateRow): NoShowRate => ({
  providerId: r.provider_id,
  providerName: r.provider_name,
  month: r.month.slice(0, 7),
  completed: Number(r.completed),
  noShows: Number(r.no_shows),
  rate: r.rate === null ? null : Number(r.rate),
});
const toVolume = (r: VolumeRow): MonthlyVolume => ({
  providerId: r.provider_id,
  providerName: r.provider_name,
  month: r.month.slice(0, 7),
  appointments: Number(r.appointments),
});

/**
 * No-show rate per provider per clinic-local month, ordered by provider then month.
 * Months with no completed and no no-show appointment have no row.
 */
export async function providerNoShowRates(trx: Transaction, f: MonthFilter = {}): Promise<NoShowRate[]> {
  const rows: RateRow[] = await selected(noShowRateQuery(trx, f));
  return rows.map(toRate);
}

/** Appointment volume (not cancelled) per provider per clinic-local month; months with 0 have no row. */
export async function providerMonthlyVolume(trx: Transaction, f: MonthFilter = {}): Promise<MonthlyVolume[]> {
  const rows: VolumeRow[] = await selected(monthlyVolumeQuery(trx, f));
  return rows.map(toVolume);
}

export interface MonthlyOutcomes {
  providerId: number;
  providerName: string;
  specialty: string;
  month: string;
  /** Completed visits. */
  completed: number;
  noShows: number;
  cancelled: number;
  /**
   * Booked and still open: scheduled or checked in, outcome not yet recorded. In a month
   * that has passed these are appointments nobody closed; in the current and later months
   * they are mostly the future bookings.
   */
  scheduled: number;
  /** no_shows / (completed + no_shows), 4 places; null when both are 0. */
  noShowRate: number | null;
}

/**
 * Per provider and clinic-local month, every outcome counted separately from the maintained
 * counters (appointment_monthly_stats), so past outcomes and open bookings are never summed
 * into one number. Months with no appointment at all have no row.
 */
export async function providerMonthlyOutcomes(trx: Transaction, f: MonthFilter = {}): Promise<MonthlyOutcomes[]> {
  const q = filtered(
    trx('appointment_monthly_stats as s')
      .join('providers as p', 'p.provider_id', 's.provider_id')
      .select('s.provider_id', 'p.name as provider_name', 'p.specialty', 's.month', 's.completed', 's.no_show', 's.cancelled', 's.scheduled', 's.checked_in')
      .where('s.total', '>', 0)
      .orderBy([{ column: 's.provider_id' }, { column: 's.month' }]),
    { ...f, providerId: undefined, providerIds: undefined, specialty: undefined },
    's.month',
  );
  if (f.providerId !== undefined) q.where('s.provider_id', f.providerId);
  if (f.providerIds !== undefined && f.providerIds.length > 0) q.whereIn('s.provider_id', [...f.providerIds]);
  if (f.specialty !== undefined) q.where('p.specialty', f.specialty);
  const rows: {
    provider_id: number;
    provider_name: string;
    specialty: string;
    month: string;
    completed: number;
    no_show: number;
    cancelled: number;
    scheduled: number;
    checked_in: number;
  }[] = await selected(q);
  return rows.map((r) => {
    const known = Number(r.completed) + Number(r.no_show);
    return {
      providerId: r.provider_id,
      providerName: r.provider_name,
      specialty: r.specialty,
      month: r.month.slice(0, 7),
      completed: Number(r.completed),
      noShows: Number(r.no_show),
      cancelled: Number(r.cancelled),
      scheduled: Number(r.scheduled) + Number(r.checked_in),
      noShowRate: known === 0 ? null : Math.round((Number(r.no_show) / known) * 10_000) / 10_000,
    };
  });
}
