/**
 * Recurring series: all occurrences or none (409 listing every clash and why), the same
 * clinic-local time across DST and month ends, and "cancel this and following" in one request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../server/db/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildWorld, snapshot, type World } from '../support/api-world.js';
import { createPatient, createProvider, insertAppointment, pgError } from '../support/clinic.js';

let ts: TestServer;
let w: World;
let provider: number;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
  provider = await createProvider(ts.db.knex, { name: 'Dr Series' });
});
afterAll(async () => ts.close());

const OTHERS: StaffRole[] = ['clinician', 'billing', 'manager', 'compliance'];
async function state(): Promise<string> {
  return JSON.stringify([await snapshot(ts.db.knex), (await ts.db.knex.raw('SELECT count(*) FROM appointment_series')).rows]);
}

describe('POST /api/appointments/series', () => {
  it('books every week at the same clinic-local time across the DST change, each occurrence linked to the series', async () => {
    const patientId = await createPatient(ts.db.knex);
    // New York moves to EDT on 2031-03-09: 09:00 local is 14:00Z before and 13:00Z after.
    const res = await w.as.front_desk.post('/api/appointments/series', {
      patientId, providerId: provider, firstStart: '2031-03-04T09:00:00-05:00', durationMin: 30, every: 'week', count: 4,
    });
    expect(res.status).toBe(201);
    expect(res.body.appointments.map((a: { scheduledAt: string }) => a.scheduledAt)).toEqual([
      '2031-03-04T14:00:00.000Z', '2031-03-11T13:00:00.000Z', '2031-03-18T13:00:00.000Z', '2031-03-25T13:00:00.000Z',
    ]);
    const { rows } = await ts.db.knex.raw('SELECT count(*)::int AS n FROM appointments WHERE series_id = ?', [res.body.id]);
    expect(rows[0].n).toBe(4);
    const monthly = await w.as.front_desk.post('/api/appointments/series', {
      patientId, providerId: provider, firstStart: '2031-01-31T10:00:00-05:00', durationMin: 30, every: 'month', count: 3,
    });
    expect(monthly.body.appointments.map((a: { clinicDate: string }) => a.clinicDate)).toEqual(['2031-01-31', '2031-02-28', '2031-03-31']);
  });

  it('books nothing when any occurrence clashes, and answers 409 listing each clash and why', async () => {
    const patientId = await createPatient(ts.db.knex);
    await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: provider, scheduledAt: '2031-05-20T11:00:00-04:00' });
    await insertAppointment(ts.db.knex, { patientId, providerId: w.providerA, scheduledAt: '2031-06-03T11:15:00-04:00' });
    const before = await state();
    const res = await w.as.front_desk.post('/api/appointments/series', {
      patientId, providerId: provider, firstStart: '2031-05-06T11:00:00-04:00', durationMin: 30, every: '2 weeks', count: 4,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('series_conflict');
    expect(res.body.error.details.clashes).toEqual([
      expect.objectContaining({ occurrence: 2, scheduledAt: '2031-05-20T15:00:00.000Z', code: 'double_booking' }),
      expect.objectContaining({ occurrence: 3, scheduledAt: '2031-06-03T15:00:00.000Z', code: 'patient_double_booking' }),
    ]);
    expect(await state()).toEqual(before);
    const past = await w.as.front_desk.post('/api/appointments/series', {
      patientId, providerId: provider, firstStart: '2020-05-06T11:00:00-04:00', durationMin: 30, every: 'week', count: 2,
    });
    expect(past.body.error.details.clashes.map((c: { code: string }) => c.code)).toEqual(['in_the_past', 'in_the_past']);
    expect(await state()).toEqual(before);
  });

  it('is front desk only, and answers 400 naming the field with nothing written', async () => {
    const before = await state();
    const ok = { patientId: w.freePatient, providerId: provider, firstStart: '2031-07-01T09:00:00-04:00', durationMin: 30, every: 'week', count: 3 };
    for (const role of OTHERS) expect((await w.as[role].post('/api/appointments/series', ok)).status, role).toBe(403);
    for (const [body, path] of [
      [{ ...ok, every: 'day' }, 'body.every'],
      [{ ...ok, count: 1 }, 'body.count'],
      [{ ...ok, count: 53 }, 'body.count'],
      [{ ...ok, firstStart: '2031-07-01 09:00' }, 'body.firstStart'],
    ] as const) {
      const res = await w.as.front_desk.post('/api/appointments/series', body);
      expect(res.status).toBe(400);
      expect(res.body.error.details.issues[0].path).toBe(path);
    }
    expect(await state()).toEqual(before);
  });
});

describe('POST /api/appointments/:id/cancel-following', () => {
  it('cancels this occurrence and every later one in one request, leaving earlier ones', async () => {
    const patientId = await createPatient(ts.db.knex);
    const booked = await w.as.front_desk.post('/api/appointments/series', {
      patientId, providerId: provider, firstStart: '2031-09-02T15:00:00-04:00', durationMin: 20, every: 'week', count: 4,
    });
    const ids = booked.body.appointments.map((a: { appointmentId: number }) => a.appointmentId);
    for (const role of OTHERS) expect((await w.as[role].post(`/api/appointments/${ids[1]}/cancel-following`)).status, role).toBe(403);
    const res = await w.as.front_desk.post(`/api/appointments/${ids[1]}/cancel-following`);
    expect(res.status).toBe(200);
    expect(res.body.cancelled.map((a: { appointmentId: number }) => a.appointmentId)).toEqual(ids.slice(1));
    const { rows } = await ts.db.knex.raw('SELECT appointment_id, status FROM appointments WHERE series_id = ? ORDER BY scheduled_at', [booked.body.id]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['scheduled', 'cancelled', 'cancelled', 'cancelled']);
    const single = await insertAppointment(ts.db.knex, { patientId, providerId: provider, scheduledAt: '2031-10-07T15:00:00-04:00' });
    expect((await w.as.front_desk.post(`/api/appointments/${single}/cancel-following`)).body.error.code).toBe('not_in_series');
    expect((await w.as.front_desk.post('/api/appointments/2000000000/cancel-following')).status).toBe(404);
  });
});

describe('appointment_series in the database', () => {
  it('refuses an unknown interval, a series of one, and an occurrence pointing at no series', async () => {
    const k = ts.db.knex;
    const insert = (every: string, n: number) => k.raw('INSERT INTO appointment_series (patient_id, provider_id, every, occurrences) VALUES (?, ?, ?, ?)', [w.freePatient, provider, every, n]);
    expect(await pgError(insert('day', 3))).toMatchObject({ code: '23514', constraint: 'appointment_series_every_check' });
    expect(await pgError(insert('week', 1))).toMatchObject({ code: '23514', constraint: 'appointment_series_occurrences_range' });
    expect(await pgError(k.raw('INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, series_id) VALUES (?, ?, ?, 30, 2000000000)',
      [w.freePatient, provider, '2031-11-04T15:00:00Z']))).toMatchObject({ code: '23503', constraint: 'appointments_series_id_fkey' });
  });
});
