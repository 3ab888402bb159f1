/**
 * One provider's day (schedule:watch), kept equal to the database: a snapshot, then live
 * changes, and after every reconnect only what was missed, from its cursor. Used by the
 * clinician's screen; the front desk's grid watches the whole clinic day (live.ts).
 */
import type {
  ScheduleAppointment,
  ScheduleChanged,
  ScheduleWatchAck,
} from '../../../shared/events.js';
import { WATCH_UNANSWERED, type LiveSocket } from './live.js';

export type { LiveSocket };

export type WatchState = 'loading' | 'live' | 'resumed' | 'snapshot' | 'offline' | 'refused';

/** One provider's clinic-local day, kept equal to the database by snapshot + cursor + live changes. */
export class ScheduleWatch {
  readonly rows = new Map<number, ScheduleAppointment>();
  cursor: number | undefined;
  state: WatchState = 'loading';
  /** Why live updates of this day stopped while connected (a refusal, or no answer); undefined while they flow. */
  error: string | undefined;
  private stopped = false;
  private readonly onEvent = (e: ScheduleChanged) => this.apply(e);
  private readonly onConnect = () => void this.watch();
  private readonly onDisconnect = () => this.set('offline');

  constructor(
    private readonly socket: LiveSocket,
    readonly providerId: number,
    readonly date: string,
    private readonly changed: (w: ScheduleWatch, e?: ScheduleChanged) => void,
  ) {
    socket.on('schedule:changed', this.onEvent);
    socket.on('connect', this.onConnect);
    socket.on('disconnect', this.onDisconnect);
    if (socket.connected) void this.watch();
  }

  /** Appointments of the day in time order. */
  list(): ScheduleAppointment[] {
    return [...this.rows.values()].sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt));
  }

  stop(): void {
    this.stopped = true;
    this.socket.off('schedule:changed', this.onEvent);
    this.socket.off('connect', this.onConnect);
    this.socket.off('disconnect', this.onDisconnect);
    if (this.socket.connected) this.socket.emit('schedule:unwatch', { providerId: this.providerId, date: this.date });
  }

  /** Ask again after a refusal or an unanswered watch (the screen's Retry); a no-op while disconnected (the next connect re-watches). */
  retry(): void {
    if (this.socket.connected) void this.watch();
  }

  private set(state: WatchState, error?: string): void {
    if (this.stopped) return;
    this.state = state;
    this.error = error;
    this.changed(this);
  }

  private async watch(): Promise<void> {
    const req = { providerId: this.providerId, date: this.date, ...(this.cursor !== undefined ? { since: this.cursor } : {}) };
    let ack: ScheduleWatchAck;
    try {
      ack = (await this.socket.timeout(15_000).emitWithAck('schedule:watch', req)) as ScheduleWatchAck;
    } catch {
      // Disconnected meanwhile: the next connect re-watches. Still connected: the server did not
      // answer, and nothing else would ask again, so say so (the screen offers Retry).
      return this.set('offline', this.socket.connected ? WATCH_UNANSWERED : undefined);
    }
    if (!ack.ok) return this.set('refused', ack.error.message);
    if (ack.snapshot) {
      this.rows.clear();
      for (const a of ack.appointments) this.rows.set(a.appointmentId, a);
    }
    this.cursor = Math.max(this.cursor ?? 0, ack.cursor);
    // A resumed watch already received its missed changes, in order, before this ack.
    this.set(ack.snapshot ? (req.since !== undefined ? 'snapshot' : 'live') : 'resumed');
  }

  private apply(e: ScheduleChanged): void {
    if (e.providerId !== this.providerId || e.date !== this.date) return;
    if (this.cursor !== undefined && e.cursor <= this.cursor) return;
    this.cursor = e.cursor;
    const a = e.appointment;
    if ('removed' in a || a.status === 'cancelled' || a.providerId !== this.providerId || a.clinicDate !== this.date) {
      this.rows.delete(a.appointmentId);
    } else {
      this.rows.set(a.appointmentId, a);
    }
    this.changed(this, e);
  }
}
