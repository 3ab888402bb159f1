/**
 * The demo seed: a deterministic, realistic clinic loaded into an empty database
 * (20 providers over seven specialties, 2,000 patients, six months of history and
 * a month ahead, anchored on today in the clinic's time zone). Generation lives in
 * server/generate/ (shared with `npm run generate`); reference data in seeds/data/.
 * Everything goes in through COPY with every constraint and trigger enabled.
 */
import type { Knex } from 'knex';
import type pg from 'pg';

export interface SeedSummary {
  providers: number;
  patients: number;
  appointments: number;
}

// Serialises concurrent starts on one database: the second waits, then finds data.
const SEED_LOCK = 7_340_001;

/**
 * Load the demo data when the clinic is empty (no providers and no patients);
 * returns what was loaded, or undefined when there was already data. `now` anchors
 * the schedule (default: the current time); the same `now` gives the same rows.
 */
export async function seedDemoIfEmpty(knex: Knex, opts: { now?: Date } = {}): Promise<SeedSummary | undefined> {
  const lock = (await knex.client.acquireConnection()) as pg.ClientBase;
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [SEED_LOCK]);
    try {
      const { rows } = await lock.query<{ empty: boolean }>(
        'SELECT NOT EXISTS (SELECT 1 FROM providers) AND NOT EXISTS (SELECT 1 FROM patients) AS empty',
      );
      if (!rows[0]!.empty) return undefined;
      // Loaded only here: the generator pulls in faker (all its locales), which would cost every
      // start on existing data a second or more of module loading (bench/sections/80-start.ts).
      const { loadDemo } = await import('../server/generate/index.js');
      const result = await loadDemo(knex, { now: opts.now });
      return { providers: result.counts.providers, patients: result.counts.patients, appointments: result.counts.appointments };
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [SEED_LOCK]);
    }
  } finally {
    await knex.client.releaseConnection(lock);
  }
}
