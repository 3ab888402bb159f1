/**
 * The audit log for compliance: newest first, keyset-paged (`before` = the last
 * auditId seen), filterable by patient, actor, action, table, severity and time.
 * Entries hold ids and column names only, never values; each is returned with the
 * actor's username and the patient's name. Also the staff accounts (list, deactivate)
 * and the patient finder compliance uses before an erasure.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { idParams, listOf, text } from '../http/schemas.js';
import { AppError, notFound } from '../http/errors.js';
import { deactivateStaffAccount, findPatientsForCompliance, listAudit, listStaffAccounts } from '../db/repository/compliance.js';
import { auditEntrySchema, auditQuery, compliancePatientSchema, staffSchema } from './schemas.js';

export const auditRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/audit',
    tag: 'Compliance',
    summary: 'The audit log, newest first (paged, filterable)',
    roles: ['compliance'],
    query: auditQuery,
    response: {
      description: 'One page of entries; pass nextBefore as `before` for the next.',
      schema: z.object({ items: z.array(auditEntrySchema), nextBefore: z.number().int().nullable() }),
    },
    handler: async ({ query, db }) => {
      const items = await db((trx) => listAudit(trx, query), { readOnly: true });
      return { items, nextBefore: items.length === query.limit ? items[items.length - 1]!.auditId : null };
    },
  }),
  route({
    method: 'get',
    path: '/api/staff',
    tag: 'Compliance',
    summary: 'Staff accounts, with role, provider link and status',
    description: 'Creating accounts stays a command-line task (npm run user -- create), since it sets a password.',
    roles: ['compliance'],
    response: { description: 'Every account, by username.', schema: listOf(staffSchema) },
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
  route({
    method: 'get',
    path: '/api/compliance/patients',
    tag: 'Compliance',
    summary: 'Find a patient to erase (by id or name)',
    description: 'One audit row per request names the caller and every patient found.',
    roles: ['compliance'],
    query: z.strictObject({
      q: text(100).meta({ description: 'A patient id, or the start of the name or of a word in it.' }),
    }),
    response: { description: 'Up to 20 matches, by name.', schema: listOf(compliancePatientSchema) },
    handler: async ({ query, db }) => ({ items: await db((trx) => findPatientsForCompliance(trx, query.q, 20), { readOnly: true }) }),
  }),
];
