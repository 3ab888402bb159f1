/**
 * The dispatcher: one serial queue per process that reads the outbox after the last event
 * id it delivered, in event-id order, and hands each event to the fan-out. Everything that
 * moves the delivery position, and every watch that must line up with it, runs through
 * `serial`, so a watcher gets each change after its cursor exactly once.
 */
import type { OutboxEvent, OutboxReader } from '../db/repository/outbox.js';
import type { ScheduleAppointment } from '../../shared/events.js';
import type { RealtimeLogger } from './types.js';

export interface DispatchTarget {
  /** Called before event `eventId` is delivered (watches registered ahead of the dispatcher join here). */
  beforeEvent(eventId: number): void;
  deliver(e: OutboxEvent, row: ScheduleAppointment | undefined): void;
  /** Called after each batch of `events` events (after, upTo] is delivered, still inside the queue. */
  afterBatch(after: number, upTo: number, events: number): Promise<void>;
}

export class Dispatcher {
  private queue: Promise<unknown> = Promise.resolve();
  private wakeQueued = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private delivered = 0;

  constructor(
    private readonly reader: OutboxReader,
    private at: number,
    private readonly target: DispatchTarget,
    private readonly log: RealtimeLogger,
  ) {}

  /** The last outbox event id delivered. */
  get position(): number {
    return this.at;
  }

  get eventsDispatched(): number {
    return this.delivered;
  }

  /** Run `work` after everything queued before it; a failure does not stop later work. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Read the outbox now (coalesced: at most one wake-up waits in the queue); retried after a failure. */
  wake(): void {
    if (this.closed || this.wakeQueued) return;
    this.wakeQueued = true;
    this.serial(async () => {
      this.wakeQueued = false;
      if (!this.closed) await this.drain();
    }).catch((err: unknown) => {
      this.log.error({ err }, 'realtime: reading the outbox failed; retrying');
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        this.wake();
      }, 1000);
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const { events, rows } = await this.reader.afterWithRows(this.at, 500);
      if (events.length === 0) return;
      const from = this.at;
      for (const e of events) {
        this.target.beforeEvent(e.eventId);
        this.target.deliver(e, rows.get(e.appointmentId));
        this.at = e.eventId;
        this.delivered++;
      }
      await this.target.afterBatch(from, this.at, events.length);
    }
  }

  /** Stop waking up (and retrying). */
  stop(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** Let an outbox read in flight finish, but never hold a shutdown on a database that hangs (5 s at most). */
  async settled(): Promise<void> {
    await Promise.race([this.queue, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }
}
