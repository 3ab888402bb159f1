/**
 * Staff accounts, as compliance manages them: the list (role, provider link, status) and
 * deactivation, which ends the account's sessions in the same transaction. Creating an
 * account stays a command-line task (npm run user -- create), since it sets a password.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { idParams, listOf } from '../http/schemas.js';
import { AppError, notFound } from '../http/errors.js';
import { deactivateStaffAccount, listStaffAccounts } from '../db/repository/staff-accounts.js';
import { staffSchema } from './schemas.js';

export const staffRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/staff',
    tag: 'Compliance',
    summary: 'Staff accounts, with role, provider link and status',
    description: 'Creating accounts stays a command-line task (npm run user -- create), since it sets a password.',
    roles: ['compliance'],
    response: {
      description: 'Every account by username, deactivated ones included (with deactivatedAt).',
      schema: listOf(staffSchema),
    },
    handler: async ({ db }) => ({ items: await db((trx) => listStaffAccounts(trx), { readOnly: true }) }),
  }),
  route({
    method: 'post',
    path: '/api/staff/:id/deactivate',
    tag: 'Compliance',
    summary: 'Deactivate a staff account (its sessions end at once)',
    description: 'The account can no longer sign in and every session it holds is deleted in the same transaction. Compliance cannot deactivate its own account.',
    roles: ['compliance'],
    params: idParams,
    response: { description: 'Deactivated (or already inactive).', schema: z.object({ userId: z.number().int(), outcome: z.enum(['deactivated', 'already_inactive']) }) },
    errors: { 404: 'not_found', 409: 'own_account' },
    handler: async ({ params, user, db }) => {
      if (params.id === user.id) throw new AppError(409, 'own_account', 'You cannot deactivate your own account; ask another compliance officer or use npm run user.');
      const outcome = await db((trx) => deactivateStaffAccount(trx, params.id));
      if (outcome === 'not_found') throw notFound('No such account.');
      return { userId: params.id, outcome: outcome === 'already' ? 'already_inactive' : 'deactivated' };
    },
  }),
];
