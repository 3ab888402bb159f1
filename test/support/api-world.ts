/**
 * A small clinic for API tests: two providers with a clinician each, patients in
 * and outside each clinician's care, one billed patient, one account per role, and
 * a snapshot of every patient-data table to prove a refused request changed nothing.
 */
import type { Knex } from 'knex';
import type { StaffRole } from '../../server/db/index.js';
import type { StaffFixture } from './staff.js';
import { createMedication, createPatient, createProvider, insertAppointment } from './clinic.js';
import type { ApiClient, TestServer } from './server.js';

/** A future clinic day (Monday), far enough ahead to stay "upcoming". */
export const DAY = '2030-03-04';
export const at = (hhmm: string) => `${DAY}T${hhmm}:00-05:00`;

export interface World {
  providerA: number;
  providerB: number;
  /** Patient in clinician A's care (an appointment with provider A). */
  patientA: number;
  /** Patient in clinician B's care only. */
  patientB: number;
  /** Patient with a completed, charged visit with provider B (billing sees them). */
  billedPatient: number;
  /** A patient with no appointments (free to book). */
  freePatient: number;
  medicationId: number;
  users: Record<StaffRole, StaffFixture> & { clinicianB: StaffFixture };
  as: Record<StaffRole, ApiClient> & { clinicianB: ApiClient; anonymous: ApiClient };
}

export async function buildWorld(ts: TestServer): Promise<World> {
  const k = ts.db.knex;
  const providerA = await createProvider(k, { name: 'Dr Ada Alvarez' });
  const providerB = await createProvider(k, { name: 'Dr Ben Brooks' });
  const patientA = await createPatient(k, { name: 'Alice Anders', email: 'alice@example.org', phone: '+1 555 010 1234' });
  const patientB = await createPatient(k, { name: 'Bob Brown', email: 'bob@example.org' });
  const billedPatient = await createPatient(k, { name: 'Carla Cruz' });
  const freePatient = await createPatient(k, { name: 'Dan Diaz' });
  await insertAppointment(k, { patientId: patientA, providerId: providerA, scheduledAt: at('09:00') });
  await insertAppointment(k, { patientId: patientB, providerId: providerB, scheduledAt: at('09:00') });
  const billedAppt = await insertAppointment(k, { patientId: billedPatient, providerId: providerB, scheduledAt: '2026-01-05T15:00:00Z', status: 'checked_in' });
  await k.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [billedAppt, billedPatient]);
  await k.raw("UPDATE appointments SET status = 'completed' WHERE appointment_id = ?", [billedAppt]);
  const medicationId = await createMedication(k, { name: 'Metformin', form: 'tablet', strength: '500 mg' });

  const users = {
    front_desk: await ts.createUser('front_desk'),
    clinician: await ts.createUser('clinician', { providerId: providerA }),
    clinicianB: await ts.createUser('clinician', { providerId: providerB }),
    billing: await ts.createUser('billing'),
    manager: await ts.createUser('manager'),
    compliance: await ts.createUser('compliance'),
  };
  const as = {
    front_desk: await ts.login(users.front_desk),
    clinician: await ts.login(users.clinician),
    clinicianB: await ts.login(users.clinicianB),
    billing: await ts.login(users.billing),
    manager: await ts.login(users.manager),
    compliance: await ts.login(users.compliance),
    anonymous: ts.client(),
  };
  return { providerA, providerB, patientA, patientB, billedPatient, freePatient, medicationId, users, as };
}

const TABLES = [
  'patients', 'providers', 'appointments', 'visits', 'diagnoses', 'prescriptions', 'medications',
  'charges', 'patient_keys', 'visit_notes', 'erasures', 'audit_log', 'staff_users', 'appointment_monthly_stats',
];

/** Row count and content hash of every data table (as superuser), to compare before and after. */
export async function snapshot(admin: Knex): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const { rows } = await admin.raw(`SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`);
    out[t] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}
