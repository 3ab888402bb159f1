/**
 * Cheaper identity and clinic-zone checks on every staff read.
 *
 * Every row-level policy asks `(SELECT current_staff_user_id())`, and every clinic-day query
 * asks clinic_time_zone() (directly, and twice through each clinic_day_range()). As a staff
 * role, measured on the bench's 1M dataset (10,000 calls in one statement, front desk):
 *  - current_staff_user_id() took 33 µs a call: a PL/pgSQL function with a SET clause, whose
 *    one statement called staff_identity() (PL/pgSQL, RETURN QUERY) and app_user_id_setting()
 *    (SQL with its own SET clause, never inlined);
 *  - clinic_time_zone() took 30–66 µs: its read of clinic_settings runs the table's policy,
 *    which runs that whole identity chain again, on every call.
 * A provider's day (the schedule query: two rows on average) spent about 0.45 ms of its
 * 1.05 ms in them; as superuser, with no policy, the same query took 0.53 ms.
 *
 * Now:
 *  - current_staff_user_id() is a SQL function with a standard body (BEGIN ATOMIC), so the
 *    planner inlines it into each policy: `staff_identity_user_id(app_user_id_setting(),
 *    CURRENT_USER)`. It stays caller's-rights, so CURRENT_USER is still the role the request
 *    acts as. A standard body is bound to its objects when created, so no search_path (and no
 *    temporary table) can redirect it, which is what its SET clause was for.
 *  - staff_identity_user_id() is the one owner-rights lookup: the account, active, holding
 *    that role. PL/pgSQL keeps its statement planned for the session.
 *  - clinic_time_zone() runs with the owner's rights, whose policy on clinic_settings is
 *    `true`, so it no longer runs the identity chain. The clinic's zone is configuration, not
 *    a person's data: a staff role without an identity now learns the zone (and nothing
 *    else: clinic_settings itself still answers only a signed-in staff member). As the owner
 *    (the triggers' case) it costs about 2 µs more a call, three calls a booking.
 * Same results, same grants. The schedule query went from 1.05 to 0.62 ms (pgbench, front desk,
 * random provider-days, interleaved); bench section 20 compares the two in the same run.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const STAFF = 'billing, clinician, compliance, front_desk, manager';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE FUNCTION staff_identity_user_id(p_user_id integer, p_role text) RETURNS integer
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$ BEGIN
    RETURN (SELECT u.user_id FROM staff_users u WHERE u.user_id = p_user_id AND u.active AND u.role = p_role);
  END $$;
REVOKE EXECUTE ON FUNCTION staff_identity_user_id(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION staff_identity_user_id(integer, text) TO ${STAFF};
COMMENT ON FUNCTION staff_identity_user_id(integer, text) IS 'p_user_id when it is an active account holding role p_role, else NULL: staff_identity() without the provider, as a scalar the planner can call from an inlined current_staff_user_id(). Security definer because staff roles cannot read staff_users; it answers only that.';

ALTER FUNCTION current_staff_user_id() RESET ALL;
CREATE OR REPLACE FUNCTION current_staff_user_id() RETURNS integer
  LANGUAGE sql STABLE
  BEGIN ATOMIC
    SELECT public.staff_identity_user_id(public.app_user_id_setting(), CURRENT_USER::text);
  END;

CREATE OR REPLACE FUNCTION clinic_time_zone() RETURNS text
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$ BEGIN RETURN (SELECT s.time_zone FROM public.clinic_settings s); END $$;
COMMENT ON FUNCTION clinic_time_zone() IS 'The clinic''s IANA time zone (clinic_settings.time_zone); every clinic day and month is in it. Owner''s rights: the zone is configuration, so it answers without running the identity check of clinic_settings'' policy on every call.';
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION clinic_time_zone() RETURNS text
  LANGUAGE plpgsql STABLE SECURITY INVOKER
  AS $$ BEGIN RETURN (SELECT s.time_zone FROM public.clinic_settings s); END $$;
ALTER FUNCTION clinic_time_zone() RESET ALL;
COMMENT ON FUNCTION clinic_time_zone() IS 'The clinic''s IANA time zone (clinic_settings.time_zone); every clinic day and month is in it.';

CREATE OR REPLACE FUNCTION current_staff_user_id() RETURNS integer
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp
  AS $$
BEGIN
  RETURN (SELECT s.user_id FROM staff_identity(app_user_id_setting(), current_user::text) s);
END $$;

DROP FUNCTION staff_identity_user_id(integer, text);
`,
  );
}
