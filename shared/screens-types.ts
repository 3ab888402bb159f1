/**
 * Response types of the endpoints behind the clinician, manager, compliance and billing
 * screens, inferred from the server's zod schemas (type-only: nothing reaches the bundle).
 */
import type { z } from 'zod';
import type { chargeSchema } from '../server/billing/schemas.js';
import type { grantSchema, panelSchema } from '../server/clinical/schemas.js';
import type { icd10Schema, medicationSchema } from '../server/medications/schemas.js';
import type { compliancePatientSchema, staffSchema } from '../server/audit/schemas.js';
import type { outcomeSchema } from '../server/analytics/schemas.js';
import type { scheduleEntrySchema } from '../server/providers/schemas.js';
import type { completeBody } from '../server/appointments/schemas.js';

export type Charge = z.infer<typeof chargeSchema>;
export type ChargeStatus = Charge['status'];
export type PatientPanel = z.infer<typeof panelSchema>;
export type PanelVisit = PatientPanel['visits'][number];
export type Icd10Code = z.infer<typeof icd10Schema>;
export type Medication = z.infer<typeof medicationSchema>;
export type StaffAccount = z.infer<typeof staffSchema>;
export type CompliancePatient = z.infer<typeof compliancePatientSchema>;
export type OutcomeRow = z.infer<typeof outcomeSchema>;
export type ScheduleEntry = z.infer<typeof scheduleEntrySchema>;
export type CompleteVisitRequest = z.input<typeof completeBody>;
export type BreakGlassGrant = z.infer<typeof grantSchema>;
