/**
 * The watch registry: which socket watches which schedule (one provider's day, the whole
 * clinic day, the waitlist), and the start of each watch lined up with the dispatcher.
 * A watch reads its cursor before its snapshot, then, in the dispatcher's queue, replays
 * from the outbox what was already fanned out beyond that cursor and joins the room; a
 * watch whose cursor is ahead of the dispatcher waits in `pending` and joins just before
 * the event after its cursor is delivered.
 */
import type { Knex } from 'knex';
import {
  clinicWatchSchema,
  MAX_WATCHES_PER_SOCKET,
  scheduleWatchSchema,
  waitlistWatchSchema,
  type ClinicWatchAck,
  type ScheduleWatchAck,
  type WaitlistWatchAck,
} from '../../shared/events.js';
import type { OutboxEvent, OutboxReader } from '../db/repository/outbox.js';
import type { Dispatcher } from './dispatcher.js';
import { clinicDayRoom, isWatchRole, scheduleChanged, scheduleRoom, scheduleRow, WAITLIST_ROOM, type WatchRole } from './shape.js';
import { clinicDayFor, replayRowsFor, snapshotFor } from './staff-reads.js';
import { refusal, type RealtimeSocket } from './types.js';

/** One watch about to start: where it delivers, and how to read its snapshot and replay. */
interface WatchStart<T> {
  key: string;
  room: string;
  role: WatchRole;
  since: number | undefined;
  snapshot: () => Promise<T[]>;
  replay: (after: number, upTo: number) => Promise<OutboxEvent[]>;
  target: (e: OutboxEvent) => { providerId: number; day: string };
}

type WatchAck<T> = (res: { ok: true; appointments: T[]; cursor: number; snapshot: boolean }) => void;

export class WatchRegistry {
  /** Watches registered ahead of the dispatcher: they join their room just before event `after` + 1. */
  private pending: { socket: RealtimeSocket; room: string; after: number }[] = [];

  constructor(
    private readonly appKnex: Knex,
    private readonly reader: OutboxReader,
    private readonly dispatcher: Pick<Dispatcher, 'serial' | 'position'>,
  ) {}

  /** The dispatcher is about to deliver `eventId`. */
  joinPendingBefore(eventId: number): void {
    if (this.pending.length === 0) return;
    const still: typeof this.pending = [];
    for (const p of this.pending) {
      if (p.after < eventId) {
        if (p.socket.connected && p.socket.data.watches.has(roomKey(p.room))) void p.socket.join(p.room);
      } else still.push(p);
    }
    this.pending = still;
  }

  /** The socket is gone. */
  forget(socket: RealtimeSocket): void {
    this.pending = this.pending.filter((p) => p.socket !== socket);
  }

  unwatch(socket: RealtimeSocket, key: string): void {
    const room = socket.data.watches.get(key);
    if (!room) return;
    socket.data.watches.delete(key);
    void socket.leave(room);
    this.pending = this.pending.filter((p) => !(p.socket === socket && p.room === room));
  }

  /** schedule:watch — one provider's clinic-local day. */
  async watchSchedule(socket: RealtimeSocket, raw: unknown, ack: (res: ScheduleWatchAck) => void): Promise<void> {
    const parsed = scheduleWatchSchema.safeParse(raw);
    if (!parsed.success) return ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
    const { providerId, date, since } = parsed.data;
    const { identity } = socket.data;
    if (!isWatchRole(identity.role)) return ack(refusal('forbidden', 'Your role does not see schedules.'));
    if (identity.role === 'clinician' && identity.providerId !== providerId) {
      return ack(refusal('forbidden', 'A clinician sees only their own schedule.'));
    }
    const key = `${providerId}:${date}`;
    this.unwatch(socket, key);
    if (socket.data.watches.size >= MAX_WATCHES_PER_SOCKET) return ack(refusal('too_many_watches', 'Too many schedules watched at once.'));
    const role = identity.role;
    const who = { userId: identity.userId, role };
    await this.start(socket, {
      key,
      room: scheduleRoom(role, providerId, date),
      role,
      since,
      snapshot: async () => (await snapshotFor(this.appKnex, who, providerId, date)).map(scheduleRow),
      replay: (after, upTo) => this.reader.forDay(providerId, date, after, upTo),
      target: () => ({ providerId, day: date }),
    }, ack);
  }

  /** clinic:watch — like schedule:watch, for every provider of one day (front desk only); the watch key is the date. */
  async watchClinicDay(socket: RealtimeSocket, raw: unknown, ack: (res: ClinicWatchAck) => void): Promise<void> {
    const parsed = clinicWatchSchema.safeParse(raw);
    if (!parsed.success) return ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
    const { date, since } = parsed.data;
    const { identity } = socket.data;
    if (identity.role !== 'front_desk') return ack(refusal('forbidden', 'Only the front desk watches the whole clinic day.'));
    this.unwatch(socket, date);
    if (socket.data.watches.size >= MAX_WATCHES_PER_SOCKET) return ack(refusal('too_many_watches', 'Too many schedules watched at once.'));
    const who = { userId: identity.userId, role: 'front_desk' as const };
    await this.start(socket, {
      key: date,
      room: clinicDayRoom(date),
      role: 'front_desk',
      since,
      snapshot: async () => (await clinicDayFor(this.appKnex, who, date)).appointments,
      replay: (after, upTo) => this.reader.forClinicDay(date, after, upTo),
      target: (e) => ({ providerId: e.providerId, day: date }),
    }, ack);
  }

  /**
   * The cursor is read before the snapshot, so the snapshot is at least as new as the
   * cursor: a change between the two is delivered again later, never lost.
   */
  private async start<T>(socket: RealtimeSocket, w: WatchStart<T>, ack: WatchAck<T>): Promise<void> {
    const { userId } = socket.data.identity;
    const { head, prunedThrough } = await this.reader.head();
    let after = w.since ?? head;
    let snapshot: T[] | undefined;
    if (w.since === undefined || w.since < prunedThrough || w.since > head) {
      after = head;
      snapshot = await w.snapshot();
    }
    await this.dispatcher.serial(async () => {
      if (!socket.connected) return;
      const position = this.dispatcher.position;
      // Changes this process has already fanned out beyond `after` come from the outbox.
      const replay = position > after ? await w.replay(after, position) : [];
      // Read as the watcher (their rights, audited): a replay may reach past what clinicpulse_realtime may read.
      const rows = await replayRowsFor(this.appKnex, { userId, role: w.role }, [...new Set(replay.map((e) => e.appointmentId))]);
      socket.data.watches.set(w.key, w.room);
      if (snapshot) ack({ ok: true, appointments: snapshot, cursor: after, snapshot: true });
      for (const e of replay) socket.emit('schedule:changed', scheduleChanged(w.role, e, w.target(e), rows.get(e.appointmentId)));
      if (!snapshot) ack({ ok: true, appointments: [], cursor: Math.max(after, position), snapshot: false });
      if (position >= after) void socket.join(w.room);
      else this.pending.push({ socket, room: w.room, after });
    });
  }

  /** waitlist:watch — the front desk's offers of freed time, replayed from `since` like a schedule. */
  async watchWaitlist(socket: RealtimeSocket, raw: unknown, ack: (res: WaitlistWatchAck) => void): Promise<void> {
    const parsed = waitlistWatchSchema.safeParse(raw);
    if (!parsed.success) return ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
    if (socket.data.identity.role !== 'front_desk') return ack(refusal('forbidden', 'Waitlist offers are for the front desk.'));
    const { since } = parsed.data;
    const { prunedThrough } = await this.reader.head();
    await this.dispatcher.serial(async () => {
      if (!socket.connected) return;
      const position = this.dispatcher.position;
      if (since !== undefined && since >= prunedThrough && since < position) {
        for (const offer of await this.reader.waitlistOffers(since, position)) socket.emit('waitlist:offer', offer);
      }
      void socket.join(WAITLIST_ROOM);
      ack({ ok: true, cursor: Math.max(position, since ?? 0) });
    });
  }
}

/** "s:fd:12:2026-03-02" → "12:2026-03-02" (the key a socket's watches map uses). */
function roomKey(room: string): string {
  return room.split(':').slice(2).join(':');
}
