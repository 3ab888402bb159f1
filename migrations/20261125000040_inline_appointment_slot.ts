/**
 * appointment_slot() is evaluated for every appointment written, in both exclusion
 * constraints (and again when a constraint re-checks a candidate row). Declared with
 * `SET search_path`, PostgreSQL can neither inline it nor skip a GUC save/restore per
 * call: measured at ~10 us per call, a fifth of the cost of bulk-loading an appointment.
 *
 * The new body is inlinable: no SET clause, every name schema-qualified (so the caller's
 * search_path cannot redirect it), and immutable all the way down: timestamptz plus an
 * interval is only STABLE (days and months follow the session time zone), but the same
 * minutes added to the UTC wall clock are exact and IMMUTABLE. Same results for every
 * input, so the existing index entries stay valid (test/generator.test.ts checks both).
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION appointment_slot(starts timestamptz, minutes integer) RETURNS tstzrange
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.tstzrange(starts,
         ((starts AT TIME ZONE 'UTC') OPERATOR(pg_catalog.+) pg_catalog.make_interval(mins => minutes)) AT TIME ZONE 'UTC',
         '[)') $$;
COMMENT ON FUNCTION appointment_slot(timestamptz, integer) IS 'The half-open range [starts, starts + minutes) an appointment occupies; inlinable (no SET clause, schema-qualified) because the exclusion constraints evaluate it for every row written.';
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE OR REPLACE FUNCTION appointment_slot(starts timestamptz, minutes integer) RETURNS tstzrange
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog
  AS $$ SELECT tstzrange(starts, starts + minutes * interval '1 minute', '[)') $$;
`,
  );
}
