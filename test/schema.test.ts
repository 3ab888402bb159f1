/**
 * Structural integrity: each rule of the clinic schema is tried with a bad row, which
 * PostgreSQL must refuse with the exact SQLSTATE and constraint name, and with the
 * nearest good row, which it must accept. Runs as the superuser: these rules hold
 * whoever writes, not just through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createMedication, createPatient, createProvider, insertAppointment, pgError } from './support/clinic.js';
import { providerDaySchedule } from '../server/db/repository/index.js';
import { APPOINTMENT_STATUSES } from '../shared/vocabulary.js';

let db: TestDatabase;
let providerA: number;
let providerB: number;
let patientX: number;
let patientY: number;
let medicationId: number;

// Every scenario gets its own hour far from the others, so slots never collide by accident.
let slot = 0;
const nextHour = () => new Date(Date.UTC(2030, 0, 1) + ++slot * 3 * 3600_000);
const at = (base: Date, minutes: number) => new Date(base.getTime() + minutes * 60_000).toISOString();

beforeAll(async () => {
  db = await createTestDatabase();
  providerA = await createProvider(db.knex);
  providerB = await createProvider(db.knex);
  patientX = await createPatient(db.knex);
  patientY = await createPatient(db.knex);
  medicationId = await createMedication(db.knex);
});
afterAll(async () => db.drop());

const raw = (sql: string, bindings: unknown[] = []) => db.knex.raw(sql, bindings as never);

/** An appointment in `status`, with a visit when the status allows one and `withVisit` is set. */
async function appointmentIn(status: string, opts: { withVisit?: boolean; patientId?: number; providerId?: number } = {}) {
  const patientId = opts.patientId ?? (await createPatient(db.knex));
  const id = await insertAppointment(db.knex, {
    patientId,
    providerId: opts.providerId ?? providerA,
    scheduledAt: nextHour().toISOString(),
    status,
  });
  let visitId: number | undefined;
  if (opts.withVisit) {
    const { rows } = await raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?) RETURNING visit_id', [id, patientId]);
    visitId = rows[0].visit_id;
  }
  return { id, patientId, visitId };
}

describe('double-booking', () => {
  it('refuses an overlapping appointment of the same provider (23P01)', async () => {
    const t = nextHour();
    await insertAppointment(db.knex, { patientId: patientX, providerId: providerA, scheduledAt: at(t, 0), durationMin: 30 });
    const err = await pgError(
      insertAppointment(db.knex, { patientId: patientY, providerId: providerA, scheduledAt: at(t, 29), durationMin: 30 }),
    );
    expect(err).toMatchObject({ code: '23P01', constraint: 'appointments_no_provider_overlap' });
  });

  it('refuses one patient in two places at once (23P01)', async () => {
    const t = nextHour();
    await insertAppointment(db.knex, { patientId: patientX, providerId: providerA, scheduledAt: at(t, 0), durationMin: 60 });
    const err = await pgError(
      insertAppointment(db.knex, { patientId: patientX, providerId: providerB, scheduledAt: at(t, 15), durationMin: 15 }),
    );
    expect(err).toMatchObject({ code: '23P01', constraint: 'appointments_no_patient_overlap' });
  });

  it('allows back-to-back appointments: the ranges are half-open', async () => {
    const t = nextHour();
    await insertAppointment(db.knex, { patientId: patientX, providerId: providerA, scheduledAt: at(t, 0), durationMin: 30 });
    // Same provider and same patient, starting exactly when the first ends.
    await insertAppointment(db.knex, { patientId: patientX, providerId: providerA, scheduledAt: at(t, 30), durationMin: 30 });
    await insertAppointment(db.knex, { patientId: patientY, providerId: providerA, scheduledAt: at(t, -15), durationMin: 15 });
    const { rows } = await raw('SELECT count(*)::int AS n FROM appointments WHERE scheduled_at >= ? AND scheduled_at < ?', [
      at(t, -15),
      at(t, 60),
    ]);
    expect(rows[0].n).toBe(3);
  });

  it('lets a cancelled appointment free its slot, but a no-show keeps it', async () => {
    const t = nextHour();
    const first = await insertAppointment(db.knex, { patientId: patientX, providerId: providerA, scheduledAt: at(t, 0) });
    await raw("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [first]);
    const second = await insertAppointment(db.knex, { patientId: patientY, providerId: providerA, scheduledAt: at(t, 0) });
    await raw("UPDATE appointments SET status = 'no_show' WHERE appointment_id = ?", [second]);
    const err = await pgError(insertAppointment(db.knex, { patientId: patientX, providerId: providerA, scheduledAt: at(t, 10) }));
    expect(err).toMatchObject({ code: '23P01', constraint: 'appointments_no_provider_overlap' });
  });

  it('refuses a reschedule into an occupied slot (23P01)', async () => {
    const t = nextHour();
    await insertAppointment(db.knex, { patientId: patientX, providerId: providerA, scheduledAt: at(t, 0) });
    const other = await insertAppointment(db.knex, { patientId: patientY, providerId: providerA, scheduledAt: at(t, 60) });
    const err = await pgError(raw('UPDATE appointments SET scheduled_at = ? WHERE appointment_id = ?', [at(t, 20), other]));
    expect(err).toMatchObject({ code: '23P01', constraint: 'appointments_no_provider_overlap' });
  });
});

describe('the appointment state machine', () => {
  const statuses = APPOINTMENT_STATUSES;
  const legal = new Set(['scheduled>checked_in', 'scheduled>cancelled', 'scheduled>no_show', 'checked_in>completed', 'checked_in>cancelled']);
  const pairs = statuses.flatMap((from) => statuses.filter((to) => to !== from).map((to) => ({ from, to, ok: legal.has(`${from}>${to}`) })));

  it.each(pairs.filter((p) => p.ok))('allows $from → $to', async ({ from, to }) => {
    const a = await appointmentIn(from);
    const { rows } = await raw('UPDATE appointments SET status = ? WHERE appointment_id = ? RETURNING status', [to, a.id]);
    expect(rows[0].status).toBe(to);
  });

  it.each(pairs.filter((p) => !p.ok))('refuses $from → $to with 23514 appointments_status_transition', async ({ from, to }) => {
    const a = await appointmentIn(from);
    const err = await pgError(raw('UPDATE appointments SET status = ? WHERE appointment_id = ?', [to, a.id]));
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_status_transition' });
    const { rows } = await raw('SELECT status FROM appointments WHERE appointment_id = ?', [a.id]);
    expect(rows[0].status).toBe(from);
  });

  it('refuses a status the seed does not know', async () => {
    const err = await pgError(
      raw("INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, status) VALUES (?, ?, ?, 30, 'arrived')", [
        patientX,
        providerA,
        nextHour(),
      ]),
    );
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_status_check' });
  });

  it.each(['checked_in', 'completed', 'cancelled', 'no_show'])('refuses to reschedule a %s appointment', async (status) => {
    const a = await appointmentIn(status);
    const err = await pgError(
      raw("UPDATE appointments SET scheduled_at = scheduled_at + interval '1 day' WHERE appointment_id = ?", [a.id]),
    );
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_reschedule_only_scheduled' });
  });

  it('refuses to hand an appointment to another patient', async () => {
    const a = await appointmentIn('scheduled');
    const err = await pgError(raw('UPDATE appointments SET patient_id = ? WHERE appointment_id = ?', [patientY, a.id]));
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_patient_fixed' });
  });

  it('refuses a visit for a scheduled appointment, accepts one for a checked-in appointment', async () => {
    const a = await appointmentIn('scheduled');
    const err = await pgError(raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [a.id, a.patientId]));
    expect(err).toMatchObject({ code: '23514', constraint: 'visits_require_arrival' });
    const b = await appointmentIn('checked_in', { withVisit: true });
    expect(b.visitId).toBeGreaterThan(0);
  });

  it.each(['cancelled', 'no_show'])('refuses a visit for a %s appointment', async (status) => {
    const a = await appointmentIn(status);
    const err = await pgError(raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [a.id, a.patientId]));
    expect(err).toMatchObject({ code: '23514', constraint: 'visits_require_arrival' });
  });

  it('refuses a second visit for one appointment (23505)', async () => {
    const a = await appointmentIn('checked_in', { withVisit: true });
    const err = await pgError(raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [a.id, a.patientId]));
    expect(err).toMatchObject({ code: '23505', constraint: 'visits_appointment_id_key' });
  });

  it('refuses to cancel an appointment that has a visit', async () => {
    const a = await appointmentIn('checked_in', { withVisit: true });
    const err = await pgError(raw("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [a.id]));
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_visit_requires_arrival' });
  });
});

interface BadRow {
  rule: string;
  sql: string;
  bindings: () => unknown[];
  code: string;
  constraint: string;
}

const patientInsert = 'INSERT INTO patients (name, dob, email) VALUES (?, ?, ?)';
const appointmentInsert = 'INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, ?, ?)';

describe('bad rows', () => {
  const badRows: BadRow[] = [
    { rule: 'duration of 4 minutes', sql: appointmentInsert, bindings: () => [patientX, providerA, nextHour(), 4], code: '23514', constraint: 'appointments_duration_min_check' },
    { rule: 'duration of 481 minutes', sql: appointmentInsert, bindings: () => [patientX, providerA, nextHour(), 481], code: '23514', constraint: 'appointments_duration_min_check' },
    { rule: 'appointment with a missing patient', sql: appointmentInsert, bindings: () => [987654, providerA, nextHour(), 30], code: '23503', constraint: 'appointments_patient_id_fkey' },
    { rule: 'appointment with a missing provider', sql: appointmentInsert, bindings: () => [patientX, 987654, nextHour(), 30], code: '23503', constraint: 'appointments_provider_id_fkey' },
    { rule: 'dob tomorrow', sql: patientInsert, bindings: () => ['Ann Future', new Date(Date.now() + 2 * 86400_000).toISOString().slice(0, 10), null], code: '23514', constraint: 'patients_dob_not_future' },
    { rule: 'blank patient name', sql: patientInsert, bindings: () => ['   ', '1980-01-01', null], code: '23514', constraint: 'patients_name_not_blank' },
    { rule: 'empty patient name', sql: patientInsert, bindings: () => ['', '1980-01-01', null], code: '23514', constraint: 'patients_name_not_blank' },
    ...['ann.example.com', 'ann@example', 'ann smith@example.com', 'ann@@example.com', '@example.com', 'ann@example.'].map((email) => ({
      rule: `email "${email}"`,
      sql: patientInsert,
      bindings: () => ['Ann Shape', '1980-01-01', email],
      code: '23514',
      constraint: 'patients_email_shape',
    })),
    { rule: 'uppercase email', sql: patientInsert, bindings: () => ['Ann Case', '1980-01-01', 'Ann@Example.com'], code: '23514', constraint: 'patients_email_lowercase' },
    ...['12345', '555-CALL-NOW', '+', '++1 555 0100', '(555) 010'].map((phone) => ({
      rule: `phone "${phone}"`,
      sql: 'INSERT INTO patients (name, dob, phone) VALUES (?, ?, ?)',
      bindings: () => ['Ann Phone', '1980-01-01', phone],
      code: '23514',
      constraint: 'patients_phone_shape',
    })),
    { rule: 'a patient name of tabs and newlines', sql: patientInsert, bindings: () => ['\t\n', '1980-01-01', null], code: '23514', constraint: 'patients_name_not_blank' },
    { rule: 'blank provider name', sql: 'INSERT INTO providers (name, specialty) VALUES (?, ?)', bindings: () => [' ', 'Cardiology'], code: '23514', constraint: 'providers_name_not_blank' },
    { rule: 'blank specialty', sql: 'INSERT INTO providers (name, specialty) VALUES (?, ?)', bindings: () => ['Dr Blank', '\t'], code: '23514', constraint: 'providers_specialty_not_blank' },
    { rule: 'prescription for a missing visit', sql: 'INSERT INTO prescriptions (visit_id, medication_id, dosage, start_date) VALUES (?, ?, ?, ?)', bindings: () => [987654, medicationId, '1 daily', '2026-01-01'], code: '23503', constraint: 'prescriptions_visit_id_fkey' },
    { rule: 'invalid clinic time zone', sql: 'UPDATE clinic_settings SET time_zone = ?', bindings: () => ['Mars/Olympus_Mons'], code: '23514', constraint: 'clinic_settings_time_zone_valid' },
    { rule: 'a second clinic settings row', sql: 'INSERT INTO clinic_settings (singleton) VALUES (?)', bindings: () => [false], code: '23514', constraint: 'clinic_settings_singleton' },
    { rule: 'removing the clinic settings', sql: 'DELETE FROM clinic_settings', bindings: () => [], code: '23514', constraint: 'clinic_settings_singleton' },
  ];

  it.each(badRows)('refuses $rule ($code $constraint)', async ({ sql, bindings, code, constraint }) => {
    const err = await pgError(raw(sql, bindings()));
    expect(err).toMatchObject({ code, constraint });
  });

  it('accepts the boundary durations 5 and 480 minutes', async () => {
    await insertAppointment(db.knex, { patientId: patientX, providerId: providerA, scheduledAt: nextHour().toISOString(), durationMin: 5 });
    await insertAppointment(db.knex, { patientId: patientY, providerId: providerB, scheduledAt: nextHour().toISOString(), durationMin: 480 });
    slot += 3; // the 8-hour slot spans the next few scenario hours
  });

  it.each(['+1 (555) 010-0199', '555.010.0199', '+44 20 7946 0958'])('accepts the phone number %s', async (phone) => {
    await raw('INSERT INTO patients (name, dob, phone) VALUES (?, ?, ?)', ['Ann Phone', '1980-01-01', phone]);
  });

  it('accepts a well-formed lowercase email and refuses it twice (23505)', async () => {
    await raw(patientInsert, ['Ann Good', '1980-01-01', 'ann.o-neil+clinic@example.co.uk']);
    const err = await pgError(raw(patientInsert, ['Ann Again', '1981-01-01', 'ann.o-neil+clinic@example.co.uk']));
    expect(err).toMatchObject({ code: '23505', constraint: 'patients_email_key' });
  });

  it('refuses a visit whose patient is not the appointment\'s patient (23503)', async () => {
    const a = await appointmentIn('checked_in');
    const err = await pgError(raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [a.id, patientY]));
    expect(err).toMatchObject({ code: '23503', constraint: 'visits_appointment_fkey' });
  });

  it('refuses a prescription ending before it starts, accepts one ending the same day', async () => {
    const a = await appointmentIn('checked_in', { withVisit: true });
    const sql = 'INSERT INTO prescriptions (visit_id, medication_id, dosage, start_date, end_date) VALUES (?, ?, ?, ?, ?)';
    const err = await pgError(raw(sql, [a.visitId, medicationId, '1 daily', '2026-02-10', '2026-02-09']));
    expect(err).toMatchObject({ code: '23514', constraint: 'prescriptions_dates_ordered' });
    await raw(sql, [a.visitId, medicationId, '1 daily', '2026-02-10', '2026-02-10']);
  });

  it('refuses a duplicate medication whatever its case (23505)', async () => {
    await createMedication(db.knex, { name: 'Lisinopril', form: 'tablet', strength: '10 mg' });
    const err = await pgError(createMedication(db.knex, { name: 'LISINOPRIL', form: 'Tablet', strength: '10 MG' }));
    expect(err).toMatchObject({ code: '23505', constraint: 'medications_unique_idx' });
    // A different strength is a different product.
    await createMedication(db.knex, { name: 'Lisinopril', form: 'tablet', strength: '20 mg' });
  });
});

describe('ICD-10-CM diagnosis codes', () => {
  let visitId: number;
  beforeAll(async () => {
    visitId = (await appointmentIn('checked_in', { withVisit: true })).visitId!;
  });
  const insert = (code: string) => raw('INSERT INTO diagnoses (visit_id, code, description) VALUES (?, ?, ?)', [visitId, code, 'test']);

  it.each(['e11.9', 'E1', 'E119', '11.9', 'E11.', 'E11.12345', 'E11-9', ' E11.9', 'EE1.9', 'E11.9 '])(
    'refuses %j',
    async (code) => {
      const err = await pgError(insert(code));
      expect(err).toMatchObject({ code: '23514', constraint: 'diagnoses_code_icd10cm' });
    },
  );

  it.each(['A00', 'E11.9', 'I10', 'J45.909', 'S72.001A', 'T36.0X1A', 'Z00.00', 'U07.1'])('accepts %s', async (code) => {
    await insert(code);
  });
});

describe('clinic-local days across DST (America/New_York)', () => {
  const hours = async (day: string) =>
    (await raw('SELECT extract(epoch FROM upper(r) - lower(r)) / 3600 AS h FROM clinic_day_range(?::date) r', [day])).rows[0].h;

  it.each([
    ['2026-03-08', 23],
    ['2026-11-01', 25],
    ['2026-06-10', 24],
  ])('%s lasts %i hours', async (day, h) => {
    expect(await hours(day)).toBe(h);
  });

  it.each([
    // 23:30 local after the spring-forward is EDT (UTC-4): 03:30Z the next UTC day.
    { day: '2026-03-08', startsAt: '2026-03-09T03:30:00Z', nextDay: '2026-03-09' },
    // 23:30 local after the fall-back is EST (UTC-5): 04:30Z the next UTC day.
    { day: '2026-11-01', startsAt: '2026-11-02T04:30:00Z', nextDay: '2026-11-02' },
    // 00:30 local, still EDT before the fall-back: 04:30Z the same UTC day.
    { day: '2026-11-01', startsAt: '2026-11-01T04:30:00Z', nextDay: '2026-11-02' },
  ])('an appointment at $startsAt is on the schedule of $day only', async ({ day, startsAt, nextDay }) => {
    const providerId = await createProvider(db.knex);
    const id = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId, scheduledAt: startsAt });
    const schedule = (d: string) => db.knex.transaction((t) => providerDaySchedule(t, providerId, d));
    expect((await schedule(day)).map((a) => [a.appointmentId, a.clinicDate])).toEqual([[id, day]]);
    expect(await schedule(nextDay)).toEqual([]);
  });

  it('follows the clinic time zone setting', async () => {
    await raw("UPDATE clinic_settings SET time_zone = 'Europe/Berlin'");
    try {
      // Europe springs forward on 29 March 2026, not 8 March.
      expect(await hours('2026-03-08')).toBe(24);
      expect(await hours('2026-03-29')).toBe(23);
    } finally {
      await raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
    }
  });
});
