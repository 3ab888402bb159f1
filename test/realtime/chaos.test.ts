/**
 * Chaos: while 500 appointment changes are committed by concurrent writers, the
 * listener's PostgreSQL backend is killed twice and clients keep dropping and
 * resuming with their cursors. At the end every client's view of every schedule it
 * watches equals the database, and each watch received exactly the outbox events
 * that touch it: none missing, none twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createProvider } from '../support/clinic.js';
import { connected, mintSession, openSocket, startRealtimeRig, type RealtimeRig, type RecordingClient } from '../support/realtime-server.js';
import { asStaff } from '../../server/db/index.js';
import type { ScheduleAppointment, ScheduleChanged, ScheduleWatchAck } from '../../shared/events.js';

const DAYS = ['2027-01-11', '2027-01-12'];
const CHANGES = 500;
const WRITERS = 4;
const CLIENTS = 6;

let db: TestDatabase;
let rig: RealtimeRig;
let desk: StaffFixture;
let providers: number[] = [];
const appName = `clinicpulse-rt-chaos-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
  providers = [await createProvider(db.knex), await createProvider(db.knex)];
  desk = await createStaff(db.knex, 'front_desk');
  rig = await startRealtimeRig(db, { listenerApplicationName: appName, listenerHealthCheckMs: 500 });
});
afterAll(async () => {
  await rig?.close();
  await db?.drop();
});

interface Watch {
  providerId: number;
  date: string;
  view: Map<number, ScheduleAppointment>;
  cursor: number;
  /** The cursor of the first snapshot: everything after it must arrive. */
  startCursor: number;
  received: number[];
}

/** A front-desk screen that drops its connection now and then and resumes from its cursors. */
class Screen {
  client!: RecordingClient;
  readonly watches: Watch[];
  constructor(private readonly cookie: string, pairs: { providerId: number; date: string }[]) {
    this.watches = pairs.map((p) => ({ ...p, view: new Map(), cursor: 0, startCursor: 0, received: [] }));
  }

  private apply(e: ScheduleChanged) {
    const w = this.watches.find((x) => x.providerId === e.providerId && x.date === e.date);
    if (!w) throw new Error('event for a schedule this screen does not watch');
    w.received.push(e.cursor);
    w.cursor = Math.max(w.cursor, e.cursor);
    const a = e.appointment;
    if ('removed' in a || a.status === 'cancelled' || a.providerId !== w.providerId || a.clinicDate !== w.date) {
      w.view.delete(a.appointmentId);
    } else {
      w.view.set(a.appointmentId, a);
    }
  }

  async open(first: boolean) {
    this.client = openSocket(rig.url, { cookie: this.cookie });
    this.client.socket.on('schedule:changed', (e) => this.apply(e));
    await connected(this.client);
    for (const w of this.watches) {
      const ack = (await this.client.socket
        .timeout(20_000)
        .emitWithAck('schedule:watch', first ? { providerId: w.providerId, date: w.date } : { providerId: w.providerId, date: w.date, since: w.cursor })) as ScheduleWatchAck;
      if (!ack.ok) throw new Error(`watch refused: ${ack.error.code}`);
      if (ack.snapshot) {
        if (!first) throw new Error('a resumed watch fell back to a snapshot');
        w.view = new Map(ack.appointments.map((a) => [a.appointmentId, a]));
        w.startCursor = ack.cursor;
      }
      w.cursor = Math.max(w.cursor, ack.cursor);
    }
  }

  private busy: Promise<void> = Promise.resolve();
  reconnects = 0;

  /** Drop the connection and resume every watch from its cursor (one reconnect at a time per screen). */
  reconnect(): Promise<void> {
    this.busy = this.busy.then(async () => {
      this.client.close();
      await new Promise((r) => setTimeout(r, 20));
      await this.open(false);
      this.reconnects++;
    });
    return this.busy;
  }
}

/** Terminate the listener's backend, waiting (briefly) for it to exist if it is still reconnecting. */
const killListener = async (): Promise<number> => {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const { rows } = await db.knex.raw(
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = ? AND datname = current_database()',
      [appName],
    );
    const killed = rows.filter((r: { killed: boolean }) => r.killed).length;
    if (killed) return killed;
  }
  return 0;
};

describe('chaos', () => {
  it('loses and duplicates nothing while the listener is killed twice and clients reconnect', async () => {
    const pairs = providers.flatMap((providerId) => DAYS.map((date) => ({ providerId, date })));
    const screens: Screen[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const { cookie } = await mintSession(db.knex, desk);
      // Each screen watches two of the four schedules; every schedule has watchers.
      const s = new Screen(cookie, [pairs[i % 4]!, pairs[(i + 1) % 4]!]);
      await s.open(true);
      screens.push(s);
    }

    // Unique 5-minute slots per schedule, so concurrent writers never collide.
    const nextSlot = new Map<string, number>();
    const slot = (providerId: number, date: string) => {
      const key = `${providerId}:${date}`;
      const n = nextSlot.get(key) ?? 0;
      nextSlot.set(key, n + 1);
      const minutes = n * 5;
      if (minutes >= 24 * 60) throw new Error('out of slots for the day');
      return `${date}T${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00-05:00`;
    };
    // A patient per booking: one patient in two slots at the same time would be refused.
    const { rows: made } = await db.knex.raw(
      "INSERT INTO patients (name, dob) SELECT 'Chaos patient ' || g, date '1980-01-01' FROM generate_series(1, ?) g RETURNING patient_id",
      [CHANGES],
    );
    const patients: number[] = made.map((r: { patient_id: number }) => r.patient_id);
    let nextPatient = 0;

    const reconnecting: Promise<void>[] = [];
    let committed = 0;
    let kills = 0;
    let rng = 42;
    // A fixed-seed LCG (high bits: the low ones cycle), so a failure replays the same way.
    const random = (n: number) => ((rng = (rng * 1103515245 + 12345) % 2 ** 31), (rng >>> 8) % n);
    const asDesk = <T>(work: Parameters<typeof asStaff<T>>[2]) => asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, work);

    const writer = async () => {
      const mine: { id: number; status: string }[] = [];
      while (committed < CHANGES) {
        const n = ++committed;
        if (n === 120 || n === 330) kills += await killListener();
        if (n % 60 === 0) {
          const r = screens[random(CLIENTS)]!.reconnect();
          r.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
          reconnecting.push(r);
        }
        const scheduled = mine.filter((a) => a.status === 'scheduled');
        const op = scheduled.length < 5 ? 0 : random(10);
        if (op <= 4) {
          const pair = pairs[random(pairs.length)]!;
          const id = await asDesk(async (trx) => {
            const { rows } = await trx.raw(
              'INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, ?, 5) RETURNING appointment_id',
              [patients[nextPatient++]!, pair.providerId, slot(pair.providerId, pair.date)],
            );
            return rows[0].appointment_id as number;
          });
          mine.push({ id, status: 'scheduled' });
        } else if (op <= 6) {
          const a = scheduled[random(scheduled.length)]!;
          const pair = pairs[random(pairs.length)]!;
          await asDesk((trx) =>
            trx.raw('UPDATE appointments SET provider_id = ?, scheduled_at = ? WHERE appointment_id = ?', [pair.providerId, slot(pair.providerId, pair.date), a.id]));
        } else {
          const a = scheduled[random(scheduled.length)]!;
          const status = ['checked_in', 'cancelled', 'no_show'][op - 7]!;
          // Check-in and no-show of these future appointments are history only an administrator may
          // record (the desk rules allow them on the day / after the start); a cancel is the desk's.
          if (status === 'cancelled') await asDesk((trx) => trx.raw('UPDATE appointments SET status = ? WHERE appointment_id = ?', [status, a.id]));
          else await db.knex.raw('UPDATE appointments SET status = ? WHERE appointment_id = ?', [status, a.id]);
          a.status = status;
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, () => writer()));
    await Promise.all(reconnecting);
    expect(kills).toBe(2);
    expect(screens.reduce((n, s) => n + s.reconnects, 0)).toBeGreaterThanOrEqual(8);

    // Let every screen catch up, then compare with the database.
    const truth = async () => {
      const out = new Map<string, Map<number, { status: string; scheduledAt: string }>>();
      for (const p of pairs) {
        const { rows } = await db.knex.raw(
          "SELECT appointment_id, status, scheduled_at FROM appointments WHERE provider_id = ? AND clinic_day(scheduled_at) = ?::date AND status <> 'cancelled'",
          [p.providerId, p.date],
        );
        out.set(`${p.providerId}:${p.date}`, new Map(rows.map((r: { appointment_id: number; status: string; scheduled_at: Date }) => [r.appointment_id, { status: r.status, scheduledAt: r.scheduled_at.toISOString() }])));
      }
      return out;
    };
    const expected = await truth();
    const viewOf = (w: Watch) => new Map([...w.view].map(([id, a]) => [id, { status: a.status, scheduledAt: a.scheduledAt }]));
    const deadline = Date.now() + 30_000;
    const allEqual = () => screens.every((s) => s.watches.every((w) => JSON.stringify([...viewOf(w)].sort()) === JSON.stringify([...expected.get(`${w.providerId}:${w.date}`)!].sort())));
    while (!allEqual() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    // Exactly the outbox events touching each schedule, each once.
    const { rows: feed } = await db.knex.raw('SELECT event_id, provider_id, day, prev_provider_id, prev_day FROM appointment_event_feed ORDER BY event_id');
    let missing = 0;
    let duplicated = 0;
    for (const s of screens) {
      for (const w of s.watches) {
        expect(viewOf(w)).toEqual(expected.get(`${w.providerId}:${w.date}`));
        const want = feed
          .filter((e: { event_id: number; provider_id: number; day: string; prev_provider_id: number | null; prev_day: string | null }) =>
            e.event_id > w.startCursor &&
            ((e.provider_id === w.providerId && e.day === w.date) || (e.prev_provider_id === w.providerId && e.prev_day === w.date)))
          .map((e: { event_id: number }) => e.event_id);
        const got = new Set(w.received);
        missing += want.filter((id: number) => !got.has(id)).length;
        duplicated += w.received.length - got.size;
        expect(w.received).toEqual([...w.received].sort((a, b) => a - b));
      }
    }
    expect({ missing, duplicated }).toEqual({ missing: 0, duplicated: 0 });
    expect(feed.length).toBe(CHANGES);
    expect(rig.realtime.stats().listenerConnects).toBeGreaterThanOrEqual(3);
    for (const s of screens) s.client.close();
  });
});
