/**
 * A lean request path (issue 14, item 1). An API request used to read its session in one
 * transaction (as clinicpulse_auth), re-save it (a write and a WAL flush per GET), and run
 * its work as the staff member in a second transaction. Now one statement, at the start of
 * the request's only transaction, does all of it:
 *
 *   SET LOCAL ROLE clinicpulse_auth; SELECT * FROM staff_session_enter(<stored id>, ...)
 *
 * staff_session_resume (owner's rights, for clinicpulse_auth only) finds the unexpired
 * session row by its stored id (the HMAC, never the cookie's id), checks the account is
 * active and still holds the role it signed in with, enforces the absolute lifetime, and
 * moves the idle deadline only when it would move by at least p_slack_ms (about once a
 * minute, so a GET normally writes nothing). staff_session_enter (caller's rights: SET ROLE
 * is not allowed inside an owner-rights function) then becomes that staff member for the
 * rest of the transaction (SET LOCAL ROLE + app.user_id), exactly as asStaff does.
 * Deactivation still deletes the session rows (staff_users trigger) and the account is
 * re-read on every request, so a revoked session ends at the very next request.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE FUNCTION staff_session_resume(p_sid text, p_touch boolean, p_idle_ms bigint, p_slack_ms bigint, p_absolute_ms bigint)
  RETURNS TABLE (user_id integer, username text, role text, provider_id integer)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  s record;
  issued timestamptz;
  deadline timestamptz;
BEGIN
  SELECT h.user_id AS uid, h.sess INTO s FROM http_sessions h WHERE h.sid = p_sid AND h.expires_at > now();
  IF NOT FOUND OR s.uid IS NULL THEN RETURN; END IF;
  IF jsonb_typeof(s.sess -> 'issuedAt') IS DISTINCT FROM 'number' THEN
    DELETE FROM http_sessions h WHERE h.sid = p_sid;
    RETURN;
  END IF;
  issued := to_timestamp((s.sess ->> 'issuedAt')::double precision / 1000);
  IF now() >= issued + make_interval(secs => p_absolute_ms / 1000.0) THEN
    DELETE FROM http_sessions h WHERE h.sid = p_sid;
    RETURN;
  END IF;
  RETURN QUERY SELECT u.user_id, u.username, u.role, u.provider_id FROM staff_users u
    WHERE u.user_id = s.uid AND u.active AND u.role = (s.sess ->> 'role');
  IF NOT FOUND THEN
    DELETE FROM http_sessions h WHERE h.sid = p_sid;
    RETURN;
  END IF;
  IF p_touch THEN
    deadline := least(now() + make_interval(secs => p_idle_ms / 1000.0), issued + make_interval(secs => p_absolute_ms / 1000.0));
    UPDATE http_sessions h SET expires_at = deadline
      WHERE h.sid = p_sid AND h.expires_at < deadline - make_interval(secs => p_slack_ms / 1000.0);
  END IF;
END $$;
COMMENT ON FUNCTION staff_session_resume(text, boolean, bigint, bigint, bigint) IS 'The account behind an unexpired session (by stored id, the HMAC): returned only when the account is active, still holds the role it signed in with and the absolute lifetime has not passed (otherwise the session row is deleted). With p_touch, moves the idle deadline to now + p_idle_ms (capped by the absolute deadline) only if that moves it by at least p_slack_ms, so an active session is written about once a minute, not on every request.';
REVOKE EXECUTE ON FUNCTION staff_session_resume(text, boolean, bigint, bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION staff_session_resume(text, boolean, bigint, bigint, bigint) TO clinicpulse_auth;

-- Caller's rights on purpose, and no SET clause: its SET LOCAL ROLE must outlive the call.
-- Every name is schema-qualified, so the caller's search_path does not matter.
CREATE FUNCTION staff_session_enter(p_sid text, p_touch boolean, p_idle_ms bigint, p_slack_ms bigint, p_absolute_ms bigint)
  RETURNS TABLE (user_id integer, username text, role text, provider_id integer)
  LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  r record;
BEGIN
  SELECT * INTO r FROM public.staff_session_resume(p_sid, p_touch, p_idle_ms, p_slack_ms, p_absolute_ms);
  IF NOT FOUND OR r.role NOT IN ('front_desk', 'clinician', 'billing', 'manager', 'compliance') THEN RETURN; END IF;
  PERFORM pg_catalog.set_config('app.user_id', r.user_id::text, true);
  EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r.role);
  user_id := r.user_id;
  username := r.username;
  role := r.role;
  provider_id := r.provider_id;
  RETURN NEXT;
END $$;
COMMENT ON FUNCTION staff_session_enter(text, boolean, bigint, bigint, bigint) IS 'Starts an API request''s transaction: staff_session_resume, then becomes that staff member for the rest of the transaction (SET LOCAL ROLE to their group role and the transaction-local app.user_id), as asStaff does. Returns the account, or no row (and changes nothing) when the session is not valid. Caller''s rights, because SET ROLE is refused inside owner-rights functions; called as clinicpulse_auth.';
REVOKE EXECUTE ON FUNCTION staff_session_enter(text, boolean, bigint, bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION staff_session_enter(text, boolean, bigint, bigint, bigint) TO clinicpulse_auth;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION IF EXISTS staff_session_enter(text, boolean, bigint, bigint, bigint);
DROP FUNCTION IF EXISTS staff_session_resume(text, boolean, bigint, bigint, bigint);
`,
  );
}
