/**
 * Free-slot search (issue 13, part 2): "when is Dr X next free for 30 minutes?" and
 * "who in cardiology is free this week?". One set-wise query per call, computing
 * exactly what the booking rules (20261206000600) and the exclusion constraint accept:
 *
 *   free = (each working interval of each clinic-local day, or the whole window for a
 *           provider without working hours) ∩ [now + 1 minute, end of window)
 *          − non-cancelled appointments − time off          (multirange arithmetic)
 *
 * then every start on the clinic's slot grid (clinic_settings.slot_step_min, default 15)
 * whose [start, start + duration) fits in one free piece. Working intervals are kept apart
 * (not merged), so a slot never spans a lunch break, as the trigger requires.
 * Busy times name no patient, so the function runs with the owner's rights and any
 * staff member who books may call it (a clinician's RLS would otherwise hide other
 * providers' appointments and show busy time as free).
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
ALTER TABLE clinic_settings ADD COLUMN slot_step_min integer NOT NULL DEFAULT 15
  CONSTRAINT clinic_settings_slot_step_min_check CHECK (slot_step_min IN (5, 10, 15, 20, 30, 60));
COMMENT ON COLUMN clinic_settings.slot_step_min IS 'The grid free slots are offered on, in minutes (5, 10, 15, 20, 30 or 60; default 15), aligned to the clinic-local hour.';

CREATE FUNCTION free_slots(p_provider_ids integer[], p_from date, p_to date, p_minutes integer, p_limit integer DEFAULT 1000)
  RETURNS TABLE (provider_id integer, starts timestamptz, ends timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  WITH s AS MATERIALIZED (
    SELECT cs.time_zone AS tz, cs.slot_step_min * 60 AS step_s, make_interval(mins => cs.slot_step_min) AS step,
           make_interval(mins => p_minutes) AS len,
           greatest(lower(clinic_day_range(p_from)), now() + interval '1 minute') AS w_from,
           upper(clinic_day_range(p_to)) AS w_to
    FROM clinic_settings cs
  ),
  prov AS MATERIALIZED (
    SELECT DISTINCT x.id AS provider_id FROM unnest(p_provider_ids[1:200]) x(id)
    WHERE EXISTS (SELECT 1 FROM providers pr WHERE pr.provider_id = x.id)
  ),
  windows AS (
    SELECT h.provider_id,
           tstzrange((d.day::date + h.starts_at) AT TIME ZONE s.tz, (d.day::date + h.ends_at) AT TIME ZONE s.tz, '[)') AS r
    FROM s CROSS JOIN prov p
    JOIN provider_working_hours h ON h.provider_id = p.provider_id
    CROSS JOIN generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') d(day)
    WHERE h.iso_weekday = extract(isodow FROM d.day)
    UNION ALL
    SELECT p.provider_id, tstzrange(s.w_from, s.w_to, '[)')
    FROM s CROSS JOIN prov p
    WHERE NOT EXISTS (SELECT 1 FROM provider_working_hours h WHERE h.provider_id = p.provider_id)
  ),
  -- Once per provider (MATERIALIZED: inlined, it would be re-run for every working interval).
  -- The start bound lets appointments(provider_id, scheduled_at) serve it as a range scan:
  -- nothing lasts more than 480 minutes.
  blocked AS MATERIALIZED (
    SELECT p.provider_id,
           coalesce((SELECT range_agg(appointment_slot(a.scheduled_at, a.duration_min)) FROM appointments a
                     WHERE a.provider_id = p.provider_id AND a.status <> 'cancelled'
                       AND a.scheduled_at >= s.w_from - interval '480 minutes' AND a.scheduled_at < s.w_to
                       AND appointment_slot(a.scheduled_at, a.duration_min) && tstzrange(s.w_from, s.w_to)),
                    '{}'::tstzmultirange)
           + coalesce((SELECT range_agg(t.period) FROM provider_time_off t
                       WHERE t.provider_id = p.provider_id AND t.period && tstzrange(s.w_from, s.w_to)),
                      '{}'::tstzmultirange) AS m
    FROM s CROSS JOIN prov p
  ),
  free AS (
    SELECT w.provider_id, f.r
    FROM s CROSS JOIN windows w JOIN blocked b ON b.provider_id = w.provider_id
    CROSS JOIN LATERAL unnest(tstzmultirange(w.r * tstzrange(s.w_from, s.w_to, '[)')) - b.m) f(r)
    WHERE upper(f.r) - lower(f.r) >= s.len
  )
  SELECT f.provider_id, g.st, g.st + s.len
  FROM s CROSS JOIN free f
  -- The first grid point at or after the piece's start, on the clinic-local clock.
  CROSS JOIN LATERAL generate_series(
    (to_timestamp(ceil(extract(epoch FROM (lower(f.r) AT TIME ZONE s.tz)) / s.step_s) * s.step_s) AT TIME ZONE 'UTC') AT TIME ZONE s.tz,
    upper(f.r) - s.len, s.step) g(st)
  ORDER BY g.st, f.provider_id
  LIMIT greatest(least(p_limit, 5000), 1)
$$;
COMMENT ON FUNCTION free_slots(integer[], date, date, integer, integer) IS 'Free slots of up to 200 providers over clinic-local days [from, to]: starts on the clinic slot grid, at least a minute from now, inside one working interval (any time without working hours), overlapping no non-cancelled appointment and no time off; sorted by start, then provider; at most 5000. Busy times only, no patient: owner''s rights.';
REVOKE EXECUTE ON FUNCTION free_slots(integer[], date, date, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION free_slots(integer[], date, date, integer, integer) TO front_desk, clinician, manager;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION IF EXISTS free_slots(integer[], date, date, integer, integer);
ALTER TABLE clinic_settings DROP COLUMN IF EXISTS slot_step_min;
`,
  );
}
