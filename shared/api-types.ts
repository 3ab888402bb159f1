/**
 * The API's request and response types for the dashboard, inferred from the very zod
 * schemas the server validates with and documents (OpenAPI) — never copied by hand.
 * Type-only imports: nothing here reaches the browser bundle (no zod, no server code).
 * The socket contract is shared/events.ts; the clinic endpoints' schemas live in shared/clinic.ts.
 */
import type { z } from 'zod';
import type { userSchema } from '../server/auth/schemas.js';
import type { providerSchema, scheduleEntrySchema } from '../server/providers/schemas.js';
import type { appointmentSchema, bookingBody, completeBody, rescheduleBody } from '../server/appointments/schemas.js';
import type { registerBody, scheduledPatientSchema } from '../server/patients/schemas.js';
import type { slotSchema } from '../server/availability/schemas.js';
import type { entrySchema, waitlistBody } from '../server/waitlist/schemas.js';
import type { grantSchema, panelSchema } from '../server/clinical/schemas.js';
import type { icd10Schema, medicationSchema } from '../server/medications/schemas.js';
import type { outcomeSchema, rateSchema, volumeSchema } from '../server/analytics/schemas.js';
import type { auditEntrySchema, compliancePatientSchema } from '../server/audit/schemas.js';
import type { staffSchema } from '../server/staff/schemas.js';
import type { chargeSchema } from '../server/billing/schemas.js';

// The clinic, its day grid and an appointment's status history.
export type { Clinic, ClinicDay, DayAppointment, DayProvider, StatusHistory } from './clinic.js';

// Sign-in: the signed-in staff member.
export type Me = z.infer<typeof userSchema>;
export type StaffRoleName = Me['role'];

// Providers and their day schedules.
export type Provider = z.infer<typeof providerSchema>;
export type ScheduleEntry = z.infer<typeof scheduleEntrySchema>;

// Appointments: booking, moving, completing a visit.
export type Appointment = z.infer<typeof appointmentSchema>;
export type AppointmentStatus = Appointment['status'];
export type BookingRequest = z.input<typeof bookingBody>;
export type RescheduleRequest = z.input<typeof rescheduleBody>;
export type CompleteVisitRequest = z.input<typeof completeBody>;

// Patients as the front desk finds and registers them.
/** A patient as the front desk sees one (search results carry the full date of birth). */
export type PatientSummary = z.infer<typeof scheduledPatientSchema>;
export type RegisterPatientRequest = z.input<typeof registerBody>;

// Availability and the waitlist.
export type FreeSlot = z.infer<typeof slotSchema>;
export type WaitlistEntry = z.infer<typeof entrySchema>;
export type WaitlistRequest = z.input<typeof waitlistBody>;

// The clinician: a patient's panel, break-the-glass, the formulary and ICD-10-CM codes.
export type PatientPanel = z.infer<typeof panelSchema>;
export type PanelVisit = PatientPanel['visits'][number];
export type BreakGlassGrant = z.infer<typeof grantSchema>;
export type Medication = z.infer<typeof medicationSchema>;
export type Icd10Code = z.infer<typeof icd10Schema>;

// The manager's monthly reports.
export type NoShowRow = z.infer<typeof rateSchema>;
export type VolumeRow = z.infer<typeof volumeSchema>;
export type OutcomeRow = z.infer<typeof outcomeSchema>;

// Compliance: the audit log, staff accounts, the patient finder before an erasure.
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type StaffAccount = z.infer<typeof staffSchema>;
export type CompliancePatient = z.infer<typeof compliancePatientSchema>;

// Billing.
export type Charge = z.infer<typeof chargeSchema>;

/** The error body every failing request answers with. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: { issues?: { path: string; message: string }[]; conflict?: { appointmentId: number; scheduledAt: string; durationMin: number } } };
}
