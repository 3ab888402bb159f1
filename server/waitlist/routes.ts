/**
 * The waitlist over HTTP, front desk only (the table's row-level security says the same).
 * Offers of freed slots reach front-desk screens live as `waitlist:offer` (server/realtime);
 * booking one is POST /api/appointments with its waitlistId.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { notFound } from '../http/errors.js';
import { idParams, listOf } from '../http/schemas.js';
import { patientVisible } from '../db/repository/patients.js';
import { providerExists } from '../db/repository/providers.js';
import { addToWaitlist, listWaitlistAudited, removeFromWaitlist } from '../db/repository/waitlist.js';
import { entrySchema, waitlistBody, waitlistParams } from './schemas.js';

export const waitlistRoutes: AnyRoute[] = [
  route({
    method: 'post',
    path: '/api/waitlist',
    tag: 'Waitlist',
    summary: 'Put a patient on the waitlist for a provider or a specialty',
    roles: ['front_desk'],
    body: waitlistBody,
    status: 201,
    response: { description: 'Added.', schema: z.object({ id: z.number().int(), entry: entrySchema }) },
    errors: { 404: 'not_found: no such patient or provider.' },
    handler: async ({ body: b, user, db }) =>
      db(async (trx) => {
        if (!(await patientVisible(trx, user.role, b.patientId))) throw notFound('No such patient.');
        if (b.providerId !== undefined && !(await providerExists(trx, b.providerId))) throw notFound('No such provider.');
        const entry = await addToWaitlist(trx, b);
        return { id: entry.waitlistId, entry };
      }),
  }),
  route({
    method: 'get',
    path: '/api/waitlist',
    tag: 'Waitlist',
    summary: 'The waitlist, longest-waiting first',
    description: 'One audit row per request names the caller and every patient returned.',
    roles: ['front_desk'],
    query: waitlistParams,
    response: { description: 'Entries (at most 500).', schema: listOf(entrySchema) },
    handler: async ({ query: q, db }) => ({ items: await db((trx) => listWaitlistAudited(trx, q), { readOnly: true }) }),
  }),
  route({
    method: 'delete',
    path: '/api/waitlist/:id',
    tag: 'Waitlist',
    summary: 'Take a patient off the waitlist',
    roles: ['front_desk'],
    params: idParams,
    status: 204,
    errors: { 404: 'not_found' },
    handler: async ({ params, db }) => {
      if (!(await db((trx) => removeFromWaitlist(trx, params.id)))) throw notFound('No such waitlist entry.');
      return undefined;
    },
  }),
];
