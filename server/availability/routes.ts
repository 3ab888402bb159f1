/**
 * Provider availability over HTTP: weekly working hours and time off. Managers
 * maintain them; front desk and clinicians (everyone who books or sees a schedule)
 * read them. The database enforces the shape (no overlapping intervals or periods)
 * and applies them to every staff booking (migration 20261206000600).
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { notFound } from '../http/errors.js';
import { idParams, idString, listOf, localDate, providerMonth } from '../http/schemas.js';
import { providerExists } from '../db/repository/providers.js';
import {
  addTimeOff,
  deleteTimeOff,
  freeSlots,
  listTimeOff,
  monthlyOverbooks,
  setOverbookLimit,
  providersOfSpecialty,
  replaceWorkingHours,
  workingHours,
} from '../db/repository/availability.js';
import type { Transaction } from '../db/index.js';
import { affectedSchema, slotSchema, slotsQuery, timeOffBody, timeOffQuery, timeOffSchema, workingHoursBody, workingHoursSchema } from './schemas.js';

const READERS = ['front_desk', 'clinician', 'manager'] as const;

async function knownProvider(trx: Transaction, id: number): Promise<void> {
  if (!(await providerExists(trx, id))) throw notFound('No such provider.');
}

export const availabilityRoutes: AnyRoute[] = [
  route({
    method: 'put',
    path: '/api/providers/:id/overbook-limit',
    tag: 'Availability',
    summary: 'Set how many overbooks may overlap at once on top of a provider\'s appointments (0-5, default 1)',
    roles: ['manager'],
    params: idParams,
    body: z.strictObject({ limit: z.number().int().min(0, 'must be 0 to 5').max(5, 'must be 0 to 5') }),
    response: { description: 'The new limit.', schema: z.object({ providerId: z.number().int(), limit: z.number().int() }) },
    errors: { 404: 'not_found: no such provider.' },
    handler: async ({ params, body, db }) => {
      if (!(await db((trx) => setOverbookLimit(trx, params.id, body.limit)))) throw notFound('No such provider.');
      return { providerId: params.id, limit: body.limit };
    },
  }),
  route({
    method: 'get',
    path: '/api/analytics/overbooks',
    tag: 'Analytics',
    summary: 'Overbooks (not cancelled) per provider and clinic-local month',
    roles: ['manager'],
    query: z
      .strictObject({ from: localDate, to: localDate })
      .refine((q) => q.to >= q.from, { message: 'to must not be before from', path: ['to'] }),
    response: {
      description: 'One row per provider and month that had overbooks.',
      schema: listOf(z.object({ ...providerMonth, overbooks: z.number().int() })),
    },
    handler: async ({ query, db }) => ({ items: await db((trx) => monthlyOverbooks(trx, query.from, query.to), { readOnly: true }) }),
  }),
  route({
    method: 'get',
    path: '/api/slots',
    tag: 'Availability',
    summary: 'Free slots of one or more providers, or of a specialty, sorted by start',
    description:
      'Every slot returned would be accepted by POST /api/appointments right now: inside one working interval ' +
      '(any time for a provider without working hours), outside time off, overlapping no non-cancelled appointment, ' +
      "at least a minute from now, starting on the clinic's slot grid (15 minutes by default). " +
      '`limit=1` is "first available". An unknown provider answers 404.',
    roles: READERS,
    query: slotsQuery,
    response: { description: 'Slots, soonest first.', schema: listOf(slotSchema) },
    errors: { 404: 'not_found: no such provider.' },
    handler: async ({ query, db }) =>
      db(async (trx) => {
        let providerIds: number[];
        if (query.specialty !== undefined) providerIds = await providersOfSpecialty(trx, query.specialty);
        else {
          providerIds = [...new Set(query.providerId)];
          for (const id of providerIds) await knownProvider(trx, id);
        }
        return { items: await freeSlots(trx, { providerIds, from: query.from, to: query.to, durationMin: query.durationMin, limit: query.limit }) };
      }, { readOnly: true }),
  }),
  route({
    method: 'get',
    path: '/api/providers/:id/working-hours',
    tag: 'Availability',
    summary: "A provider's weekly working hours (clinic-local), by weekday and start",
    description: 'No intervals means the provider is bookable at any time (outside time off).',
    roles: READERS,
    params: idParams,
    response: { description: 'The week.', schema: workingHoursSchema },
    errors: { 404: 'not_found: no such provider.' },
    handler: async ({ params, db }) =>
      db(async (trx) => {
        await knownProvider(trx, params.id);
        return { providerId: params.id, items: await workingHours(trx, params.id) };
      }, { readOnly: true }),
  }),
  route({
    method: 'put',
    path: '/api/providers/:id/working-hours',
    tag: 'Availability',
    summary: "Replace a provider's weekly working hours",
    description:
      'Several intervals a day are allowed (a lunch break); intervals of one weekday may not overlap (400). ' +
      'Existing appointments are not touched; new staff bookings must fit inside one interval.',
    roles: ['manager'],
    params: idParams,
    body: workingHoursBody,
    response: { description: 'The week as stored.', schema: workingHoursSchema },
    errors: { 404: 'not_found: no such provider.' },
    handler: async ({ params, body, db }) =>
      db(async (trx) => {
        await knownProvider(trx, params.id);
        return { providerId: params.id, items: await replaceWorkingHours(trx, params.id, body.items) };
      }),
  }),
  route({
    method: 'get',
    path: '/api/providers/:id/time-off',
    tag: 'Availability',
    summary: "A provider's time off (leave, training, sick), by start",
    roles: READERS,
    params: idParams,
    query: timeOffQuery,
    response: { description: 'Periods overlapping the days asked for (all when none).', schema: listOf(timeOffSchema) },
    errors: { 404: 'not_found: no such provider.' },
    handler: async ({ params, query, db }) =>
      db(async (trx) => {
        await knownProvider(trx, params.id);
        return { items: await listTimeOff(trx, params.id, query) };
      }, { readOnly: true }),
  }),
  route({
    method: 'post',
    path: '/api/providers/:id/time-off',
    tag: 'Availability',
    summary: 'Record time off',
    description:
      'Allowed over existing appointments: they are listed in `affectedAppointments` (ids and times only) so the desk can move them. ' +
      'Overlapping another period of the same provider answers 409 `time_off_overlap`.',
    roles: ['manager'],
    params: idParams,
    body: timeOffBody,
    status: 201,
    response: {
      description: 'Recorded.',
      schema: z.object({ id: z.number().int(), timeOff: timeOffSchema, affectedAppointments: z.array(affectedSchema) }),
    },
    errors: { 404: 'not_found: no such provider.', 409: 'time_off_overlap' },
    handler: async ({ params, body, db }) =>
      db(async (trx) => {
        await knownProvider(trx, params.id);
        const out = await addTimeOff(trx, params.id, body);
        return { id: out.timeOff.timeOffId, ...out };
      }),
  }),
  route({
    method: 'delete',
    path: '/api/providers/:id/time-off/:timeOffId',
    tag: 'Availability',
    summary: 'Delete a period of time off',
    roles: ['manager'],
    params: z.strictObject({ id: idString, timeOffId: idString }),
    status: 204,
    errors: { 404: 'not_found' },
    handler: async ({ params, db }) => {
      const gone = await db((trx) => deleteTimeOff(trx, params.id, params.timeOffId));
      if (!gone) throw notFound('No such time off for this provider.');
      return undefined;
    },
  }),
];
