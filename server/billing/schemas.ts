/** Billing request and response schemas: the charges filter and what billing may see of a charge. */
import { z } from 'zod';
import { dateOut, instantOut, localDate, patientRef, providerRef } from '../http/schemas.js';
import { CHARGE_STATUSES } from '../../shared/vocabulary.js';
import { limitParam } from '../../shared/paging.js';

export const chargesQuery = z
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
    ...patientRef,
    patientDob: dateOut,
    ...providerRef,
    serviceDate: dateOut,
    amountCents: z.number().int().nullable(),
    currency: z.string(),
    status: z.enum(CHARGE_STATUSES),
    payer: z.string().nullable(),
    createdAt: instantOut,
    updatedAt: instantOut,
  })
  .meta({ id: 'Charge' });
