/** Waitlist request and response schemas: an entry, the request that adds one, and the list's filters. */
import { z } from 'zod';
import { id, idString, instant, instantOut, patientRef, text } from '../http/schemas.js';
import { durationMin } from '../appointments/schemas.js';

export const entrySchema = z
  .object({
    waitlistId: z.number().int(),
    ...patientRef,
    providerId: z.number().int().nullable(),
    specialty: z.string().nullable(),
    earliest: instantOut,
    latest: instantOut,
    durationMin: z.number().int(),
    note: z.string().nullable(),
    waitingSince: instantOut,
  })
  .meta({ id: 'WaitlistEntry' });

export const waitlistBody = z
  .strictObject({
    patientId: id,
    providerId: id.optional(),
    specialty: text(100).optional(),
    earliest: instant,
    latest: instant,
    durationMin,
    note: text(500).optional(),
  })
  .refine((b) => (b.providerId === undefined) !== (b.specialty === undefined), { message: 'give either providerId or specialty', path: ['providerId'] })
  .refine((b) => Date.parse(b.latest) >= Date.parse(b.earliest) + b.durationMin * 60_000, {
    message: 'must leave at least durationMin minutes after earliest',
    path: ['latest'],
  })
  .refine((b) => Date.parse(b.latest) > Date.now(), { message: 'must be in the future', path: ['latest'] })
  .meta({ id: 'WaitlistRequest' });

export const waitlistParams = z.strictObject({
  providerId: idString.optional().meta({ description: 'Entries for this provider, named or through its specialty.' }),
  specialty: z.string().trim().min(1).max(100).optional(),
  patientId: idString.optional(),
});
