/** Billing's charges: what billing may see of each charge (billing_charges), filtered and paged. */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { listCharges } from '../db/repository/billing.js';
import { chargeSchema, chargesQuery } from './schemas.js';

export const billingRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/billing/charges',
    tag: 'Billing',
    summary: 'Charges, newest date of service first (filterable, paged)',
    description: 'One row per completed visit: patient name and date of birth, provider, date of service, amount, payer and status. No clinical content. One audit row per request names the caller and every patient on the page.',
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
