/**
 * Providers and their day schedules. Every staff role may list providers (names and
 * specialties are not patient data); a schedule names patients, so only front desk
 * (any provider) and clinicians (their own) may read it.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { forbidden, notFound } from '../http/errors.js';
import { dayQuery, idParams, listOf } from '../http/schemas.js';
import { STAFF_ROLES } from '../db/index.js';
import { listProviders, providerExists } from '../db/repository/providers.js';
import { providerDayScheduleAudited } from '../db/repository/schedule.js';
import { providerSchema, scheduleEntrySchema } from './schemas.js';

export const providerRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/providers',
    tag: 'Providers',
    summary: 'List providers',
    roles: STAFF_ROLES,
    response: { description: 'All providers, by name.', schema: listOf(providerSchema) },
    handler: async ({ db }) => ({ items: await db((trx) => listProviders(trx)) }),
  }),
  route({
    method: 'get',
    path: '/api/providers/:id/schedule',
    tag: 'Providers',
    summary: "A provider's appointments on one clinic-local day, in time order",
    description: 'Cancelled appointments are left out (they no longer hold the slot). A clinician may read only their own schedule. One audit row per request names the caller and every patient returned.',
    roles: ['front_desk', 'clinician'],
    params: idParams,
    query: dayQuery,
    response: {
      description: 'The day, in order.',
      schema: z.object({ providerId: z.number().int(), date: z.string(), items: z.array(scheduleEntrySchema) }),
    },
    errors: { 404: 'not_found: no such provider.' },
    handler: async ({ params, query, user, db }) => {
      if (user.role === 'clinician' && user.providerId !== params.id) throw forbidden('A clinician may read only their own schedule.');
      const items = await db(async (trx) => {
        // The day and its audit row in one statement; an empty day asks whether the provider exists.
        const day = await providerDayScheduleAudited(trx, params.id, query.date);
        if (day.length === 0 && !(await providerExists(trx, params.id))) throw notFound('No such provider.');
        return day;
      });
      return { providerId: params.id, date: query.date, items };
    },
  }),
];
