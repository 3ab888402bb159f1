/**
 * Analytics request and response schemas: the month range and provider filter every
 * report takes, and one row schema per report. No row carries a patient.
 */
import { z } from 'zod';
import { INT4_MAX, month, providerMonth, providerRef, text } from '../http/schemas.js';

const providerIdList = z
  .string()
  .regex(/^[1-9][0-9]{0,9}(,[1-9][0-9]{0,9}){0,99}$/, 'must be provider ids separated by commas, e.g. 3,7')
  .transform((v) => [...new Set(v.split(',').map(Number))])
  .pipe(z.array(z.number().max(INT4_MAX, 'is too large')));

export const monthRangeQuery = z
  .strictObject({
    from: month.optional().meta({ description: 'First month, YYYY-MM (clinic-local).' }),
    to: month.optional().meta({ description: 'Last month, YYYY-MM (clinic-local).' }),
    providerId: providerIdList.optional().meta({ description: 'Only these providers: ids separated by commas (up to 100).' }),
    specialty: text(100).optional().meta({ description: 'Only providers of this specialty.' }),
  })
  .refine((r) => r.from === undefined || r.to === undefined || r.from <= r.to, { message: 'from must not be after to', path: ['from'] });

export const rateSchema = z
  .object({
    ...providerMonth,
    completed: z.number().int(),
    noShows: z.number().int(),
    rate: z.number().nullable(),
  })
  .meta({ id: 'NoShowRate' });

export const volumeSchema = z
  .object({ ...providerMonth, appointments: z.number().int() })
  .meta({ id: 'MonthlyVolume' });

export const outcomeSchema = z
  .object({
    ...providerRef,
    specialty: z.string(),
    month: z.string(),
    completed: z.number().int(),
    noShows: z.number().int(),
    cancelled: z.number().int(),
    scheduled: z.number().int(),
    noShowRate: z.number().nullable(),
  })
  .meta({ id: 'MonthlyOutcomes' });
