/**
 * Schemas of the clinic endpoints (GET /api/clinic, GET /api/clinic/day), shared by the
 * server (which validates and documents with them) and the dashboard (which takes its
 * types from them with `import type`, so no zod code is shipped to the browser).
 */
import { z } from 'zod';
import { APPOINTMENT_STATUSES } from './vocabulary.js';

/** Why a provider is away (provider_time_off.category). */
export const TIME_OFF_CATEGORIES = ['leave', 'training', 'sick'] as const;

export const clinicSchema = z
  .object({
    name: z.string(),
    timeZone: z.string().meta({ description: 'IANA time zone every clinic time is in, e.g. America/New_York.' }),
    today: z.string().meta({ format: 'date', description: 'The clinic-local date now.' }),
    now: z.string().meta({ format: 'date-time', description: "The server's clock (the dashboard corrects its own by it)." }),
    slotMinutes: z.number().int().meta({ description: 'Rows of the day grid, in minutes.' }),
    idleSignOutSeconds: z.number().int().meta({ description: 'A session with no activity for this long ends (HIPAA automatic logoff).' }),
  })
  .meta({ id: 'Clinic' });
export type Clinic = z.infer<typeof clinicSchema>;

export const dayProviderSchema = z
  .object({
    providerId: z.number().int(),
    name: z.string(),
    specialty: z.string(),
    workingHours: z
      .array(z.object({ start: z.string(), end: z.string() }))
      .meta({ description: "Every clinic-local working interval that weekday ('HH:MM', end '24:00' at midnight), by start; a lunch break makes two. Empty: not working that weekday." }),
    timeOff: z
      .array(z.object({ start: z.string(), end: z.string(), category: z.enum(TIME_OFF_CATEGORIES) }))
      .meta({ description: "The provider's time off on this day, clipped to it (clinic-local 'HH:MM', '00:00'–'24:00'), by start." }),
  })
  .meta({ id: 'DayProvider' });
export type DayProvider = z.infer<typeof dayProviderSchema>;

export const dayAppointmentSchema = z
  .object({
    appointmentId: z.number().int(),
    patientId: z.number().int(),
    providerId: z.number().int(),
    scheduledAt: z.string().meta({ format: 'date-time' }),
    durationMin: z.number().int(),
    status: z.enum(APPOINTMENT_STATUSES),
    clinicDate: z.string().meta({ format: 'date' }),
    createdAt: z.string().meta({ format: 'date-time' }),
    updatedAt: z.string().meta({ format: 'date-time' }),
    patientName: z.string(),
    patientDob: z.string().meta({ format: 'date' }),
    overbookReason: z.string().nullable().meta({ description: 'Set when the appointment is an overbook (booked on top of another), with the reason given.' }),
  })
  .meta({ id: 'DayAppointment' });
export type DayAppointment = z.infer<typeof dayAppointmentSchema>;

export const clinicDaySchema = z
  .object({
    date: z.string().meta({ format: 'date' }),
    providers: z.array(dayProviderSchema),
    appointments: z.array(dayAppointmentSchema),
  })
  .meta({ id: 'ClinicDay' });
export type ClinicDay = z.infer<typeof clinicDaySchema>;

export const statusHistorySchema = z
  .object({
    items: z.array(
      z.object({
        kind: z.string().meta({ description: 'booked, rescheduled, checked_in, cancelled, no_show or completed.' }),
        at: z.string().meta({ format: 'date-time' }),
        by: z.string().nullable().meta({ description: "The staff member's username; null when no signed-in person made it." }),
        byRole: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'StatusHistory' });
export type StatusHistory = z.infer<typeof statusHistorySchema>;

/** Grid resolution. */
export const SLOT_MINUTES = 15;
