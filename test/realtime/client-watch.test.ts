/**
 * The dashboard's schedule watch (client/src/lib/schedule-watch.ts) against the real server: it
 * shows the day, follows changes, and after its connection drops it resumes from
 * its cursor (no snapshot) and ends equal to the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import { connected, mintSession, openSocket, startRealtimeRig, type RealtimeRig } from '../support/realtime-server.js';
import { ScheduleWatch, type LiveSocket } from '../../client/src/lib/schedule-watch.js';
import type { ScheduleChanged } from '../../shared/events.js';

let db: TestDatabase;
let rig: RealtimeRig;
let desk: StaffFixture;
let providerId: number;
const DAY = '2027-04-05';

beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
  providerId = await createProvider(db.knex);
  desk = await createStaff(db.knex, 'front_desk');
  rig = await startRealtimeRig(db);
});
afterAll(async () => {
  await rig?.close();
  await db?.drop();
});

const until = async (cond: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

async function dayInDatabase(): Promise<number[]> {
  const { rows } = await db.knex.raw(
    "SELECT appointment_id FROM appointments WHERE provider_id = ? AND clinic_day(scheduled_at) = ?::date AND status <> 'cancelled' ORDER BY scheduled_at",
    [providerId, DAY],
  );
  return rows.map((r: { appointment_id: number }) => r.appointment_id);
}

describe('the dashboard schedule watch', () => {
  it('follows the day live and, after a dropped connection, resumes from its cursor to equal the database', async () => {
    const at = (h: number) => `${DAY}T${String(h).padStart(2, '0')}:00:00-04:00`;
    const before = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId, scheduledAt: at(8) });
    const { cookie } = await mintSession(db.knex, desk);
    const client = openSocket(rig.url, { cookie, reconnection: true });
    await connected(client);
    const events: ScheduleChanged[] = [];
    const watch = new ScheduleWatch(client.socket as unknown as LiveSocket, providerId, DAY, (_w, e) => e && events.push(e));
    await until(() => watch.state === 'live');
    expect(watch.list().map((a) => a.appointmentId)).toEqual([before]);

    const live = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId, scheduledAt: at(9) });
    await until(() => watch.rows.has(live));

    // Drop the transport (as a network blip would); the client reconnects by itself.
    const dropped = new Promise((r) => client.socket.once('disconnect', r));
    client.socket.io.engine.close();
    await dropped;
    const missed = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId, scheduledAt: at(10) });
    await db.knex.raw("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [before]);
    await until(() => watch.state === 'resumed');
    await until(() => watch.rows.has(missed) && !watch.rows.has(before));

    expect(watch.list().map((a) => a.appointmentId)).toEqual(await dayInDatabase());
    const cursors = events.map((e) => e.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(events.map((e) => e.kind)).toEqual(['booked', 'booked', 'cancelled']);
    watch.stop();
    client.close();
  });
});
