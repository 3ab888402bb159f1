/**
 * Corrections to the clinic schema of 20261125000002, as a new migration because
 * that one may already be applied somewhere. Each fix says what was wrong.
 * Why the rules exist at all: docs/design-decisions.md.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
-- 1. Every INSERT and DELETE on appointments failed ("aggregate functions are not allowed in
--    GROUP BY"): GROUP BY 1, 2, 3 referred to output columns, and the only output column was
--    the whole ROW(...) including count(*). Group by the expressions in a subquery instead.
CREATE OR REPLACE FUNCTION appointment_stats_apply() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  tz text := clinic_time_zone();
  deltas appointment_stats_delta[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    deltas := ARRAY(SELECT ROW(d.provider_id, d.m, d.status, d.n)::appointment_stats_delta
                    FROM (SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date AS m, status, count(*) AS n
                          FROM new_rows GROUP BY provider_id, m, status) d);
  ELSIF TG_OP = 'DELETE' THEN
    deltas := ARRAY(SELECT ROW(d.provider_id, d.m, d.status, -d.n)::appointment_stats_delta
                    FROM (SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date AS m, status, count(*) AS n
                          FROM old_rows GROUP BY provider_id, m, status) d);
  ELSE
    deltas := ARRAY(SELECT ROW(d.provider_id, d.m, d.status, d.n)::appointment_stats_delta
                    FROM (SELECT provider_id, m, status, sum(sign) AS n
                          FROM (SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date AS m, status, 1 AS sign
                                FROM new_rows
                                UNION ALL
                                SELECT provider_id, date_trunc('month', scheduled_at AT TIME ZONE tz)::date, status, -1
                                FROM old_rows) u
                          GROUP BY provider_id, m, status HAVING sum(sign) <> 0) d);
  END IF;
  IF cardinality(deltas) > 0 THEN
    PERFORM appointment_stats_merge(deltas);
  END IF;
  RETURN NULL;
END $$;

-- 2. A race let a cancelled appointment end up with a visit: the visit trigger read the
--    status without a lock while a concurrent cancel checked for visits it could not yet
--    see. Locking the appointment row (FOR NO KEY UPDATE, the mode the cancel's UPDATE takes)
--    makes one wait for the other and then see its result. The same mode as the later
--    "completed" update, so a visit insert never has to upgrade its lock (no deadlock).
CREATE OR REPLACE FUNCTION visits_require_arrival() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE s text;
BEGIN
  SELECT status INTO s FROM appointments WHERE appointment_id = NEW.appointment_id FOR NO KEY UPDATE;
  IF s IS NOT NULL AND s NOT IN ('checked_in','completed') THEN
    RAISE EXCEPTION 'a visit needs a checked-in or completed appointment; appointment % is %', NEW.appointment_id, s
      USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_require_arrival';
  END IF;
  RETURN NEW;
END $$;

-- 3. A time-zone change recounted from a snapshot while bookings in flight still added
--    deltas computed with the old zone. SHARE mode waits for in-flight writers and holds
--    new ones until the change commits, after which their triggers read the new zone.
CREATE OR REPLACE FUNCTION appointment_stats_rebuild() RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  LOCK TABLE appointments IN SHARE MODE;
  DELETE FROM appointment_monthly_stats;
  INSERT INTO appointment_monthly_stats (provider_id, month, total, scheduled, checked_in, completed, cancelled, no_show)
  SELECT provider_id, clinic_month(scheduled_at), count(*),
         count(*) FILTER (WHERE status = 'scheduled'), count(*) FILTER (WHERE status = 'checked_in'),
         count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'cancelled'),
         count(*) FILTER (WHERE status = 'no_show')
  FROM appointments GROUP BY 1, 2;
END $$;
REVOKE EXECUTE ON FUNCTION appointment_stats_rebuild() FROM PUBLIC;

-- 4. TRUNCATE fires no row or statement DML triggers, so it left the counters stale.
CREATE FUNCTION appointment_stats_truncated() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  DELETE FROM appointment_monthly_stats;
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION appointment_stats_truncated() FROM PUBLIC;
CREATE TRIGGER appointment_stats_truncate AFTER TRUNCATE ON appointments
  FOR EACH STATEMENT EXECUTE FUNCTION appointment_stats_truncated();

-- 5. Deleting the single clinic_settings row made clinic_time_zone() NULL, and with it every
--    clinic day and month. The row can be changed, never removed.
CREATE FUNCTION clinic_settings_keep_row() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public, pg_catalog AS $$
BEGIN
  RAISE EXCEPTION 'the clinic settings row cannot be removed; update it instead'
    USING ERRCODE = 'check_violation', CONSTRAINT = 'clinic_settings_singleton';
END $$;
REVOKE EXECUTE ON FUNCTION clinic_settings_keep_row() FROM PUBLIC;
CREATE TRIGGER clinic_settings_keep_row BEFORE DELETE ON clinic_settings
  FOR EACH ROW EXECUTE FUNCTION clinic_settings_keep_row();
CREATE TRIGGER clinic_settings_keep_row_truncate BEFORE TRUNCATE ON clinic_settings
  FOR EACH STATEMENT EXECUTE FUNCTION clinic_settings_keep_row();
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  // The corrected function bodies stay: the originals were broken, and 20261125000002's
  // down drops these functions anyway.
  await asOwner(
    knex,
    `
    DROP TRIGGER IF EXISTS clinic_settings_keep_row_truncate ON clinic_settings;
    DROP TRIGGER IF EXISTS clinic_settings_keep_row ON clinic_settings;
    DROP FUNCTION IF EXISTS clinic_settings_keep_row();
    DROP TRIGGER IF EXISTS appointment_stats_truncate ON appointments;
    DROP FUNCTION IF EXISTS appointment_stats_truncated();
  `,
  );
}
