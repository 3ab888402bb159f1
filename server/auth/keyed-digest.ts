/**
 * Keyed digests (HMAC-SHA256 under the session secret) of values the database must
 * hold only in a form that is useless without the secret: session ids (http_sessions)
 * and the sign-in throttle's "address|username" keys (login_throttle). A plain hash
 * would not do: a session id read from the table could be replayed as-is, and an
 * address or username is short enough to find by hashing guesses.
 */
import { createHmac } from 'node:crypto';

/** Each use gets its own label, so a digest made for one can never stand in for another. */
export type DigestPurpose = 'session-id' | 'login-throttle';

/** 64 hexadecimal characters. */
export function keyedDigest(secret: string, purpose: DigestPurpose, value: string): string {
  return createHmac('sha256', secret).update(`clinicpulse:${purpose}:`).update(value).digest('hex');
}

/** What http_sessions.sid holds for a session id. */
export const storedSessionId = (secret: string, sid: string): string => keyedDigest(secret, 'session-id', sid);

/** The secret digests are made with: the current one when several are configured (rotation). */
export const digestSecret = (secret: string | readonly string[]): string => (typeof secret === 'string' ? secret : secret[0]!);
