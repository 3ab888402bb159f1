/**
 * Clinical work as a clinician is allowed to do it under the access-control
 * migration: clinicians may write visits, diagnoses and prescriptions for their own
 * appointments but read back only ids (content is read through the audited
 * functions), so these statements return ids only. Visit notes are sealed in the
 * service with the patient's data key (server/crypto) and stored through
 * save_visit_note(); the master key never reaches PostgreSQL.
 */
import type { Transaction } from '../index.js';
import { AppError } from '../errors.js';
import type { FieldCrypto } from '../../crypto/index.js';
import { toAppointment, type Appointment, type AppointmentRow } from './appointments.js';
import type { DiagnosisInput, PrescriptionInput } from './visits.js';

export interface CompleteAsClinicianInput {
  appointmentId: number;
  notes?: string;
  diagnoses: DiagnosisInput[];
  prescriptions: PrescriptionInput[];
}

export interface CompletedVisitIds {
  visitId: number;
  appointment: Appointment;
  diagnosisIds: number[];
  prescriptionIds: number[];
}

/** The AAD context of a visit's note: the ciphertext opens only on this row. */
export const visitNoteContext = (visitId: number) => `visit_notes:${visitId}`;

/**
 * Record the visit of a checked-in appointment and complete it, in the caller's
 * transaction: lock the appointment, insert the visit, diagnoses, prescriptions and
 * the sealed note, mark the appointment completed and the visit closed. Undefined when
 * the appointment is not visible. Any refusal aborts the whole transaction.
 */
export async function completeVisitAsClinician(
  trx: Transaction,
  crypto: FieldCrypto,
  input: CompleteAsClinicianInput,
): Promise<CompletedVisitIds | undefined> {
  const appt = await trx('appointments')
    .select('appointment_id', 'patient_id', 'status')
    .where('appointment_id', input.appointmentId)
    .forUpdate()
    .first<{ appointment_id: number; patient_id: number; status: string } | undefined>();
  if (!appt) return undefined;
  if (appt.status !== 'checked_in') {
    throw new AppError(409, 'invalid_transition', `Only a checked-in appointment can be completed; this one is ${appt.status.replace('_', ' ')}.`, {
      constraint: 'appointments_status_transition',
    });
  }
  // Fail before writing anything if notes cannot be sealed (no master key).
  if (input.notes !== undefined) crypto.assertAvailable();

  const [visit] = (await trx('visits')
    .insert({ appointment_id: appt.appointment_id, patient_id: appt.patient_id })
    .returning(['visit_id'])) as { visit_id: number }[];
  const visitId = visit!.visit_id;

  const diagnosisIds: number[] = [];
  if (input.diagnoses.length) {
    const rows = (await trx('diagnoses')
      .insert(input.diagnoses.map((d) => ({ visit_id: visitId, code: d.code, description: d.description })))
      .returning(['diagnosis_id'])) as { diagnosis_id: number }[];
    diagnosisIds.push(...rows.map((r) => r.diagnosis_id));
  }
  const prescriptionIds: number[] = [];
  if (input.prescriptions.length) {
    const rows = (await trx('prescriptions')
      .insert(
        input.prescriptions.map((p) => ({
          visit_id: visitId,
          medication_id: p.medicationId,
          dosage: p.dosage,
          start_date: p.startDate,
          end_date: p.endDate ?? null,
        })),
      )
      .returning(['prescription_id'])) as { prescription_id: number }[];
    prescriptionIds.push(...rows.map((r) => r.prescription_id));
  }
  if (input.notes !== undefined) await saveVisitNote(trx, crypto, appt.patient_id, visitId, input.notes);

  const [apptRow] = (await trx('appointments')
    .update({ status: 'completed' })
    .where('appointment_id', appt.appointment_id)
    .returning([
      'appointment_id', 'patient_id', 'provider_id', 'scheduled_at', 'duration_min', 'status', 'created_at', 'updated_at',
      trx.raw('clinic_day(scheduled_at) AS clinic_date'),
    ] as string[])) as AppointmentRow[];
  await trx('visits').update({ completed_at: trx.fn.now() }).where('visit_id', visitId);
  return { visitId, appointment: toAppointment(apptRow!), diagnosisIds, prescriptionIds };
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
