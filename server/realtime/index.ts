/**
 * The live-push server: Socket.IO attached to the API's HTTP server, fed by the
 * appointment outbox. One process = one LISTEN connection (listener.ts) + one
 * dispatcher (dispatcher.ts) that reads the outbox after the last event id it
 * delivered, in event-id order, and hands each event to the fan-out (fanout.ts),
 * which sends it to rooms shaped per role (shape.ts). Watches (watches.ts) line up
 * with the dispatcher through its serial queue, so a watcher gets each change after
 * its cursor exactly once: first replayed from the outbox, then live. Sockets
 * (sockets.ts) are authenticated at the handshake and rate-limited; the audit feed
 * (audit-feed.ts) sends compliance the entries the listener announces.
 * This file wires them together and owns the timers and the shutdown.
 * Flow, guarantee and scaling: docs/realtime.md. Contract: shared/events.ts.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from 'socket.io';
import type { Knex } from 'knex';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../shared/events.js';
import { OutboxReader } from '../db/repository/outbox.js';
import { AuditFeed } from './audit-feed.js';
import { endedSessions, type Authenticate } from './auth.js';
import { Dispatcher } from './dispatcher.js';
import { Fanout } from './fanout.js';
import { RoomSender, type DropReason, type SlowConsumerPolicy } from './room-sender.js';
import { startListener, type OutboxListener } from './listener.js';
import { handleSockets } from './sockets.js';
import type { RealtimeLogger, RealtimeServer } from './types.js';
import { WatchRegistry } from './watches.js';

const silent: RealtimeLogger = { info: () => {}, warn: () => {}, error: () => {} };

type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface RealtimeOptions {
  httpServer: HttpServer | HttpsServer;
  /** The service's pool (login clinicpulse_app): outbox reads as clinicpulse_realtime, snapshots as the staff member. */
  appKnex: Knex;
  /** Connection string for the LISTEN connection (any login of the database). */
  listenUrl: string;
  /** Origins allowed to open a socket (the API's ALLOWED_ORIGINS). */
  allowedOrigins: string[];
  /** Resolves a handshake to a staff identity (see auth.ts). */
  authenticate: Authenticate;
  /**
   * Express-style middleware run on every engine request first. Not the API's express-session:
   * it would move the session's idle deadline on every long-polling request.
   */
  engineMiddleware?: EngineMiddleware[];
  /** OUTBOX_RETENTION_DAYS (default 7). */
  retentionDays?: number;
  /** How often open sockets' sessions are re-checked (default 2 s). */
  revalidateMs?: number;
  /** How often the outbox is pruned (default hourly; 0 disables). */
  pruneIntervalMs?: number;
  /** Per-socket message rate: sustained per second and burst (default 20/s, 40). */
  rateLimit?: { perSecond: number; burst: number };
  /** application_name of this process's LISTEN connection. */
  listenerApplicationName?: string;
  /** Paranoid health-check interval of the LISTEN connection (default 5 s). */
  listenerHealthCheckMs?: number;
  /**
   * When a socket counts as too slow (its client stopped reading): default 1000 packets queued
   * unsent and nothing handed to its connection for 5 s. Its next event is dropped and the
   * socket cut off; the client reconnects and resumes from its cursor.
   */
  slowConsumer?: SlowConsumerPolicy;
  logger?: RealtimeLogger;
}

export interface RealtimeStats {
  /** The last outbox event id this process has delivered. */
  position: number;
  /** Times the LISTEN connection has been (re)established. */
  listenerConnects: number;
  /** Events fanned out since start. */
  eventsDispatched: number;
  /** Deliveries that did not happen since start, by reason (see DropReason). */
  eventsDropped: Record<DropReason, number>;
  sockets: number;
  /** Whether the LISTEN connection is up now. */
  listenerUp: boolean;
  /** When the last NOTIFY arrived (ms since epoch; 0: none yet). */
  lastNotificationAt: number;
}

export interface Realtime {
  io: RealtimeServer;
  stats(): RealtimeStats;
  /** Wake the dispatcher now (it also wakes on NOTIFY, on reconnect, and every few seconds). */
  poke(): void;
  /** Disconnect every socket, stop the listener and timers. The HTTP server stays up: its owner closes it. */
  close(): Promise<void>;
}

/** Start the listener and attach Socket.IO to `httpServer`. Resolves once LISTEN is in place. */
export async function startRealtime(opts: RealtimeOptions): Promise<Realtime> {
  const log = opts.logger ?? silent;
  const reader = new OutboxReader(opts.appKnex);
  const allowed = new Set(opts.allowedOrigins);

  const io: RealtimeServer = new Server(opts.httpServer, {
    serveClient: false,
    maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
    cors: { origin: [...allowed], credentials: true },
    // Browsers always send Origin on a WebSocket handshake and on cross-origin requests;
    // a same-origin polling GET may omit it, and then Sec-Fetch-Site vouches instead.
    allowRequest: (req, cb) => {
      const origin = req.headers.origin;
      cb(null, origin ? allowed.has(origin) : req.headers['sec-fetch-site'] === 'same-origin');
    },
  });
  for (const mw of opts.engineMiddleware ?? []) io.engine.use(mw);

  const send = new RoomSender(io, opts.slowConsumer ?? { maxQueuedPackets: 1000, stalledMs: 5000 }, log);
  const fanout = new Fanout(send, reader, log);
  const dispatcher: Dispatcher = new Dispatcher(
    reader,
    (await reader.head()).head,
    {
      beforeEvent: (eventId) => watches.joinPendingBefore(eventId),
      deliver: (e, row) => fanout.deliver(e, row),
      afterBatch: (after, upTo, events) => fanout.afterBatch(after, upTo, events),
    },
    log,
  );
  const watches = new WatchRegistry(opts.appKnex, reader, dispatcher);
  const auditFeed = new AuditFeed(send, opts.appKnex, log);
  handleSockets(io, { authenticate: opts.authenticate, rate: opts.rateLimit ?? { perSecond: 20, burst: 40 }, watches, log });
  const wake = () => dispatcher.wake();

  // ----- session re-validation, pruning, safety wake-ups --------------------------------------
  let revalidating = false;
  const revalidate = async () => {
    if (revalidating) return;
    revalidating = true;
    try {
      const sockets = [...io.of('/').sockets.values()].filter((s) => s.data.identity);
      if (sockets.length === 0) return;
      const ended = await endedSessions(opts.appKnex, sockets.map((s) => s.data.identity));
      for (const s of sockets) if (ended.has(s.data.identity.sessionId)) s.disconnect(true);
    } catch (err) {
      log.error({ err }, 'realtime: session re-validation failed');
    } finally {
      revalidating = false;
    }
  };
  const revalidateTimer = setInterval(() => void revalidate(), opts.revalidateMs ?? 2000);
  const safetyTimer = setInterval(wake, 10_000);
  const prune = () =>
    reader
      .prune(opts.retentionDays ?? 7)
      .then((n) => n && log.info({ events: n }, 'realtime: pruned old outbox events'))
      .catch((err: unknown) => log.error({ err }, 'realtime: pruning the outbox failed'));
  const pruneEvery = opts.pruneIntervalMs ?? 3_600_000;
  const pruneTimer = pruneEvery > 0 ? setInterval(() => void prune(), pruneEvery) : undefined;
  if (pruneEvery > 0) void prune();
  for (const t of [revalidateTimer, safetyTimer, pruneTimer]) t?.unref();

  let listener: OutboxListener;
  try {
    listener = await startListener({
      connectionString: opts.listenUrl,
      applicationName: opts.listenerApplicationName,
      healthCheckMs: opts.listenerHealthCheckMs,
      onConnected: () => {
        log.info({ position: dispatcher.position }, 'realtime: listening; catching up from the outbox');
        wake();
      },
      onOutbox: () => wake(),
      onAudit: (id) => auditFeed.note(id),
      onWaitlist: () => fanout.waitlistChanged(),
      onError: (err) => log.warn({ err }, 'realtime: listener error'),
      onReconnecting: (attempt) => log.warn({ attempt }, 'realtime: listener reconnecting'),
    });
  } catch (err) {
    clearInterval(revalidateTimer);
    clearInterval(safetyTimer);
    if (pruneTimer) clearInterval(pruneTimer);
    throw err;
  }

  let closed = false;
  return {
    io,
    stats: () => ({
      position: dispatcher.position,
      listenerConnects: listener.connects,
      eventsDispatched: dispatcher.eventsDispatched,
      eventsDropped: { ...send.dropped },
      sockets: io.of('/').sockets.size,
      listenerUp: listener.up,
      lastNotificationAt: listener.lastNotificationAt,
    }),
    poke: wake,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of [revalidateTimer, safetyTimer, pruneTimer]) if (t) clearInterval(t);
      dispatcher.stop();
      fanout.close();
      auditFeed.close();
      io.disconnectSockets(true);
      await listener.close().catch(() => undefined);
      // Let an outbox read in flight finish, but never hold a shutdown on a database that hangs.
      await dispatcher.settled();
      // Not io.close(): that would also close the HTTP server, whose owner drains it gracefully.
      io.engine.close();
    },
  };
}

export type { SocketIdentity, Authenticate } from './auth.js';
export type { RealtimeLogger, RealtimeServer, SocketData } from './types.js';
export { DROP_REASONS, type DropReason } from './room-sender.js';
