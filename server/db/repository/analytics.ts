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
import { monthStart, type Queryable } from './common.js';

export interface MonthFilter {
  /** First month included, 'YYYY-MM' (clinic-local). */
  from?: string;
  /** Last month included, 'YYYY-MM' (clinic-local). */
  to?: string;
  providerId?: number;
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
  const rows: RateRow[] = await noShowRateQuery(trx, f);
  return rows.map(toRate);
}

/** Appointment volume (not cancelled) per provider per clinic-local month; months with 0 have no row. */
export async function providerMonthlyVolume(trx: Transaction, f: MonthFilter = {}): Promise<MonthlyVolume[]> {
  const rows: VolumeRow[] = await monthlyVolumeQuery(trx, f);
  return rows.map(toVolume);
}
