/**
 * The session statement of every API request (staff_session_resume, 20261206000900) ran its
 * idle-deadline UPDATE on every request, matching no row unless the deadline was due to move
 * (about once a minute): an index probe and a statement for nothing on almost every request.
 * The deadline is now read with the session row and the UPDATE runs only when it is due; the
 * UPDATE keeps its own condition, so what is written, and when, is unchanged: the idle timeout
 * exact to within the slack, the absolute lifetime, the account check on every request.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION staff_session_resume(p_sid text, p_touch boolean, p_idle_ms bigint, p_slack_ms bigint, p_absolute_ms bigint)
  RETURNS TABLE (user_id integer, username text, role text, provider_id integer)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  s record;
  issued timestamptz;
  deadline timestamptz;
BEGIN
  SELECT h.user_id AS uid, h.sess, h.expires_at INTO s FROM http_sessions h WHERE h.sid = p_sid AND h.expires_at > now();
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
    -- Only when due (about once a minute): most requests run no UPDATE at all. The UPDATE
    -- re-checks the deadline, so a concurrent request's write is never moved backwards.
    IF s.expires_at < deadline - make_interval(secs => p_slack_ms / 1000.0) THEN
      UPDATE http_sessions h SET expires_at = deadline
        WHERE h.sid = p_sid AND h.expires_at < deadline - make_interval(secs => p_slack_ms / 1000.0);
    END IF;
  END IF;
END $$;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION staff_session_resume(p_sid text, p_touch boolean, p_idle_ms bigint, p_slack_ms bigint, p_absolute_ms bigint)
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
`,
  );
}
