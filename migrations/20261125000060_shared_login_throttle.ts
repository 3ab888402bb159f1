/**
 * Failed sign-ins counted in the database, not in each process's memory. With the
 * in-memory counter, N server processes behind a balancer allowed N times the
 * configured attempts per window, and a restart forgot them. Keys are SHA-256 digests
 * of "client address|username" (computed in server/auth/login-throttle.ts; HMACs under
 * SESSION_SECRET since migration 20261206000300), so the
 * table holds neither addresses nor usernames. Only the sign-in role reaches it, and
 * only through these functions; each counts atomically in one statement, so two
 * processes racing on one key both count.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE login_throttle (
  key_digest text PRIMARY KEY CONSTRAINT login_throttle_key_digest_shape CHECK (key_digest ~ '^[0-9a-f]{64}$'),
  failures integer NOT NULL CONSTRAINT login_throttle_failures_nonnegative CHECK (failures >= 0),
  window_ends_at timestamptz NOT NULL
);
COMMENT ON TABLE login_throttle IS 'Failed sign-in attempts per client address and username in the current window, shared by every server process; written only through login_throttle_hit/_undo/_reset.';
COMMENT ON COLUMN login_throttle.key_digest IS 'SHA-256 (hex) of the client address and the lower-cased username: neither is stored.';
COMMENT ON COLUMN login_throttle.failures IS 'Failed attempts counted in the window (a successful sign-in takes its own attempt back).';
COMMENT ON COLUMN login_throttle.window_ends_at IS 'When the window ends; the next attempt after it starts a new window at 1.';
ALTER TABLE login_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_throttle FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON login_throttle TO clinicpulse_owner USING (true) WITH CHECK (true);
REVOKE ALL ON login_throttle FROM PUBLIC;

CREATE FUNCTION login_throttle_hit(p_key_digest text, p_window_ms integer)
  RETURNS TABLE (failures integer, window_ends_at timestamptz)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  -- Windows long over are removed now and then (one call in a hundred): the table stays small.
  DELETE FROM login_throttle WHERE window_ends_at < clock_timestamp() - interval '1 day' AND (SELECT random()) < 0.01;
  INSERT INTO login_throttle AS t (key_digest, failures, window_ends_at)
  VALUES (p_key_digest, 1, clock_timestamp() + make_interval(secs => p_window_ms / 1000.0))
  ON CONFLICT (key_digest) DO UPDATE SET
    failures = CASE WHEN t.window_ends_at <= clock_timestamp() THEN 1 ELSE t.failures + 1 END,
    window_ends_at = CASE WHEN t.window_ends_at <= clock_timestamp() THEN excluded.window_ends_at ELSE t.window_ends_at END
  RETURNING t.failures, t.window_ends_at;
$$;
COMMENT ON FUNCTION login_throttle_hit(text, integer) IS 'Counts one sign-in attempt for a key and returns the count and the end of its window (a new window when the last one ended).';

CREATE FUNCTION login_throttle_undo(p_key_digest text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  UPDATE login_throttle SET failures = greatest(failures - 1, 0)
  WHERE key_digest = p_key_digest AND window_ends_at > clock_timestamp()
$$;
COMMENT ON FUNCTION login_throttle_undo(text) IS 'Takes back one attempt (the sign-in succeeded: only failures count).';

CREATE FUNCTION login_throttle_reset(p_key_digest text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  DELETE FROM login_throttle WHERE key_digest = p_key_digest
$$;
COMMENT ON FUNCTION login_throttle_reset(text) IS 'Forgets a key''s attempts.';

REVOKE EXECUTE ON FUNCTION login_throttle_hit(text, integer), login_throttle_undo(text), login_throttle_reset(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION login_throttle_hit(text, integer), login_throttle_undo(text), login_throttle_reset(text) TO clinicpulse_auth;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION IF EXISTS login_throttle_hit(text, integer), login_throttle_undo(text), login_throttle_reset(text);
DROP TABLE IF EXISTS login_throttle;
`,
  );
}
