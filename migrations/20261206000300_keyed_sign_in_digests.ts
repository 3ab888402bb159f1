/**
 * Sign-in state that a read of the database could turn into access (issue 9, items 6
 * and 14). http_sessions held the session ids themselves, so anyone who could read the
 * table (plus the session secret, which sat next to the data) could present a victim's
 * session as a cookie; login_throttle held unsalted SHA-256 digests of
 * "address|username", reversible by hashing guesses. From now on the service stores
 * only an HMAC-SHA256 under SESSION_SECRET of each (server/auth/keyed-digest.ts).
 *
 * Existing rows are in the old form and can never match again: every session is ended
 * (staff sign in once more) and the throttle's counters start over.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DELETE FROM http_sessions;
ALTER TABLE http_sessions DROP CONSTRAINT http_sessions_sid_shape;
ALTER TABLE http_sessions ADD CONSTRAINT http_sessions_sid_shape CHECK (sid ~ '^[0-9a-f]{64}$');
COMMENT ON COLUMN http_sessions.sid IS 'HMAC-SHA256 (hex) of the session id under SESSION_SECRET, never the id itself: a row read from this table cannot be presented as a cookie.';

DELETE FROM login_throttle;
COMMENT ON COLUMN login_throttle.key_digest IS 'HMAC-SHA256 (hex) under SESSION_SECRET of the client address and the lower-cased username: neither is stored, and hashing guesses finds nothing without the secret.';
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DELETE FROM http_sessions;
ALTER TABLE http_sessions DROP CONSTRAINT http_sessions_sid_shape;
ALTER TABLE http_sessions ADD CONSTRAINT http_sessions_sid_shape CHECK (length(sid) BETWEEN 16 AND 128);
COMMENT ON COLUMN http_sessions.sid IS 'Session id from the signed cookie, 16-128 characters.';

DELETE FROM login_throttle;
COMMENT ON COLUMN login_throttle.key_digest IS 'SHA-256 (hex) of the client address and the lower-cased username: neither is stored.';
`,
  );
}
