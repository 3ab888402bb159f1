/**
 * Fixtures shared by the audit, erasure and encryption tests: a clinician with a
 * visit for a patient (inserted as the superuser, so they are not what is tested).
 */
import type { Knex } from 'knex';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import { createStaff, type StaffFixture } from '../support/staff.js';

export const MASTER_KEY = 'a1'.repeat(32);
export const OTHER_MASTER_KEY = 'b2'.repeat(32);

let slot = 0;
/** A distinct past instant per call, so fixtures never overlap. */
export function nextSlot(): string {
  return new Date(Date.UTC(2025, 0, 6, 9, 0) + ++slot * 3_600_000).toISOString();
}

export interface CareFixture {
  clinician: StaffFixture;
  providerId: number;
  patientId: number;
  appointmentId: number;
  visitId: number;
}

/** A clinician, and a patient with a completed appointment and a visit with them. */
export async function careFixture(admin: Knex, patient: Parameters<typeof createPatient>[1] = {}): Promise<CareFixture> {
  const providerId = await createProvider(admin);
  const clinician = await createStaff(admin, 'clinician', { providerId });
  const patientId = await createPatient(admin, patient);
  const visit = await addVisit(admin, providerId, patientId);
  return { clinician, providerId, patientId, ...visit };
}

export async function addVisit(admin: Knex, providerId: number, patientId: number): Promise<{ appointmentId: number; visitId: number }> {
  const appointmentId = await insertAppointment(admin, { patientId, providerId, scheduledAt: nextSlot(), status: 'checked_in' });
  const { rows } = await admin.raw(
    'INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?) RETURNING visit_id',
    [appointmentId, patientId],
  );
  await admin.raw("UPDATE appointments SET status = 'completed' WHERE appointment_id = ?", [appointmentId]);
  return { appointmentId, visitId: rows[0].visit_id };
}
