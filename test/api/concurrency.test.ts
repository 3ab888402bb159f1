/**
 * 100 concurrent bookings of one provider slot through the API (100 different
 * patients, so only the provider's exclusion constraint can refuse them): exactly
 * one 201, ninety-nine 409 double_booking naming the winner's time, no 5xx, and one
 * appointment in the database.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { createProvider } from '../support/clinic.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => ts.close());

it('100 concurrent POST /api/appointments for one slot: one 201, 99 × 409 double_booking, no 5xx', async () => {
  const providerId = await createProvider(ts.db.knex);
  const { rows } = await ts.db.knex.raw(
    `INSERT INTO patients (name, dob) SELECT 'Race Patient ' || g, date '1970-01-01' + g FROM generate_series(1, 100) g RETURNING patient_id`,
  );
  const patients: number[] = rows.map((r: { patient_id: number }) => r.patient_id);
  const desk = await ts.login(await ts.createUser('front_desk'));

  const results = await Promise.all(
    patients.map((patientId, i) =>
      desk.post('/api/appointments', {
        patientId,
        providerId,
        // Different starts and lengths, all overlapping 10:00-10:05.
        scheduledAt: `2030-06-03T${String(9 + (i % 2)).padStart(2, '0')}:${i % 2 ? '00' : '30'}:00-04:00`,
        durationMin: i % 2 ? 15 : 60,
      }),
    ),
  );
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  const refused = results.filter((r) => r.status === 409);
  expect(refused).toHaveLength(99);
  expect(new Set(refused.map((r) => r.body.error.code))).toEqual(new Set(['double_booking']));
  const winner = results.find((r) => r.status === 201)!.body.appointment;
  for (const r of refused) expect(r.body.error.details.conflict.appointmentId).toBe(winner.appointmentId);

  const count = await ts.db.knex.raw("SELECT count(*)::int AS n FROM appointments WHERE provider_id = ? AND status <> 'cancelled'", [providerId]);
  expect(count.rows[0].n).toBe(1);
});
