/**
 * Aggregates for managers: no-show rate and volume per provider per clinic-local
 * month. No row carries a patient. Definitions: volume = appointments not
 * cancelled; no-show rate = no_show / (completed + no_show), null when that is 0.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { month } from '../http/schemas.js';
import { providerMonthlyVolume, providerNoShowRates } from '../db/repository/analytics.js';

const range = z
  .strictObject({
    from: month.optional().meta({ description: 'First month, YYYY-MM (clinic-local).' }),
    to: month.optional().meta({ description: 'Last month, YYYY-MM (clinic-local).' }),
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

export const analyticsRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/analytics/no-show-rate',
    tag: 'Analytics',
    summary: 'No-show rate per provider per month',
    roles: ['manager'],
    query: range,
    response: { description: 'By provider, then month.', schema: z.object({ items: z.array(rateSchema) }) },
    handler: async ({ query, db }) => ({ items: await db((trx) => providerNoShowRates(trx, query), { readOnly: true }) }),
  }),
  route({
    method: 'get',
    path: '/api/analytics/volume',
    tag: 'Analytics',
    summary: 'Appointment volume per provider per month',
    roles: ['manager'],
    query: range,
    response: { description: 'By provider, then month.', schema: z.object({ items: z.array(volumeSchema) }) },
    handler: async ({ query, db }) => ({ items: await db((trx) => providerMonthlyVolume(trx, query), { readOnly: true }) }),
  }),
];
