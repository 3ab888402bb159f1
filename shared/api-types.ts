/**
 * The API's request and response types for the dashboard, inferred from the very zod
 * schemas the server validates with and documents (OpenAPI) — never copied by hand.
 * Type-only imports: nothing here reaches the browser bundle (no zod, no server code).
 * The socket contract is shared/events.ts; the clinic endpoints' schemas live in shared/clinic.ts.
 */
import type { z } from 'zod';
import type { userSchema } from '../server/auth/schemas.js';
import type { providerSchema } from '../server/providers/schemas.js';
import type { appointmentSchema, bookingBody, rescheduleBody } from '../server/appointments/schemas.js';
import type { registerBody, scheduledPatientSchema } from '../server/patients/schemas.js';
import type { rateSchema, volumeSchema } from '../server/analytics/schemas.js';
import type { auditEntrySchema } from '../server/audit/schemas.js';
import type { slotSchema } from '../server/availability/schemas.js';
import type { entrySchema, waitlistBody } from '../server/waitlist/schemas.js';

export type { Clinic, ClinicDay, DayAppointment, DayProvider, StatusHistory } from './clinic.js';

export type Me = z.infer<typeof userSchema>;
export type StaffRoleName = Me['role'];
export type Provider = z.infer<typeof providerSchema>;
export type Appointment = z.infer<typeof appointmentSchema>;
export type AppointmentStatus = Appointment['status'];
export type BookingRequest = z.input<typeof bookingBody>;
export type RescheduleRequest = z.input<typeof rescheduleBody>;
/** A patient as the front desk sees one (search results carry the full date of birth). */
export type PatientSummary = z.infer<typeof scheduledPatientSchema>;
export type RegisterPatientRequest = z.input<typeof registerBody>;
export type NoShowRow = z.infer<typeof rateSchema>;
export type VolumeRow = z.infer<typeof volumeSchema>;
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type FreeSlot = z.infer<typeof slotSchema>;
export type WaitlistEntry = z.infer<typeof entrySchema>;
export type WaitlistRequest = z.input<typeof waitlistBody>;

/** The error body every failing request answers with. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: { issues?: { path: string; message: string }[]; conflict?: { appointmentId: number; scheduledAt: string; durationMin: number } } };
}
