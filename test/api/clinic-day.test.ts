/**
 * What the front desk's day grid needs from the server: the clinic's time zone and
 * "today", a whole clinic day in one request (every provider with working hours, every
 * appointment with the patient's date of birth), patient search by date of birth, and
 * one socket watch that follows every provider of a day with cursor catch-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { asService } from '../../server/db/index.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import { TEST_PASSWORD, testPasswordHash, type ApiClient } from '../support/server.js';
import { connected, openSocket, startApiRealtimeRig, type RecordingClient } from '../support/realtime-server.js';
import type { ClinicWatchAck } from '../../shared/events.js';

let db: TestDatabase;
let rig: Awaited<ReturnType<typeof startApiRealtimeRig>>;
let desk: StaffFixture;
let doctor: StaffFixture;
let p1: number;
let p2: number;
const sockets: RecordingClient[] = [];
const DAY = '2027-04-06'; // a Tuesday (ISO weekday 2), EDT (UTC-4)

beforeAll(async () => {
  db = await createTestDatabase();
  p1 = await createProvider(db.knex, { name: 'Dr Aaron Day' });
  p2 = await createProvider(db.knex, { name: 'Dr Beth Day' });
  await db.knex.raw(`INSERT INTO provider_working_hours VALUES (?, 2, '08:00', '16:30')`, [p1]);
  const passwordHash = await testPasswordHash();
  desk = await createStaff(db.knex, 'front_desk', { passwordHash });
  doctor = await createStaff(db.knex, 'clinician', { providerId: p1, passwordHash });
  rig = await startApiRealtimeRig(db);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await rig?.close();
  await db?.drop();
});

async function login(user: StaffFixture): Promise<ApiClient> {
  const api = rig.client();
  expect((await api.post('/api/login', { username: user.username, password: TEST_PASSWORD })).status).toBe(200);
  return api;
}

describe('GET /api/clinic', () => {
  it("gives every role the clinic's time zone, today's clinic date and the idle sign-out", async () => {
    const api = await login(doctor);
    const nyToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
    // New York's midnight may pass during the request: either side of it is right.
    const before = nyToday();
    const res = await api.get('/api/clinic');
    const after = nyToday();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ timeZone: 'America/New_York', slotMinutes: 15, idleSignOutSeconds: 900 });
    expect([before, after]).toContain(res.body.today);
  });
});

describe('GET /api/clinic/day', () => {
  it('returns every provider with that weekday\'s working hours and every appointment of the clinic day, cancelled too, with the DOB', async () => {
    const maria1 = await createPatient(db.knex, { name: 'Maria Garcia', dob: '1970-01-02' });
    const maria2 = await createPatient(db.knex, { name: 'Maria Garcia', dob: '1991-09-30' });
    // 23:30 clinic time is 03:30 UTC the next day: still this clinic day.
    const late = await insertAppointment(db.knex, { patientId: maria1, providerId: p1, scheduledAt: `2027-04-07T03:30:00Z` });
    const early = await insertAppointment(db.knex, { patientId: maria2, providerId: p2, scheduledAt: `${DAY}T13:00:00Z`, status: 'cancelled' });
    // 00:30 UTC on DAY is the evening before in New York: not this day.
    await insertAppointment(db.knex, { patientId: maria2, providerId: p2, scheduledAt: `${DAY}T00:30:00Z` });
    const api = await login(desk);
    const res = await api.get(`/api/clinic/day?date=${DAY}`);
    expect(res.status).toBe(200);
    expect(res.body.providers).toEqual([
      { providerId: p1, name: 'Dr Aaron Day', specialty: 'Family medicine', workingHours: [{ start: '08:00', end: '16:30' }], timeOff: [] },
      { providerId: p2, name: 'Dr Beth Day', specialty: 'Family medicine', workingHours: [], timeOff: [] },
    ]);
    expect(res.body.appointments.map((a: { appointmentId: number }) => a.appointmentId)).toEqual([early, late]);
    expect(res.body.appointments[0]).toMatchObject({ patientName: 'Maria Garcia', patientDob: '1991-09-30', status: 'cancelled', clinicDate: DAY });
    expect(res.body.appointments[1]).toMatchObject({ patientDob: '1970-01-02', clinicDate: DAY });
  });

  it('gives each provider once with every working interval of the weekday (a lunch break) and their time off that day, clipped to it', async () => {
    const p3 = await createProvider(db.knex, { name: 'Dr Cara Day' });
    await db.knex.raw(`INSERT INTO provider_working_hours VALUES (?, 2, '13:00', '17:00'), (?, 2, '08:00', '12:00'), (?, 3, '07:00', '19:00')`, [p3, p3, p3]);
    // Leave that ends at 09:00 clinic time on the day, and leave from 15:00 that runs over the next days.
    await db.knex.raw(
      `INSERT INTO provider_time_off (provider_id, period, category) VALUES
         (?, tstzrange('2027-04-05T12:00:00Z', '${DAY}T13:00:00Z'), 'leave'),
         (?, tstzrange('${DAY}T19:00:00Z', '2027-04-09T12:00:00Z'), 'training'),
         (?, tstzrange('2027-04-20T12:00:00Z', '2027-04-21T12:00:00Z'), 'sick')`,
      [p3, p3, p3],
    );
    const res = await (await login(desk)).get(`/api/clinic/day?date=${DAY}`);
    expect(res.status).toBe(200);
    const ids = res.body.providers.map((p: { providerId: number }) => p.providerId);
    expect(ids).toEqual([p1, p2, p3]);
    expect(res.body.providers[2]).toEqual({
      providerId: p3,
      name: 'Dr Cara Day',
      specialty: 'Family medicine',
      workingHours: [
        { start: '08:00', end: '12:00' },
        { start: '13:00', end: '17:00' },
      ],
      timeOff: [
        { start: '00:00', end: '09:00', category: 'leave' },
        { start: '15:00', end: '24:00', category: 'training' },
      ],
    });
  });

  it('leaves one audit row per request naming every patient on the day, none for an empty day, and answers what the grid parses', async () => {
    const day = '2027-04-13';
    const ids = [await createPatient(db.knex, { name: 'Ada Audited', dob: '1980-02-29' }), await createPatient(db.knex, { name: 'Bo Audited' })];
    const a1 = await insertAppointment(db.knex, { patientId: ids[0]!, providerId: p1, scheduledAt: `${day}T13:15:00Z` });
    await insertAppointment(db.knex, { patientId: ids[1]!, providerId: p2, scheduledAt: `${day}T13:15:00Z` });
    await insertAppointment(db.knex, { patientId: ids[0]!, providerId: p2, scheduledAt: `${day}T18:00:00Z`, status: 'cancelled' });
    const api = await login(desk);
    const reads = async (path: string) => {
      const { rows } = await db.knex.raw('SELECT coalesce(max(audit_id), 0) AS id FROM audit_log');
      const res = await api.get(path);
      const audit = (await db.knex.raw(
        `SELECT actor_user_id, table_name, patient_id, patient_ids FROM audit_log WHERE audit_id > ? AND action = 'read' ORDER BY audit_id`,
        [rows[0].id],
      )).rows as unknown[];
      return { res, audit };
    };
    const { res, audit } = await reads(`/api/clinic/day?date=${day}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(audit).toEqual([{ actor_user_id: desk.userId, table_name: 'appointments', patient_id: null, patient_ids: [...ids].sort((x, y) => x - y) }]);
    expect(res.body.date).toBe(day);
    // Instants as Date.toISOString() writes them, in the order of the grid (start, then id).
    const first = res.body.appointments[0];
    expect(first).toEqual({
      appointmentId: a1,
      patientId: ids[0],
      providerId: p1,
      scheduledAt: '2027-04-13T13:15:00.000Z',
      durationMin: 30,
      status: 'scheduled',
      clinicDate: day,
      createdAt: new Date(first.createdAt).toISOString(),
      updatedAt: new Date(first.updatedAt).toISOString(),
      patientName: 'Ada Audited',
      patientDob: '1980-02-29',
      overbookReason: null,
    });
    expect(res.body.appointments.map((x: { scheduledAt: string }) => x.scheduledAt)).toEqual(['2027-04-13T13:15:00.000Z', '2027-04-13T13:15:00.000Z', '2027-04-13T18:00:00.000Z']);
    const empty = await reads('/api/clinic/day?date=2027-04-14');
    expect(empty.res.status).toBe(200);
    expect(empty.res.body.appointments).toEqual([]);
    expect(empty.res.body.providers.length).toBeGreaterThanOrEqual(2);
    expect(empty.audit).toEqual([]);
  });

  it('writes names and reasons exactly, whatever characters they hold, and an overbook with its reason', async () => {
    const day = '2027-04-20';
    const name = 'Zoë "Zed" O\'Brien \\ </script> 李 😀';
    const reason = 'Urgent: "same day" \\ per Dr. Day — room 2';
    const patient = await createPatient(db.knex, { name, dob: '1999-12-31' });
    const other = await createPatient(db.knex, { name: 'Plain Patient' });
    const booked = await insertAppointment(db.knex, { patientId: other, providerId: p2, scheduledAt: `${day}T14:00:00Z` });
    const { rows } = await db.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min, overbook_reason, overbook_lane)
       VALUES (?, ?, ?, 30, ?, 1) RETURNING appointment_id`,
      [patient, p2, `${day}T14:00:00Z`, reason],
    );
    const res = await (await login(desk)).get(`/api/clinic/day?date=${day}`);
    expect(res.status).toBe(200);
    const byId = new Map(res.body.appointments.map((a: { appointmentId: number }) => [a.appointmentId, a]));
    expect(byId.get(rows[0].appointment_id)).toMatchObject({ patientName: name, patientDob: '1999-12-31', overbookReason: reason, status: 'scheduled' });
    expect(byId.get(booked)).toMatchObject({ patientName: 'Plain Patient', overbookReason: null });
  });

  it('is for the front desk only, and refuses a date that is not one', async () => {
    expect((await (await login(doctor)).get(`/api/clinic/day?date=${DAY}`)).status).toBe(403);
    const bad = await (await login(desk)).get('/api/clinic/day?date=2027-02-30');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });
});

describe('GET /api/patients by date of birth', () => {
  it('finds patients by DOB alone or with a name, and gives the front desk the full DOB', async () => {
    await createPatient(db.knex, { name: 'Zed Dobson', dob: '1955-03-04' });
    await createPatient(db.knex, { name: 'Yara Dobson', dob: '1955-03-04' });
    await createPatient(db.knex, { name: 'Zed Other', dob: '1966-06-06' });
    const api = await login(desk);
    const byDob = await api.get('/api/patients?dob=1955-03-04');
    expect(byDob.status).toBe(200);
    expect(byDob.body.items.map((p: { name: string }) => p.name)).toEqual(['Yara Dobson', 'Zed Dobson']);
    expect(byDob.body.items[0].dob).toBe('1955-03-04');
    const both = await api.get('/api/patients?q=zed&dob=1955-03-04');
    expect(both.body.items.map((p: { name: string }) => p.name)).toEqual(['Zed Dobson']);
    const neither = await api.get('/api/patients');
    expect(neither.status).toBe(400);
  });
});

describe('GET /api/appointments/:id/history', () => {
  it('lists what happened to an appointment, when, and which member of staff did it', async () => {
    const api = await login(desk);
    const patientId = await createPatient(db.knex);
    const booked = await api.post('/api/appointments', { patientId, providerId: p1, scheduledAt: '2027-06-01T14:00:00Z', durationMin: 30 });
    expect(booked.status).toBe(201);
    const id = booked.body.id as number;
    expect((await api.patch(`/api/appointments/${id}`, { scheduledAt: '2027-06-01T15:00:00Z' })).status).toBe(200);
    expect((await api.post(`/api/appointments/${id}/cancel`)).status).toBe(200);
    const res = await api.get(`/api/appointments/${id}/history`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: { kind: string; by: string | null }) => [i.kind, i.by])).toEqual([
      ['booked', desk.username],
      ['rescheduled', desk.username],
      ['cancelled', desk.username],
    ]);
    expect((await api.get('/api/appointments/2147483000/history')).status).toBe(404);
    expect((await (await login(doctor)).get(`/api/appointments/${id}/history`)).status).toBe(403);
  });

  it('keeps an appointment\'s history after the live-update log has pruned its events', async () => {
    const api = await login(desk);
    const patientId = await createPatient(db.knex);
    const booked = await api.post('/api/appointments', { patientId, providerId: p2, scheduledAt: '2027-06-02T14:00:00Z', durationMin: 30 });
    const id = booked.body.id as number;
    expect((await api.patch(`/api/appointments/${id}`, { durationMin: 45 })).status).toBe(200);
    expect((await api.post(`/api/appointments/${id}/cancel`)).status).toBe(200);
    const before = (await api.get(`/api/appointments/${id}/history`)).body.items;
    expect(before.map((i: { kind: string }) => i.kind)).toEqual(['booked', 'rescheduled', 'cancelled']);
    // Booked weeks ago: the outbox (kept 7 days for live catch-up) prunes these events.
    await db.knex.raw(
      `UPDATE appointment_event_batches SET committed_at = now() - interval '8 days'
       WHERE txid IN (SELECT txid FROM appointment_events WHERE appointment_id = ?)`,
      [id],
    );
    const pruned = await asService(db.appKnex, 'clinicpulse_realtime', (trx) => trx.raw("SELECT prune_appointment_events(interval '7 days') AS n"));
    expect(pruned.rows[0].n).toBe(3);
    const after = await api.get(`/api/appointments/${id}/history`);
    expect(after.status).toBe(200);
    expect(after.body.items).toEqual(before);
  });
});

describe('clinic:watch', () => {
  it('follows every provider of a day on one watch, and replays what was missed from the cursor', async () => {
    const api = await login(desk);
    const socket = openSocket(rig.url, { cookie: api.sessionCookie, origin: rig.origin });
    sockets.push(socket);
    await connected(socket);
    const day = '2027-05-04';
    const ack = (await socket.socket.timeout(10_000).emitWithAck('clinic:watch', { date: day })) as ClinicWatchAck;
    expect(ack).toMatchObject({ ok: true, snapshot: true, appointments: [] });
    const patientId = await createPatient(db.knex, { dob: '1999-12-31' });
    const a = await api.post('/api/appointments', { patientId, providerId: p1, scheduledAt: `${day}T14:00:00Z`, durationMin: 30 });
    const b = await api.post('/api/appointments', { patientId: await createPatient(db.knex), providerId: p2, scheduledAt: `${day}T14:00:00Z`, durationMin: 30 });
    expect([a.status, b.status]).toEqual([201, 201]);
    const seenA = await socket.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === a.body.id);
    const seenB = await socket.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === b.body.id);
    expect(seenA).toMatchObject({ date: day, kind: 'booked', providerId: p1 });
    expect(seenB).toMatchObject({ date: day, kind: 'booked', providerId: p2 });
    // A move between providers on the same day reaches the day's watchers once.
    const before = socket.received.length;
    expect((await api.patch(`/api/appointments/${a.body.id}`, { providerId: p2, scheduledAt: `${day}T16:00:00Z` })).status).toBe(200);
    const moved = await socket.next('schedule:changed', (p) => p.kind === 'rescheduled');
    expect(moved).toMatchObject({ providerId: p2, appointment: { providerId: p2 } });
    await new Promise((r) => setTimeout(r, 300));
    expect(socket.received.slice(before).filter((r) => r.event === 'schedule:changed')).toHaveLength(1);

    // Resume: a change made while away arrives from the outbox, then the ack.
    const cursor = (moved as { cursor: number }).cursor;
    socket.socket.emit('clinic:unwatch', { date: day });
    expect((await api.post(`/api/appointments/${b.body.id}/cancel`)).status).toBe(200);
    const resumed = (await socket.socket.timeout(10_000).emitWithAck('clinic:watch', { date: day, since: cursor })) as ClinicWatchAck;
    expect(resumed).toMatchObject({ ok: true, snapshot: false });
    const cancelled = await socket.next('schedule:changed', (p) => p.kind === 'cancelled');
    expect(cancelled).toMatchObject({ appointment: { appointmentId: b.body.id, status: 'cancelled' } });
  });

  it('is refused to a clinician', async () => {
    const api = await login(doctor);
    const socket = openSocket(rig.url, { cookie: api.sessionCookie, origin: rig.origin });
    sockets.push(socket);
    await connected(socket);
    const ack = (await socket.socket.timeout(10_000).emitWithAck('clinic:watch', { date: DAY })) as ClinicWatchAck;
    expect(ack).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});
