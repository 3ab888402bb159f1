/**
 * Who is on the other end of a socket, and whether they still may be.
 *
 * A handshake is authenticated with the same session cookie as the API by
 * `sessionCookieAuthenticator` below, which reads the same signed cookie and the same
 * `http_sessions` row directly (as the clinicpulse_auth role, read-only) and so works
 * in any process that shares the database. It never moves the session's idle
 * deadline: socket traffic (long-polling requests, the handshake) is not a person at
 * the desk, so an unattended dashboard idles out like any other tab. The account is
 * re-read through `staff_session_user`, never trusted from the cookie, and
 * `revalidateSessions` re-checks every open socket's session periodically so logout,
 * idle expiry and deactivation close sockets promptly.
 */
import type { IncomingMessage } from 'node:http';
import { readCookie, unsignCookie } from '../auth/sessions.js';
import type { Knex } from 'knex';
import { asService, AUTH_ROLE, isStaffRole, type StaffRole } from '../db/index.js';
import { storedSessionId } from '../auth/keyed-digest.js';
import { socketSessions, type SocketSessionRow } from '../db/repository/staff-sessions.js';

export interface SocketIdentity {
  userId: number;
  role: StaffRole;
  /** The provider a clinician is linked to; null for other roles. */
  providerId: number | null;
  /** The HTTP session this socket rides on, as http_sessions keys it (storedSessionId); the socket lives only as long as it does. */
  sessionId: string;
}

export type Authenticate = (req: IncomingMessage) => Promise<SocketIdentity | undefined> | SocketIdentity | undefined;

/** Default name of the API's session cookie (server/auth/sessions.ts). */
export const DEFAULT_SESSION_COOKIE = 'clinicpulse.sid';

function identityOf(r: SocketSessionRow): SocketIdentity | undefined {
  if (!r.active || r.user_id === null || !r.role || !isStaffRole(r.role)) return undefined;
  if (r.sess_role !== null && r.sess_role !== r.role) return undefined;
  return { userId: r.user_id, role: r.role, providerId: r.provider_id, sessionId: r.sid };
}

async function lookupSessions(knex: Knex, sids: string[]): Promise<Map<string, SocketIdentity>> {
  const out = new Map<string, SocketIdentity>();
  if (sids.length === 0) return out;
  const rows = await asService(knex, AUTH_ROLE, (trx) => socketSessions(trx, sids), { readOnly: true });
  for (const r of rows) {
    const id = identityOf(r);
    if (id) out.set(r.sid, id);
  }
  return out;
}

/**
 * Authenticate a handshake by the API's signed session cookie, reading the session row
 * and the account directly, without touching the session. `secrets` are the API's
 * SESSION_SECRET(s), newest first; the first also keys the stored session ids.
 */
export function sessionCookieAuthenticator(opts: { knex: Knex; secrets: string[]; cookieName?: string }): Authenticate {
  const name = opts.cookieName ?? DEFAULT_SESSION_COOKIE;
  return async (req) => {
    const raw = readCookie(req.headers.cookie, name);
    const sid = raw ? unsignCookie(raw, opts.secrets) : undefined;
    if (!sid) return undefined;
    const key = storedSessionId(opts.secrets[0]!, sid);
    return (await lookupSessions(opts.knex, [key])).get(key);
  };
}

/**
 * Which of these sockets' sessions are still good: returns the session ids whose session
 * is gone, expired, or whose account is inactive or no longer holds the socket's role.
 */
export async function endedSessions(knex: Knex, sockets: { sessionId: string; role: StaffRole; userId: number }[]): Promise<Set<string>> {
  const sids = [...new Set(sockets.map((s) => s.sessionId))];
  const live = await lookupSessions(knex, sids);
  const ended = new Set<string>();
  for (const s of sockets) {
    const now = live.get(s.sessionId);
    if (!now || now.role !== s.role || now.userId !== s.userId) ended.add(s.sessionId);
  }
  return ended;
}
