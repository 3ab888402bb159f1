/**
 * Wiring the live-push server into the running service: the API's own session
 * middleware authenticates handshakes (same cookie, same store, same checks as
 * every API request), and the service's configuration supplies origins and
 * retention. server/main.ts calls `attachRealtime` once the HTTP server exists.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Request } from 'express';
import type { Knex } from 'knex';
import type { Sessions } from '../auth/sessions.js';
import { startRealtime, type Realtime, type RealtimeLogger, type RealtimeOptions } from './index.js';
import type { Authenticate } from './auth.js';

type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Handshake authentication from the API's sessions: express-session (and the API's
 * current-user check) run on each engine request; the socket gets the resolved user
 * and the session id it must outlive.
 */
export function apiSessionAuth(sessions: Pick<Sessions, 'middleware' | 'currentUser'>): {
  engineMiddleware: EngineMiddleware[];
  authenticate: Authenticate;
} {
  return {
    engineMiddleware: sessions.middleware.map(
      (mw): EngineMiddleware =>
        (req, res, next) =>
          // Express handlers on plain Node requests, as Socket.IO documents for express-session.
          void Promise.resolve(mw(req as Request, res as never, next)).catch(next),
    ),
    authenticate: (req) => {
      const r = req as Request;
      const user = sessions.currentUser(r);
      if (!user || !r.sessionID) return undefined;
      return { userId: user.id, role: user.role, providerId: user.providerId, sessionId: r.sessionID };
    },
  };
}

export interface AttachOptions {
  httpServer: HttpServer | HttpsServer;
  appKnex: Knex;
  /** The clinicpulse_app URL; also used for this process's LISTEN connection. */
  appUrl: string;
  sessions: Pick<Sessions, 'middleware' | 'currentUser'>;
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
    ...apiSessionAuth(opts.sessions),
    ...opts.overrides,
  });
}
