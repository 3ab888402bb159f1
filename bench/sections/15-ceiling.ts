/**
 * The ceiling every booking figure is compared with: single-row INSERTs into a
 * bare appointments-like table that has the same two btree_gist exclusion constraints
 * (provider and patient, on appointment_slot(), ignoring cancelled rows) and a row-level
 * NOTIFY trigger, and nothing else: no foreign keys, no state machine, audit, outbox or
 * counters. It is filled with the generated appointments first, so its indexes are as big
 * as the real ones. Measured at 1, 4 and 16 clients over plain pg connections (superuser,
 * no RLS), like the raw INSERT rows of the later sections; the rates go to ctx.ceiling.
 */
import pg from 'pg';
import { throughput, type BenchContext, type BenchRow, type BenchSection } from '../context.js';

const CONCURRENCY = [1, 4, 16] as const;
const SECONDS = 5;
const EPOCH = Date.UTC(2095, 0, 1);
const SLOT_MS = 30 * 60_000;

const section: BenchSection = {
  title: 'Ceiling: bare GiST + NOTIFY',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    await ctx.knex.raw(`
      DROP TABLE IF EXISTS bench_ceiling;
      CREATE TABLE bench_ceiling (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        patient_id integer NOT NULL,
        provider_id integer NOT NULL,
        scheduled_at timestamptz NOT NULL,
        duration_min integer NOT NULL,
        status text NOT NULL DEFAULT 'scheduled',
        EXCLUDE USING gist (patient_id WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled'),
        EXCLUDE USING gist (provider_id WITH =, appointment_slot(scheduled_at, duration_min) WITH &&) WHERE (status <> 'cancelled')
      );
      CREATE FUNCTION bench_ceiling_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('bench_ceiling', NEW.id::text); RETURN NULL; END $$;
      CREATE TRIGGER bench_ceiling_notify AFTER INSERT ON bench_ceiling FOR EACH ROW EXECUTE FUNCTION bench_ceiling_notify();
      INSERT INTO bench_ceiling (patient_id, provider_id, scheduled_at, duration_min, status)
        SELECT patient_id, provider_id, scheduled_at, duration_min, status FROM appointments;
      ANALYZE bench_ceiling;
    `);
    const { rows: who } = await ctx.knex.raw('SELECT max(patient_id) AS patients, max(provider_id) AS providers FROM appointments');
    const pool = new pg.Pool({ connectionString: ctx.adminUrl, max: 16 });
    const rows: BenchRow[] = [];
    ctx.ceiling = new Map();
    let slot = 0;
    try {
      for (const clients of CONCURRENCY) {
        const rate = await throughput(clients, SECONDS, async () => {
          const n = slot++;
          await pool.query('INSERT INTO bench_ceiling (patient_id, provider_id, scheduled_at, duration_min) VALUES ($1, $2, $3, 30)', [
            1 + (n % Number(who[0].patients)),
            1 + (n % Number(who[0].providers)),
            new Date(EPOCH + n * SLOT_MS),
          ]);
        });
        ctx.ceiling.set(clients, rate);
        rows.push({
          metric: `bare INSERT/s, ${clients} client${clients > 1 ? 's' : ''}`,
          value: Math.round(rate),
          unit: '/s',
          note: `${SECONDS} s; same two GiST exclusions + a NOTIFY trigger, ${ctx.appointments.toLocaleString('en-US')} rows already in it; every booking figure below is a ratio to this`,
        });
      }
      return rows;
    } finally {
      await pool.end();
      await ctx.knex.raw('DROP TABLE IF EXISTS bench_ceiling; DROP FUNCTION IF EXISTS bench_ceiling_notify()');
    }
  },
};

export default section;
