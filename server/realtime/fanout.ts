/**
 * The fan-out: where one delivered outbox event goes. Schedule rooms per watching role,
 * the front desk's whole-day rooms, a clinician's arrivals, managers' changed months
 * (coalesced to at most one message a second) and, after each batch, the waitlist offers
 * for the time it freed; and the waitlist's doorbell (coalesced to one every 200 ms).
 */
import type { OutboxEvent, OutboxReader } from '../db/repository/outbox.js';
import type { ScheduleAppointment } from '../../shared/events.js';
import {
  arrivalRoom,
  arrived,
  clinicDayRoom,
  ROLE_ROOMS,
  scheduleChanged,
  scheduleRoom,
  touchedDays,
  touchedMonths,
  WAITLIST_ROOM,
  WATCH_ROLES,
  type WatchRole,
} from './shape.js';
import type { DispatchTarget } from './dispatcher.js';
import type { RoomSender } from './room-sender.js';
import type { RealtimeLogger } from './types.js';

export class Fanout implements Omit<DispatchTarget, 'beforeEvent'> {
  private readonly months = new Set<string>();
  private monthsTimer: NodeJS.Timeout | undefined;
  private monthsSentAt = 0;

  private waitlistTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: RoomSender,
    private readonly reader: OutboxReader,
    private readonly log: RealtimeLogger,
  ) {}

  deliver(e: OutboxEvent, row: ScheduleAppointment | undefined): void {
    try {
      this.fanOut(e, row);
    } catch (err) {
      // One event that cannot be shaped must not hold up every later one.
      this.send.drop('shape_failed');
      this.log.error({ err, eventId: e.eventId }, 'realtime: shaping an event failed; skipped');
    }
  }

  private fanOut(e: OutboxEvent, row: ScheduleAppointment | undefined): void {
    const { send } = this;
    for (const target of touchedDays(e)) {
      for (const role of Object.keys(WATCH_ROLES) as WatchRole[]) {
        const room = scheduleRoom(role, target.providerId, target.day);
        if (send.has(room)) send.emit(room, 'schedule:changed', scheduleChanged(role, e, target, row));
      }
    }
    // The front desk's whole-day watchers: once per day the event touches.
    for (const day of new Set(touchedDays(e).map((t) => t.day))) {
      const room = clinicDayRoom(day);
      if (send.has(room)) send.emit(room, 'schedule:changed', scheduleChanged('front_desk', e, { providerId: e.providerId, day }, row));
    }
    const arrival = arrived(e, row);
    if (arrival && send.has(arrivalRoom(arrival.providerId))) send.emit(arrivalRoom(arrival.providerId), 'appointment:arrived', arrival);
    this.noteMonths(touchedMonths(e));
  }

  /**
   * Waitlist offers (front desk) for the time the events in (after, upTo] freed. Run in the
   * dispatcher's queue after the batch's schedule events, so offers follow commit order and a
   * waitlist:watch (also serial) sees each exactly once.
   */
  async afterBatch(after: number, upTo: number, events: number): Promise<void> {
    if (!this.send.has(WAITLIST_ROOM)) return;
    try {
      for (const offer of await this.reader.waitlistOffers(after, upTo)) this.send.emit(WAITLIST_ROOM, 'waitlist:offer', offer);
    } catch (err) {
      this.send.drop('read_failed', events);
      // The schedule events are out; a screen that re-watches with its cursor gets these offers.
      this.log.error({ err }, 'realtime: computing waitlist offers failed');
    }
  }

  /** waitlist:changed: a doorbell, coalesced to at most one every 200 ms; screens re-read the list. */
  waitlistChanged(): void {
    if (!this.send.has(WAITLIST_ROOM)) return;
    this.waitlistTimer ??= setTimeout(() => {
      this.waitlistTimer = undefined;
      this.send.emit(WAITLIST_ROOM, 'waitlist:changed', {});
    }, 200);
  }

  private noteMonths(ms: string[]): void {
    for (const m of ms) this.months.add(m);
    // At most once a second: the first change goes out at once, later ones are coalesced.
    if (!this.monthsTimer) this.monthsTimer = setTimeout(() => this.flushMonths(), Math.max(0, this.monthsSentAt + 1000 - Date.now()));
  }

  private flushMonths(): void {
    this.monthsTimer = undefined;
    this.monthsSentAt = Date.now();
    const list = [...this.months].sort();
    this.months.clear();
    if (list.length) this.send.emit(ROLE_ROOMS.manager, 'analytics:changed', { months: list });
  }

  close(): void {
    if (this.monthsTimer) clearTimeout(this.monthsTimer);
    if (this.waitlistTimer) clearTimeout(this.waitlistTimer);
  }
}
