/** The formulary, for clinicians writing prescriptions. */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { listMedications } from '../db/repository/directory.js';

const medicationSchema = z
  .object({ medicationId: z.number().int(), name: z.string(), form: z.string(), strength: z.string() })
  .meta({ id: 'Medication' });

export const medicationRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/medications',
    tag: 'Medications',
    summary: 'The formulary',
    roles: ['clinician'],
    response: { description: 'Every medication, by name.', schema: z.object({ items: z.array(medicationSchema) }) },
    handler: async ({ db }) => ({ items: await db((trx) => listMedications(trx)) }),
  }),
];
