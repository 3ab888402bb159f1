/**
 * Request and response schemas for appointments (also used by the schedule and
 * history endpoints). They mirror the database's rules for friendly 400s; the
 * database still decides (exclusion constraints, the status state machine).
 */
import { z } from 'zod';
import { dateOut, id, idString, instant, instantOut, localDate, patientRef, providerRef, text } from '../http/schemas.js';
import { APPOINTMENT_STATUSES, SERIES_EVERY } from '../../shared/vocabulary.js';
import { limitParam } from '../../shared/paging.js';

export const appointmentStatus = z.enum(APPOINTMENT_STATUSES);

export const appointmentSchema = z
  .object({
    appointmentId: z.number().int(),
    patientId: z.number().int(),
    providerId: z.number().int(),
    scheduledAt: instantOut,
    durationMin: z.number().int(),
    status: appointmentStatus,
    clinicDate: z.string().meta({ format: 'date', description: 'The clinic-local day it starts on.' }),
    createdAt: instantOut,
    updatedAt: instantOut,
  })
  .meta({ id: 'Appointment' });

/** An appointment in a patient's history, with its provider named. */
export const appointmentHistorySchema = appointmentSchema.extend({ providerName: z.string(), providerSpecialty: z.string() });

export const outsideHoursReason = z
  .string()
  .trim()
  .min(5, 'must be at least 5 characters')
  .max(500, 'must be at most 500 characters')
  .meta({ description: "Book outside the provider's working hours or during their time off, for this reason (stored and audited)." });

/** How long an appointment may last (a booking, a series, a waitlist entry). */
export const durationMin = z.number().int().min(5, 'must be at least 5 minutes').max(480, 'must be at most 480 minutes');

export const bookingBody = z
  .strictObject({
    patientId: id,
    providerId: id,
    scheduledAt: instant,
    durationMin,
    outsideHoursReason: outsideHoursReason.optional(),
    overbook: z
      .strictObject({
        reason: z.string().trim().min(10, 'must be at least 10 characters').max(500, 'must be at most 500 characters'),
      })
      .optional()
      .meta({ description: "Deliberately overlap the provider's existing appointment (never the patient's, never more overbooks than the provider's limit), for this reason: stored, audited with high severity." }),
    waitlistId: id.optional().meta({ description: "Book this patient's waitlist entry (e.g. from a waitlist:offer): it is removed in the same transaction; 409 `waitlist_entry_gone` when another desk took it first." }),
  })
  .meta({ id: 'BookingRequest' });

export const seriesBody = z
  .strictObject({
    patientId: id,
    providerId: id,
    firstStart: instant,
    durationMin,
    every: z.enum(SERIES_EVERY),
    count: z.number().int().min(2, 'must be at least 2').max(52, 'must be at most 52'),
    outsideHoursReason: outsideHoursReason.optional(),
  })
  .meta({ id: 'SeriesRequest' });

export const rescheduleBody = z
  .strictObject({
    scheduledAt: instant.optional(),
    durationMin: durationMin.optional(),
    providerId: id.optional(),
    outsideHoursReason: outsideHoursReason.optional(),
  })
  .refine((b) => b.scheduledAt !== undefined || b.durationMin !== undefined || b.providerId !== undefined, {
    message: 'give at least one of scheduledAt, durationMin, providerId',
  })
  .meta({ id: 'RescheduleRequest' });

export const upcomingParams = z.strictObject({
  providerId: idString.optional(),
  limit: limitParam(500, 50),
});

export const upcomingSchema = z
  .object({
    appointmentId: z.number().int(),
    scheduledAt: instantOut,
    durationMin: z.number().int(),
    status: z.enum(['scheduled', 'checked_in']),
    clinicDate: dateOut,
    ...providerRef,
    ...patientRef,
  })
  .meta({ id: 'UpcomingAppointment' });

export const completeBody = z
  .strictObject({
    notes: z.string().max(20_000, 'must be at most 20000 characters').optional(),
    diagnoses: z
      .array(
        z.strictObject({
          code: z
            .string()
            .regex(/^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/, 'must be an ICD-10-CM code such as E11.9'),
          description: text(500),
        }),
      )
      .max(50, 'at most 50 diagnoses'),
    prescriptions: z
      .array(
        z
          .strictObject({
            medicationId: id,
            dosage: text(200),
            startDate: localDate,
            endDate: localDate.nullable().optional(),
          })
          .refine((p) => p.endDate == null || p.endDate >= p.startDate, { message: 'endDate must not be before startDate', path: ['endDate'] }),
      )
      .max(50, 'at most 50 prescriptions'),
  })
  .meta({ id: 'CompleteVisitRequest' });

export const createdSchema = z.object({ id: z.number().int() }).meta({ id: 'Created' });
