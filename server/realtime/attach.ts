/**
 * Wiring the live-push server into the running service: handshakes are authenticated
 * by the API's session cookie, read straight from the session store without touching
 * it (sessionCookieAuthenticator), so socket traffic never extends a session; the
 * service's configuration supplies origins and retention. server/main.ts calls
 * `attachRealtime` once the HTTP server exists.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Knex } from 'knex';
import { startRealtime, type Realtime, type RealtimeLogger, type RealtimeOptions } from './index.js';
import { sessionCookieAuthenticator } from './auth.js';

export interface AttachOptions {
  httpServer: HttpServer | HttpsServer;
  appKnex: Knex;
  /** The clinicpulse_app URL; also used for this process's LISTEN connection. */
  appUrl: string;
  /** The API's SESSION_SECRET: verifies the cookie and keys the stored session id. */
  sessionSecret: string;
  allowedOrigins: string[];
  retentionDays: number;
  logger?: RealtimeLogger;
  overrides?: Partial<RealtimeOptions>;
}

export function attachRealtime(opts: AttachOptions): Promise<Realtime> {
  return startRealtime({
    httpServer: opts.httpServer,
    appKnex: opts.appKnex,
    listenUrl: opts.appUrl,
    allowedOrigins: opts.allowedOrigins,
    retentionDays: opts.retentionDays,
    logger: opts.logger,
    // Read-only: neither the handshake nor long-polling requests move the idle deadline.
    authenticate: sessionCookieAuthenticator({ knex: opts.appKnex, secrets: [opts.sessionSecret] }),
    ...opts.overrides,
  });
}
