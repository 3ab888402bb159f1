/**
 * Aggregates for managers: no-show rate and volume per provider per clinic-local
 * month, filterable by provider(s) and specialty. No row carries a patient.
 * Definitions: volume = appointments not cancelled; no-show rate = no_show /
 * (completed + no_show), null when that is 0; outcomes = each status counted apart.
 */
import { z } from 'zod';
import { listOf } from '../http/schemas.js';
import { route, type AnyRoute } from '../http/route.js';
import type { Transaction } from '../db/index.js';
import { providerMonthlyOutcomes, providerMonthlyVolume, providerNoShowRates, type MonthFilter } from '../db/repository/analytics.js';
import { monthRangeQuery, outcomeSchema, rateSchema, volumeSchema } from './schemas.js';

/**
 * One monthly report: a manager's GET taking the month range and provider filter,
 * answering the repository's rows (by provider, then month) as `items`.
 */
const monthlyReport = (spec: {
  path: string;
  summary: string;
  description?: string;
  schema: z.ZodType;
  read: (trx: Transaction, filter: MonthFilter) => Promise<unknown[]>;
}): AnyRoute =>
  route({
    method: 'get',
    path: spec.path,
    tag: 'Analytics',
    summary: spec.summary,
    description: spec.description,
    roles: ['manager'],
    query: monthRangeQuery,
    response: { description: 'By provider, then month.', schema: listOf(spec.schema) },
    handler: async ({ query: q, db }) => {
      const filter: MonthFilter = { from: q.from, to: q.to, providerIds: q.providerId, specialty: q.specialty };
      return { items: await db((trx) => spec.read(trx, filter), { readOnly: true }) };
    },
  });

export const analyticsRoutes: AnyRoute[] = [
  monthlyReport({ path: '/api/analytics/no-show-rate', summary: 'No-show rate per provider per month', schema: rateSchema, read: providerNoShowRates }),
  monthlyReport({ path: '/api/analytics/volume', summary: 'Appointment volume per provider per month', schema: volumeSchema, read: providerMonthlyVolume }),
  monthlyReport({
    path: '/api/analytics/outcomes',
    summary: 'Appointments per provider per month by outcome: completed, no-show, cancelled, still scheduled',
    description:
      'Past outcomes and open bookings as separate counts (never summed): `scheduled` is booked and not yet completed, ' +
      'no-show or cancelled (scheduled or checked in): future bookings, plus any past one nobody closed. ' +
      '`noShowRate` = noShows / (completed + noShows).',
    schema: outcomeSchema,
    read: providerMonthlyOutcomes,
  }),
];
