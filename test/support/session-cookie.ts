/**
 * Sessions for tests and the bench that need a signed-in staff member without a password:
 * a row in http_sessions as the API's store writes it at sign-in, and the cookie
 * express-session would set for it. Everything after that (unsigning the cookie, loading
 * the row, re-reading the account) is the production path: `createSessions` from
 * server/auth/sessions.ts, which the API and the socket handshake both use.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createSessions, SESSION_COOKIE, type Sessions } from '../../server/auth/sessions.js';
import type { StaffRole } from '../../server/db/index.js';
import { storedSessionId } from '../../server/auth/keyed-digest.js';

export const TEST_SESSION_SECRET = 'realtime-test-session-secret-0123456789abcdef';

/** express-session's cookie value: 's:' + sid + '.' + base64(HMAC-SHA256(secret, sid)) without padding. */
export function signSessionId(sid: string, secret = TEST_SESSION_SECRET): string {
  return `s:${sid}.${createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`;
}

/** The service's sessions (as server/app.ts makes them) over `knex`, the clinicpulse_app pool. */
export function testSessions(knex: Knex, secret = TEST_SESSION_SECRET): Sessions {
  return createSessions({ knex, secret, idleMs: 15 * 60_000, absoluteMs: 12 * 3_600_000, secureCookie: false, pruneIntervalMs: 0 });
}

export interface MintedSession {
  /** The id in the cookie. */
  sid: string;
  /** What http_sessions.sid holds for it (its HMAC under the session secret). */
  storedId: string;
  cookie: string;
}

/** A signed-in session for a staff member, `idleMs` from its idle deadline, as the store writes it. */
export async function mintSession(
  admin: Knex,
  staff: { userId: number; role: StaffRole },
  opts: { idleMs?: number; secret?: string } = {},
): Promise<MintedSession> {
  const sid = randomBytes(18).toString('base64url');
  const storedId = storedSessionId(opts.secret ?? TEST_SESSION_SECRET, sid);
  const sess = { cookie: { path: '/', httpOnly: true }, userId: staff.userId, role: staff.role, issuedAt: Date.now() };
  await admin.raw('INSERT INTO http_sessions (sid, user_id, sess, expires_at) VALUES (?, ?, ?::jsonb, ?)', [
    storedId,
    staff.userId,
    JSON.stringify(sess),
    new Date(Date.now() + (opts.idleMs ?? 15 * 60_000)),
  ]);
  return { sid, storedId, cookie: `${SESSION_COOKIE}=${encodeURIComponent(signSessionId(sid, opts.secret))}` };
}
