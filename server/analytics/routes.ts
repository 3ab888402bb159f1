/**
 * Aggregates for managers: no-show rate and volume per provider per clinic-local
 * month, filterable by provider(s) and specialty. No row carries a patient.
 * Definitions: volume = appointments not cancelled; no-show rate = no_show /
 * (completed + no_show), null when that is 0; outcomes = each status counted apart.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { month } from '../http/schemas.js';
import { providerMonthlyOutcomes, providerMonthlyVolume, providerNoShowRates } from '../db/repository/analytics.js';

const providerIdList = z
  .string()
  .regex(/^[1-9][0-9]{0,9}(,[1-9][0-9]{0,9}){0,99}$/, 'must be provider ids separated by commas, e.g. 3,7')
  .transform((v) => [...new Set(v.split(',').map(Number))])
  .pipe(z.array(z.number().max(2_147_483_647, 'is too large')));

const range = z
  .strictObject({
    from: month.optional().meta({ description: 'First month, YYYY-MM (clinic-local).' }),
    to: month.optional().meta({ description: 'Last month, YYYY-MM (clinic-local).' }),
    providerId: providerIdList.optional().meta({ description: 'Only these providers: ids separated by commas (up to 100).' }),
    specialty: z.string().trim().min(1, 'must not be blank').max(100, 'must be at most 100 characters').optional().meta({ description: 'Only providers of this specialty.' }),
  })
  .refine((r) => r.from === undefined || r.to === undefined || r.from <= r.to, { message: 'from must not be after to', path: ['from'] });

export const rateSchema = z
  .object({
    providerId: z.number().int(),
    providerName: z.string(),
    month: z.string(),
    completed: z.number().int(),
    noShows: z.number().int(),
    rate: z.number().nullable(),
  })
  .meta({ id: 'NoShowRate' });

export const volumeSchema = z
  .object({ providerId: z.number().int(), providerName: z.string(), month: z.string(), appointments: z.number().int() })
  .meta({ id: 'MonthlyVolume' });

export const outcomeSchema = z
  .object({
    providerId: z.number().int(),
    providerName: z.string(),
    specialty: z.string(),
    month: z.string(),
    completed: z.number().int(),
    noShows: z.number().int(),
    cancelled: z.number().int(),
    scheduled: z.number().int(),
    noShowRate: z.number().nullable(),
  })
  .meta({ id: 'MonthlyOutcomes' });

const filterOf = (q: z.output<typeof range>) => ({ from: q.from, to: q.to, providerIds: q.providerId, specialty: q.specialty });

export const analyticsRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/analytics/no-show-rate',
    tag: 'Analytics',
    summary: 'No-show rate per provider per month',
    roles: ['manager'],
    query: range,
    response: { description: 'By provider, then month.', schema: z.object({ items: z.array(rateSchema) }) },
    handler: async ({ query, db }) => ({ items: await db((trx) => providerNoShowRates(trx, filterOf(query)), { readOnly: true }) }),
  }),
  route({
    method: 'get',
    path: '/api/analytics/volume',
    tag: 'Analytics',
    summary: 'Appointment volume per provider per month',
    roles: ['manager'],
    query: range,
    response: { description: 'By provider, then month.', schema: z.object({ items: z.array(volumeSchema) }) },
    handler: async ({ query, db }) => ({ items: await db((trx) => providerMonthlyVolume(trx, filterOf(query)), { readOnly: true }) }),
  }),
  route({
    method: 'get',
    path: '/api/analytics/outcomes',
    tag: 'Analytics',
    summary: 'Appointments per provider per month by outcome: completed, no-show, cancelled, still scheduled',
    description:
      'Past outcomes and open bookings as separate counts (never summed): `scheduled` is booked and not yet completed, ' +
      'no-show or cancelled (scheduled or checked in): future bookings, plus any past one nobody closed. ' +
      '`noShowRate` = noShows / (completed + noShows).',
    roles: ['manager'],
    query: range,
    response: { description: 'By provider, then month.', schema: z.object({ items: z.array(outcomeSchema) }) },
    handler: async ({ query, db }) => ({ items: await db((trx) => providerMonthlyOutcomes(trx, filterOf(query)), { readOnly: true }) }),
  }),
];
