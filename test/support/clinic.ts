/**
 * Clinic fixtures for tests: providers, patients and medications inserted as the
 * superuser, plus a helper that captures the PostgreSQL error a statement raises.
 */
import type { Knex } from 'knex';
import { onTestFinished } from 'vitest';
import { morningZone } from './morning-zone.js';

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

/** The clinic's today, without waiting: for tests that book on the days after it. */
export async function clinicDate(admin: Knex): Promise<string> {
  const { rows } = await admin.raw(`SELECT clinic_day(clock_timestamp())::text AS today`);
  return (rows[0] as { today: string }).today;
}

export interface ClinicMorning {
  /** The fixed-offset zone the clinic is in for the work. */
  timeZone: string;
  /** The clinic-local day it is now. */
  today: string;
  /** The current minute as an instant (a booking the administrator records may start at it). */
  now: string;
  /** Three minutes later (staff may book only in the future). */
  soon: string;
}

async function setClinicZone(admin: Knex, zone: string): Promise<void> {
  // clinic_settings has FORCE row-level security: a login that is not a superuser would
  // update nothing, silently.
  const { rowCount } = await admin.raw('UPDATE clinic_settings SET time_zone = ?', [zone]);
  if (rowCount !== 1) throw new Error(`moving the clinic to ${zone} updated ${rowCount} rows`);
}

/**
 * Runs `work` with the clinic moved to the fixed-offset zone where it is now mid-morning, then
 * moves it back. A check-in is allowed only on the appointment's own clinic day and a no-show
 * only after its start, so a test that books today and then checks in would otherwise depend on
 * the hour the suite runs at: close to the clinic's midnight the day changes under it. Inside,
 * the clinic's day has more than 12 hours left, at any hour of the UTC day. The zone is chosen
 * by the database's clock, and put back when the test ends even if `work` never settles.
 */
export async function onClinicMorning<T>(admin: Knex, work: (day: ClinicMorning) => Promise<T>): Promise<T> {
  const { rows } = await admin.raw('SELECT time_zone, clock_timestamp() AS at FROM clinic_settings');
  const { time_zone: previous, at } = rows[0] as { time_zone: string; at: Date };
  const timeZone = morningZone(at);
  const restore = () => setClinicZone(admin, previous);
  onTestFinished(restore);
  await setClinicZone(admin, timeZone);
  let result: T;
  try {
    const { rows: day } = await admin.raw(
      `SELECT clinic_day(clock_timestamp())::text AS today,
              to_char(date_trunc('minute', clock_timestamp()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS now,
              to_char((date_trunc('minute', clock_timestamp()) + interval '3 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS soon`,
    );
    result = await work({ timeZone, ...(day[0] as Omit<ClinicMorning, 'timeZone'>) });
  } catch (err) {
    // The work's own error is the one to report, even if putting the zone back fails too.
    await restore().catch(() => undefined);
    throw err;
  }
  await restore();
  return result;
}
