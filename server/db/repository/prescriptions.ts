/**
 * Active prescriptions of a patient: started on or before the clinic's today and not
 * yet ended (end_date null or today or later), "today" being the clinic-local date.
 */
import type { Knex } from 'knex';
import type { Transaction } from '../index.js';
import { CLINIC_TODAY, nativeSql, type NativeSql, type Queryable } from './common.js';

export interface ActivePrescription {
  prescriptionId: number;
  visitId: number;
  appointmentId: number;
  medicationId: number;
  medicationName: string;
  form: string;
  strength: string;
  dosage: string;
  /** 'YYYY-MM-DD' */
  startDate: string;
  /** 'YYYY-MM-DD', or null for an open-ended prescription. */
  endDate: string | null;
}

/** The query behind {@link activePrescriptions}, unexecuted. */
export function activePrescriptionsQuery(db: Queryable, patientId: number): Knex.QueryBuilder {
  return db('prescriptions as rx')
    .join('visits as v', 'v.visit_id', 'rx.visit_id')
    .join('medications as m', 'm.medication_id', 'rx.medication_id')
    .select(
      'rx.prescription_id',
      'rx.visit_id',
      'v.appointment_id',
      'rx.medication_id',
      'm.name as medication_name',
      'm.form',
      'm.strength',
      'rx.dosage',
      'rx.start_date',
      'rx.end_date',
    )
    .where('v.patient_id', patientId)
    .whereRaw(`rx.start_date <= ${CLINIC_TODAY}`)
    .where((w) => w.whereNull('rx.end_date').orWhereRaw(`rx.end_date >= ${CLINIC_TODAY}`))
    .orderBy([{ column: 'rx.start_date', order: 'desc' }, { column: 'rx.prescription_id', order: 'desc' }]);
}

export function activePrescriptionsSql(db: Queryable, patientId: number): NativeSql {
  return nativeSql(activePrescriptionsQuery(db, patientId));
}

/** The patient's prescriptions in force today (clinic-local), most recently started first. */
export async function activePrescriptions(trx: Transaction, patientId: number): Promise<ActivePrescription[]> {
  const rows: {
    prescription_id: number;
    visit_id: number;
    appointment_id: number;
    medication_id: number;
    medication_name: string;
    form: string;
    strength: string;
    dosage: string;
    start_date: string;
    end_date: string | null;
  }[] = await activePrescriptionsQuery(trx, patientId);
  return rows.map((r) => ({
    prescriptionId: r.prescription_id,
    visitId: r.visit_id,
    appointmentId: r.appointment_id,
    medicationId: r.medication_id,
    medicationName: r.medication_name,
    form: r.form,
    strength: r.strength,
    dosage: r.dosage,
    startDate: r.start_date,
    endDate: r.end_date,
  }));
}
