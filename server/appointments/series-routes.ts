/**
 * Recurring appointments over HTTP (front desk): book a series all or nothing, cancel an
 * occurrence and all that follow. The rules of a single booking apply to each occurrence.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { notFound } from '../http/errors.js';
import { idParams } from '../http/schemas.js';
import { bookSeries, cancelThisAndFollowing } from '../db/repository/series.js';
import { appointmentSchema, seriesBody } from './schemas.js';

export const seriesRoutes: AnyRoute[] = [
  route({
    method: 'post',
    path: '/api/appointments/series',
    tag: 'Appointments',
    summary: 'Book a recurring series: every week, 2 weeks or month at the same clinic-local time, all or nothing',
    description:
      'Each occurrence is an ordinary appointment (every rule applies). If any occurrence is refused, nothing is booked and ' +
      'the answer is 409 `series_conflict` with `details.clashes`: each refused occurrence, its start and why.',
    roles: ['front_desk'],
    body: seriesBody,
    status: 201,
    response: {
      description: 'Booked.',
      schema: z.object({ id: z.number().int(), appointments: z.array(appointmentSchema) }),
    },
    errors: { 409: 'series_conflict' },
    handler: async ({ body, db }) => {
      const out = await db((trx) => bookSeries(trx, body));
      return { id: out.seriesId, appointments: out.appointments };
    },
  }),
  route({
    method: 'post',
    path: '/api/appointments/:id/cancel-following',
    tag: 'Appointments',
    summary: 'Cancel this occurrence of a series and every later one',
    description: 'Later occurrences already completed, cancelled or no-show are left alone. Not in a series: 409 `not_in_series`.',
    roles: ['front_desk'],
    params: idParams,
    response: { description: 'The appointments cancelled, by start.', schema: z.object({ cancelled: z.array(appointmentSchema) }) },
    errors: { 404: 'not_found', 409: 'not_in_series, invalid_transition' },
    handler: async ({ params, db }) => {
      const cancelled = await db((trx) => cancelThisAndFollowing(trx, params.id));
      if (!cancelled) throw notFound('No such appointment.');
      return { cancelled };
    },
  }),
];
