/**
 * Sending to a room, minding each member first, and counting what could not be delivered.
 * Socket.IO silently discards a packet for a closing connection, and would queue without
 * bound for a client that stopped reading; both are counted here (the metric
 * realtime_events_dropped_total{reason}), and a slow consumer is cut off so that it
 * reconnects and resumes from its cursor.
 */
import type { ServerToClientEvents } from '../../shared/events.js';
import type { RealtimeLogger, RealtimeServer } from './types.js';

/**
 * Why a delivery did not happen: `slow_consumer` — the socket had `maxQueuedPackets` unsent
 * (it is cut off and resumes from its cursor; the event and those queued count); `disconnected`
 * — the socket's connection was already closing; `shape_failed` — the event could not be
 * turned into payloads (it is skipped so the feed keeps moving); `read_failed` — waitlist
 * offers or audit entries that follow events could not be read.
 */
export type DropReason = 'slow_consumer' | 'disconnected' | 'shape_failed' | 'read_failed';
export const DROP_REASONS: readonly DropReason[] = ['slow_consumer', 'disconnected', 'shape_failed', 'read_failed'];

export interface SlowConsumerPolicy {
  /** Unsent packets queued for one socket … */
  maxQueuedPackets: number;
  /** … with nothing handed to its connection for this long (a burst queues too, but drains at once). */
  stalledMs: number;
}

export class RoomSender {
  readonly dropped: Record<DropReason, number> = { slow_consumer: 0, disconnected: 0, shape_failed: 0, read_failed: 0 };

  constructor(
    private readonly io: RealtimeServer,
    private readonly slow: SlowConsumerPolicy,
    private readonly log: RealtimeLogger,
  ) {}

  /** Whether anyone is in `room` on this process. */
  has(room: string): boolean {
    return this.io.of('/').adapter.rooms.has(room);
  }

  /** io.to(room).emit, after counting members whose connection is closing and cutting off stalled ones. */
  emit<E extends keyof ServerToClientEvents>(room: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    const members = this.io.of('/').adapter.rooms.get(room);
    if (!members) return;
    for (const id of members) {
      const socket = this.io.of('/').sockets.get(id);
      const conn = socket?.conn as unknown as { readyState: string; writeBuffer: unknown[] } | undefined;
      if (!socket || !conn) continue;
      if (conn.readyState !== 'open') this.dropped.disconnected++;
      else if (conn.writeBuffer.length >= this.slow.maxQueuedPackets && performance.now() - socket.data.flushedAt >= this.slow.stalledMs) {
        this.dropped.slow_consumer += 1 + conn.writeBuffer.length;
        this.log.warn({ queued: conn.writeBuffer.length }, 'realtime: a socket fell behind; disconnecting it (it resumes from its cursor)');
        socket.disconnect(true);
      }
    }
    this.io.to(room).emit(event, ...args);
  }

  drop(reason: DropReason, n = 1): void {
    this.dropped[reason] += n;
  }
}
