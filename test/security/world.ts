/**
 * A small clinic for the security tests: two providers each with their own clinician
 * and their own patient (with a completed visit, a diagnosis, a prescription, a charge
 * and a future appointment), plus one account for every other role. Written as the
 * superuser, so it does not depend on the grants under test.
 */
import type { Knex } from 'knex';
import { createStaff, type StaffFixture } from '../support/staff.js';

export interface PatientFixture {
  patientId: number;
  pastAppointmentId: number;
  futureAppointmentId: number;
  visitId: number;
  diagnosisId: number;
  prescriptionId: number;
  chargeId: number;
}

export interface World {
  providerA: number;
  providerB: number;
  medicationId: number;
  frontDesk: StaffFixture;
  clinicianA: StaffFixture;
  clinicianB: StaffFixture;
  billing: StaffFixture;
  manager: StaffFixture;
  compliance: StaffFixture;
  /** Patient of provider A only. */
  patientA: PatientFixture;
  /** Patient of provider B only. */
  patientB: PatientFixture;
}

const one = async <T>(admin: Knex, sql: string, bindings: readonly unknown[] = []): Promise<T> =>
  (await admin.raw(sql, bindings as Knex.RawBinding[])).rows[0] as T;

let seq = 0;

/** A patient with a completed visit (diagnosis, prescription, charge) and a future appointment, all with `providerId`. */
export async function createPatientWithHistory(admin: Knex, providerId: number, medicationId: number, label: string): Promise<PatientFixture> {
  const n = ++seq;
  const { patient_id: patientId } = await one<{ patient_id: number }>(
    admin,
    `INSERT INTO patients (name, dob, email, phone) VALUES (?, '1980-02-03', ?, '+1 555 010 ${String(1000 + n).slice(-4)}') RETURNING patient_id`,
    [`${label} Patient`, `${label.toLowerCase()}.${process.pid}.${n}@example.org`],
  );
  // Past slots spaced by patient so nobody double-books; the future one a few days ahead.
  const { appointment_id: pastAppointmentId } = await one<{ appointment_id: number }>(
    admin,
    `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status)
     VALUES (?, ?, now() - interval '10 days' + ? * interval '1 hour', 30, 'checked_in') RETURNING appointment_id`,
    [patientId, providerId, n],
  );
  const { appointment_id: futureAppointmentId } = await one<{ appointment_id: number }>(
    admin,
    `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min)
     VALUES (?, ?, now() + interval '5 days' + ? * interval '1 hour', 30) RETURNING appointment_id`,
    [patientId, providerId, n],
  );
  const { visit_id: visitId } = await one<{ visit_id: number }>(
    admin,
    `INSERT INTO visits (appointment_id, patient_id, started_at, completed_at)
     VALUES (?, ?, now() - interval '10 days', now() - interval '10 days') RETURNING visit_id`,
    [pastAppointmentId, patientId],
  );
  await admin.raw(`UPDATE appointments SET status = 'completed' WHERE appointment_id = ?`, [pastAppointmentId]);
  const { diagnosis_id: diagnosisId } = await one<{ diagnosis_id: number }>(
    admin,
    `INSERT INTO diagnoses (visit_id, code, description) VALUES (?, 'J06.9', ?) RETURNING diagnosis_id`,
    [visitId, `Upper respiratory infection of ${label}`],
  );
  const { prescription_id: prescriptionId } = await one<{ prescription_id: number }>(
    admin,
    `INSERT INTO prescriptions (visit_id, medication_id, dosage, start_date)
     VALUES (?, ?, '1 tablet daily', current_date - 10) RETURNING prescription_id`,
    [visitId, medicationId],
  );
  const { charge_id: chargeId } = await one<{ charge_id: number }>(admin, 'SELECT charge_id FROM charges WHERE visit_id = ?', [visitId]);
  return { patientId, pastAppointmentId, futureAppointmentId, visitId, diagnosisId, prescriptionId, chargeId };
}

export async function buildWorld(admin: Knex): Promise<World> {
  const { provider_id: providerA } = await one<{ provider_id: number }>(
    admin,
    "INSERT INTO providers (name, specialty) VALUES ('Dr Ada', 'Family medicine') RETURNING provider_id",
  );
  const { provider_id: providerB } = await one<{ provider_id: number }>(
    admin,
    "INSERT INTO providers (name, specialty) VALUES ('Dr Bea', 'Psychiatry') RETURNING provider_id",
  );
  await admin.raw(
    `INSERT INTO provider_working_hours (provider_id, iso_weekday, starts_at, ends_at)
     SELECT p, d, '09:00', '17:00' FROM unnest(?::int[]) p, generate_series(1, 5) d`,
    [[providerA, providerB]],
  );
  const { medication_id: medicationId } = await one<{ medication_id: number }>(
    admin,
    `INSERT INTO medications (name, form, strength) VALUES ('Securitest ${process.pid}', 'tablet', '10 mg') RETURNING medication_id`,
  );
  return {
    providerA,
    providerB,
    medicationId,
    frontDesk: await createStaff(admin, 'front_desk'),
    clinicianA: await createStaff(admin, 'clinician', { providerId: providerA }),
    clinicianB: await createStaff(admin, 'clinician', { providerId: providerB }),
    billing: await createStaff(admin, 'billing'),
    manager: await createStaff(admin, 'manager'),
    compliance: await createStaff(admin, 'compliance'),
    patientA: await createPatientWithHistory(admin, providerA, medicationId, 'Alpha'),
    patientB: await createPatientWithHistory(admin, providerB, medicationId, 'Bravo'),
  };
}

/** A staff fixture as the identity asStaff takes. */
export const as = (s: StaffFixture) => ({ userId: s.userId, role: s.role });

/** Run `fn`, returning the SQLSTATE it failed with, or 'ok'. */
export async function sqlState(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    throw err;
  }
}
