/**
 * "Complete a visit" is one transaction: visit, diagnoses, prescriptions and the
 * appointment's completion are all kept or none is. Each step is made to fail in
 * turn, including at COMMIT after the status update, and nothing may remain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createMedication, createPatient, createProvider, insertAppointment, pgError } from './support/clinic.js';
import { completeVisit, type CompleteVisitInput } from '../server/db/repository/index.js';
import { knownError } from '../server/http/errors.js';

let db: TestDatabase;
let providerId: number;
let medicationId: number;
let hour = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  providerId = await createProvider(db.knex);
  medicationId = await createMedication(db.knex, { name: 'Amoxicillin', form: 'capsule', strength: '500 mg' });
  // A hook for "fails after the status update": a deferred check that refuses, at COMMIT,
  // the completion of appointments listed in a scratch table.
  await db.knex.raw(`
    CREATE TABLE test_refuse_completion (appointment_id integer PRIMARY KEY);
    CREATE FUNCTION test_refuse_completion() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM test_refuse_completion WHERE appointment_id = NEW.appointment_id) THEN
        RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'P0001';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER test_refuse_completion AFTER UPDATE OF status ON appointments
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'completed')
      EXECUTE FUNCTION test_refuse_completion();
  `);
});
afterAll(async () => db.drop());

async function appointment(status: 'checked_in' | 'scheduled' = 'checked_in') {
  const patientId = await createPatient(db.knex);
  const scheduledAt = new Date(Date.UTC(2026, 2, 2, 14) + ++hour * 3600_000).toISOString();
  const appointmentId = await insertAppointment(db.knex, { patientId, providerId, scheduledAt, status: 'scheduled' });
  if (status === 'checked_in') await db.knex.raw("UPDATE appointments SET status = 'checked_in' WHERE appointment_id = ?", [appointmentId]);
  return { appointmentId, patientId };
}

/** Everything completing a visit could touch. */
async function snapshot(appointmentId: number) {
  const { rows } = await db.knex.raw(
    `SELECT (SELECT count(*) FROM visits)::int AS visits,
            (SELECT count(*) FROM diagnoses)::int AS diagnoses,
            (SELECT count(*) FROM prescriptions)::int AS prescriptions,
            (SELECT status FROM appointments WHERE appointment_id = ?) AS status,
            (SELECT json_agg(s ORDER BY month) FROM appointment_monthly_stats s WHERE provider_id = ?) AS stats`,
    [appointmentId, providerId],
  );
  return rows[0];
}

const good = (appointmentId: number): CompleteVisitInput => ({
  appointmentId,
  diagnoses: [
    { code: 'J02.9', description: 'Acute pharyngitis, unspecified' },
    { code: 'R50.9', description: 'Fever, unspecified' },
  ],
  prescriptions: [
    { medicationId, dosage: '500 mg three times daily', startDate: '2026-03-02', endDate: '2026-03-11' },
    { medicationId, dosage: '500 mg once daily', startDate: '2026-03-12' },
  ],
});

describe('complete a visit', () => {
  it('writes the visit, its diagnoses and prescriptions and completes the appointment, together', async () => {
    const { appointmentId, patientId } = await appointment();
    const before = await snapshot(appointmentId);
    const done = await db.knex.transaction((t) => completeVisit(t, good(appointmentId)));
    expect(done?.appointment).toMatchObject({ appointmentId, status: 'completed' });
    expect(done?.visit).toMatchObject({ appointmentId, patientId });
    const { rows } = await db.knex.raw('SELECT completed_at FROM visits WHERE visit_id = ?', [done!.visit.visitId]);
    expect(rows[0].completed_at).toBeInstanceOf(Date);
    expect(done?.diagnoses.map((d) => d.code)).toEqual(['J02.9', 'R50.9']);
    expect(done?.prescriptions.map((p) => p.endDate)).toEqual(['2026-03-11', null]);
    const after = await snapshot(appointmentId);
    expect(after).toMatchObject({
      visits: before.visits + 1,
      diagnoses: before.diagnoses + 2,
      prescriptions: before.prescriptions + 2,
      status: 'completed',
    });
    expect(after.stats[0]).toMatchObject({ completed: before.stats[0].completed + 1, checked_in: before.stats[0].checked_in - 1 });
  });

  it('answers undefined for an appointment that does not exist', async () => {
    expect(await db.knex.transaction((t) => completeVisit(t, { appointmentId: 987654 }))).toBeUndefined();
  });

  const failures: { step: string; input: (id: number) => CompleteVisitInput; status?: 'scheduled'; refuseAtCommit?: boolean; expected: object }[] = [
    {
      step: 'the appointment is not checked in',
      status: 'scheduled',
      input: good,
      expected: { code: '23514', constraint: 'visits_require_arrival' },
    },
    {
      step: 'a diagnosis code is malformed',
      input: (id) => ({ ...good(id), diagnoses: [{ code: 'J02.9', description: 'ok' }, { code: 'j029', description: 'bad' }] }),
      expected: { code: '23514', constraint: 'diagnoses_code_icd10cm' },
    },
    {
      step: 'the same diagnosis is listed twice',
      input: (id) => ({ ...good(id), diagnoses: [{ code: 'J02.9', description: 'a' }, { code: 'J02.9', description: 'b' }] }),
      expected: { code: '23505', constraint: 'diagnoses_visit_code_key' },
    },
    {
      step: 'a medication does not exist',
      input: (id) => ({ ...good(id), prescriptions: [{ medicationId: 987654, dosage: '1 daily', startDate: '2026-03-02' }] }),
      expected: { code: '23503', constraint: 'prescriptions_medication_id_fkey' },
    },
    {
      step: 'a prescription ends before it starts',
      input: (id) => ({
        ...good(id),
        prescriptions: [{ medicationId, dosage: '1 daily', startDate: '2026-03-10', endDate: '2026-03-09' }],
      }),
      expected: { code: '23514', constraint: 'prescriptions_dates_ordered' },
    },
    {
      step: 'the commit is refused after the status update',
      input: good,
      refuseAtCommit: true,
      expected: { code: 'P0001', message: expect.stringMatching(/refused at commit/) },
    },
  ];

  it.each(failures)('leaves nothing behind when $step', async ({ input, status, refuseAtCommit, expected }) => {
    const { appointmentId } = await appointment(status);
    if (refuseAtCommit) await db.knex.raw('INSERT INTO test_refuse_completion VALUES (?)', [appointmentId]);
    const before = await snapshot(appointmentId);
    const err = await pgError(db.knex.transaction((t) => completeVisit(t, input(appointmentId))));
    expect(err).toMatchObject(expected);
    expect(await snapshot(appointmentId)).toEqual(before);
  });

  it('refuses to complete an appointment twice, keeping the first record', async () => {
    const { appointmentId } = await appointment();
    await db.knex.transaction((t) => completeVisit(t, good(appointmentId)));
    const before = await snapshot(appointmentId);
    const err = await pgError(db.knex.transaction((t) => completeVisit(t, good(appointmentId))));
    // A domain conflict in the repository; the API answers it with a 409.
    expect(err).toMatchObject({ kind: 'conflict', code: 'invalid_transition' });
    expect(knownError(err)).toMatchObject({ status: 409, code: 'invalid_transition' });
    expect(await snapshot(appointmentId)).toEqual(before);
  });
});
