/**
 * Staff accounts and the acting identity. A request carries only
 * `SET LOCAL ROLE <group role>` and `app.user_id`; everything else (is the user
 * active, do they hold that role, which provider are they) is derived here from
 * staff_users, so a forged setting for another role or a deactivated user
 * resolves to no one. No identity sees no rows. See docs/security.md.
 */
import type { Knex } from 'knex';
import { asOwner, runSql } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await runSql(knex, `
    DO $$ BEGIN
      -- The role the service becomes to sign staff in and keep their HTTP sessions: nothing else.
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinicpulse_auth') THEN
        CREATE ROLE clinicpulse_auth NOLOGIN NOINHERIT;
      END IF;
    END $$;
    GRANT clinicpulse_auth TO clinicpulse_app;
    GRANT USAGE ON SCHEMA public TO clinicpulse_auth;
  `);
  await asOwner(
    knex,
    `
CREATE TABLE staff_users (
  user_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL CONSTRAINT staff_users_username_key UNIQUE
    CONSTRAINT staff_users_username_shape CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  role text NOT NULL CONSTRAINT staff_users_role_check CHECK (role IN ('front_desk','clinician','billing','manager','compliance')),
  provider_id integer REFERENCES providers(provider_id),
  -- scrypt, as produced by server/auth/passwords.ts: 'scrypt$N$r$p$salt$hash'.
  password_hash text NOT NULL CONSTRAINT staff_users_password_hash_shape CHECK (password_hash LIKE 'scrypt$%'),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  CONSTRAINT staff_users_clinician_has_provider CHECK ((role = 'clinician') = (provider_id IS NOT NULL)),
  CONSTRAINT staff_users_deactivation_dated CHECK (active = (deactivated_at IS NULL))
);

-- HTTP sessions (express-session store). Deleting a user's rows ends their sessions at once.
CREATE TABLE http_sessions (
  sid text PRIMARY KEY CONSTRAINT http_sessions_sid_shape CHECK (length(sid) BETWEEN 16 AND 128),
  user_id integer REFERENCES staff_users(user_id) ON DELETE CASCADE,
  sess jsonb NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX http_sessions_expires_at_idx ON http_sessions (expires_at);
CREATE INDEX http_sessions_user_id_idx ON http_sessions (user_id);

CREATE FUNCTION staff_users_end_sessions() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF NOT NEW.active OR NEW.role IS DISTINCT FROM OLD.role OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    DELETE FROM http_sessions WHERE user_id = NEW.user_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER staff_users_end_sessions AFTER UPDATE ON staff_users
  FOR EACH ROW EXECUTE FUNCTION staff_users_end_sessions();

-- app.user_id as an integer, or NULL when missing, empty or not a number (never an error).
CREATE FUNCTION app_user_id_setting() RETURNS integer
  LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
  SELECT CASE WHEN s ~ '^[1-9][0-9]{0,8}$' THEN s::integer END
  FROM (SELECT current_setting('app.user_id', true) AS s) x
$$;

-- Is (user, role) an active account holding that role? Security definer because staff roles
-- cannot read staff_users; it answers only yes/no plus the linked provider.
CREATE FUNCTION staff_identity(p_user_id integer, p_role text)
  RETURNS TABLE (user_id integer, provider_id integer)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT u.user_id, u.provider_id FROM staff_users u
  WHERE u.user_id = p_user_id AND u.active AND u.role = p_role
$$;

-- The acting staff user: app.user_id names an active account whose role is the current role.
-- Security invoker on purpose: current_user must be the caller's role, not the definer's.
CREATE FUNCTION current_staff_user_id() RETURNS integer
  LANGUAGE sql STABLE SET search_path = public, pg_catalog AS $$
  SELECT user_id FROM staff_identity(app_user_id_setting(), current_user::text)
$$;

CREATE FUNCTION current_staff_provider_id() RETURNS integer
  LANGUAGE sql STABLE SET search_path = public, pg_catalog AS $$
  SELECT provider_id FROM staff_identity(app_user_id_setting(), current_user::text) WHERE current_user = 'clinician'
$$;

ALTER TABLE staff_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_users FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner manages accounts" ON staff_users TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "staff see their own account" ON staff_users FOR SELECT
  TO front_desk, clinician, billing, manager, compliance
  USING (user_id = app_user_id_setting());
CREATE POLICY "compliance sees all accounts" ON staff_users FOR SELECT TO compliance
  USING (current_staff_user_id() IS NOT NULL);
CREATE POLICY "compliance deactivates accounts" ON staff_users FOR UPDATE TO compliance
  USING (current_staff_user_id() IS NOT NULL) WITH CHECK (current_staff_user_id() IS NOT NULL);

GRANT SELECT (user_id, username, role, provider_id, active, created_at, deactivated_at) ON staff_users
  TO front_desk, clinician, billing, manager, compliance;
GRANT UPDATE (active, deactivated_at) ON staff_users TO compliance;

REVOKE EXECUTE ON FUNCTION app_user_id_setting(), staff_identity(integer, text), current_staff_user_id(),
  current_staff_provider_id(), staff_users_end_sessions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_user_id_setting(), staff_identity(integer, text), current_staff_user_id(), current_staff_provider_id()
  TO front_desk, clinician, billing, manager, compliance;

-- Sign-in: the only way to read a password hash, by exact username, for the auth role alone.
CREATE FUNCTION staff_login_lookup(p_username text)
  RETURNS TABLE (user_id integer, username text, role text, provider_id integer, password_hash text, active boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT user_id, username, role, provider_id, password_hash, active FROM staff_users WHERE username = p_username
$$;
-- A session's user as they are now (the session store re-checks on every request).
CREATE FUNCTION staff_session_user(p_user_id integer)
  RETURNS TABLE (user_id integer, username text, role text, provider_id integer, active boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT user_id, username, role, provider_id, active FROM staff_users WHERE user_id = p_user_id
$$;
REVOKE EXECUTE ON FUNCTION staff_login_lookup(text), staff_session_user(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION staff_login_lookup(text), staff_session_user(integer) TO clinicpulse_auth;
GRANT SELECT, INSERT, UPDATE, DELETE ON http_sessions TO clinicpulse_auth;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
    DROP FUNCTION IF EXISTS staff_login_lookup(text), staff_session_user(integer), current_staff_provider_id(),
      current_staff_user_id(), staff_identity(integer, text), app_user_id_setting() CASCADE;
    DROP TABLE IF EXISTS http_sessions, staff_users CASCADE;
    DROP FUNCTION IF EXISTS staff_users_end_sessions();
  `,
  );
}
