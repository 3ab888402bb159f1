/**
 * A controllable clock for session timeouts: instead of sleeping until a session idles out
 * or reaches its absolute lifetime, a test moves the session back in time. Both deadlines
 * live in the session itself (http_sessions.expires_at, checked against PostgreSQL's now(),
 * and sess.issuedAt, checked against Date.now() in server/auth/sessions.ts), so shifting
 * them by `ms` is exactly what `ms` of wall-clock time would do to that session, and the
 * production code runs unchanged. Call it between requests, never during one.
 */
import type { Knex } from 'knex';

/** Let `ms` pass for the matching sessions (by stored session id — the HMAC, `MintedSession.storedId` — or by account). */
export async function advanceSessionClock(admin: Knex, which: { sid: string } | { userId: number }, ms: number): Promise<void> {
  const [column, value] = 'sid' in which ? ['sid', which.sid] : ['user_id', which.userId];
  const { rowCount } = await admin.raw(
    `UPDATE http_sessions
        SET expires_at = expires_at - make_interval(secs => ?::double precision / 1000),
            sess = CASE WHEN jsonb_typeof(sess -> 'issuedAt') = 'number'
                        THEN jsonb_set(sess, '{issuedAt}', to_jsonb((sess ->> 'issuedAt')::bigint - ?::bigint)) ELSE sess END
      WHERE ${column} = ?`,
    [ms, ms, value],
  );
  if (!rowCount) throw new Error(`no session to advance (${column} = ${value})`);
}
