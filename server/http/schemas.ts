/**
 * Building blocks for request schemas, shared by every feature. The same zod
 * schemas validate requests and generate the OpenAPI document, so the reference
 * page cannot drift from what the server accepts.
 *
 * Conventions: clinic-local calendar days are `YYYY-MM-DD`, months `YYYY-MM`,
 * instants ISO 8601 with an explicit offset (`Z` or `±hh:mm`). Database ids are
 * positive 32-bit integers. Objects are strict: an unknown field is an error.
 */
import { z } from 'zod';
import { limitParam, offsetParam } from '../../shared/paging.js';

export const INT4_MAX = 2_147_483_647;

/** A database id in JSON bodies. */
export const id = z.number().int().min(1).max(INT4_MAX);

/** A database id in a path or query string (digits only, no sign, no leading zero). */
export const idString = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'must be a positive whole number')
  .transform(Number)
  .pipe(z.number().max(INT4_MAX, 'is too large'));

export const idParams = z.strictObject({ id: idString });

function isCalendarDay(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** A clinic-local calendar day. */
export const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((v) => {
    const [y, m, d] = v.split('-').map(Number) as [number, number, number];
    return y >= 1900 && y <= 2999 && isCalendarDay(y, m, d);
  }, 'is not a real calendar date between 1900 and 2999')
  .meta({ format: 'date', example: '2026-11-25' });

/** `?date=`: one clinic-local day (a provider's schedule, the front desk's day grid). */
export const dayQuery = z.strictObject({ date: localDate.meta({ description: 'Clinic-local day, YYYY-MM-DD.' }) });

/** A calendar month. */
export const month = z
  .string()
  .regex(/^(19|2[0-9])\d{2}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM')
  .meta({ example: '2026-11' });

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * An instant: ISO 8601 with seconds optional and an explicit offset. A time without
 * an offset is refused rather than guessed (the server's zone is not the clinic's).
 */
export const instant = z
  .string()
  .max(40, 'is too long for a date-time')
  .refine((v) => {
    const m = INSTANT.exec(v);
    if (!m) return false;
    const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as number[] as [number, number, number, number, number, number];
    if (y < 2000 || y > 2999 || !isCalendarDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return false;
    if (m[7] !== 'Z' && (Number(m[9]) > 14 || Number(m[10]) > 59)) return false;
    return true;
  }, 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-25T14:30:00-05:00, between 2000 and 2999')
  .meta({ format: 'date-time', example: '2026-11-25T14:30:00-05:00' });

/** Paging through a list: `limit` (1-100, default 20) and `offset` (at most 10,000). */
export const paging = {
  limit: limitParam(100, 20).meta({ description: 'Rows per page (1-100, default 20).' }),
  offset: offsetParam(10_000).meta({ description: 'Rows to skip (0-10000).' }),
};

export const booleanString = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Free text a person typed: trimmed, not blank, bounded. */
export const text = (max: number) => z.string().trim().min(1, 'must not be blank').max(max, `must be at most ${max} characters`);

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'invalid_request' }),
      message: z.string(),
      details: z.unknown().optional(),
      errorId: z.string().optional().meta({ description: 'Present on 500 responses; quote it when reporting.' }),
    }),
  })
  .meta({ id: 'Error' });

// ----- Response building blocks ---------------------------------------------------------

/** A provider as a row of a list names one. */
export const providerRef = { providerId: z.number().int(), providerName: z.string() };

/** A patient as a row of a list names one. */
export const patientRef = { patientId: z.number().int(), patientName: z.string() };

/** The key of a per-provider monthly figure (the manager's reports, overbooks). */
export const providerMonth = { ...providerRef, month: z.string() };

/** An instant as the API writes one: ISO 8601 in UTC with milliseconds (Date.toISOString). */
export const instantOut = z.string().meta({ format: 'date-time' });

/** A calendar day as the API writes one: YYYY-MM-DD. */
export const dateOut = z.string().meta({ format: 'date' });

/** The one shape of a list response: `{ items: [...] }`. */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
