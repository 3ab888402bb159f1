/**
 * "Complete a visit": the clinical record of an appointment, written as one unit.
 *
 * Order, chosen so every trigger accepts it: lock the appointment (it must be
 * checked_in) → insert the visit (visits_require_arrival wants checked_in or
 * completed) → diagnoses → prescriptions → appointment completed (the state
 * machine allows checked_in → completed) → visit stamped completed. All statements
 * run in the caller's transaction (asStaff), so any refusal, at any step or at
 * COMMIT, leaves no row behind.
 */
import type { Transaction } from '../index.js';
import { DomainError } from '../../domain/errors.js';
import { assertDay } from './common.js';
import { appointmentReturning, toAppointment, type Appointment, type AppointmentRow } from './appointments.js';

export interface DiagnosisInput {
  /** ICD-10-CM code, e.g. 'E11.9' (shape checked by diagnoses_code_icd10cm). */
  code: string;
  description: string;
}

export interface PrescriptionInput {
  medicationId: number;
  dosage: string;
  /** 'YYYY-MM-DD' */
  startDate: string;
  /** 'YYYY-MM-DD' or omitted/null for open-ended. */
  endDate?: string | null;
}

export interface CompleteVisitInput {
  appointmentId: number;
  diagnoses?: DiagnosisInput[];
  prescriptions?: PrescriptionInput[];
}

export interface Visit {
  visitId: number;
  appointmentId: number;
  patientId: number;
}

export interface Diagnosis {
  diagnosisId: number;
  visitId: number;
  code: string;
  description: string;
}

export interface Prescription {
  prescriptionId: number;
  visitId: number;
  medicationId: number;
  dosage: string;
  startDate: string;
  endDate: string | null;
}

export interface CompletedVisit {
  appointment: Appointment;
  visit: Visit;
  diagnoses: Diagnosis[];
  prescriptions: Prescription[];
}

/**
 * Record the visit of a checked-in appointment and complete it, in the caller's
 * transaction. Returns undefined when the appointment does not exist (or is not
 * visible). Refusals come from PostgreSQL: 23514 `visits_require_arrival` when the
 * appointment is not checked in, 23514 `diagnoses_code_icd10cm` / `prescriptions_dates_ordered`,
 * 23503 for an unknown medication, 23505 `visits_appointment_id_key` for a second visit.
 * The caller must let the error end the transaction (asStaff does), so nothing is kept.
 *
 * Statements return ids only (what a clinician may read back under the column grants);
 * the returned diagnoses and prescriptions are the input with their new ids.
 */
export async function completeVisit(trx: Transaction, input: CompleteVisitInput): Promise<CompletedVisit | undefined> {
  // FOR UPDATE: a concurrent cancel or second completion waits for us, then sees our result.
  const appt = await trx('appointments')
    .select('appointment_id', 'patient_id', 'status')
    .where('appointment_id', input.appointmentId)
    .forUpdate()
    .first<{ appointment_id: number; patient_id: number; status: string } | undefined>();
  if (!appt) return undefined;
  if (appt.status === 'completed') {
    // The triggers would accept a visit for a completed appointment that lacks one (imports);
    // through this path, completing twice is a client error.
    throw new DomainError('conflict', 'invalid_transition', 'This appointment is already completed.', {
      constraint: 'appointments_status_transition',
    });
  }

  const [visitRow] = (await trx('visits')
    .insert({ appointment_id: appt.appointment_id, patient_id: appt.patient_id })
    .returning(['visit_id'])) as { visit_id: number }[];
  const visitId = visitRow!.visit_id;

  const diagnoses: Diagnosis[] = [];
  if (input.diagnoses?.length) {
    const given = input.diagnoses;
    const rows = (await trx('diagnoses')
      .insert(given.map((d) => ({ visit_id: visitId, code: d.code, description: d.description })))
      .returning(['diagnosis_id'])) as { diagnosis_id: number }[];
    // A multi-row INSERT ... RETURNING returns rows in VALUES order.
    rows.forEach((r, i) => diagnoses.push({ diagnosisId: r.diagnosis_id, visitId, code: given[i]!.code, description: given[i]!.description }));
  }

  const prescriptions: Prescription[] = [];
  if (input.prescriptions?.length) {
    const values = input.prescriptions.map((p) => ({
      visit_id: visitId,
      medication_id: p.medicationId,
      dosage: p.dosage,
      start_date: assertDay(p.startDate, 'startDate'),
      end_date: p.endDate == null ? null : assertDay(p.endDate, 'endDate'),
    }));
    const rows = (await trx('prescriptions').insert(values).returning(['prescription_id'])) as { prescription_id: number }[];
    rows.forEach((r, i) => {
      const v = values[i]!;
      prescriptions.push({
        prescriptionId: r.prescription_id,
        visitId,
        medicationId: v.medication_id,
        dosage: v.dosage,
        startDate: v.start_date,
        endDate: v.end_date,
      });
    });
  }

  const [apptRow] = (await trx('appointments')
    .update({ status: 'completed' })
    .where('appointment_id', appt.appointment_id)
    .returning(appointmentReturning(trx) as string[])) as AppointmentRow[];

  await trx('visits').update({ completed_at: trx.fn.now() }).where('visit_id', visitId);

  return {
    appointment: toAppointment(apptRow!),
    visit: { visitId, appointmentId: appt.appointment_id, patientId: appt.patient_id },
    diagnoses,
    prescriptions,
  };
}
