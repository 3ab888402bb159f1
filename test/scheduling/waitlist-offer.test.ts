/**
 * Live waitlist offers through the outbox: a cancellation reaches every watching front-desk
 * screen as `waitlist:offer` with the fitting entries longest-waiting first, within a second;
 * nothing for other roles; and no offer is lost while the LISTEN connection is killed or a
 * screen is away (it resumes from its cursor).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import { connected, mintSession, openSocket, startRealtimeRig, type RealtimeRig, type RecordingClient } from '../support/realtime-server.js';
import { asStaff } from '../../server/db/index.js';
import type { WaitlistOffer, WaitlistWatchAck } from '../../shared/events.js';

let db: TestDatabase;
let rig: RealtimeRig;
let desk: StaffFixture;
let doctor: StaffFixture;
let provider: number;
let otherProvider: number;
const appName = `waitlist-listener-${process.pid}`;
const clients: RecordingClient[] = [];

// Far enough ahead to be "future", on a day nothing else uses (New York, EST).
const at = (hhmm: string, day = '2031-01-14') => `${day}T${hhmm}:00-05:00`;
const at2 = (hhmm: string) => at(hhmm, '2031-01-15');

beforeAll(async () => {
  db = await createTestDatabase();
  provider = await createProvider(db.knex, { name: 'Dr Wait', specialty: 'Rheumatology' });
  otherProvider = await createProvider(db.knex, { name: 'Dr Elsewhere', specialty: 'Rheumatology' });
  desk = await createStaff(db.knex, 'front_desk');
  doctor = await createStaff(db.knex, 'clinician', { providerId: provider });
  rig = await startRealtimeRig(db, { listenerApplicationName: appName, listenerHealthCheckMs: 500 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await rig?.close();
  await db?.drop();
});

async function screen(staff: StaffFixture): Promise<RecordingClient> {
  const { cookie } = await mintSession(db.knex, staff);
  const c = openSocket(rig.url, { cookie });
  clients.push(c);
  await connected(c);
  return c;
}
const watchWaitlist = (c: RecordingClient, since?: number) =>
  c.socket.timeout(10_000).emitWithAck('waitlist:watch', since === undefined ? {} : { since }) as Promise<WaitlistWatchAck>;
const asDesk = <T>(work: Parameters<typeof asStaff<T>>[2]) => asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, work);

async function waitlist(patientId: number, target: { providerId?: number; specialty?: string }, earliest: string, latest: string, durationMin = 30): Promise<number> {
  return asDesk(async (trx) => {
    const [row] = await trx('waitlist_entries')
      .insert({ patient_id: patientId, provider_id: target.providerId ?? null, specialty: target.specialty ?? null, earliest, latest, duration_min: durationMin })
      .returning('waitlist_id');
    return (row as { waitlist_id: number }).waitlist_id;
  });
}
const cancel = (id: number) => asDesk((trx) => trx('appointments').update({ status: 'cancelled' }).where('appointment_id', id));
const offersOf = (c: RecordingClient) => c.received.filter((r) => r.event === 'waitlist:offer').map((r) => r.payload as unknown as WaitlistOffer);

describe('waitlist:offer', () => {
  it('reaches every watching front-desk screen within a second of a cancellation, with the fitting entries longest-waiting first', async () => {
    const deskA = await screen(desk);
    const deskB = await screen(desk);
    const clinician = await screen(doctor);
    expect(await watchWaitlist(clinician)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    for (const c of [deskA, deskB]) expect(await watchWaitlist(c)).toMatchObject({ ok: true, cursor: expect.any(Number) });

    const first = await createPatient(db.knex, { name: 'Wanda Waitsfirst' });
    const second = await createPatient(db.knex, { name: 'Sam Specialty' });
    const w1 = await waitlist(first, { providerId: provider }, at('08:00'), at('12:00'));
    const w2 = await waitlist(second, { specialty: 'rheumatology' }, at('09:00'), at('17:00'));
    await waitlist(await createPatient(db.knex), { providerId: provider }, at('13:00'), at('17:00')); // window does not fit
    await waitlist(await createPatient(db.knex), { providerId: provider }, at('08:00'), at('12:00'), 60); // too long for 30 minutes
    await waitlist(await createPatient(db.knex), { providerId: otherProvider }, at('08:00'), at('12:00')); // someone else's provider

    const booked = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId: provider, scheduledAt: at('10:00') });
    const committed = Date.now();
    await cancel(booked);
    const offers = await Promise.all([deskA, deskB].map((c) => c.next('waitlist:offer', (p) => (p.slot as { start: string }).start === new Date(at('10:00')).toISOString())));
    expect(Date.now() - committed).toBeLessThan(1000);
    for (const o of offers) {
      expect(o).toMatchObject({
        slot: { providerId: provider, start: new Date(at('10:00')).toISOString(), end: new Date(at('10:30')).toISOString() },
        candidates: [
          { waitlistId: w1, patientId: first, patientName: 'Wanda Waitsfirst', durationMin: 30 },
          { waitlistId: w2, patientId: second, patientName: 'Sam Specialty', durationMin: 30 },
        ],
      });
      expect((o.candidates as unknown[]).length).toBe(2);
    }
    // A move away frees the old time too; a move to an occupied time is refused, so nothing is freed.
    const moving = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId: provider, scheduledAt: at('11:00') });
    await asDesk((trx) => trx('appointments').update({ scheduled_at: at('15:00') }).where('appointment_id', moving));
    await deskA.next('waitlist:offer', (p) => (p.slot as { start: string }).start === new Date(at('11:00')).toISOString());
    // Shortening gives back the tail: 08:00-09:00 becomes 08:00-08:30, offering 08:30-09:00.
    const long = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId: provider, scheduledAt: at('08:00'), durationMin: 60 });
    await asDesk((trx) => trx('appointments').update({ duration_min: 30 }).where('appointment_id', long));
    const tail = await deskA.next('waitlist:offer', (p) => (p.slot as { start: string }).start === new Date(at('08:30')).toISOString());
    expect(tail.slot).toEqual({ providerId: provider, start: new Date(at('08:30')).toISOString(), end: new Date(at('09:00')).toISOString() });
    expect(clinician.received.filter((r) => r.event === 'waitlist:offer')).toEqual([]);
  });

  it('loses nothing across a listener kill, and a screen that was away gets the offers it missed on re-watch', async () => {
    const stays = await screen(desk);
    const away = await screen(desk);
    expect((await watchWaitlist(stays)).ok).toBe(true);
    const ack = await watchWaitlist(away);
    if (!ack.ok) throw new Error('watch refused');
    const patient = await createPatient(db.knex, { name: 'Kim Killtest' });
    const entry = await waitlist(patient, { providerId: provider }, at2('13:00'), at2('18:00'));
    const a1 = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId: provider, scheduledAt: at2('16:00') });
    const a2 = await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId: provider, scheduledAt: at2('17:00') });

    away.close();
    // Kill the LISTEN connection, then cancel while it is down: the NOTIFY goes nowhere.
    const { rows } = await db.knex.raw(
      'SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? AND datname = current_database()) k',
      [appName],
    );
    expect(rows[0].n).toBe(1);
    await cancel(a1);
    await cancel(a2);
    const starts = [at2('16:00'), at2('17:00')].map((t) => new Date(t).toISOString());
    for (const start of starts) {
      const o = await stays.next('waitlist:offer', (p) => (p.slot as { start: string }).start === start, 15_000);
      expect(o.candidates).toEqual([expect.objectContaining({ waitlistId: entry, patientName: 'Kim Killtest' })]);
    }
    // The offers may come from the dispatcher's safety poll before LISTEN is back; it does come back.
    for (const deadline = Date.now() + 20_000; rig.realtime.stats().listenerConnects < 2 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rig.realtime.stats().listenerConnects).toBeGreaterThanOrEqual(2);

    // The screen that was away resumes from its cursor: the missed offers come first, in order, once each.
    const back = await screen(desk);
    const resumed = await watchWaitlist(back, ack.cursor);
    expect(resumed.ok).toBe(true);
    expect(offersOf(back).map((o) => o.slot.start)).toEqual(starts);
    expect(offersOf(stays).filter((o) => starts.includes(o.slot.start)).length).toBe(2);
    const cursors = offersOf(back).map((o) => o.cursor);
    expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
  });

  it('shows an overbook as one on open schedules, live and in the snapshot', async () => {
    const day = '2031-01-16';
    const screenA = await screen(desk);
    const first = (await screenA.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId: provider, date: day })) as { ok: boolean };
    expect(first.ok).toBe(true);
    await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId: provider, scheduledAt: at('10:00', day) });
    const urgent = await createPatient(db.knex);
    const [row] = await asDesk((trx) => trx('appointments')
      .insert({ patient_id: urgent, provider_id: provider, scheduled_at: at('10:00', day), duration_min: 30, overbook_reason: 'Acute flare, seen today', overbook_lane: 1 })
      .returning('appointment_id'));
    const id = (row as { appointment_id: number }).appointment_id;
    const live = await screenA.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === id);
    expect(live.appointment).toMatchObject({ appointmentId: id, overbookReason: 'Acute flare, seen today' });
    const fresh = await screen(desk);
    const snap = (await fresh.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId: provider, date: day })) as { appointments: { overbookReason: string | null }[] };
    expect(snap.appointments.map((a) => a.overbookReason)).toEqual([null, 'Acute flare, seen today']);
  });
});

describe('waitlist:changed', () => {
  it('tells every watching front-desk screen that the list changed (added, booked, withdrawn), with no patient data, and nothing to others', async () => {
    const deskA = await screen(desk);
    const deskB = await screen(desk);
    const clinician = await screen(doctor);
    for (const c of [deskA, deskB]) expect((await watchWaitlist(c)).ok).toBe(true);
    await watchWaitlist(clinician);
    const count = (c: RecordingClient) => c.received.filter((r) => r.event === 'waitlist:changed').length;

    const before = count(deskB);
    const added = Date.now();
    const id = await waitlist(await createPatient(db.knex, { name: 'Chloe Changed' }), { providerId: provider }, at('08:00', '2031-01-20'), at('12:00', '2031-01-20'));
    const e = await deskB.next('waitlist:changed', () => count(deskB) > before);
    expect(Date.now() - added).toBeLessThan(1000);
    expect(e).toEqual({});
    await deskA.next('waitlist:changed', () => true);

    const beforeDelete = count(deskB);
    await asDesk((trx) => trx('waitlist_entries').where('waitlist_id', id).delete());
    await deskB.next('waitlist:changed', () => count(deskB) > beforeDelete);
    expect(count(clinician)).toBe(0);
  });
});
