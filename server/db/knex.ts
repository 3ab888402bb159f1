/**
 * Building knex instances. The pool never logs query parameters (they may hold
 * PII); timing and errors are observed in server/db/index.ts.
 */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// Return dates (PostgreSQL `date`) as 'YYYY-MM-DD' strings: a calendar day has no time zone,
// and turning it into a JS Date at local midnight would shift it.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
// bigint counts (count(*)) fit comfortably in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export interface KnexOptions {
  poolMin?: number;
  poolMax?: number;
  applicationName?: string;
}

export function createKnex(connectionString: string, opts: KnexOptions = {}): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString, application_name: opts.applicationName ?? 'clinicpulse' },
    pool: { min: opts.poolMin ?? 0, max: opts.poolMax ?? 10 },
    acquireConnectionTimeout: 10_000,
    // On error knex otherwise re-substitutes bound values into the SQL it puts in the message
    // (wherever the positioned SQL still holds a '?', e.g. an escaped jsonb operator): patient
    // data in logs. Off, the message carries the SQL with its $n placeholders only.
    compileSqlOnError: false,
  });
}
