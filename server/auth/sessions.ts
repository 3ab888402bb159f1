/**
 * HTTP sessions: express-session on PgSessionStore, plus the step that turns a
 * session into a current staff member. The session holds only the user id, the
 * role at sign-in and the sign-in time; on every request the account is re-read
 * through `staff_session_user` (as clinicpulse_auth), so a deactivated account or
 * a changed role ends the session at once, and the absolute lifetime is enforced
 * here whatever the cookie says.
 *
 * The realtime layer reuses `middleware` on Socket.IO's engine and
 * `currentUser(req)` to authenticate handshakes with the same cookie.
 */
import session from 'express-session';
import type { Request, RequestHandler } from 'express';
import type { Knex } from 'knex';
import { asService, isStaffRole } from '../db/index.js';
import { ACCOUNT_KEY, markPassive, PgSessionStore, type AccountRow } from './session-store.js';
import { digestSecret } from './keyed-digest.js';
import type { SessionUser } from './session-user.js';

export const SESSION_COOKIE = 'clinicpulse.sid';
/**
 * Sent by the dashboard on requests it makes on its own (a refetch after a push, the
 * session check after a disconnect): they are served but do not extend the session,
 * because only a person's activity may. Sockets never extend it at all.
 */
export const BACKGROUND_HEADER = 'x-clinicpulse-background';

export interface SessionOptions {
  /** The service's pool (clinicpulse_app); the store and look-ups SET ROLE clinicpulse_auth. */
  knex: Knex;
  secret: string | string[];
  idleMs: number;
  absoluteMs: number;
  /** Send the cookie only over HTTPS. */
  secureCookie: boolean;
  sameSite?: 'lax' | 'strict';
  pruneIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export interface Sessions {
  store: PgSessionStore;
  /** express-session followed by the current-user check; sets `req.staffUser`. */
  middleware: RequestHandler[];
  currentUser(req: Request): SessionUser | undefined;
  /** The account as it is now, or undefined if it is gone or inactive. */
  lookupUser(userId: number): Promise<SessionUser | undefined>;
  close(): void;
}

export function createSessions(opts: SessionOptions): Sessions {
  const store = new PgSessionStore(opts.knex, {
    // Rotating SESSION_SECRET (a list, newest first) therefore ends every session.
    idSecret: digestSecret(opts.secret),
    idleMs: opts.idleMs,
    absoluteMs: opts.absoluteMs,
    pruneIntervalMs: opts.pruneIntervalMs,
    onError: opts.onError,
  });

  const toUser = (row: AccountRow | null | undefined): SessionUser | undefined =>
    row && row.active && isStaffRole(row.role) ? { id: row.user_id, username: row.username, role: row.role, providerId: row.provider_id } : undefined;

  const lookupUser = async (userId: number): Promise<SessionUser | undefined> => {
    const { rows } = await asService(opts.knex, 'clinicpulse_auth', (trx) =>
      trx.raw<{ rows: AccountRow[] }>('SELECT user_id, username, role, provider_id, active FROM staff_session_user(?)', [userId]),
    );
    return toUser(rows[0]);
  };

  const expressSession = session({
    name: SESSION_COOKIE,
    secret: opts.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    unset: 'destroy',
    cookie: {
      httpOnly: true,
      sameSite: opts.sameSite ?? 'lax',
      secure: opts.secureCookie,
      maxAge: opts.idleMs,
      path: '/',
    },
  });

  const destroy = (req: Request) =>
    new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));

  const loadUser: RequestHandler = async (req, _res, next) => {
    const s = req.session;
    if (!s || typeof s.userId !== 'number') return next();
    if (typeof s.issuedAt !== 'number' || Date.now() - s.issuedAt >= opts.absoluteMs) {
      await destroy(req);
      return next();
    }
    // The store read the account with the session (same transaction); a session made
    // during this request (none loaded) is looked up directly.
    const loaded = (s as unknown as Record<string, AccountRow | null | undefined>)[ACCOUNT_KEY];
    const user = loaded !== undefined ? toUser(loaded) : await lookupUser(s.userId);
    if (!user || user.id !== s.userId || user.role !== s.role) {
      await destroy(req);
      return next();
    }
    if (req.get(BACKGROUND_HEADER) === '1') markPassive(s);
    req.staffUser = user;
    next();
  };

  return {
    store,
    middleware: [expressSession, loadUser],
    currentUser: (req) => req.staffUser,
    lookupUser,
    close: () => store.close(),
  };
}
