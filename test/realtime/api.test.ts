/**
 * Live push wired into the real service: staff sign in through POST /api/login,
 * open sockets with that cookie, and see the changes they make through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { onClinicMorning, createPatient, createProvider } from '../support/clinic.js';
import { TEST_PASSWORD, testPasswordHash, type ApiClient } from '../support/server.js';
import { connected, disconnected, openSocket, startApiRealtimeRig, type RecordingClient } from '../support/realtime-server.js';
import type { ScheduleWatchAck } from '../../shared/events.js';

let db: TestDatabase;
let rig: Awaited<ReturnType<typeof startApiRealtimeRig>>;
let providerId: number;
let desk: StaffFixture;
let doctor: StaffFixture;
const sockets: RecordingClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  providerId = await createProvider(db.knex);
  const passwordHash = await testPasswordHash();
  desk = await createStaff(db.knex, 'front_desk', { passwordHash });
  doctor = await createStaff(db.knex, 'clinician', { providerId, passwordHash });
  rig = await startApiRealtimeRig(db);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await rig?.close();
  await db?.drop();
});

async function login(user: StaffFixture): Promise<{ api: ApiClient; socket: RecordingClient }> {
  const api = rig.client();
  const res = await api.post('/api/login', { username: user.username, password: TEST_PASSWORD });
  expect(res.status).toBe(200);
  const socket = openSocket(rig.url, { cookie: api.sessionCookie, origin: rig.origin });
  sockets.push(socket);
  await connected(socket);
  return { api, socket };
}

describe('live push through the API', () => {
  it('shows a booking and a check-in made through the API to the front desk and the clinician', async () => {
    const front = await login(desk);
    const clinician = await login(doctor);
    // Check-in is allowed only on the appointment's clinic day, and a booking only in the future: a few minutes from now.
    await onClinicMorning(db.knex, async ({ today: day, soon }) => {
      for (const s of [front.socket, clinician.socket]) {
        const ack = (await s.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId, date: day })) as ScheduleWatchAck;
        expect(ack.ok).toBe(true);
      }
      const patientId = await createPatient(db.knex);
      const booked = await front.api.post('/api/appointments', { patientId, providerId, scheduledAt: soon, durationMin: 30 });
      expect(booked.status).toBe(201);
      const id = booked.body.id as number;
      const isIt = (p: Record<string, unknown>) => (p.appointment as { appointmentId: number }).appointmentId === id;
      const seen = await front.socket.next('schedule:changed', isIt);
      expect(seen).toMatchObject({ kind: 'booked', providerId, appointment: { status: 'scheduled' } });
      await clinician.socket.next('schedule:changed', isIt);

      expect((await front.api.post(`/api/appointments/${id}/check-in`)).status).toBe(200);
      const arrival = await clinician.socket.next('appointment:arrived', (p) => p.appointmentId === id);
      expect(arrival).toMatchObject({ providerId, scheduledAt: new Date(soon).toISOString() });
      expect(front.socket.received.some((r) => r.event === 'appointment:arrived')).toBe(false);
    });
  });

  it('closes the socket within 5 s of POST /api/logout', async () => {
    const front = await login(desk);
    const closed = disconnected(front.socket, 5000);
    expect((await front.api.post('/api/logout')).status).toBe(204);
    expect(await closed).toBe('io server disconnect');
  });

  it('refuses a socket whose cookie was never signed in', async () => {
    const anonymous = rig.client();
    await anonymous.get('/api/me');
    const s = openSocket(rig.url, { cookie: anonymous.sessionCookie, origin: rig.origin });
    sockets.push(s);
    await expect(connected(s)).rejects.toThrow('unauthorized');
  });
});
