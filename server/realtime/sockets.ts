/**
 * Sockets: the handshake (a staff identity or no socket), the rooms a role joins on
 * connect, a token bucket per socket, and the client's messages routed to the watch registry.
 */
import type { z } from 'zod';
import { clinicUnwatchSchema, scheduleUnwatchSchema, type ScheduleUnwatchAck } from '../../shared/events.js';
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

  const handshake = async (socket: RealtimeSocket): Promise<Error | undefined> => {
    try {
      const identity = await opts.authenticate(socket.request);
      if (!identity) return new Error('unauthorized');
      socket.data.identity = identity;
      socket.data.watches = new Map();
      socket.data.tokens = rate.burst;
      socket.data.refilledAt = Date.now();
      socket.data.violations = 0;
      socket.data.flushedAt = performance.now();
      socket.conn.on('flush', () => (socket.data.flushedAt = performance.now()));
      return undefined;
    } catch (err) {
      log.error({ err }, 'realtime: handshake authentication failed');
      return new Error('unavailable');
    }
  };
  io.use((socket, next) => {
    void handshake(socket).then(next);
  });

  io.on('connection', (socket) => {
    const { identity } = socket.data;
    if (identity.role === 'clinician' && identity.providerId !== null) void socket.join(arrivalRoom(identity.providerId));
    if (identity.role === 'manager') void socket.join(ROLE_ROOMS.manager);
    if (identity.role === 'compliance') void socket.join(ROLE_ROOMS.compliance);

    socket.use(([, ...args]: unknown[], next) => {
      if (takeToken(socket, rate)) return next();
      const ack = args[args.length - 1];
      if (typeof ack === 'function') (ack as (res: unknown) => void)(refusal('rate_limited', 'Too many messages; slow down.'));
      if (++socket.data.violations > 50) socket.disconnect(true);
    });

    // Watches answer through their ack; one that fails is logged and answered 'unavailable'.
    const watch = <A>(run: (raw: unknown, ack: (res: A) => void) => Promise<void>, what: string, retry: string) =>
      (raw: unknown, ack: (res: A) => void) => {
        if (typeof ack !== 'function') return;
        run(raw, ack).catch((err: unknown) => {
          log.error({ err }, `realtime: ${what} failed`);
          ack(refusal('unavailable', retry) as A);
        });
      };
    socket.on('schedule:watch', watch((raw, ack) => watches.watchSchedule(socket, raw, ack), 'schedule:watch', 'The schedule could not be loaded; retry.'));
    socket.on('waitlist:watch', watch((raw, ack) => watches.watchWaitlist(socket, raw, ack), 'waitlist:watch', 'The waitlist could not be loaded; retry.'));
    socket.on('clinic:watch', watch((raw, ack) => watches.watchClinicDay(socket, raw, ack), 'clinic:watch', 'The day could not be loaded; retry.'));

    // Unwatching names the watch's key; a malformed request is refused if it has an ack.
    const unwatch = <T>(schema: z.ZodType<T>, keyOf: (req: T) => string) =>
      (raw: unknown, ack?: (res: ScheduleUnwatchAck) => void) => {
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          if (typeof ack === 'function') ack(refusal('invalid_request', parsed.error.issues[0]?.message ?? 'invalid request'));
          return;
        }
        watches.unwatch(socket, keyOf(parsed.data));
        if (typeof ack === 'function') ack({ ok: true });
      };
    socket.on('schedule:unwatch', unwatch(scheduleUnwatchSchema, (r) => `${r.providerId}:${r.date}`));
    socket.on('clinic:unwatch', unwatch(clinicUnwatchSchema, (r) => r.date));

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
