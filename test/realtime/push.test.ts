/**
 * Live push end to end: real sockets against the real server and database. Who gets
 * which event, what each role's payloads may contain, handshake refusals, session
 * end, resuming with a cursor, and per-socket limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { onClinicMorning, createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import {
  connected,
  disconnected,
  mintSession,
  openSocket,
  startRealtimeRig,
  TEST_ORIGIN,
  type RealtimeRig,
  type RecordingClient,
} from '../support/realtime-server.js';
import { asStaff } from '../../server/db/index.js';
import { advanceSessionClock } from '../support/session-clock.js';
import type { ScheduleWatchAck } from '../../shared/events.js';

// What each role may ever receive, key by key. Anything else in any payload fails the last test.
const SCHEDULE_ROW_KEYS = ['appointmentId', 'patientId', 'providerId', 'scheduledAt', 'durationMin', 'status', 'clinicDate', 'createdAt', 'updatedAt', 'patientName', 'overbookReason'];
const CLINICAL_KEYS = ['notes', 'diagnoses', 'prescriptions', 'visitId', 'dob', 'email', 'phone', 'code', 'dosage'];
const ALLOWED: Record<string, Record<string, string[]>> = {
  front_desk: { 'schedule:changed': ['providerId', 'date', 'cursor', 'kind', 'appointment'] },
  clinician: {
    'schedule:changed': ['providerId', 'date', 'cursor', 'kind', 'appointment'],
    'appointment:arrived': ['appointmentId', 'providerId', 'patientName', 'scheduledAt', 'cursor'],
  },
  manager: { 'analytics:changed': ['months'] },
  compliance: { 'audit:appended': ['auditId', 'action', 'table', 'actorRole', 'at'] },
  billing: {},
};

let db: TestDatabase;
let rig: RealtimeRig;
let p1: number;
let p2: number;
let desk: StaffFixture;
let doc1: StaffFixture;
let doc2: StaffFixture;
let manager: StaffFixture;
let compliance: StaffFixture;
let billing: StaffFixture;
const clients: { role: string; client: RecordingClient }[] = [];

async function signedIn(staff: StaffFixture): Promise<RecordingClient> {
  const { cookie } = await mintSession(db.knex, staff);
  const client = openSocket(rig.url, { cookie });
  clients.push({ role: staff.role, client });
  await connected(client);
  return client;
}

const watch = (c: RecordingClient, req: { providerId: number; date: string; since?: number }) =>
  c.socket.timeout(10_000).emitWithAck('schedule:watch', req) as Promise<ScheduleWatchAck>;

async function book(providerId: number, at: string): Promise<number> {
  const patientId = await createPatient(db.knex, { name: `Live Patient ${Math.random().toString(36).slice(2, 8)}` });
  return asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, async (trx) => {
    const { rows } = await trx.raw(
      'INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, ?, 30) RETURNING appointment_id',
      [patientId, providerId, at],
    );
    return rows[0].appointment_id as number;
  });
}
const setStatus = (id: number, status: string) =>
  asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, (trx) =>
    trx.raw('UPDATE appointments SET status = ? WHERE appointment_id = ?', [status, id]));

beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
  p1 = await createProvider(db.knex);
  p2 = await createProvider(db.knex);
  desk = await createStaff(db.knex, 'front_desk');
  doc1 = await createStaff(db.knex, 'clinician', { providerId: p1 });
  doc2 = await createStaff(db.knex, 'clinician', { providerId: p2 });
  manager = await createStaff(db.knex, 'manager');
  compliance = await createStaff(db.knex, 'compliance');
  billing = await createStaff(db.knex, 'billing');
  rig = await startRealtimeRig(db, { revalidateMs: 500 });
});
afterAll(async () => {
  for (const { client } of clients) client.close();
  await rig?.close();
  await db?.drop();
});

describe('live push', () => {
  it('delivers a booking to the watchers of that provider and day, and to nobody else', async () => {
    const deskSame = await signedIn(desk);
    const deskOtherDay = await signedIn(desk);
    const deskOtherProvider = await signedIn(desk);
    const doctor = await signedIn(doc1);
    const boss = await signedIn(manager);
    const first = await watch(deskSame, { providerId: p1, date: '2030-12-01' });
    expect(first).toMatchObject({ ok: true, appointments: [], snapshot: true });
    expect((await watch(deskOtherDay, { providerId: p1, date: '2030-12-02' })).ok).toBe(true);
    expect((await watch(deskOtherProvider, { providerId: p2, date: '2030-12-01' })).ok).toBe(true);
    expect((await watch(doctor, { providerId: p1, date: '2030-12-01' })).ok).toBe(true);

    // 20:00 in New York on Dec 1 is already Dec 2 in UTC: the clinic-local day decides.
    const id = await book(p1, '2030-12-01T20:00:00-05:00');
    const got = await deskSame.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === id);
    expect(got).toMatchObject({ providerId: p1, date: '2030-12-01', kind: 'booked', appointment: { appointmentId: id, status: 'scheduled', providerId: p1 } });
    expect(typeof (got.appointment as { patientName: string }).patientName).toBe('string');
    await doctor.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === id);
    await boss.next('analytics:changed', (p) => (p.months as string[]).includes('2030-12'));

    // A later booking on the other watchers' schedules proves they were listening all along.
    const other = await book(p2, '2030-12-01T09:00:00-05:00');
    await deskOtherProvider.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === other);
    const idOf = (c: RecordingClient) =>
      c.received.filter((r) => r.event === 'schedule:changed').map((r) => (r.payload.appointment as { appointmentId: number }).appointmentId);
    expect(idOf(deskOtherDay)).toEqual([]);
    expect(idOf(deskOtherProvider)).toEqual([other]);
    expect(idOf(deskSame)).toEqual([id]);
    expect(boss.received.filter((r) => r.event === 'schedule:changed')).toEqual([]);
  });

  it('tells the clinician linked to the provider when their patient checks in, and no other clinician', async () => {
    const mine = await signedIn(doc1);
    const theirs = await signedIn(doc2);
    // Check-in is allowed only on the appointment's clinic day: book today, as the administrator.
    await onClinicMorning(db.knex, async ({ now }) => {
      const bookToday = async (providerId: number) =>
        insertAppointment(db.knex, { patientId: await createPatient(db.knex, { name: `Live Patient ${Math.random().toString(36).slice(2, 8)}` }), providerId, scheduledAt: now });
      const id = await bookToday(p1);
      await setStatus(id, 'checked_in');
      const arrival = await mine.next('appointment:arrived', (p) => p.appointmentId === id);
      expect(arrival).toMatchObject({ appointmentId: id, providerId: p1, scheduledAt: new Date(now).toISOString() });
      expect(String(arrival.patientName)).toMatch(/^Live Patient/);
      const later = await bookToday(p2);
      await setStatus(later, 'checked_in');
      await theirs.next('appointment:arrived', (p) => p.appointmentId === later);
      expect(theirs.received.filter((r) => r.event === 'appointment:arrived').map((r) => r.payload.appointmentId)).toEqual([later]);
      expect(mine.received.filter((r) => r.event === 'appointment:arrived').map((r) => r.payload.appointmentId)).toEqual([id]);
    });
  });

  it('lets a clinician watch only their own schedule, and billing none', async () => {
    const doctor = await signedIn(doc1);
    expect(await watch(doctor, { providerId: p2, date: '2030-12-01' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const biller = await signedIn(billing);
    expect(await watch(biller, { providerId: p1, date: '2030-12-01' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('shows a clinician an appointment moved to another provider as removed, without its details', async () => {
    const doctor = await signedIn(doc1);
    const desk1 = await signedIn(desk);
    expect((await watch(doctor, { providerId: p1, date: '2030-12-04' })).ok).toBe(true);
    expect((await watch(desk1, { providerId: p1, date: '2030-12-04' })).ok).toBe(true);
    const id = await book(p1, '2030-12-04T11:00:00-05:00');
    await doctor.next('schedule:changed', (p) => p.kind === 'booked' && (p.appointment as { appointmentId: number }).appointmentId === id);
    await asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, (trx) =>
      trx.raw("UPDATE appointments SET provider_id = ?, scheduled_at = '2030-12-05T11:00:00-05:00' WHERE appointment_id = ?", [p2, id]));
    const moved = await doctor.next('schedule:changed', (p) => p.kind === 'rescheduled');
    expect(moved).toMatchObject({ providerId: p1, date: '2030-12-04', appointment: { appointmentId: id, removed: true } });
    expect(Object.keys(moved.appointment as object).sort()).toEqual(['appointmentId', 'removed']);
    const deskView = await desk1.next('schedule:changed', (p) => p.kind === 'rescheduled');
    expect(deskView).toMatchObject({ providerId: p1, date: '2030-12-04', appointment: { appointmentId: id, providerId: p2, clinicDate: '2030-12-05' } });
  });

  it('sends compliance the audit entries of changes, as ids and names only', async () => {
    const officer = await signedIn(compliance);
    await book(p2, '2030-12-06T09:00:00-05:00');
    const entry = await officer.next('audit:appended', (p) => p.table === 'appointments' && p.action === 'insert');
    expect(entry).toMatchObject({ actorRole: 'front_desk' });
    expect(typeof entry.auditId).toBe('number');
  });

  it("sends compliance every entry of a bulk write, which the audit trigger announces as one '<first>-<last>' range", async () => {
    const officer = await signedIn(compliance);
    // One statement appending more than 1000 audit rows: the trigger sends a single range.
    const { rows } = await db.knex.raw(`
      INSERT INTO patients (name, dob) SELECT 'Bulk Patient ' || i, date '1990-01-01' FROM generate_series(1, 1200) i
      RETURNING patient_id`);
    const ids: string[] = rows.map((r: { patient_id: number }) => String(r.patient_id));
    const { rows: audit } = await db.knex.raw(
      "SELECT min(audit_id)::int AS first, max(audit_id)::int AS last FROM audit_log WHERE table_name = 'patients' AND row_key = ANY (?::text[])",
      [ids],
    );
    await officer.next('audit:appended', (p) => p.auditId === audit[0].last);
    const bulk = officer.received.filter((r) => r.event === 'audit:appended' && (r.payload.auditId as number) >= audit[0].first && (r.payload.auditId as number) <= audit[0].last);
    expect(bulk.length).toBe(1200);
    expect(bulk[0]!.payload).toMatchObject({ action: 'insert', table: 'patients' });
  });

  it('refuses a handshake without a session, with a forged cookie, or from a foreign origin', async () => {
    const anonymous = openSocket(rig.url);
    await expect(connected(anonymous)).rejects.toThrow('unauthorized');
    const { cookie, sid } = await mintSession(db.knex, desk);
    const forged = openSocket(rig.url, { cookie: `clinicpulse.sid=${encodeURIComponent(`s:${sid}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`)}` });
    await expect(connected(forged)).rejects.toThrow('unauthorized');
    const foreign = openSocket(rig.url, { cookie, origin: 'http://evil.example' });
    await expect(connected(foreign)).rejects.toThrow();
    const noOrigin = openSocket(rig.url, { cookie, origin: null });
    await expect(connected(noOrigin)).rejects.toThrow();
    const good = openSocket(rig.url, { cookie, origin: TEST_ORIGIN });
    await connected(good);
    for (const c of [anonymous, forged, foreign, noOrigin, good]) c.close();
  });

  it('closes a socket within 5 s of its session idling out', async () => {
    const { cookie, storedId } = await mintSession(db.knex, desk);
    const client = openSocket(rig.url, { cookie });
    await connected(client);
    const closed = disconnected(client, 5000);
    // 16 quiet minutes pass for the session (a controllable clock, not a sleep): past its idle timeout.
    await advanceSessionClock(db.knex, { sid: storedId }, 16 * 60_000);
    expect(await closed).toBe('io server disconnect');
  });

  it('closes a socket within 5 s of logout, and of the account being deactivated', async () => {
    const { cookie, storedId } = await mintSession(db.knex, desk);
    const client = openSocket(rig.url, { cookie });
    await connected(client);
    const gone = disconnected(client, 5000);
    await db.knex.raw('DELETE FROM http_sessions WHERE sid = ?', [storedId]); // what POST /api/logout does
    expect(await gone).toBe('io server disconnect');

    const leaver = await createStaff(db.knex, 'front_desk');
    const theirs = await signedIn(leaver);
    const closed = disconnected(theirs, 5000);
    await db.knex.raw('UPDATE staff_users SET active = false, deactivated_at = now() WHERE user_id = ?', [leaver.userId]);
    expect(await closed).toBe('io server disconnect');
  });

  it('resumes a watch from its cursor: every missed change once, in order, then live ones', async () => {
    const a = await signedIn(desk);
    const start = await watch(a, { providerId: p2, date: '2030-12-10' });
    if (!start.ok) throw new Error('watch refused');
    const first = await book(p2, '2030-12-10T09:00:00-05:00');
    const seen = await a.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === first);
    a.close();
    const missed = [await book(p2, '2030-12-10T10:00:00-05:00'), await book(p2, '2030-12-10T11:00:00-05:00')];
    await setStatus(missed[0]!, 'cancelled');
    await book(p2, '2030-12-11T11:00:00-05:00'); // another day: not part of this watch

    const b = await signedIn(desk);
    const ack = await watch(b, { providerId: p2, date: '2030-12-10', since: seen.cursor as number });
    expect(ack).toMatchObject({ ok: true, appointments: [], snapshot: false });
    const replayed = b.received.filter((r) => r.event === 'schedule:changed').map((r) => [r.payload.kind, (r.payload.appointment as { appointmentId: number }).appointmentId]);
    expect(replayed).toEqual([['booked', missed[0]], ['booked', missed[1]], ['cancelled', missed[0]]]);
    const cursors = b.received.map((r) => r.payload.cursor as number);
    expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
    const live = await book(p2, '2030-12-10T13:00:00-05:00');
    await b.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === live);
    expect(b.received.length).toBe(4);
  });

  it('gives a cursor older than the retention a fresh snapshot, flagged', async () => {
    const c = await signedIn(desk);
    await db.knex.raw('UPDATE appointment_events_retention SET pruned_through = (SELECT max(last_event_id) FROM appointment_event_batches)');
    const ack = await watch(c, { providerId: p2, date: '2030-12-10', since: 1 });
    expect(ack).toMatchObject({ ok: true, snapshot: true });
    if (!ack.ok) return;
    const { rows } = await db.knex.raw(
      "SELECT appointment_id FROM appointments WHERE provider_id = ? AND clinic_day(scheduled_at) = '2030-12-10' AND status <> 'cancelled' ORDER BY scheduled_at",
      [p2],
    );
    expect(ack.appointments.map((x) => x.appointmentId)).toEqual(rows.map((r: { appointment_id: number }) => r.appointment_id));
    expect(rows.length).toBe(3);
  });

  it('refuses malformed watches and throttles a flooding socket', async () => {
    const c = await signedIn(desk);
    expect(await watch(c, { providerId: -1, date: 'tomorrow' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await watch(c, { providerId: p1, date: '2030-12-01', extra: 'x' } as never)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    // Unwatch is cheap for the server, so the flood measures the limiter alone.
    const acks = await Promise.all(
      Array.from({ length: 80 }, () => c.socket.timeout(10_000).emitWithAck('schedule:unwatch', { providerId: p1, date: '2030-12-01' })),
    );
    const refused = acks.filter((a) => !a.ok && a.error.code === 'rate_limited').length;
    expect(refused).toBeGreaterThan(0);
    expect(acks.length - refused).toBeGreaterThanOrEqual(30);
  });

  it('closes a socket that sends a message larger than the limit', async () => {
    const c = await signedIn(desk);
    const closed = disconnected(c, 5000);
    c.socket.emit('schedule:unwatch', { providerId: p1, date: 'x'.repeat(20_000) });
    expect(await closed).toBe('transport close');
  });

  it('never sent any role a key outside its allow-list, nor any clinical field', async () => {
    let checked = 0;
    for (const { role, client } of clients) {
      for (const r of client.received) {
        const allowed = ALLOWED[role]?.[r.event];
        expect(allowed, `${role} received ${r.event}`).toBeDefined();
        expect(Object.keys(r.payload).filter((k) => !allowed!.includes(k))).toEqual([]);
        if (r.event === 'schedule:changed') {
          const appt = r.payload.appointment as Record<string, unknown>;
          const keys = Object.keys(appt);
          expect(keys.filter((k) => !SCHEDULE_ROW_KEYS.includes(k) && k !== 'removed')).toEqual([]);
          expect(keys.filter((k) => CLINICAL_KEYS.includes(k))).toEqual([]);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});
