/**
 * The audit log for compliance: newest first, keyset-paged (`before` = the last
 * auditId seen), filterable by patient, actor, action, table, severity and time.
 * Entries hold ids and column names only, never values; each is returned with the
 * actor's username and the patient's name. Also the patient finder compliance uses
 * before an erasure. Staff accounts are ../staff/.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { listOf, text } from '../http/schemas.js';
import { findPatientsForCompliance, listAudit } from '../db/repository/compliance.js';
import { auditEntrySchema, auditQuery, compliancePatientSchema } from './schemas.js';

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
