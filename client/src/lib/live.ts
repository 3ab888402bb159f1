/**
 * The page's side of the live-push contract (shared/events.ts): one socket per signed-in
 * page, WebSocket only, and a connection state in plain words. A dropped connection or a
 * restarted server never signs anyone out: the socket reconnects with back-off, and only
 * when the API itself answers 401 does the page show sign-in (the api client decides).
 * Watches re-watch from their cursor after every reconnect, so the screen catches up on
 * exactly what it missed.
 */
import { signal, type Signal } from '@preact/signals';
import { io, type Socket } from 'socket.io-client';
import { ApiError } from './api.js';
import type {
  AppointmentEventKind,
  ClientToServerEvents,
  ClinicDayAppointment,
  ClinicWatchAck,
  ScheduleChanged,
  ServerToClientEvents,
} from '../../../shared/events.js';

/** What a watch left unanswered while connected says (with Retry): nothing else would ask again. */
export const WATCH_UNANSWERED = 'The server did not answer in time.';

/** A live change in words, as screen readers are told it ("Maria Garcia, 10:00: moved."). */
export const EVENT_WORDS: Record<AppointmentEventKind, string> = {
  booked: 'booked',
  rescheduled: 'moved',
  checked_in: 'checked in',
  cancelled: 'cancelled',
  no_show: 'marked no-show',
  completed: 'completed',
  patient_updated: 'updated',
};

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** After this long without a connection, "Reconnecting…" becomes "Offline — showing data as of …". */
const OFFLINE_AFTER_MS = 6000;

export class LiveConnection {
  readonly socket: LiveSocket;
  readonly state: Signal<ConnectionState> = signal('connecting');
  /** When the screen last knew it was up to date (ms since epoch, by the server's clock: `now`). */
  readonly syncedAt: Signal<number>;
  private readonly days = new Map<string, { watch: ClinicDayWatch; refs: number }>();
  private offlineTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private closed = false;

  /**
   * `checkSession` asks the API whether the session is still valid (it retries while the server is down; a 401 signs out).
   * `now` is the clinic clock (ClinicClock.now: the browser's corrected by the server's), so "data as of" is not off by the browser's error.
   */
  constructor(
    private readonly checkSession: () => Promise<unknown>,
    private readonly now: () => number = Date.now,
  ) {
    this.syncedAt = signal(now());
    this.socket = io({ transports: ['websocket'], withCredentials: true, reconnectionDelayMax: 4000 });
    this.socket.on('connect', () => {
      this.attempts = 0;
      clearTimeout(this.offlineTimer);
      this.offlineTimer = undefined;
      this.state.value = 'live';
      this.touch();
    });
    this.socket.on('disconnect', (reason) => {
      this.lost();
      // The server closed us (its restart, or our session ended): socket.io will not retry by itself.
      if (reason === 'io server disconnect') this.resume();
    });
    // A refused handshake (e.g. 'unauthorized' while the session store was unreachable) is not
    // retried by socket.io either: ask the API, then try again.
    this.socket.on('connect_error', () => {
      this.lost();
      if (!this.socket.active) this.resume();
    });
  }

  /**
   * The shared watch of one clinic day: every part of the page showing that day (the grid,
   * the waiting room) uses the same one, since the server keeps one watch per day per socket.
   * Call the returned release() when done.
   */
  acquireDay(date: string, dobOf: (patientId: number) => Promise<string | undefined>): { watch: ClinicDayWatch; release(): void } {
    let entry = this.days.get(date);
    if (!entry) {
      entry = { watch: new ClinicDayWatch(this, date, dobOf), refs: 0 };
      this.days.set(date, entry);
    }
    entry.refs++;
    const e = entry;
    let released = false;
    return {
      watch: e.watch,
      release: () => {
        if (released) return;
        released = true;
        if (--e.refs === 0) {
          // Later in the same tick a new screen may acquire it again: stop only if still unused.
          queueMicrotask(() => {
            if (e.refs === 0 && this.days.get(date) === e) {
              this.days.delete(date);
              e.watch.stop();
            }
          });
        }
      },
    };
  }

  /** Note that the screen is up to date now. */
  touch(): void {
    if (this.state.value === 'live') this.syncedAt.value = this.now();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.offlineTimer);
    clearTimeout(this.retryTimer);
    this.socket.close();
  }

  private lost(): void {
    // The screen was up to date until this moment: "Offline — showing data as of" says so.
    this.touch();
    if (this.state.value === 'live' || this.state.value === 'connecting') this.state.value = 'reconnecting';
    this.offlineTimer ??= setTimeout(() => {
      if (!this.socket.connected) this.state.value = 'offline';
    }, OFFLINE_AFTER_MS);
  }

  private resume(): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    const delay = Math.min(8000, 500 * 2 ** this.attempts++);
    this.retryTimer = setTimeout(() => {
      void this.checkSession().then(
        () => !this.closed && !this.socket.connected && this.socket.connect(),
        // A 401 already showed sign-in (the page closes this connection); anything else (the
        // server still down after the API client's own retries): try again, with back-off.
        // Nothing else would: the socket is idle and no further disconnect will come.
        (err: unknown) => !(err instanceof ApiError && err.status === 401) && this.resume(),
      );
    }, delay);
  }
}

export type DayRow = ClinicDayAppointment;

/**
 * Every provider's appointments of one clinic day (clinic:watch), equal to the database:
 * a snapshot on the first watch, then changes; after a reconnect only what was missed.
 */
export class ClinicDayWatch {
  readonly rows: Signal<ReadonlyMap<number, DayRow>> = signal(new Map());
  readonly error: Signal<string | undefined> = signal(undefined);
  private cursor: number | undefined;
  private stopped = false;
  private readonly onEvent = (e: ScheduleChanged) => this.apply(e);
  private readonly onConnect = () => void this.watch();

  /** Called for each live change (not for snapshots), after it is applied. */
  readonly listeners = new Set<(e: ScheduleChanged, before: DayRow | undefined, after: DayRow | undefined) => void>();

  constructor(
    private readonly live: LiveConnection,
    readonly date: string,
    /** The date of birth of a patient the snapshot did not include. */
    private readonly dobOf: (patientId: number) => Promise<string | undefined>,
  ) {
    live.socket.on('schedule:changed', this.onEvent);
    live.socket.on('connect', this.onConnect);
    if (live.socket.connected) void this.watch();
  }

  /** Rows from an HTTP load, shown until the watch's snapshot arrives. */
  seed(rows: DayRow[]): void {
    if (this.cursor !== undefined) return;
    this.rows.value = new Map(rows.map((r) => [r.appointmentId, r]));
  }

  stop(): void {
    this.stopped = true;
    this.live.socket.off('schedule:changed', this.onEvent);
    this.live.socket.off('connect', this.onConnect);
    if (this.live.socket.connected) this.live.socket.emit('clinic:unwatch', { date: this.date });
  }

  /** Ask again after a refusal (the screen's Retry); a no-op while disconnected (the next connect re-watches). */
  retry(): void {
    if (this.live.socket.connected) void this.watch();
  }

  private async watch(): Promise<void> {
    const req = { date: this.date, ...(this.cursor !== undefined ? { since: this.cursor } : {}) };
    let ack: ClinicWatchAck;
    try {
      ack = (await this.live.socket.timeout(15_000).emitWithAck('clinic:watch', req)) as ClinicWatchAck;
    } catch {
      // Disconnected meanwhile: the next connect re-watches. Still connected: the server did
      // not answer, and nothing else would ask again, so say so (with Retry).
      if (!this.stopped && this.live.socket.connected) this.error.value = WATCH_UNANSWERED;
      return;
    }
    if (this.stopped) return;
    if (!ack.ok) {
      this.error.value = ack.error.message;
      return;
    }
    this.error.value = undefined;
    if (ack.snapshot) this.rows.value = new Map(ack.appointments.map((r) => [r.appointmentId, r]));
    this.cursor = Math.max(this.cursor ?? 0, ack.cursor);
    this.live.touch();
  }

  private apply(e: ScheduleChanged): void {
    if (e.date !== this.date || this.stopped) return;
    if (this.cursor !== undefined && e.cursor <= this.cursor) return;
    performance.mark('clinicpulse:live-event');
    if (this.cursor !== undefined) this.cursor = e.cursor;
    const a = e.appointment;
    const before = this.rows.value.get(a.appointmentId);
    const next = new Map(this.rows.value);
    let after: DayRow | undefined;
    if ('removed' in a || a.clinicDate !== this.date) {
      next.delete(a.appointmentId);
    } else {
      const known = before?.patientId === a.patientId ? before.patientDob : undefined;
      after = { ...a, patientDob: known ?? '' };
      next.set(a.appointmentId, after);
      if (known === undefined) void this.fillDob(a.appointmentId, a.patientId);
    }
    this.rows.value = next;
    this.live.touch();
    for (const l of this.listeners) l(e, before, after);
  }

  private async fillDob(appointmentId: number, patientId: number): Promise<void> {
    const dob = await this.dobOf(patientId).catch(() => undefined);
    const row = this.rows.value.get(appointmentId);
    if (!dob || !row || row.patientId !== patientId) return;
    const next = new Map(this.rows.value);
    next.set(appointmentId, { ...row, patientDob: dob });
    this.rows.value = next;
  }
}
