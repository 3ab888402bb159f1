/**
 * Clinical work beyond the core repository: completing a visit with its encrypted
 * note (sealed by ./visit-notes.ts), and prescriptions through the audited read function.
 */
import type { Transaction } from '../index.js';
import type { FieldCrypto } from '../../crypto/index.js';
import { completeVisit, type CompletedVisit, type CompleteVisitInput } from './visits.js';
import { saveVisitNotes } from './visit-notes.js';

export interface CompleteWithNoteInput extends CompleteVisitInput {
  /** Free-text note, sealed with the patient's data key before it reaches PostgreSQL. */
  notes?: string;
}

/**
 * Complete a checked-in visit (completeVisit: visit, diagnoses, prescriptions, status)
 * and store its note, all in the caller's transaction: any refusal leaves nothing.
 * Undefined when the appointment is not visible to the caller.
 */
export async function completeVisitWithNote(trx: Transaction, crypto: FieldCrypto, input: CompleteWithNoteInput): Promise<CompletedVisit | undefined> {
  // Fail before writing anything if the note cannot be sealed (no master key).
  if (input.notes !== undefined) crypto.assertAvailable();
  const done = await completeVisit(trx, { appointmentId: input.appointmentId, diagnoses: input.diagnoses, prescriptions: input.prescriptions });
  if (done && input.notes !== undefined) await saveVisitNotes(trx, crypto, done.visit.visitId, done.visit.patientId, input.notes);
  return done;
}

/** A prescription in a patient's list: a visit's prescription with its visit and when it was written. */
export interface PatientPrescription extends VisitPrescription {
  visitId: number;
  prescribedAt: string;
}

/** Through the audited function patient_prescriptions(): one audit row per call; empty when not allowed. */
export async function patientPrescriptions(trx: Transaction, patientId: number, activeOnly: boolean): Promise<PatientPrescription[]> {
  const { rows } = await trx.raw<{
    rows: {
      prescription_id: number;
      visit_id: number;
      medication_id: number;
      medication_name: string;
      form: string;
      strength: string;
      dosage: string;
      start_date: string;
      end_date: string | null;
      prescribed_at: Date;
    }[];
  }>('SELECT * FROM patient_prescriptions(?, ?)', [patientId, activeOnly]);
  return rows.map((r) => ({
    prescriptionId: r.prescription_id,
    visitId: r.visit_id,
    medicationId: r.medication_id,
    medicationName: r.medication_name,
    form: r.form,
    strength: r.strength,
    dosage: r.dosage,
    startDate: r.start_date,
    endDate: r.end_date,
    prescribedAt: new Date(r.prescribed_at).toISOString(),
  }));
}

export interface VisitDiagnosis {
  diagnosisId: number;
  code: string;
  description: string;
}

export interface VisitPrescription {
  prescriptionId: number;
  medicationId: number;
  medicationName: string;
  form: string;
  strength: string;
  dosage: string;
  startDate: string;
  endDate: string | null;
}

export interface PatientVisit {
  visitId: number;
  appointmentId: number;
  providerId: number;
  providerName: string;
  startedAt: string;
  completedAt: string | null;
  diagnoses: VisitDiagnosis[];
  prescriptions: VisitPrescription[];
}

/**
 * A patient's visits, newest first, each with its diagnoses and prescriptions, through the
 * audited function patient_visits(): one audit row per call; empty when not allowed.
 */
export async function patientVisits(trx: Transaction, patientId: number): Promise<PatientVisit[]> {
  const { rows } = await trx.raw<{
    rows: {
      visit_id: number;
      appointment_id: number;
      provider_id: number;
      provider_name: string;
      started_at: Date;
      completed_at: Date | null;
      diagnoses: VisitDiagnosis[];
      prescriptions: VisitPrescription[];
    }[];
  }>(
    `SELECT v.visit_id, v.appointment_id, v.provider_id, p.name AS provider_name, v.started_at, v.completed_at, v.diagnoses, v.prescriptions
     FROM patient_visits(?) v JOIN providers p ON p.provider_id = v.provider_id
     ORDER BY v.started_at DESC, v.visit_id DESC`,
    [patientId],
  );
  return rows.map((r) => ({
    visitId: r.visit_id,
    appointmentId: r.appointment_id,
    providerId: r.provider_id,
    providerName: r.provider_name,
    startedAt: new Date(r.started_at).toISOString(),
    completedAt: r.completed_at === null ? null : new Date(r.completed_at).toISOString(),
    diagnoses: r.diagnoses,
    prescriptions: r.prescriptions,
  }));
}
