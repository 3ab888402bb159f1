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

/**
 * Today's clinic-local day and the current minute as an instant on it, for tests that must
 * check in (allowed only on the appointment's own clinic day). Within 5 minutes of the clinic's
 * midnight (5 minutes) it first waits for the new day, so the day cannot change between booking
 * and check-in. Book on it through the admin connection (staff may not book in the past).
 */
export async function clinicToday(admin: Knex): Promise<{ today: string; now: string; soon: string }> {
  for (;;) {
    const { rows } = await admin.raw(
      `SELECT clinic_day(clock_timestamp())::text AS today,
              to_char(date_trunc('minute', clock_timestamp()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS now,
              to_char((date_trunc('minute', clock_timestamp()) + interval '3 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS soon,
              extract(epoch FROM upper(clinic_day_range(clinic_day(clock_timestamp()))) - clock_timestamp())::float8 AS left_s`,
    );
    const r = rows[0] as { today: string; now: string; soon: string; left_s: number };
    // Room for `soon` (a staff booking later today) to stay on the same clinic day.
    if (r.left_s > 300) return { today: r.today, now: r.now, soon: r.soon };
    await new Promise((resolve) => setTimeout(resolve, (r.left_s + 1) * 1000));
  }
}
