/**
 * The live-push server: Socket.IO attached to the API's HTTP server, fed by the
 * appointment outbox. One process = one LISTEN connection (listener.ts) + one
 * dispatcher that reads the outbox after the last event id it delivered, in
 * event-id order, and fans each event out to rooms shaped per role (shape.ts).
 *
 * Everything that moves the delivery position, and every watch that must line
 * up with it, runs through one serial queue, so a watcher gets each change after
 * its cursor exactly once: first replayed from the outbox, then live.
 * Flow, guarantee and scaling: docs/realtime.md. Contract: shared/events.ts.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Knex } from 'knex';
import { asStaff } from '../db/index.js';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  MAX_WATCHES_PER_SOCKET,
  clinicUnwatchSchema,
  clinicWatchSchema,
  scheduleUnwatchSchema,
  scheduleWatchSchema,
  waitlistWatchSchema,
  type ClinicWatchAck,
  type AuditAppended,
  type ClientToServerEvents,
  type ScheduleAppointment,
  type ScheduleWatchAck,
  type ServerToClientEvents,
  type WaitlistWatchAck,
  type WatchError,
} from '../../shared/events.js';
import { endedSessions, type Authenticate, type SocketIdentity } from './auth.js';
import { startListener, type OutboxListener } from './listener.js';
import { OutboxReader, type OutboxEvent } from './outbox.js';
import { clinicDayFor, replayRowsFor, snapshotFor } from './staff-reads.js';
import {
  arrivalRoom,
  arrived,
  clinicDayRoom,
  isWatchRole,
  ROLE_ROOMS,
  scheduleChanged,
  scheduleRoom,
  scheduleRow,
  touchedDays,
  touchedMonths,
  WATCH_ROLES,
  type WatchRole,
} from './shape.js';

export interface RealtimeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

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
   * When a socket counts as too slow (its client stopped reading): `maxQueuedPackets` queued
   * unsent and nothing handed to its connection for `stalledMs` (default 1000 packets, 5 s; a
   * burst sent in one go queues too, but drains at once). Its next event is dropped and the
   * socket cut off; the client reconnects and resumes from its cursor.
   */
  slowConsumer?: { maxQueuedPackets: number; stalledMs: number };
  logger?: RealtimeLogger;
}

export interface SocketData {
  identity: SocketIdentity;
  /** key "providerId:date" → the watch's room. */
  watches: Map<string, string>;
  tokens: number;
  refilledAt: number;
  violations: number;
  /** When its connection last took queued packets (performance.now()). */
  flushedAt: number;
}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

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

/**
 * Why a delivery did not happen: `slow_consumer` — the socket had `maxQueuedPackets` unsent
 * (it is cut off and resumes from its cursor; the event and those queued count); `disconnected`
 * — the socket's connection was already closing; `shape_failed` — the event could not be
 * turned into payloads (it is skipped so the feed keeps moving); `read_failed` — waitlist
 * offers or audit entries that follow events could not be read.
 */
export type DropReason = 'slow_consumer' | 'disconnected' | 'shape_failed' | 'read_failed';
export const DROP_REASONS: readonly DropReason[] = ['slow_consumer', 'disconnected', 'shape_failed', 'read_failed'];

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
  const rate = opts.rateLimit ?? { perSecond: 20, burst: 40 };
  let closed = false;

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

  // ----- the serial queue and the dispatcher ------------------------------------------------
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  let position = (await reader.head()).head;
  let eventsDispatched = 0;
  const eventsDropped: Record<DropReason, number> = { slow_consumer: 0, disconnected: 0, shape_failed: 0, read_failed: 0 };
  const slow = opts.slowConsumer ?? { maxQueuedPackets: 1000, stalledMs: 5000 };
  let wakeQueued = false;
  let retryTimer: NodeJS.Timeout | undefined;
  /** Watches registered ahead of the dispatcher: they join their room just before event `after` + 1. */
  let pending: { socket: RealtimeSocket; room: string; after: number }[] = [];

  const joinPendingBefore = (eventId: number) => {
    if (pending.length === 0) return;
    const still: typeof pending = [];
    for (const p of pending) {
      if (p.after < eventId) {
        if (p.socket.connected && p.socket.data.watches.has(roomKey(p.room))) p.socket.join(p.room);
      } else still.push(p);
    }
    pending = still;
  };

  const months = new Set<string>();
  let monthsTimer: NodeJS.Timeout | undefined;
  let monthsSentAt = 0;
  const flushMonths = () => {
    monthsTimer = undefined;
    monthsSentAt = Date.now();
    const list = [...months].sort();
    months.clear();
    if (list.length) emitTo(ROLE_ROOMS.manager, 'analytics:changed', { months: list });
  };
  const noteMonths = (ms: string[]) => {
    for (const m of ms) months.add(m);
    // At most once a second: the first change goes out at once, later ones are coalesced.
    if (!monthsTimer) monthsTimer = setTimeout(flushMonths, Math.max(0, monthsSentAt + 1000 - Date.now()));
  };

  const rooms = () => io.of('/').adapter.rooms;
  /**
   * io.to(room).emit, minding each member first: Socket.IO silently discards a packet for a
   * closing connection, and would queue without bound for a client that stops reading.
   */
  const emitTo = <E extends keyof ServerToClientEvents>(room: string, event: E, ...args: Parameters<ServerToClientEvents[E]>) => {
    const members = rooms().get(room);
    if (!members) return;
    for (const id of members) {
      const socket = io.of('/').sockets.get(id);
      const conn = socket?.conn as unknown as { readyState: string; writeBuffer: unknown[] } | undefined;
      if (!socket || !conn) continue;
      if (conn.readyState !== 'open') eventsDropped.disconnected++;
      else if (conn.writeBuffer.length >= slow.maxQueuedPackets && performance.now() - socket.data.flushedAt >= slow.stalledMs) {
        eventsDropped.slow_consumer += 1 + conn.writeBuffer.length;
        log.warn({ queued: conn.writeBuffer.length }, 'realtime: a socket fell behind; disconnecting it (it resumes from its cursor)');
        socket.disconnect(true);
      }
    }
    io.to(room).emit(event, ...args);
  };
  const deliver = (e: OutboxEvent, row: ScheduleAppointment | undefined) => {
    for (const target of touchedDays(e)) {
      for (const role of Object.keys(WATCH_ROLES) as WatchRole[]) {
        const room = scheduleRoom(role, target.providerId, target.day);
        if (rooms().has(room)) emitTo(room, 'schedule:changed', scheduleChanged(role, e, target, row));
      }
    }
    // The front desk's whole-day watchers: once per day the event touches.
    for (const day of new Set(touchedDays(e).map((t) => t.day))) {
      const room = clinicDayRoom(day);
      if (rooms().has(room)) emitTo(room, 'schedule:changed', scheduleChanged('front_desk', e, { providerId: e.providerId, day }, row));
    }
    const arrival = arrived(e, row);
    if (arrival && rooms().has(arrivalRoom(arrival.providerId))) {
      emitTo(arrivalRoom(arrival.providerId), 'appointment:arrived', arrival);
    }
    noteMonths(touchedMonths(e));
  };

  const drain = async () => {
    for (;;) {
      const { events, rows } = await reader.afterWithRows(position, 500);
      if (events.length === 0) return;
      const from = position;
      for (const e of events) {
        joinPendingBefore(e.eventId);
        try {
          deliver(e, rows.get(e.appointmentId));
        } catch (err) {
          // One event that cannot be shaped must not hold up every later one.
          eventsDropped.shape_failed++;
          log.error({ err, eventId: e.eventId }, 'realtime: shaping an event failed; skipped');
        }
        position = e.eventId;
        eventsDispatched++;
      }
      await offerFreedSlots(from, position, events.length);
    }
  };

  // ----- waitlist offers (front desk), from the same outbox --------------------------------
  // Computed in the dispatcher's serial queue, after the batch's schedule events, so offers
  // follow commit order and a waitlist:watch (also serial) sees each exactly once.
  const offerFreedSlots = async (after: number, upTo: number, events: number) => {
    if (!rooms().has(WAITLIST_ROOM)) return;
    try {
      for (const offer of await reader.waitlistOffers(after, upTo)) emitTo(WAITLIST_ROOM, 'waitlist:offer', offer);
    } catch (err) {
      eventsDropped.read_failed += events;
      // The schedule events are out; a screen that re-watches with its cursor gets these offers.
      log.error({ err }, 'realtime: computing waitlist offers failed');
    }
  };

  const watchWaitlist = async (socket: RealtimeSocket, raw: unknown, ack: (res: WaitlistWatchAck) => void) => {
    const parsed = waitlistWatchSchema.safeParse(raw);
    if (!parsed.success) return ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
    if (socket.data.identity.role !== 'front_desk') return ack(refusal('forbidden', 'Waitlist offers are for the front desk.'));
    const { since } = parsed.data;
    const { prunedThrough } = await reader.head();
    await serial(async () => {
      if (!socket.connected) return;
      if (since !== undefined && since >= prunedThrough && since < position) {
        for (const offer of await reader.waitlistOffers(since, position)) socket.emit('waitlist:offer', offer);
      }
      socket.join(WAITLIST_ROOM);
      ack({ ok: true, cursor: Math.max(position, since ?? 0) });
    });
  };

  // waitlist:changed: a doorbell, coalesced to at most one every 200 ms; screens re-read the list.
  let waitlistTimer: NodeJS.Timeout | undefined;
  const onWaitlist = () => {
    if (!rooms().has(WAITLIST_ROOM)) return;
    waitlistTimer ??= setTimeout(() => {
      waitlistTimer = undefined;
      io.to(WAITLIST_ROOM).emit('waitlist:changed', {});
    }, 200);
  };

  const wake = () => {
    if (closed || wakeQueued) return;
    wakeQueued = true;
    serial(async () => {
      wakeQueued = false;
      if (!closed) await drain();
    }).catch((err) => {
      log.error({ err }, 'realtime: reading the outbox failed; retrying');
      retryTimer ??= setTimeout(() => {
        retryTimer = undefined;
        wake();
      }, 1000);
    });
  };

  // ----- audit entries for compliance -------------------------------------------------------
  let auditIds: number[] = [];
  let auditTimer: NodeJS.Timeout | undefined;
  const flushAudit = async () => {
    auditTimer = undefined;
    const ids = auditIds;
    auditIds = [];
    // Read as one of the compliance users connected here: the audit log's own grants decide.
    const officer = [...io.of('/').sockets.values()].find((s) => s.data.identity?.role === 'compliance');
    if (!officer || ids.length === 0) return;
    const { userId } = officer.data.identity;
    const { rows } = await asStaff(opts.appKnex, { userId, role: 'compliance' }, (trx) =>
      trx.raw<{ rows: { audit_id: number; action: string; table_name: string | null; actor_role: string; at: Date }[] }>(
        'SELECT audit_id, action, table_name, actor_role, at FROM audit_log WHERE audit_id = ANY (?::bigint[]) ORDER BY audit_id',
        [ids],
      ),
    { readOnly: true });
    for (const r of rows) {
      const entry: AuditAppended = { auditId: r.audit_id, action: r.action, table: r.table_name, actorRole: r.actor_role, at: r.at.toISOString() };
      emitTo(ROLE_ROOMS.compliance, 'audit:appended', entry);
    }
  };
  const onAudit = (id: number) => {
    if (!rooms().has(ROLE_ROOMS.compliance)) return;
    auditIds.push(id);
    auditTimer ??= setTimeout(() => {
      const ids = auditIds.length;
      void flushAudit().catch((err) => {
        eventsDropped.read_failed += ids;
        log.error({ err }, 'realtime: reading audit entries failed');
      });
    }, 25);
  };

  // ----- sockets ------------------------------------------------------------------------------
  io.use(async (socket, next) => {
    try {
      const identity = await opts.authenticate(socket.request);
      if (!identity) return next(new Error('unauthorized'));
      socket.data.identity = identity;
      socket.data.watches = new Map();
      socket.data.tokens = rate.burst;
      socket.data.refilledAt = Date.now();
      socket.data.violations = 0;
      socket.data.flushedAt = performance.now();
      socket.conn.on('flush', () => (socket.data.flushedAt = performance.now()));
      next();
    } catch (err) {
      log.error({ err }, 'realtime: handshake authentication failed');
      next(new Error('unavailable'));
    }
  });

  io.on('connection', (socket) => {
    const { identity } = socket.data;
    if (identity.role === 'clinician' && identity.providerId !== null) socket.join(arrivalRoom(identity.providerId));
    if (identity.role === 'manager') socket.join(ROLE_ROOMS.manager);
    if (identity.role === 'compliance') socket.join(ROLE_ROOMS.compliance);

    // Token bucket per socket; a refused message is answered (if it has an ack) and dropped.
    socket.use(([, ...args], next) => {
      const d = socket.data;
      const now = Date.now();
      d.tokens = Math.min(rate.burst, d.tokens + ((now - d.refilledAt) / 1000) * rate.perSecond);
      d.refilledAt = now;
      if (d.tokens >= 1) {
        d.tokens -= 1;
        return next();
      }
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack(refusal('rate_limited', 'Too many messages; slow down.'));
      if (++d.violations > 50) socket.disconnect(true);
    });

    socket.on('schedule:watch', (raw, ack) => {
      if (typeof ack !== 'function') return;
      void watch(socket, raw, ack).catch((err) => {
        log.error({ err }, 'realtime: schedule:watch failed');
        ack(refusal('unavailable', 'The schedule could not be loaded; retry.'));
      });
    });

    socket.on('waitlist:watch', (raw, ack) => {
      if (typeof ack !== 'function') return;
      void watchWaitlist(socket, raw, ack).catch((err) => {
        log.error({ err }, 'realtime: waitlist:watch failed');
        ack(refusal('unavailable', 'The waitlist could not be loaded; retry.'));
      });
    });

    socket.on('schedule:unwatch', (raw, ack) => {
      const parsed = scheduleUnwatchSchema.safeParse(raw);
      if (!parsed.success) {
        if (typeof ack === 'function') ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
        return;
      }
      unwatch(socket, `${parsed.data.providerId}:${parsed.data.date}`);
      if (typeof ack === 'function') ack({ ok: true });
    });

    socket.on('clinic:watch', (raw, ack) => {
      if (typeof ack !== 'function') return;
      void watchClinicDay(socket, raw, ack).catch((err) => {
        log.error({ err }, 'realtime: clinic:watch failed');
        ack(refusal('unavailable', 'The day could not be loaded; retry.'));
      });
    });

    socket.on('clinic:unwatch', (raw, ack) => {
      const parsed = clinicUnwatchSchema.safeParse(raw);
      if (!parsed.success) {
        if (typeof ack === 'function') ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
        return;
      }
      unwatch(socket, parsed.data.date);
      if (typeof ack === 'function') ack({ ok: true });
    });

    socket.on('disconnect', () => {
      pending = pending.filter((p) => p.socket !== socket);
    });
  });

  const unwatch = (socket: RealtimeSocket, key: string) => {
    const room = socket.data.watches.get(key);
    if (!room) return;
    socket.data.watches.delete(key);
    socket.leave(room);
    pending = pending.filter((p) => !(p.socket === socket && p.room === room));
  };

  const watch = async (socket: RealtimeSocket, raw: unknown, ack: (res: ScheduleWatchAck) => void) => {
    const parsed = scheduleWatchSchema.safeParse(raw);
    if (!parsed.success) return ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
    const { providerId, date, since } = parsed.data;
    const { identity } = socket.data;
    if (!isWatchRole(identity.role)) return ack(refusal('forbidden', 'Your role does not see schedules.'));
    if (identity.role === 'clinician' && identity.providerId !== providerId) {
      return ack(refusal('forbidden', 'A clinician sees only their own schedule.'));
    }
    const key = `${providerId}:${date}`;
    unwatch(socket, key);
    if (socket.data.watches.size >= MAX_WATCHES_PER_SOCKET) return ack(refusal('too_many_watches', 'Too many schedules watched at once.'));
    const room = scheduleRoom(identity.role, providerId, date);
    const role = identity.role;

    // The cursor is read before the snapshot, so the snapshot is at least as new as the
    // cursor: a change between the two is delivered again later, never lost.
    const { head, prunedThrough } = await reader.head();
    let after = since ?? head;
    let snapshot: ScheduleAppointment[] | undefined;
    if (since === undefined || since < prunedThrough || since > head) {
      after = head;
      const rows = await snapshotFor(opts.appKnex, { userId: identity.userId, role }, providerId, date);
      snapshot = rows.map(scheduleRow);
    }

    await serial(async () => {
      if (!socket.connected) return;
      // Changes this process has already fanned out beyond `after` come from the outbox.
      const replay = position > after ? await reader.forDay(providerId, date, after, position) : [];
      // Read as the watcher (their rights, audited): a replay may reach past what clinicpulse_realtime may read.
      const rows = await replayRowsFor(opts.appKnex, { userId: identity.userId, role }, [...new Set(replay.map((e) => e.appointmentId))]);
      const cursor = Math.max(after, position);
      socket.data.watches.set(key, room);
      if (snapshot) ack({ ok: true, appointments: snapshot, cursor: after, snapshot: true });
      for (const e of replay) socket.emit('schedule:changed', scheduleChanged(role, e, { providerId, day: date }, rows.get(e.appointmentId)));
      if (!snapshot) ack({ ok: true, appointments: [], cursor, snapshot: false });
      if (position >= after) socket.join(room);
      else pending.push({ socket, room, after });
    });
  };

  /** clinic:watch — like `watch`, for every provider of one day (front desk only); the watch key is the date. */
  const watchClinicDay = async (socket: RealtimeSocket, raw: unknown, ack: (res: ClinicWatchAck) => void) => {
    const parsed = clinicWatchSchema.safeParse(raw);
    if (!parsed.success) return ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
    const { date, since } = parsed.data;
    const { identity } = socket.data;
    if (identity.role !== 'front_desk') return ack(refusal('forbidden', 'Only the front desk watches the whole clinic day.'));
    unwatch(socket, date);
    if (socket.data.watches.size >= MAX_WATCHES_PER_SOCKET) return ack(refusal('too_many_watches', 'Too many schedules watched at once.'));
    const room = clinicDayRoom(date);
    const { head, prunedThrough } = await reader.head();
    let after = since ?? head;
    let snapshot: ClinicWatchAck & { ok: true } | undefined;
    if (since === undefined || since < prunedThrough || since > head) {
      after = head;
      const day = await clinicDayFor(opts.appKnex, { userId: identity.userId, role: 'front_desk' }, date);
      snapshot = { ok: true, appointments: day.appointments, cursor: after, snapshot: true };
    }
    await serial(async () => {
      if (!socket.connected) return;
      const replay = position > after ? await reader.forClinicDay(date, after, position) : [];
      // Read as the watcher (their rights, audited), like a schedule watch's replay.
      const rows = await replayRowsFor(opts.appKnex, { userId: identity.userId, role: 'front_desk' }, [...new Set(replay.map((e) => e.appointmentId))]);
      socket.data.watches.set(date, room);
      if (snapshot) ack(snapshot);
      for (const e of replay) socket.emit('schedule:changed', scheduleChanged('front_desk', e, { providerId: e.providerId, day: date }, rows.get(e.appointmentId)));
      if (!snapshot) ack({ ok: true, appointments: [], cursor: Math.max(after, position), snapshot: false });
      if (position >= after) socket.join(room);
      else pending.push({ socket, room, after });
    });
  };

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
      .catch((err) => log.error({ err }, 'realtime: pruning the outbox failed'));
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
        log.info({ position }, 'realtime: listening; catching up from the outbox');
        wake();
      },
      onOutbox: () => wake(),
      onAudit,
      onWaitlist,
      onError: (err) => log.warn({ err }, 'realtime: listener error'),
      onReconnecting: (attempt) => log.warn({ attempt }, 'realtime: listener reconnecting'),
    });
  } catch (err) {
    clearInterval(revalidateTimer);
    clearInterval(safetyTimer);
    if (pruneTimer) clearInterval(pruneTimer);
    throw err;
  }

  return {
    io,
    stats: () => ({
      position,
      listenerConnects: listener.connects,
      eventsDispatched,
      eventsDropped: { ...eventsDropped },
      sockets: io.of('/').sockets.size,
      listenerUp: listener.up,
      lastNotificationAt: listener.lastNotificationAt,
    }),
    poke: wake,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of [revalidateTimer, safetyTimer, pruneTimer]) if (t) clearInterval(t);
      if (retryTimer) clearTimeout(retryTimer);
      if (monthsTimer) clearTimeout(monthsTimer);
      if (auditTimer) clearTimeout(auditTimer);
      if (waitlistTimer) clearTimeout(waitlistTimer);
      io.disconnectSockets(true);
      await listener.close().catch(() => undefined);
      // Let an outbox read in flight finish, but never hold a shutdown on a database that hangs.
      await Promise.race([queue, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      // Not io.close(): that would also close the HTTP server, whose owner drains it gracefully.
      io.engine.close();
    },
  };
}

/** Front-desk screens that asked for waitlist offers (waitlist:watch). */
const WAITLIST_ROOM = 'waitlist:front_desk';

function refusal(code: WatchError['code'], message: string): { ok: false; error: WatchError } {
  return { ok: false, error: { code, message } };
}

/** "s:fd:12:2026-03-02" → "12:2026-03-02" (the key a socket's watches map uses). */
function roomKey(room: string): string {
  return room.split(':').slice(2).join(':');
}

export type { SocketIdentity, Authenticate } from './auth.js';
