/** The staff account as compliance sees it in GET /api/staff. */
import { z } from 'zod';
import { instantOut } from '../http/schemas.js';
import { staffIdentity } from '../auth/schemas.js';

export const staffSchema = z
  .object({
    userId: z.number().int(),
    ...staffIdentity,
    providerName: z.string().nullable(),
    active: z.boolean(),
    createdAt: instantOut,
    deactivatedAt: instantOut.nullable(),
  })
  .meta({ id: 'StaffAccount' });
