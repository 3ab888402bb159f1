/**
 * Realtime test rig: the real Socket.IO server (server/realtime) on 127.0.0.1:0 against
 * a test database, wired as server/main.ts wires it (attachRealtime with the production handshake
 * authenticator over the API's session store, exactly as in production), sessions
 * minted straight into http_sessions (the rows the API's store writes at sign-in), and
 * real socket.io-client sockets that record what they receive.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { io as connectClient, type Socket } from 'socket.io-client';
import type { Realtime, RealtimeOptions } from '../../server/realtime/index.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events.js';
import type { StaffFixture } from './staff.js';
import type { TestDatabase } from './db.js';
import { pino } from 'pino';
import { createApp, type ClinicPulseApp } from '../../server/app.js';
import { watchLivePush } from '../../server/http/ops-metrics.js';
import { attachRealtime } from '../../server/realtime/attach.js';
import { ApiClient, TEST_METRICS_TOKEN } from './server.js';
import { mintSession as mint, TEST_SESSION_SECRET, type MintedSession } from './session-cookie.js';

export { TEST_SESSION_SECRET, type MintedSession };
export const TEST_ORIGIN = 'http://clinic.test';

export interface RealtimeRig {
  url: string;
  realtime: Realtime;
  close(): Promise<void>;
}

export async function startRealtimeRig(
  db: { appKnex: Knex; appUrl: string },
  overrides: Partial<RealtimeOptions> = {},
): Promise<RealtimeRig> {
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const realtime = await attachRealtime({
    httpServer,
    appKnex: db.appKnex,
    appUrl: db.appUrl,
    sessionSecret: TEST_SESSION_SECRET,
    allowedOrigins: [TEST_ORIGIN],
    retentionDays: overrides.retentionDays ?? 7,
    overrides: { pruneIntervalMs: 0, ...overrides },
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    realtime,
    async close() {
      await realtime.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** A signed-in session for a staff member, as the API's store would write it at sign-in. */
export function mintSession(admin: Knex, staff: StaffFixture, idleMs = 15 * 60_000): Promise<MintedSession> {
  return mint(admin, staff, { idleMs });
}

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Received {
  event: string;
  payload: Record<string, unknown>;
}

export interface RecordingClient {
  socket: TestSocket;
  received: Received[];
  /** Resolves with the first received event matching, waiting up to `ms`. */
  next(event: string, match?: (p: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  close(): void;
}

export function openSocket(
  url: string,
  opts: { cookie?: string; origin?: string | null; reconnection?: boolean; transports?: ('polling' | 'websocket')[] } = {},
): RecordingClient {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin !== null) headers.origin = opts.origin ?? TEST_ORIGIN;
  const socket: TestSocket = connectClient(url, {
    transports: opts.transports ?? ['websocket'],
    extraHeaders: headers,
    forceNew: true,
    reconnection: opts.reconnection ?? false,
  });
  const received: Received[] = [];
  const waiters: { event: string; match: (p: Record<string, unknown>) => boolean; resolve: (p: Record<string, unknown>) => void }[] = [];
  socket.onAny((event: string, payload: Record<string, unknown>) => {
    received.push({ event, payload });
    for (const w of [...waiters]) {
      if (w.event === event && w.match(payload)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(payload);
      }
    }
  });
  return {
    socket,
    received,
    next(event, match = () => true, ms = 10_000) {
      const seen = received.find((r) => r.event === event && match(r.payload));
      if (seen) return Promise.resolve(seen.payload);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
        waiters.push({ event, match, resolve: (p) => (clearTimeout(timer), resolve(p)) });
      });
    },
    close: () => socket.close(),
  };
}

/** Resolves when connected; rejects with the server's reason (connect_error message). */
export function connected(client: RecordingClient, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.socket.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('connect timed out')), ms);
    client.socket.once('connect', () => (clearTimeout(timer), resolve()));
    client.socket.once('connect_error', (err) => (clearTimeout(timer), reject(err)));
  });
}

export function disconnected(client: RecordingClient, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!client.socket.connected) return resolve('already');
    const timer = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    client.socket.once('disconnect', (reason) => (clearTimeout(timer), resolve(reason)));
  });
}

/** The real API (createApp) and the live-push server on one HTTP server, as server/main.ts runs them. */
export async function startApiRealtimeRig(
  db: TestDatabase,
  opts: { sessionIdleMs?: number } = {},
): Promise<RealtimeRig & { origin: string; clinic: ClinicPulseApp; client(): ApiClient }> {
  const httpServer = http.createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const clinic = createApp({
    appKnex: db.appKnex,
    databaseKind: 'test',
    logger: pino({ level: 'silent' }),
    sessionSecret: TEST_SESSION_SECRET,
    sessionIdleMs: opts.sessionIdleMs ?? 15 * 60_000,
    sessionAbsoluteMs: 12 * 3_600_000,
    secureCookie: false,
    trustProxy: false,
    allowedOrigins: [origin],
    loginRateLimit: { max: 1000, windowMs: 60_000 },
    loginLockoutFailures: 1000,
    sessionPruneIntervalMs: 0,
    metricsToken: TEST_METRICS_TOKEN,
  });
  httpServer.on('request', clinic.app);
  const realtime = await attachRealtime({
    httpServer,
    appKnex: db.appKnex,
    appUrl: db.appUrl,
    sessionSecret: TEST_SESSION_SECRET,
    allowedOrigins: [origin],
    retentionDays: 7,
    overrides: { pruneIntervalMs: 0 },
  });
  watchLivePush(clinic, realtime, db.appKnex);
  return {
    url: origin,
    origin,
    realtime,
    clinic,
    client: () => new ApiClient(origin, origin),
    async close() {
      clinic.close();
      await realtime.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
