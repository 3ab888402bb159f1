/**
 * An express-session store on the `http_sessions` table, reached only as the
 * `clinicpulse_auth` role through asService (connect-pg-simple cannot SET ROLE
 * per transaction, and the service's login has no privileges of its own).
 *
 * The table never holds a session id: every method turns the cookie's id into its
 * HMAC under the session secret (storedSessionId) before it reaches SQL, so reading
 * http_sessions gives nothing that can be presented as a cookie.
 *
 * A row expires at the earlier of its idle deadline (moved forward on activity)
 * and the session's absolute deadline; an expired row is never returned, and a
 * timer prunes them. Deactivating an account deletes its rows in the database
 * (trigger on staff_users), so a revoked session cannot come back from here.
 */
import session from 'express-session';
import type { Knex } from 'knex';
import { asService, AUTH_ROLE } from '../db/index.js';
import { storedSessionId } from './keyed-digest.js';
import {
  deleteSession,
  extendSession,
  pruneSessions,
  saveSession,
  sessionWithAccount,
  type SessionAccountRow,
} from '../db/repository/staff-sessions.js';

/** Where get() puts the freshly read account on the loaded session (never persisted). */
export const ACCOUNT_KEY = '_account';
/** Where get() puts the row's current expiry (epoch ms), so touch() can skip a needless write. */
const EXPIRES_KEY = '_expiresAt';
/** Marks a loaded session whose request must not move its idle deadline (see markPassive). */
const PASSIVE = Symbol('passive request');

/**
 * This request is not a person's activity (the dashboard refetching on a push): touch()
 * leaves the idle deadline where it is. A symbol property, so it is never stored and does
 * not make express-session think the session changed.
 */
export function markPassive(sess: Partial<session.SessionData>): void {
  (sess as unknown as Record<symbol, boolean>)[PASSIVE] = true;
}

/** A row of staff_session_user(). */
export type AccountRow = SessionAccountRow;

export interface PgSessionStoreOptions {
  /** The session secret: the key of the HMAC that http_sessions.sid holds instead of the id. */
  idSecret: string;
  idleMs: number;
  absoluteMs: number;
  /** How often to delete expired rows (default 10 minutes; 0 disables the timer). */
  pruneIntervalMs?: number;
  onError?: (err: unknown) => void;
}

type Data = session.SessionData;

export class PgSessionStore extends session.Store {
  private readonly timer?: NodeJS.Timeout;

  constructor(
    private readonly knex: Knex,
    private readonly opts: PgSessionStoreOptions,
  ) {
    super();
    const every = opts.pruneIntervalMs ?? 10 * 60_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.prune().catch((err) => opts.onError?.(err)), every);
      this.timer.unref();
    }
  }

  /** The row's expiry: idle deadline from now, capped by the absolute deadline. */
  private expiresAt(sess: Data): Date {
    const now = Date.now();
    const absolute = (sess.issuedAt ?? now) + this.opts.absoluteMs;
    return new Date(Math.min(now + this.opts.idleMs, absolute));
  }

  /** The row key of a session id. */
  private key(sid: string): string {
    return storedSessionId(this.opts.idSecret, sid);
  }

  private run<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return asService(this.knex, AUTH_ROLE, work);
  }

  /**
   * The session, with the account as it is now (`staff_session_user`) under
   * ACCOUNT_KEY, read in the same transaction: one round of BEGIN/SET ROLE/COMMIT per
   * request instead of two. The account is never stored (set() strips it).
   */
  override get(sid: string, cb: (err: unknown, session?: Data | null) => void): void {
    this.run((trx) => sessionWithAccount<Data>(trx, this.key(sid))).then((row) => {
      if (!row) return cb(null, null);
      const account: AccountRow | null = row.user_id == null ? null : {
        user_id: row.user_id, username: row.username!, role: row.role!, provider_id: row.provider_id ?? null, active: row.active!,
      };
      cb(null, { ...row.sess, [ACCOUNT_KEY]: account, [EXPIRES_KEY]: row.expires_at.getTime() } as Data);
    }, (err) => cb(err));
  }

  override set(sid: string, sess: Data, cb?: (err?: unknown) => void): void {
    const { [ACCOUNT_KEY]: _account, [EXPIRES_KEY]: _expires, ...stored } = sess as Data & { [ACCOUNT_KEY]?: unknown; [EXPIRES_KEY]?: unknown };
    this.run((trx) => saveSession(trx, this.key(sid), sess.userId ?? null, stored, this.expiresAt(sess))).then(() => cb?.(), (err) => cb?.(err));
  }

  /**
   * Activity moves the idle deadline; a request marked passive does not. Only an
   * UPDATE: a session deleted meanwhile (logout, deactivation) stays deleted. Skipped
   * when the stored deadline is still within a tenth of the idle window, to spare a
   * write per request.
   */
  override touch(sid: string, sess: Data, cb?: (err?: unknown) => void): void {
    if ((sess as unknown as Record<symbol, boolean | undefined>)[PASSIVE]) {
      cb?.();
      return;
    }
    const expires = this.expiresAt(sess);
    const slack = Math.floor(this.opts.idleMs / 10);
    const stored = (sess as Data & { [EXPIRES_KEY]?: number })[EXPIRES_KEY];
    if (typeof stored === 'number' && expires.getTime() - stored < slack) {
      cb?.();
      return;
    }
    this.run((trx) => extendSession(trx, this.key(sid), expires, new Date(expires.getTime() - slack))).then(() => cb?.(), (err) => cb?.(err));
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.run((trx) => deleteSession(trx, this.key(sid))).then(() => cb?.(), (err) => cb?.(err));
  }

  /** Delete expired rows; returns how many. */
  async prune(): Promise<number> {
    return this.run(pruneSessions);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
