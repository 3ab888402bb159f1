/**
 * HTTP sessions: express-session on PgSessionStore for signing in and out, and a lean path
 * for every other API request. The session holds only the user id, the role at sign-in and
 * the sign-in time.
 *
 * An API request does not load the session through express-session (a transaction of its
 * own and a re-save per request). `begin` reads the signed cookie, turns its id into the
 * stored HMAC and opens the request's one transaction with staff_session_enter
 * (server/db/index.ts beginAsSession): the session row, the account (active, same role),
 * the absolute lifetime and the idle deadline are checked in the database, and the same
 * statement makes the transaction run as that staff member. The idle deadline is written
 * only when it would move by at least a minute (or a tenth of the idle timeout, if less),
 * so the idle timeout is exact to within that; a deactivated account or a changed role ends
 * the session at the very next request. The page's keep-alive (ACTIVITY_HEADER, sent while
 * a person works without making requests; GET /api/me only) writes the deadline exactly, so
 * while the page counts down to its "Stay signed in" warning the server's deadline has not passed.
 *
 * The realtime layer authenticates handshakes itself (server/realtime/auth.ts) and never
 * moves the idle deadline.
 */
import session from 'express-session';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { asService, AUTH_ROLE, beginAsSession, isStaffRole, sessionAccount, type SessionAccount, type SessionEntryOptions, type Transaction } from '../db/index.js';
import { ACCOUNT_KEY, markPassive, PgSessionStore, type AccountRow } from './session-store.js';
import { sessionAccount as accountNow } from '../db/repository/staff-sessions.js';
import { digestSecret, storedSessionId } from './keyed-digest.js';
import type { SessionUser } from './session-user.js';
import { ACTIVITY_HEADER, BACKGROUND_HEADER } from '../../shared/session-headers.js';

export const SESSION_COOKIE = 'clinicpulse.sid';

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

/** The paths that go through express-session (they create or end a session). */
const SESSION_LIFECYCLE_PATHS = new Set(['/api/login', '/api/logout']);

/** How far the idle deadline must move before it is written: a minute, or a tenth of the idle timeout if less. */
export const touchSlackMs = (idleMs: number): number => Math.min(60_000, Math.floor(idleMs / 10));

export interface Sessions {
  store: PgSessionStore;
  /** express-session (and its current-user check) on sign-in and sign-out only; other requests use `begin`. */
  middleware: RequestHandler[];
  /**
   * Open the request's transaction as its session's staff member (sets `req.staffUser` and
   * renews the cookie on a person's request), or undefined, holding nothing, without a
   * valid session. The caller commits or rolls back the transaction.
   */
  begin: (req: Request, res: Response) => Promise<{ trx: Transaction; user: SessionUser } | undefined>;
  /**
   * The signed-in user, checked in a short transaction of its own (GET /api/me, lean routes).
   * `keepAlive` (GET /api/me only) honours the page's activity header.
   */
  currentUser(req: Request, res: Response, opts?: { keepAlive?: boolean }): Promise<SessionUser | undefined>;
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
    return toUser(await asService(opts.knex, AUTH_ROLE, (trx) => accountNow(trx, userId)));
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

  const secrets = typeof opts.secret === 'string' ? [opts.secret] : opts.secret;
  const idSecret = digestSecret(opts.secret);
  const slackMs = touchSlackMs(opts.idleMs);
  const cookieOptions = {
    httpOnly: true,
    sameSite: opts.sameSite ?? 'lax',
    secure: opts.secureCookie,
    maxAge: opts.idleMs,
    path: '/',
  } as const;

  /** The cookie's session as the stored id and entry options, or undefined without a validly signed cookie. */
  const fromCookie = (req: Request, keepAlive = false): { value: string; storedSid: string; entry: SessionEntryOptions } | undefined => {
    const value = readCookie(req.headers.cookie, SESSION_COOKIE);
    const sid = value === undefined ? undefined : unsignCookie(value, secrets);
    if (sid === undefined || value === undefined) return undefined;
    const touch = req.get(BACKGROUND_HEADER) !== '1';
    // The page's keep-alive (GET /api/me for a person's activity) writes the deadline exactly;
    // on any other request the header is ignored, so it cannot buy a write per request.
    const slack = keepAlive && req.get(ACTIVITY_HEADER) === '1' ? 0 : slackMs;
    return { value, storedSid: storedSessionId(idSecret, sid), entry: { touch, idleMs: opts.idleMs, slackMs: slack, absoluteMs: opts.absoluteMs } };
  };

  const accepted = (req: Request, res: Response, value: string, touch: boolean, account: SessionAccount): SessionUser => {
    const user: SessionUser = { id: account.user_id, username: account.username, role: account.role, providerId: account.provider_id };
    req.staffUser = user;
    // The browser's copy expires with the idle timeout too: renew it on a person's request, as
    // express-session's `rolling` did (no database work).
    if (touch) res.cookie(SESSION_COOKIE, value, cookieOptions);
    return user;
  };

  const begin: Sessions['begin'] = async (req, res) => {
    const c = fromCookie(req);
    if (!c) return undefined;
    const entered = await beginAsSession(opts.knex, c.storedSid, c.entry);
    if (!entered) return undefined;
    return { trx: entered.trx, user: accepted(req, res, c.value, c.entry.touch, entered.account) };
  };

  // One round trip: nothing else runs in this transaction.
  const currentUser: Sessions['currentUser'] = async (req, res, how = {}) => {
    const c = fromCookie(req, how.keepAlive);
    if (!c) return undefined;
    const account = await sessionAccount(opts.knex, c.storedSid, c.entry);
    return account && accepted(req, res, c.value, c.entry.touch, account);
  };

  const lifecycleOnly: RequestHandler = (req, res, next) => {
    if (!SESSION_LIFECYCLE_PATHS.has(req.originalUrl.split('?')[0]!)) return next();
    expressSession(req, res, (err?: unknown) => (err ? next(err) : void Promise.resolve(loadUser(req, res, next)).catch(next)));
  };

  return {
    store,
    middleware: [lifecycleOnly],
    begin,
    currentUser,
    lookupUser,
    close: () => store.close(),
  };
}

/** One cookie's decoded value from a Cookie header (the API's session and the socket handshake read it alike). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** express-session's cookie format: 's:' + sid + '.' + base64(HMAC-SHA256(secret, sid)) without padding; any configured secret. */
export function unsignCookie(value: string, secrets: readonly string[]): string | undefined {
  if (!value.startsWith('s:')) return undefined;
  const signed = value.slice(2);
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const sid = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  for (const secret of secrets) {
    const expected = Buffer.from(createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, ''));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return sid;
  }
  return undefined;
}
