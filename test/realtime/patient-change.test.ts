/**
 * A patient's new name (a correction, or erasure's placeholder) reaches every open screen
 * showing one of their appointments, through the outbox (migration 20261125000050): what the
 * outbox records, live push to watchers, erasure, and a screen resuming from an older cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import { connected, mintSession, openSocket, startRealtimeRig, type RealtimeRig, type RecordingClient } from '../support/realtime-server.js';
import { asStaff } from '../../server/db/index.js';
import { erasePatient } from '../../server/db/repository/erasure.js';
import { touchedMonths } from '../../server/realtime/shape.js';
import { ScheduleWatch, type LiveSocket } from '../../client/src/lib/schedule-watch.js';
import type { ScheduleAppointment, ScheduleChanged, ScheduleWatchAck } from '../../shared/events.js';
import { feedAfter as readFeed, lastEventId } from '../support/outbox-feed.js';

let db: TestDatabase;
let rig: RealtimeRig;
let p1: number;
let p2: number;
let desk: StaffFixture;
let doc1: StaffFixture;
let officer: StaffFixture;
const clients: RecordingClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
  p1 = await createProvider(db.knex);
  p2 = await createProvider(db.knex);
  desk = await createStaff(db.knex, 'front_desk');
  doc1 = await createStaff(db.knex, 'clinician', { providerId: p1 });
  officer = await createStaff(db.knex, 'compliance');
  rig = await startRealtimeRig(db);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await rig?.close();
  await db?.drop();
});

const feedAfter = (after: number) => readFeed(db.knex, after);
const maxId = () => lastEventId(db.knex);

/** A name correction as the front desk makes it (its grants and row-level security apply). */
const rename = (patientId: number, name: string) =>
  asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, (trx) =>
    trx.raw('UPDATE patients SET name = ? WHERE patient_id = ?', [name, patientId]));

async function signedIn(staff: StaffFixture): Promise<RecordingClient> {
  const { cookie } = await mintSession(db.knex, staff);
  const client = openSocket(rig.url, { cookie });
  clients.push(client);
  await connected(client);
  return client;
}
const watch = async (c: RecordingClient, req: { providerId: number; date: string; since?: number }) => {
  const ack = (await c.socket.timeout(10_000).emitWithAck('schedule:watch', req)) as ScheduleWatchAck;
  if (!ack.ok) throw new Error(`watch refused: ${ack.error.code}`);
  return ack;
};
const changes = (c: RecordingClient) => c.received.filter((r) => r.event === 'schedule:changed').map((r) => r.payload as unknown as ScheduleChanged);
const rowOf = (e: ScheduleChanged) => e.appointment as ScheduleAppointment;
const until = async (cond: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the outbox records a patient\'s new name', () => {
  it('as one patient_updated event per non-cancelled appointment, past and future, each on its own provider-day', async () => {
    const patient = await createPatient(db.knex, { name: 'Ann Outbox' });
    const past = await insertAppointment(db.knex, { patientId: patient, providerId: p1, scheduledAt: '2026-01-10T09:00:00-05:00' });
    // 23:30 in New York is the next day in UTC: the event carries the clinic-local day.
    const future = await insertAppointment(db.knex, { patientId: patient, providerId: p2, scheduledAt: '2027-02-01T23:30:00-05:00' });
    const cancelled = await insertAppointment(db.knex, { patientId: patient, providerId: p1, scheduledAt: '2027-02-02T09:00:00-05:00' });
    await db.knex.raw("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [cancelled]);
    const start = await maxId();

    await rename(patient, 'Anne Outbox');
    const rows = await feedAfter(start);
    expect(rows.map((r) => [r.kind, r.appointment_id, r.provider_id, r.day])).toEqual([
      ['patient_updated', past, p1, '2026-01-10'],
      ['patient_updated', future, p2, '2027-02-01'],
    ]);
    expect(rows.map((r) => r.event_id)).toEqual([start + 1, start + 2]);

    // Other registration details are on no screen: no event, and no batch left behind.
    await asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, (trx) =>
      trx.raw("UPDATE patients SET phone = '+1 555 0100' WHERE patient_id = ?", [patient]));
    // A patient with no appointments: the batch opened for the rename is dropped at COMMIT.
    await rename(await createPatient(db.knex), 'Nobody Scheduled');
    expect(await feedAfter(start + 2)).toEqual([]);
    const open = await db.knex.raw('SELECT count(*)::int AS n FROM appointment_event_batches WHERE first_event_id IS NULL');
    expect(open.rows[0].n).toBe(0);
    const staged = await db.knex.raw('SELECT count(*)::int AS n FROM appointment_event_patients');
    expect(staged.rows[0].n).toBe(0);
    // A name is not an aggregate: managers are not told to reload their charts.
    expect(touchedMonths({ eventId: 1, appointmentId: past, kind: 'patient_updated', providerId: p1, day: '2026-01-10', prevProviderId: null, prevDay: null })).toEqual([]);
  });

  it('on the day an appointment was moved to by a transaction that committed while the rename was still open', async () => {
    const patient = await createPatient(db.knex, { name: 'Ben Racer' });
    const id = await insertAppointment(db.knex, { patientId: patient, providerId: p1, scheduledAt: '2027-03-01T09:00:00-05:00' });
    const renamer = new pg.Client({ connectionString: db.url });
    await renamer.connect();
    try {
      const start = await maxId();
      await renamer.query('BEGIN');
      await renamer.query("UPDATE patients SET name = 'Benjamin Racer' WHERE patient_id = $1", [patient]);
      // Committed (and fanned out, with the old name) before the rename commits.
      await db.knex.raw("UPDATE appointments SET provider_id = ?, scheduled_at = '2027-03-03T10:00:00-05:00' WHERE appointment_id = ?", [p2, id]);
      await renamer.query('COMMIT');
      const rows = await feedAfter(start);
      expect(rows.map((r) => [r.kind, r.provider_id, r.day])).toEqual([
        ['rescheduled', p2, '2027-03-03'],
        // Where the screen now showing the old name is, not where the appointment was at the UPDATE.
        ['patient_updated', p2, '2027-03-03'],
      ]);
    } finally {
      await renamer.end();
    }
  });
});

describe('open screens', () => {
  it('receive a corrected name on every provider-day that shows the patient, and no other', async () => {
    const patient = await createPatient(db.knex, { name: 'Carla Typo' });
    const a1 = await insertAppointment(db.knex, { patientId: patient, providerId: p1, scheduledAt: '2027-04-05T09:00:00-04:00' });
    const a2 = await insertAppointment(db.knex, { patientId: patient, providerId: p2, scheduledAt: '2027-04-06T11:00:00-04:00' });
    const deskDay1 = await signedIn(desk);
    const doctorDay1 = await signedIn(doc1);
    const deskDay2 = await signedIn(desk);
    const deskElsewhere = await signedIn(desk);
    expect((await watch(deskDay1, { providerId: p1, date: '2027-04-05' })).appointments.map((a) => a.patientName)).toEqual(['Carla Typo']);
    await watch(doctorDay1, { providerId: p1, date: '2027-04-05' });
    await watch(deskDay2, { providerId: p2, date: '2027-04-06' });
    await watch(deskElsewhere, { providerId: p1, date: '2027-04-06' });

    await rename(patient, 'Carla Tipo');
    const byAppt = (id: number) => (p: Record<string, unknown>) => (p.appointment as { appointmentId: number }).appointmentId === id;
    for (const [client, id, providerId, date] of [[deskDay1, a1, p1, '2027-04-05'], [doctorDay1, a1, p1, '2027-04-05'], [deskDay2, a2, p2, '2027-04-06']] as const) {
      const got = await client.next('schedule:changed', byAppt(id));
      expect(got).toMatchObject({ kind: 'patient_updated', providerId, date, appointment: { appointmentId: id, patientName: 'Carla Tipo', status: 'scheduled' } });
    }
    // A later booking on the unrelated day proves that watcher was listening all along.
    const other = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId: p1, scheduledAt: '2027-04-06T15:00:00-04:00' });
    await deskElsewhere.next('schedule:changed', byAppt(other));
    expect(changes(deskElsewhere).map((e) => rowOf(e).appointmentId)).toEqual([other]);
    expect(changes(deskDay1).map((e) => e.kind)).toEqual(['patient_updated']);
  });

  it('receive an erased patient\'s placeholder, and never the old name again', async () => {
    const patient = await createPatient(db.knex, { name: 'Dora Forgetme' });
    const id = await insertAppointment(db.knex, { patientId: patient, providerId: p1, scheduledAt: '2027-05-03T10:00:00-04:00' });
    const screen = await signedIn(desk);
    const first = await watch(screen, { providerId: p1, date: '2027-05-03' });
    expect(first.appointments.map((a) => a.patientName)).toEqual(['Dora Forgetme']);

    await erasePatient(db.appKnex, { userId: officer.userId, role: 'compliance' }, patient, 'GDPR Art. 17 request, ticket 4711');
    const erased = await screen.next('schedule:changed', (p) => p.kind === 'patient_updated');
    expect(erased).toMatchObject({ appointment: { appointmentId: id, patientName: `Erased patient ${patient}` } });

    // Later changes, a resumed watch and a fresh snapshot all carry the placeholder only.
    // As the administrator: a staff check-in is allowed only on the appointment's own day.
    await db.knex.raw("UPDATE appointments SET status = 'checked_in' WHERE appointment_id = ?", [id]);
    await screen.next('schedule:changed', (p) => p.kind === 'checked_in');
    const resumed = await signedIn(desk);
    await watch(resumed, { providerId: p1, date: '2027-05-03', since: first.cursor });
    const fresh = await signedIn(desk);
    const snapshot = await watch(fresh, { providerId: p1, date: '2027-05-03' });
    expect(snapshot.appointments.map((a) => a.patientName)).toEqual([`Erased patient ${patient}`]);
    expect(changes(resumed).map((e) => [e.kind, rowOf(e).patientName])).toEqual([
      ['patient_updated', `Erased patient ${patient}`],
      ['checked_in', `Erased patient ${patient}`],
    ]);
    const sinceErasure = [...changes(screen).slice(changes(screen).indexOf(erased as unknown as ScheduleChanged)), ...changes(resumed)];
    expect(sinceErasure.length).toBe(4);
    expect(JSON.stringify(sinceErasure)).not.toContain('Forgetme');
  });

  it('that resume from a cursor taken before the correction get it on resume, and end showing the new name', async () => {
    const DAY = '2027-06-07';
    const patient = await createPatient(db.knex, { name: 'Eve Oldname' });
    const id = await insertAppointment(db.knex, { patientId: patient, providerId: p2, scheduledAt: `${DAY}T09:30:00-04:00` });
    const { cookie } = await mintSession(db.knex, desk);
    // No automatic reconnection: the rename must commit while the screen is away, not race its return.
    const client = openSocket(rig.url, { cookie, reconnection: false });
    clients.push(client);
    await connected(client);
    const events: ScheduleChanged[] = [];
    const screen = new ScheduleWatch(client.socket as unknown as LiveSocket, p2, DAY, (_w, e) => e && events.push(e));
    await until(() => screen.state === 'live');
    expect(screen.rows.get(id)?.patientName).toBe('Eve Oldname');
    const cursorBefore = screen.cursor;

    // The screen is offline (a network blip) while the name is corrected.
    const dropped = new Promise((r) => client.socket.once('disconnect', r));
    client.socket.io.engine.close();
    await dropped;
    await rename(patient, 'Eve Newname');
    client.socket.connect();
    await until(() => screen.state === 'resumed');

    expect(screen.rows.get(id)?.patientName).toBe('Eve Newname');
    expect(events.map((e) => e.kind)).toEqual(['patient_updated']);
    expect(events[0]!.cursor).toBeGreaterThan(cursorBefore!);
    screen.stop();
  });
});
