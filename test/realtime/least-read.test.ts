/**
 * The live-push role reads only what the outbox just announced, and what it reads is
 * recorded (issue 9, item 3). The attack: any SQL on the service login can become
 * clinicpulse_realtime and call realtime_appointments() with arbitrary ids, which used to
 * return every appointment of the schedule with the patient's name, unaudited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import { asService, asStaff } from '../../server/db/index.js';
import { createStaff } from '../support/staff.js';
import { connected, mintSession, openSocket, startRealtimeRig } from '../support/realtime-server.js';
import type { ScheduleWatchAck } from '../../shared/events.js';

let db: TestDatabase;
let provider: number;

beforeAll(async () => {
  db = await createTestDatabase();
  provider = await createProvider(db.knex);
});
afterAll(async () => db?.drop());

const tomorrowAt = (hour: number) => `(now() + interval '1 day')::date + time '${String(hour).padStart(2, '0')}:00'`;

async function book(name: string, hour: number): Promise<{ appointmentId: number; patientId: number }> {
  const patientId = await createPatient(db.knex, { name });
  const { rows } = await db.knex.raw(`SELECT (${tomorrowAt(hour)}) AT TIME ZONE 'America/New_York' AS at`);
  const appointmentId = await insertAppointment(db.knex, { patientId, providerId: provider, scheduledAt: rows[0].at.toISOString() });
  return { appointmentId, patientId };
}

const asRealtime = <T>(sql: string, bindings: unknown[]) =>
  asService(db.appKnex, 'clinicpulse_realtime', async (trx) => (await trx.raw(sql, bindings as never)).rows as T[], { readOnly: true });

describe('realtime_appointments', () => {
  it('returns no named row for an appointment the outbox did not just announce, whatever ids are asked for', async () => {
    const old = await book('Olga Oldbooking', 9);
    // Its outbox event is a day old: the dispatcher fanned it out long ago.
    await db.knex.raw("UPDATE appointment_event_batches SET committed_at = committed_at - interval '1 day'");
    const everything = Array.from({ length: 1000 }, (_, i) => i + 1);
    const rows = await asRealtime<{ patient_name: string }>('SELECT patient_name FROM realtime_appointments(?::int[])', [[old.appointmentId, ...everything]]);
    expect(rows).toEqual([]);
  });

  it('returns the rows of just-announced appointments and records one read naming their patients', async () => {
    const old = await book('Otto Oldbooking', 10);
    await db.knex.raw("UPDATE appointment_event_batches SET committed_at = committed_at - interval '1 day'");
    const fresh = await book('Freya Freshbooking', 11);
    const { rows: before } = await db.knex.raw('SELECT coalesce(max(audit_id), 0) AS id FROM audit_log');
    const rows = await asRealtime<{ appointment_id: number; patient_name: string }>(
      'SELECT appointment_id, patient_name FROM realtime_appointments(?::int[])',
      [[old.appointmentId, fresh.appointmentId]],
    );
    expect(rows).toEqual([{ appointment_id: fresh.appointmentId, patient_name: 'Freya Freshbooking' }]);
    const { rows: audit } = await db.knex.raw(
      "SELECT action, actor_role, actor_user_id, table_name, patient_ids FROM audit_log WHERE audit_id > ? AND action = 'read'",
      [before[0].id],
    );
    expect(audit).toEqual([
      { action: 'read', actor_role: 'clinicpulse_realtime', actor_user_id: null, table_name: 'appointments', patient_ids: [fresh.patientId] },
    ]);
  });
});

describe('a watcher resuming from an older cursor', () => {
  it('gets the replayed rows read with their own identity (and audited), even past the realtime window', async () => {
    await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
    const desk = await createStaff(db.knex, 'front_desk');
    const rig = await startRealtimeRig(db);
    const client = openSocket(rig.url, { cookie: (await mintSession(db.knex, desk)).cookie });
    try {
      await connected(client);
      const date = '2027-02-03';
      const watch = (since?: number) =>
        client.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId: provider, date, since }) as Promise<ScheduleWatchAck>;
      const first = await watch();
      if (!first.ok) throw new Error('watch refused');
      const patientId = await createPatient(db.knex, { name: 'Rita Replay' });
      const id = await insertAppointment(db.knex, { patientId, providerId: provider, scheduledAt: `${date}T09:00:00-05:00` });
      await client.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === id);
      // The dispatcher sent it long ago: clinicpulse_realtime may no longer read it.
      await db.knex.raw("UPDATE appointment_event_batches SET committed_at = committed_at - interval '1 day'");
      const { rows: before } = await db.knex.raw('SELECT coalesce(max(audit_id), 0) AS id FROM audit_log');
      client.received.length = 0;
      const again = await watch(first.cursor);
      expect(again).toMatchObject({ ok: true, snapshot: false });
      const replayed = client.received.filter((r) => r.event === 'schedule:changed').map((r) => r.payload.appointment);
      expect(replayed).toEqual([expect.objectContaining({ appointmentId: id, patientName: 'Rita Replay' })]);
      const { rows: audit } = await db.knex.raw(
        "SELECT actor_role, actor_user_id, patient_ids FROM audit_log WHERE audit_id > ? AND action = 'read'",
        [before[0].id],
      );
      expect(audit).toEqual([{ actor_role: 'front_desk', actor_user_id: desk.userId, patient_ids: [patientId] }]);
    } finally {
      client.close();
      await rig.close();
    }
  });
});

describe('realtime_audit_entries (the compliance live feed)', () => {
  it('gives the realtime role only the feed\'s fields of fresh audit entries, by id', async () => {
    const patientId = await createPatient(db.knex, { name: 'Ada Auditfeed' });
    const { rows: appended } = await db.knex.raw(
      "SELECT audit_id FROM audit_log WHERE table_name = 'patients' AND row_key = ? ORDER BY audit_id DESC LIMIT 1",
      [String(patientId)],
    );
    const id = Number(appended[0].audit_id);
    const rows = await asRealtime<Record<string, unknown>>('SELECT * FROM realtime_audit_entries(?::bigint[])', [[id, id + 1_000_000]]);
    expect(rows).toEqual([{ audit_id: id, action: 'insert', table_name: 'patients', actor_role: expect.any(String), at: expect.any(Date) }]);
  });

  it('is not a way for staff roles to read the log', async () => {
    const officer = await createStaff(db.knex, 'compliance');
    await expect(
      asStaff(db.appKnex, { userId: officer.userId, role: 'compliance' }, (trx) => trx.raw('SELECT * FROM realtime_audit_entries(ARRAY[1]::bigint[])'), { readOnly: true }),
    ).rejects.toThrow(/permission denied/);
  });
});
