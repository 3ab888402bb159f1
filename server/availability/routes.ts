/**
 * Provider availability over HTTP: weekly working hours and time off. Managers
 * maintain them; front desk and clinicians (everyone who books or sees a schedule)
 * read them. The database enforces the shape (no overlapping intervals or periods)
 * and applies them to every staff booking (migration 20261206000600).
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { notFound } from '../http/errors.js';
import { idParams, idString, instant, localDate } from '../http/schemas.js';
import { providerExists } from '../db/repository/directory.js';
import {
  addTimeOff,
  deleteTimeOff,
  listTimeOff,
  replaceWorkingHours,
  TIME_OFF_CATEGORIES,
  workingHours,
} from '../db/repository/availability.js';
import type { Transaction } from '../db/index.js';

const READERS = ['front_desk', 'clinician', 'manager'] as const;

const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'must be a clinic-local time HH:MM (00:00 to 24:00)');

const intervalSchema = z
  .strictObject({
    isoWeekday: z.number().int().min(1, 'must be 1 (Monday) to 7 (Sunday)').max(7, 'must be 1 (Monday) to 7 (Sunday)'),
    start: hhmm,
    end: hhmm,
  })
  .refine((i) => i.end > i.start, { message: 'end must be after start', path: ['end'] })
  .meta({ id: 'WorkingInterval' });

const workingHoursSchema = z
  .object({ providerId: z.number().int(), items: z.array(intervalSchema) })
  .meta({ id: 'WorkingHours' });

const workingHoursBody = z
  .strictObject({ items: z.array(intervalSchema).max(50, 'at most 50 intervals a week') })
  .meta({ id: 'WorkingHoursRequest' });

const timeOffSchema = z
  .object({
    timeOffId: z.number().int(),
    providerId: z.number().int(),
    start: z.string().meta({ format: 'date-time' }),
    end: z.string().meta({ format: 'date-time' }),
    category: z.enum(TIME_OFF_CATEGORIES),
    note: z.string().nullable(),
    createdAt: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'TimeOff' });

const timeOffBody = z
  .strictObject({
    start: instant,
    end: instant,
    category: z.enum(TIME_OFF_CATEGORIES),
    note: z.string().trim().min(1, 'must not be blank').max(500, 'must be at most 500 characters').optional(),
  })
  .refine((b) => Date.parse(b.end) > Date.parse(b.start), { message: 'end must be after start', path: ['end'] })
  .meta({ id: 'TimeOffRequest' });

const timeOffQuery = z.strictObject({
  from: localDate.optional().meta({ description: 'First clinic-local day (inclusive).' }),
  to: localDate.optional().meta({ description: 'Last clinic-local day (inclusive).' }),
});

const affectedSchema = z
  .object({ appointmentId: z.number().int(), scheduledAt: z.string(), durationMin: z.number().int(), status: z.string() })
  .meta({ id: 'AffectedAppointment' });

async function knownProvider(trx: Transaction, id: number): Promise<void> {
  if (!(await providerExists(trx, id))) throw notFound('No such provider.');
}

export const availabilityRoutes: AnyRoute[] = [
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
    response: { description: 'Periods overlapping the days asked for (all when none).', schema: z.object({ items: z.array(timeOffSchema) }) },
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
