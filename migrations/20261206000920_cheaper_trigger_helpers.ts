/**
 * Cheaper helpers on the booking write path (issue 14, item 4). Measured with
 * track_functions = all (1,500 single-row INSERTs into appointments, one client):
 * clinic_time_zone() was called 3 times per booking and audit_actor() once, and together
 * they took about 0.38 ms of self time per booking, as much as the audit trigger itself.
 * Almost all of it was their `SET search_path` clause: a function with a SET clause runs
 * through the GUC save/restore machinery on every call.
 *
 * Both are caller's-rights SQL functions, so the clause protected nothing a schema-qualified
 * body does not: every name in them is now qualified, and they are only ever called from
 * owner-rights functions (which pin their own search_path) or, for clinic_time_zone, from
 * the clinic-time helpers. Same results, same grants, same comments.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- LANGUAGE plpgsql: its statement plan is kept for the session, where a non-inlined SQL
-- function called from a trigger is parsed and planned again in every transaction.
CREATE OR REPLACE FUNCTION clinic_time_zone() RETURNS text
  LANGUAGE plpgsql STABLE
  AS $$ BEGIN RETURN (SELECT s.time_zone FROM public.clinic_settings s); END $$;

CREATE OR REPLACE FUNCTION audit_actor(OUT actor_user_id integer, OUT actor_role text)
  RETURNS record LANGUAGE plpgsql STABLE AS $$
DECLARE
  r text := pg_catalog.current_setting('role');
BEGIN
  IF r = 'none' THEN r := session_user::text; END IF;
  actor_role := r;
  IF r IN ('front_desk', 'clinician', 'billing', 'manager', 'compliance') THEN
    actor_user_id := (SELECT s.user_id FROM public.staff_identity(public.app_user_id_setting(), r) s);
  END IF;
END $$;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION clinic_time_zone() RETURNS text
  LANGUAGE sql STABLE SET search_path = public, pg_catalog
  AS $$ SELECT time_zone FROM clinic_settings $$;

CREATE OR REPLACE FUNCTION audit_actor(OUT actor_user_id integer, OUT actor_role text)
  RETURNS record LANGUAGE sql STABLE SET search_path = public, pg_catalog AS $$
  SELECT CASE WHEN r IN ('front_desk','clinician','billing','manager','compliance')
              THEN (SELECT s.user_id FROM staff_identity(app_user_id_setting(), r) s) END,
         r
  FROM (SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text
                    ELSE current_setting('role') END AS r) x
$$;
`,
  );
}
