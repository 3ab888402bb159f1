/**
 * The staff/sessions aggregate: sign-in lookups and lockout counting, the sign-in throttle,
 * and the http_sessions rows, all as the NOLOGIN role clinicpulse_auth (the caller opens the
 * transaction with asService). Session ids arrive here already keyed (storedSessionId).
 */
import type { Transaction } from '../index.js';

/** An account as staff_session_user() returns it (null columns: no such account). */
export interface SessionAccountRow {
  user_id: number;
  username: string;
  role: string;
  provider_id: number | null;
  active: boolean;
}

export interface LoginRow extends SessionAccountRow {
  password_hash: string;
}

/** The account a sign-in names (lower-cased username), with its password hash. */
export async function loginLookup(trx: Transaction, username: string): Promise<LoginRow | undefined> {
  const { rows } = await trx.raw<{ rows: LoginRow[] }>(
    'SELECT user_id, username, role, provider_id, password_hash, active FROM staff_login_lookup(?)',
    [username],
  );
  return rows[0];
}

/** Count a failed sign-in against the account (locks it at `lockoutFailures`; audited). */
export async function loginFailed(trx: Transaction, userId: number, lockoutFailures: number): Promise<void> {
  await trx.raw('SELECT staff_login_failed(?, ?)', [userId, lockoutFailures]);
}

/** A right password: resets the count; false when the account is locked. */
export async function loginSucceeded(trx: Transaction, userId: number): Promise<boolean> {
  const { rows } = await trx.raw<{ rows: { allowed: boolean }[] }>('SELECT staff_login_succeeded(?) AS allowed', [userId]);
  return rows[0]!.allowed;
}

/** The account as it is now. */
export async function sessionAccount(trx: Transaction, userId: number): Promise<SessionAccountRow | undefined> {
  const { rows } = await trx.raw<{ rows: SessionAccountRow[] }>('SELECT user_id, username, role, provider_id, active FROM staff_session_user(?)', [userId]);
  return rows[0];
}

/** One more failure for a throttle key (a digest): the count and when its window ends. */
export async function throttleHit(trx: Transaction, digest: string, windowMs: number): Promise<{ failures: number; window_ends_at: Date }> {
  const { rows } = await trx.raw<{ rows: { failures: number; window_ends_at: Date }[] }>(
    'SELECT failures, window_ends_at FROM login_throttle_hit(?, ?)',
    [digest, windowMs],
  );
  return rows[0]!;
}

export async function throttleUndo(trx: Transaction, digest: string): Promise<void> {
  await trx.raw('SELECT login_throttle_undo(?)', [digest]);
}

export async function throttleReset(trx: Transaction, digest: string): Promise<void> {
  await trx.raw('SELECT login_throttle_reset(?)', [digest]);
}

/** An unexpired session row and, beside it, its account as it is now (null columns: none). */
export async function sessionWithAccount<S>(
  trx: Transaction,
  key: string,
): Promise<({ sess: S; expires_at: Date } & Partial<SessionAccountRow>) | undefined> {
  const { rows } = await trx.raw<{ rows: ({ sess: S; expires_at: Date } & Partial<SessionAccountRow>)[] }>(
    `SELECT s.sess, s.expires_at, u.user_id, u.username, u.role, u.provider_id, u.active
     FROM http_sessions s LEFT JOIN LATERAL staff_session_user(s.user_id) u ON true
     WHERE s.sid = ? AND s.expires_at > now()`,
    [key],
  );
  return rows[0];
}

export async function saveSession(trx: Transaction, key: string, userId: number | null, sess: unknown, expiresAt: Date): Promise<void> {
  await trx.raw(
    `INSERT INTO http_sessions (sid, user_id, sess, expires_at) VALUES (?, ?, ?::jsonb, ?)
     ON CONFLICT (sid) DO UPDATE SET user_id = excluded.user_id, sess = excluded.sess, expires_at = excluded.expires_at`,
    [key, userId, JSON.stringify(sess), expiresAt],
  );
}

/** Move an unexpired session's deadline to `expiresAt` if it now ends before `before`; a deleted one stays deleted. */
export async function extendSession(trx: Transaction, key: string, expiresAt: Date, before: Date): Promise<void> {
  await trx.raw('UPDATE http_sessions SET expires_at = ? WHERE sid = ? AND expires_at > now() AND expires_at < ?', [expiresAt, key, before]);
}

export async function deleteSession(trx: Transaction, key: string): Promise<void> {
  await trx.raw('DELETE FROM http_sessions WHERE sid = ?', [key]);
}

/** Delete expired rows; returns how many. */
export async function pruneSessions(trx: Transaction): Promise<number> {
  const res = await trx.raw<{ rowCount: number }>('DELETE FROM http_sessions WHERE expires_at <= now()');
  return res.rowCount ?? 0;
}

export interface SocketSessionRow {
  sid: string;
  sess_role: string | null;
  user_id: number | null;
  role: string | null;
  provider_id: number | null;
  active: boolean | null;
}

/**
 * The unexpired sessions among `keys`, each with its account as it is now and the role it
 * signed in with: a socket's session counts only while it is unexpired, bound to an active
 * account whose role is still that role.
 */
export async function socketSessions(trx: Transaction, keys: string[]): Promise<SocketSessionRow[]> {
  const { rows } = await trx.raw<{ rows: SocketSessionRow[] }>(
    `SELECT h.sid, h.sess->>'role' AS sess_role, u.user_id, u.role, u.provider_id, u.active
     FROM http_sessions h LEFT JOIN LATERAL staff_session_user(h.user_id) u ON true
     WHERE h.sid = ANY (?::text[]) AND h.expires_at > now()`,
    [keys],
  );
  return rows;
}
