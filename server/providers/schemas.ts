/** Provider response schemas: a provider, and an entry of their day schedule. */
import { z } from 'zod';
import { appointmentSchema } from '../appointments/schemas.js';
import { instantOut } from '../http/schemas.js';

export const providerSchema = z
  .object({ providerId: z.number().int(), name: z.string(), specialty: z.string() })
  .meta({ id: 'Provider' });

export const scheduleEntrySchema = appointmentSchema
  .extend({
    patientName: z.string(),
    overbookReason: z.string().nullable().meta({ description: 'Set when the appointment is an overbook (booked on top of another), with the reason given.' }),
    checkedInAt: instantOut.meta({ description: 'When the patient was checked in; null if not.' }).nullable(),
  })
  .meta({ id: 'ScheduleEntry' });
