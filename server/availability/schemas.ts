/**
 * Availability request and response schemas: weekly working hours, time off and free
 * slots. They mirror the database's shape rules (no overlapping intervals or periods)
 * for friendly 400s; the database still decides.
 */
import { z } from 'zod';
import { appointmentStatus } from '../appointments/schemas.js';
import { idString, instant, instantOut, localDate, text } from '../http/schemas.js';
import { TIME_OFF_CATEGORIES } from '../../shared/clinic.js';
import { limitParam } from '../../shared/paging.js';

const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'must be a clinic-local time HH:MM (00:00 to 24:00)');

const intervalSchema = z
  .strictObject({
    isoWeekday: z.number().int().min(1, 'must be 1 (Monday) to 7 (Sunday)').max(7, 'must be 1 (Monday) to 7 (Sunday)'),
    start: hhmm,
    end: hhmm,
  })
  .refine((i) => i.end > i.start, { message: 'end must be after start', path: ['end'] })
  .meta({ id: 'WorkingInterval' });

export const workingHoursSchema = z
  .object({ providerId: z.number().int(), items: z.array(intervalSchema) })
  .meta({ id: 'WorkingHours' });

export const workingHoursBody = z
  .strictObject({ items: z.array(intervalSchema).max(50, 'at most 50 intervals a week') })
  .meta({ id: 'WorkingHoursRequest' });

export const timeOffSchema = z
  .object({
    timeOffId: z.number().int(),
    providerId: z.number().int(),
    start: instantOut,
    end: instantOut,
    category: z.enum(TIME_OFF_CATEGORIES),
    note: z.string().nullable(),
    createdAt: instantOut,
  })
  .meta({ id: 'TimeOff', description: 'A period [start, end) the provider is away: free slots skip it, and a booking inside it needs an outsideHoursReason.' });

export const timeOffBody = z
  .strictObject({
    start: instant,
    end: instant,
    category: z.enum(TIME_OFF_CATEGORIES),
    note: text(500).optional(),
  })
  .refine((b) => Date.parse(b.end) > Date.parse(b.start), { message: 'end must be after start', path: ['end'] })
  .meta({ id: 'TimeOffRequest' });

export const timeOffQuery = z.strictObject({
  from: localDate.optional().meta({ description: 'First clinic-local day (inclusive).' }),
  to: localDate.optional().meta({ description: 'Last clinic-local day (inclusive).' }),
});

export const affectedSchema = z
  .object({ appointmentId: z.number().int(), scheduledAt: instantOut, durationMin: z.number().int(), status: appointmentStatus })
  .meta({ id: 'AffectedAppointment' });

const MAX_SLOT_DAYS = 62;

const dayNumber = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000;

export const slotsQuery = z
  .strictObject({
    from: localDate.meta({ description: 'First clinic-local day (inclusive).' }),
    to: localDate.meta({ description: `Last clinic-local day (inclusive); at most ${MAX_SLOT_DAYS} days after from.` }),
    durationMin: z
      .string()
      .regex(/^[0-9]{1,3}$/, 'must be a whole number of minutes from 5 to 480')
      .transform(Number)
      .pipe(z.number().min(5, 'must be at least 5 minutes').max(480, 'must be at most 480 minutes')),
    providerId: z
      .union([idString, z.array(idString).min(1).max(50, 'at most 50 providers')])
      .transform((v) => [v].flat())
      .optional()
      .meta({ description: 'One or more providers (repeat the parameter).' }),
    specialty: text(100).optional(),
    limit: limitParam(1000, 100).meta({ description: 'At most this many slots (default 100); 1 is "first available".' }),
  })
  .refine((q) => (q.providerId === undefined) !== (q.specialty === undefined), {
    message: 'give either providerId (one or more) or specialty',
    path: ['providerId'],
  })
  .refine((q) => dayNumber(q.to) >= dayNumber(q.from), { message: 'to must not be before from', path: ['to'] })
  .refine((q) => dayNumber(q.to) - dayNumber(q.from) < MAX_SLOT_DAYS, { message: `at most ${MAX_SLOT_DAYS} days`, path: ['to'] });

export const slotSchema = z
  .object({
    providerId: z.number().int(),
    start: instantOut,
    end: instantOut,
  })
  .meta({ id: 'FreeSlot' });
