/**
 * Sockets: the handshake (a staff identity or no socket), the rooms a role joins on
 * connect, a token bucket per socket, and the client's messages routed to the watch registry.
 */
import { clinicUnwatchSchema, scheduleUnwatchSchema } from '../../shared/events.js';
import type { Authenticate } from './auth.js';
import { arrivalRoom, ROLE_ROOMS } from './shape.js';
import type { WatchRegistry } from './watches.js';
import { refusal, type RealtimeLogger, type RealtimeServer, type RealtimeSocket } from './types.js';

export interface SocketOptions {
  authenticate: Authenticate;
  /** Per-socket message rate: sustained per second and burst. */
  rate: { perSecond: number; burst: number };
  watches: WatchRegistry;
  log: RealtimeLogger;
}

export function handleSockets(io: RealtimeServer, opts: SocketOptions): void {
  const { rate, watches, log } = opts;

  io.use(async (socket, next) => {
    try {
      const identity = await opts.authenticate(socket.request);
      if (!identity) return next(new Error('unauthorized'));
      socket.data.identity = identity;
      socket.data.watches = new Map();
      socket.data.tokens = rate.burst;
      socket.data.refilledAt = Date.now();
      socket.data.violations = 0;
      next();
    } catch (err) {
      log.error({ err }, 'realtime: handshake authentication failed');
      next(new Error('unavailable'));
    }
  });

  io.on('connection', (socket) => {
    const { identity } = socket.data;
    if (identity.role === 'clinician' && identity.providerId !== null) void socket.join(arrivalRoom(identity.providerId));
    if (identity.role === 'manager') void socket.join(ROLE_ROOMS.manager);
    if (identity.role === 'compliance') void socket.join(ROLE_ROOMS.compliance);

    socket.use(([, ...args], next) => {
      if (takeToken(socket, rate)) return next();
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack(refusal('rate_limited', 'Too many messages; slow down.'));
      if (++socket.data.violations > 50) socket.disconnect(true);
    });

    socket.on('schedule:watch', (raw, ack) => {
      if (typeof ack !== 'function') return;
      watches.watchSchedule(socket, raw, ack).catch((err: unknown) => {
        log.error({ err }, 'realtime: schedule:watch failed');
        ack(refusal('unavailable', 'The schedule could not be loaded; retry.'));
      });
    });

    socket.on('waitlist:watch', (raw, ack) => {
      if (typeof ack !== 'function') return;
      watches.watchWaitlist(socket, raw, ack).catch((err: unknown) => {
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
      watches.unwatch(socket, `${parsed.data.providerId}:${parsed.data.date}`);
      if (typeof ack === 'function') ack({ ok: true });
    });

    socket.on('clinic:watch', (raw, ack) => {
      if (typeof ack !== 'function') return;
      watches.watchClinicDay(socket, raw, ack).catch((err: unknown) => {
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
      watches.unwatch(socket, parsed.data.date);
      if (typeof ack === 'function') ack({ ok: true });
    });

    socket.on('disconnect', () => watches.forget(socket));
  });
}

/** Token bucket per socket: refill by elapsed time, take one token if there is one. */
function takeToken(socket: RealtimeSocket, rate: { perSecond: number; burst: number }): boolean {
  const d = socket.data;
  const now = Date.now();
  d.tokens = Math.min(rate.burst, d.tokens + ((now - d.refilledAt) / 1000) * rate.perSecond);
  d.refilledAt = now;
  if (d.tokens < 1) return false;
  d.tokens -= 1;
  return true;
}
