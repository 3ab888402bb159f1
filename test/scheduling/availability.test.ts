/**
 * Provider availability over the API: working hours (several intervals a day) and time
 * off. Who may read and write, 404 for an unknown provider, 400 naming the field with
 * nothing written, and time off over existing appointments answering them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../server/db/index.js';
import { startTestServer, type ApiClient, type ApiResponse, type TestServer } from '../support/server.js';
import { buildWorld, snapshot, type World } from '../support/api-world.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';

let ts: TestServer;
let w: World;
let provider: number;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
  provider = await createProvider(ts.db.knex, { name: 'Dr Avail', specialty: 'Dermatology' });
});
afterAll(async () => ts.close());

const ROLES: StaffRole[] = ['front_desk', 'clinician', 'billing', 'manager', 'compliance'];
const TABLES = ['provider_working_hours', 'provider_time_off'];
async function state(): Promise<string> {
  const parts = [JSON.stringify(await snapshot(ts.db.knex))];
  for (const t of TABLES) parts.push(JSON.stringify((await ts.db.knex.raw(`SELECT * FROM ${t} ORDER BY 1, 2, 3`)).rows));
  return parts.join('|');
}
async function only(allowed: StaffRole[], call: (c: ApiClient) => Promise<ApiResponse>, okStatus: number) {
  for (const role of ROLES) {
    const res = await call(w.as[role]);
    expect(res.status, role).toBe(allowed.includes(role) ? okStatus : 403);
  }
  expect((await call(w.as.anonymous)).status).toBe(401);
}

const WEEK = [
  { isoWeekday: 1, start: '08:00', end: '12:00' },
  { isoWeekday: 1, start: '13:00', end: '17:00' },
  { isoWeekday: 3, start: '10:00', end: '24:00' },
];

describe('working hours', () => {
  it('are replaced by managers only, read by everyone who books, and refused writes change nothing', async () => {
    const before = await state();
    for (const role of ['front_desk', 'clinician', 'billing', 'compliance'] as const) {
      expect((await w.as[role].put(`/api/providers/${provider}/working-hours`, { items: WEEK })).status, role).toBe(403);
    }
    expect(await state()).toEqual(before);
    const put = await w.as.manager.put(`/api/providers/${provider}/working-hours`, { items: WEEK });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ providerId: provider, items: WEEK });
    await only(['front_desk', 'clinician', 'manager'], (c) => c.get(`/api/providers/${provider}/working-hours`), 200);
    expect((await w.as.front_desk.get(`/api/providers/${provider}/working-hours`)).body.items).toEqual(WEEK);
    expect((await w.as.manager.get('/api/providers/2000000000/working-hours')).status).toBe(404);
    expect((await w.as.manager.put('/api/providers/2000000000/working-hours', { items: [] })).status).toBe(404);
  });

  it('refuses overlapping intervals and malformed times with a 400 that names the field, writing nothing', async () => {
    const before = await state();
    const overlap = await w.as.manager.put(`/api/providers/${provider}/working-hours`, {
      items: [{ isoWeekday: 2, start: '09:00', end: '12:00' }, { isoWeekday: 2, start: '11:00', end: '14:00' }],
    });
    expect(overlap.status).toBe(400);
    expect(overlap.body.error.details).toMatchObject({ constraint: 'provider_working_hours_no_overlap' });
    const badTime = await w.as.manager.put(`/api/providers/${provider}/working-hours`, { items: [{ isoWeekday: 2, start: '9am', end: '12:00' }] });
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.details.issues[0].path).toBe('body.items.0.start');
    const backwards = await w.as.manager.put(`/api/providers/${provider}/working-hours`, { items: [{ isoWeekday: 8, start: '12:00', end: '09:00' }] });
    expect(backwards.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.items.0.end', 'body.items.0.isoWeekday']);
    expect(await state()).toEqual(before);
  });

  it('bind bookings through the API: inside one interval is booked, across the lunch break is 409', async () => {
    // 2030-03-04 is a Monday (EST).
    const patientId = await createPatient(ts.db.knex);
    const ok = await w.as.front_desk.post('/api/appointments', { patientId, providerId: provider, scheduledAt: '2030-03-04T08:00:00-05:00', durationMin: 30 });
    expect(ok.status).toBe(201);
    const lunch = await w.as.front_desk.post('/api/appointments', { patientId, providerId: provider, scheduledAt: '2030-03-04T11:45:00-05:00', durationMin: 30 });
    expect(lunch.body.error.code).toBe('outside_working_hours');
  });
});

describe('time off', () => {
  it('is recorded by managers only, answers the appointments it overlaps (ids and times only), and is read by everyone who books', async () => {
    const patientId = await createPatient(ts.db.knex);
    const hit = await insertAppointment(ts.db.knex, { patientId, providerId: provider, scheduledAt: '2030-03-11T09:00:00-04:00' });
    await insertAppointment(ts.db.knex, { patientId, providerId: provider, scheduledAt: '2030-03-11T10:00:00-04:00', status: 'cancelled' });
    const body = { start: '2030-03-11T00:00:00-04:00', end: '2030-03-12T00:00:00-04:00', category: 'training', note: 'Resuscitation course' };
    const before = await state();
    for (const role of ['front_desk', 'clinician', 'billing', 'compliance'] as const) {
      expect((await w.as[role].post(`/api/providers/${provider}/time-off`, body)).status, role).toBe(403);
    }
    expect(await state()).toEqual(before);
    const res = await w.as.manager.post(`/api/providers/${provider}/time-off`, body);
    expect(res.status).toBe(201);
    expect(res.body.timeOff).toMatchObject({ providerId: provider, category: 'training', start: '2030-03-11T04:00:00.000Z', end: '2030-03-12T04:00:00.000Z' });
    expect(res.body.affectedAppointments).toEqual([{ appointmentId: hit, scheduledAt: '2030-03-11T13:00:00.000Z', durationMin: 30, status: 'scheduled' }]);
    await only(['front_desk', 'clinician', 'manager'], (c) => c.get(`/api/providers/${provider}/time-off?from=2030-03-11&to=2030-03-11`), 200);
    expect((await w.as.front_desk.get(`/api/providers/${provider}/time-off?from=2030-03-11&to=2030-03-11`)).body.items.map((t: { timeOffId: number }) => t.timeOffId)).toEqual([res.body.id]);
    expect((await w.as.front_desk.get(`/api/providers/${provider}/time-off?from=2030-03-12&to=2030-03-20`)).body.items).toEqual([]);

    // A booking in it is refused; an overlapping period is 409; deleting frees the day again.
    const refused = await w.as.front_desk.post('/api/appointments', { patientId: await createPatient(ts.db.knex), providerId: provider, scheduledAt: '2030-03-11T11:00:00-04:00', durationMin: 30 });
    expect(refused.body.error).toMatchObject({ code: 'outside_working_hours', details: { timeOff: [expect.objectContaining({ category: 'training' })] } });
    const overlap = await w.as.manager.post(`/api/providers/${provider}/time-off`, { ...body, category: 'sick' });
    expect(overlap.status).toBe(409);
    expect(overlap.body.error.code).toBe('time_off_overlap');
    expect((await w.as.front_desk.delete(`/api/providers/${provider}/time-off/${res.body.id}`)).status).toBe(403);
    expect((await w.as.manager.delete(`/api/providers/${provider}/time-off/${res.body.id}`)).status).toBe(204);
    expect((await w.as.manager.delete(`/api/providers/${provider}/time-off/${res.body.id}`)).status).toBe(404);
    expect((await w.as.manager.delete(`/api/providers/${w.providerA}/time-off/${res.body.id}`)).status).toBe(404);
  });

  it('refuses a period that ends before it starts, an unknown category or field, with nothing written', async () => {
    const before = await state();
    const backwards = await w.as.manager.post(`/api/providers/${provider}/time-off`, { start: '2030-04-02T00:00:00Z', end: '2030-04-01T00:00:00Z', category: 'leave' });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.details.issues[0].path).toBe('body.end');
    const category = await w.as.manager.post(`/api/providers/${provider}/time-off`, { start: '2030-04-01T00:00:00Z', end: '2030-04-02T00:00:00Z', category: 'holiday' });
    expect(category.body.error.details.issues[0].path).toBe('body.category');
    const tooLong = await w.as.manager.post(`/api/providers/${provider}/time-off`, { start: '2030-04-01T00:00:00Z', end: '2031-06-02T00:00:00Z', category: 'leave' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details).toMatchObject({ constraint: 'provider_time_off_period_shape' });
    expect((await w.as.manager.post('/api/providers/2000000000/time-off', { start: '2030-04-01T00:00:00Z', end: '2030-04-02T00:00:00Z', category: 'leave' })).status).toBe(404);
    expect(await state()).toEqual(before);
  });
});
