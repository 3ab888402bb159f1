/**
 * Shared pieces of the repository: the value shapes it returns (camelCase, instants as
 * ISO-8601 strings, calendar days as 'YYYY-MM-DD') and the input checks that keep
 * malformed values from ever reaching SQL as anything but a bound parameter.
 */
import type { Knex } from 'knex';
import { invalidInput } from '../../domain/errors.js';
import { PREPARED } from '../knex.js';

/** Anything that can build a query: a transaction (the normal case) or, for plan inspection, a knex. */
export type Queryable = Knex | Knex.Transaction;

/**
 * The rows of a raw statement, typed: `knex.raw` returns `any`, so every raw read goes
 * through here (or names its result type) instead of leaking `any` into typed code.
 */
export async function rows<T>(q: Queryable, sql: string, bindings: readonly Knex.RawBinding[] | Knex.ValueDict = []): Promise<T[]> {
  const result = await q.raw<{ rows: T[] }>(sql, bindings as Knex.RawBinding[]);
  return result.rows;
}

/**
 * The rows of a query builder, typed by the caller (`const rows: Row[] = await selected(q)`):
 * builders over knex's untyped tables resolve to `any`, and this is where that becomes the
 * row type the caller names, as rows<T>() does for raw statements.
 */
export async function selected<T>(query: Knex.QueryBuilder): Promise<T[]> {
  const result: unknown = await query;
  return result as T[];
}

/**
 * The rows of a raw statement run as a named prepared statement (knex.ts, PREPARED), for the
 * hot reads whose planning costs more than running them. The statement's text must take a
 * bounded number of shapes; its plan is generic only if the planner's estimate does not hang
 * on the values (docs/query-catalog.md, "Prepared statements").
 */
export async function preparedRows<T>(statement: Knex.Raw): Promise<T[]> {
  const result: unknown = await statement.options({ [PREPARED]: true });
  return (result as { rows: T[] }).rows;
}

/** The first row of a query builder (knex's `.first()`), typed by the caller as {@link selected}. */
export async function firstRow<T>(query: Knex.QueryBuilder): Promise<T | undefined> {
  const result: unknown = await query.first();
  return result as T | undefined;
}

/** How many rows a raw write touched. */
export async function rowCount(q: Queryable, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<number> {
  const result = await q.raw<{ rowCount: number | null }>(sql, bindings as Knex.RawBinding[]);
  return result.rowCount ?? 0;
}

/**
 * A row limit as a repository bounds it for callers other than the API's routes (whose zod
 * `limitParam` already did): `fallback` when absent, else a whole number from 1 to `max`.
 */
export function boundedLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isFinite(limit)) return 1;
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}

export { APPOINTMENT_STATUSES, type AppointmentStatus } from '../../../shared/vocabulary.js';

/** An instant from the database as ISO-8601 with an explicit offset ('Z'). */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A 'YYYY-MM-DD' calendar day, refused (an `invalid` domain error) before it reaches PostgreSQL otherwise. */
export function assertDay(value: string, field = 'date'): string {
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw invalidInput(`${field} must be a date like 2026-03-08`);
  }
  return value;
}

/** 'YYYY-MM' to the first day of that month ('YYYY-MM-01'). */
export function monthStart(value: string, field = 'month'): string {
  if (!MONTH.test(value)) throw invalidInput(`${field} must be a month like 2026-03`);
  return `${value}-01`;
}

/** An instant given by a caller: a Date or an ISO-8601 string that carries its own offset. */
export function instant(value: Date | string, field = 'scheduledAt'): Date {
  const d = value instanceof Date ? value : /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(d.getTime())) {
    throw invalidInput(`${field} must be an ISO-8601 instant with an offset`);
  }
  return d;
}

// clinic_day()/clinic_month() each read clinic_settings through a non-inlinable function,
// tens of microseconds a call. Per row that dominated multi-row queries (a 50-row history
// spent more time converting dates than finding rows), so multi-row queries read the zone
// once, as an uncorrelated scalar subquery that PostgreSQL runs as a single InitPlan.
// `column` is always a constant from this module, never input.

/** SQL for the clinic-local date of an instant column, the time zone read once per query. */
export function clinicDateOf(column: string): string {
  return `(${column} AT TIME ZONE (SELECT clinic_time_zone()))::date`;
}

/** SQL for the first day of the clinic-local month of an instant column. */
export function clinicMonthOf(column: string): string {
  return `date_trunc('month', ${column} AT TIME ZONE (SELECT clinic_time_zone()))::date`;
}

