/**
 * Clinical work beyond the core repository: completing a visit with its encrypted
 * note, and prescriptions through the audited read function. Visit notes are sealed
 * in the service with the patient's data key (server/crypto) and stored through
 * save_visit_note(); the master key never reaches PostgreSQL.
 */
import type { Transaction } from '../index.js';
import type { FieldCrypto } from '../../crypto/index.js';
import { completeVisit, type CompletedVisit, type CompleteVisitInput } from './visits.js';

export interface CompleteWithNoteInput extends CompleteVisitInput {
  /** Free-text note, sealed with the patient's data key before it reaches PostgreSQL. */
  notes?: string;
}

/** The AAD context of a visit's note: the ciphertext opens only on this row. */
export const visitNoteContext = (visitId: number) => `visit_notes:${visitId}`;

/**
 * Complete a checked-in visit (completeVisit: visit, diagnoses, prescriptions, status)
 * and store its note, all in the caller's transaction: any refusal leaves nothing.
 * Undefined when the appointment is not visible to the caller.
 */
export async function completeVisitWithNote(trx: Transaction, crypto: FieldCrypto, input: CompleteWithNoteInput): Promise<CompletedVisit | undefined> {
  // Fail before writing anything if the note cannot be sealed (no master key).
  if (input.notes !== undefined) crypto.assertAvailable();
  const done = await completeVisit(trx, { appointmentId: input.appointmentId, diagnoses: input.diagnoses, prescriptions: input.prescriptions });
  if (done && input.notes !== undefined) await saveVisitNote(trx, crypto, done.visit.patientId, done.visit.visitId, input.notes);
  return done;
}

/** Seal and store a visit's note with the patient's data key, creating the key on first use. */
export async function saveVisitNote(trx: Transaction, crypto: FieldCrypto, patientId: number, visitId: number, text: string): Promise<void> {
  const { rows } = await trx.raw<{ rows: { k: Buffer | null }[] }>('SELECT patient_wrapped_key(?) AS k', [patientId]);
  let wrapped = rows[0]?.k ?? null;
  if (!wrapped) {
    const fresh = crypto.newDataKey(patientId);
    fresh.dataKey.wipe();
    // Two first notes at once: the function keeps the first key stored and returns it to both.
    const stored = await trx.raw<{ rows: { k: Buffer }[] }>('SELECT store_patient_key(?, ?) AS k', [patientId, fresh.wrapped]);
    wrapped = stored.rows[0]!.k;
  }
  const key = crypto.unwrapDataKey(patientId, wrapped);
  try {
    const sealed = key.encrypt(text, visitNoteContext(visitId));
    await trx.raw('SELECT save_visit_note(?, ?, ?)', [visitId, patientId, sealed]);
  } finally {
    key.wipe();
  }
}

export interface PatientPrescription {
  prescriptionId: number;
  visitId: number;
  medicationId: number;
  medicationName: string;
  form: string;
  strength: string;
  dosage: string;
  startDate: string;
  endDate: string | null;
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
