/**
 * The audit log for compliance: newest first, keyset-paged (`before` = the last
 * auditId seen), filterable by patient, actor, action, table, severity and time.
 * Entries hold ids and column names only, never values.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { idString, instant } from '../http/schemas.js';
import { listAudit } from '../db/repository/compliance.js';

const auditQuery = z
  .strictObject({
    patientId: idString.optional(),
    actorUserId: idString.optional(),
    action: z.enum(['insert', 'update', 'delete', 'read', 'break_glass', 'erase', 'erase_refused', 'legal_hold']).optional(),
    table: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a table name').optional(),
    severity: z.enum(['info', 'high']).optional(),
    from: instant.optional().meta({ description: 'Entries at or after this instant.' }),
    to: instant.optional().meta({ description: 'Entries before this instant.' }),
    before: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, 'must be an audit id')
      .transform(Number)
      .optional()
      .meta({ description: 'Keyset paging: entries older than this auditId (pass nextBefore).' }),
    limit: z.string().regex(/^[0-9]{1,3}$/, 'must be a whole number from 1 to 500').transform(Number).pipe(z.number().min(1).max(500)).default(100),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['from'] });

export const auditEntrySchema = z
  .object({
    auditId: z.number().int(),
    at: z.string(),
    txid: z.number().int(),
    actorUserId: z.number().int().nullable(),
    actorRole: z.string(),
    action: z.string(),
    severity: z.string(),
    table: z.string().nullable(),
    rowKey: z.string().nullable(),
    patientId: z.number().int().nullable(),
    changedColumns: z.array(z.string()).nullable(),
  })
  .meta({ id: 'AuditEntry' });

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
];
