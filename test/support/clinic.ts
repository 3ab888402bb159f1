/**
 * Clinic fixtures for tests: providers, patients and medications inserted as the
 * superuser, plus a helper that captures the PostgreSQL error a statement raises.
 */
import type { Knex } from 'knex';

let seq = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${++seq}`;

export async function createProvider(admin: Knex, opts: { name?: string; specialty?: string } = {}): Promise<number> {
  const { rows } = await admin.raw('INSERT INTO providers (name, specialty) VALUES (?, ?) RETURNING provider_id', [
    opts.name ?? `Dr ${unique()}`,
    opts.specialty ?? 'Family medicine',
  ]);
  return rows[0].provider_id;
}

export async function createPatient(
  admin: Knex,
  opts: { name?: string; dob?: string; email?: string | null; phone?: string | null } = {},
): Promise<number> {
  const { rows } = await admin.raw('INSERT INTO patients (name, dob, email, phone) VALUES (?, ?, ?, ?) RETURNING patient_id', [
    opts.name ?? `Patient ${unique()}`,
    opts.dob ?? '1980-05-17',
    opts.email === undefined ? null : opts.email,
    opts.phone === undefined ? null : opts.phone,
  ]);
  return rows[0].patient_id;
}

export async function createMedication(admin: Knex, opts: { name?: string; form?: string; strength?: string } = {}): Promise<number> {
  const { rows } = await admin.raw('INSERT INTO medications (name, form, strength) VALUES (?, ?, ?) RETURNING medication_id', [
    opts.name ?? `Medication ${unique()}`,
    opts.form ?? 'tablet',
    opts.strength ?? '10 mg',
  ]);
  return rows[0].medication_id;
}

export async function insertAppointment(
  admin: Knex,
  a: { patientId: number; providerId: number; scheduledAt: string; durationMin?: number; status?: string },
): Promise<number> {
  const { rows } = await admin.raw(
    `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status)
     VALUES (?, ?, ?, ?, ?) RETURNING appointment_id`,
    [a.patientId, a.providerId, a.scheduledAt, a.durationMin ?? 30, a.status ?? 'scheduled'],
  );
  return rows[0].appointment_id;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function pgError(p: Promise<unknown>): Promise<{ code?: string; constraint?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; constraint?: string; message: string };
  }
  throw new Error('expected the database to refuse this, but it was accepted');
}
