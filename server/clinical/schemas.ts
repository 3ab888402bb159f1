/**
 * Clinical request and response schemas: a clinician's patient panel (visits with their
 * diagnoses and prescriptions) and break-the-glass requests and grants.
 */
import { z } from 'zod';
import { appointmentHistorySchema } from '../appointments/schemas.js';
import { instantOut, patientRef, providerRef } from '../http/schemas.js';
import { clinicalPatientSchema, prescriptionSchema, visitPrescriptionSchema } from '../patients/schemas.js';

const visitSchema = z
  .object({
    visitId: z.number().int(),
    appointmentId: z.number().int(),
    ...providerRef,
    startedAt: instantOut,
    completedAt: instantOut.nullable(),
    diagnoses: z.array(z.object({ diagnosisId: z.number().int(), code: z.string(), description: z.string() })),
    prescriptions: z.array(visitPrescriptionSchema),
  })
  .meta({ id: 'PatientVisit' });

export const panelSchema = z
  .object({
    patient: clinicalPatientSchema,
    appointments: z.array(appointmentHistorySchema),
    visits: z.array(visitSchema),
    activePrescriptions: z.array(prescriptionSchema),
  })
  .meta({ id: 'PatientPanel' });

export const breakGlassBody = z
  .strictObject({
    reason: z.string().trim().min(10, 'must be at least 10 characters').max(1000, 'must be at most 1000 characters'),
    minutes: z.number().int('must be a whole number').min(1, 'must be 1 to 240').max(240, 'must be 1 to 240').default(60),
  })
  .meta({ id: 'BreakGlassRequest' });

export const grantSchema = z
  .object({
    grantId: z.number().int(),
    ...patientRef,
    grantedAt: instantOut,
    expiresAt: instantOut,
  })
  .meta({ id: 'BreakGlassGrant' });
