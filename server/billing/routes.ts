/** Billing's charges: what billing may see of each charge (billing_charges), filtered and paged. */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { localDate } from '../http/schemas.js';
import { CHARGE_STATUSES, listCharges } from '../db/repository/billing.js';
import { limitParam } from '../../shared/paging.js';

const chargesQuery = z
  .strictObject({
    status: z.enum(CHARGE_STATUSES).optional().meta({ description: 'Only charges in this status.' }),
    from: localDate.optional().meta({ description: 'First date of service, YYYY-MM-DD (inclusive).' }),
    to: localDate.optional().meta({ description: 'Last date of service, YYYY-MM-DD (inclusive).' }),
    before: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}_[1-9][0-9]{0,9}$/, 'must be the nextBefore of the previous page')
      .optional()
      .meta({ description: 'Keyset paging: pass nextBefore from the previous page.' }),
    limit: limitParam(1000, 100),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

export const chargeSchema = z
  .object({
    chargeId: z.number().int(),
    visitId: z.number().int(),
    patientId: z.number().int(),
    patientName: z.string(),
    patientDob: z.string().meta({ format: 'date' }),
    providerId: z.number().int(),
    providerName: z.string(),
    serviceDate: z.string().meta({ format: 'date' }),
    amountCents: z.number().int().nullable(),
    currency: z.string(),
    status: z.enum(CHARGE_STATUSES),
    payer: z.string().nullable(),
    createdAt: z.string().meta({ format: 'date-time' }),
    updatedAt: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'Charge' });

export const billingRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/billing/charges',
    tag: 'Billing',
    summary: 'Charges, newest date of service first (filterable, paged)',
    description: 'One row per completed visit: patient name and date of birth, provider, date of service, amount, payer and status. No clinical content.',
    roles: ['billing'],
    query: chargesQuery,
    response: {
      description: 'One page; pass nextBefore as `before` for the next.',
      schema: z.object({ items: z.array(chargeSchema), nextBefore: z.string().nullable() }),
    },
    handler: async ({ query, db }) => {
      const [day, id] = query.before?.split('_') ?? [];
      const before = day !== undefined ? { serviceDate: day, chargeId: Number(id) } : undefined;
      const items = await db((trx) => listCharges(trx, { status: query.status, from: query.from, to: query.to, before, limit: query.limit }), { readOnly: true });
      const last = items[items.length - 1];
      return { items, nextBefore: items.length === query.limit && last ? `${last.serviceDate}_${last.chargeId}` : null };
    },
  }),
];
