/**
 * Where a booking's database time goes: single-row INSERTs into
 * appointments as superuser on one connection with track_functions = all, then the
 * per-booking self time and calls of every function from pg_stat_user_functions (the
 * difference across the run). Shows the trigger bodies' share of a booking and how often
 * clinic_time_zone() is called per row.
 */
import pg from 'pg';
import type { BenchContext, BenchRow, BenchSection } from '../context.js';

const BOOKINGS = 1000;
const EPOCH = Date.UTC(2091, 0, 1);
const SLOT_MS = 30 * 60_000;

interface FnStat {
  funcname: string;
  calls: number;
  self_time: number;
}

const section: BenchSection = {
  title: 'Booking trigger costs',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const client = new pg.Client({ connectionString: ctx.adminUrl, application_name: 'bench-trigger-costs' });
    await client.connect();
    const snapshot = async (): Promise<Map<string, FnStat>> => {
      await client.query('SELECT pg_stat_force_next_flush()');
      await client.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await client.query<FnStat>('SELECT funcname, calls::float8 AS calls, self_time::float8 AS self_time FROM pg_stat_user_functions');
      return new Map(rows.map((r) => [r.funcname, r]));
    };
    try {
      await client.query("SET track_functions = 'all'");
      const { rows: who } = await client.query('SELECT min(patient_id) AS patient, min(provider_id) AS provider FROM appointments');
      await client.query('SELECT 1');
      const before = await snapshot();
      const start = process.hrtime.bigint();
      for (let i = 0; i < BOOKINGS; i++) {
        await client.query('INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES ($1, $2, $3, 30)', [
          who[0].patient,
          who[0].provider,
          new Date(EPOCH + i * SLOT_MS),
        ]);
      }
      const wall = Number(process.hrtime.bigint() - start) / 1e6 / BOOKINGS;
      await client.query('SELECT 1');
      const after = await snapshot();
      const per = [...after.values()]
        .map((a) => {
          const b = before.get(a.funcname);
          return { name: a.funcname, calls: (a.calls - (b?.calls ?? 0)) / BOOKINGS, ms: (a.self_time - (b?.self_time ?? 0)) / BOOKINGS };
        })
        .filter((f) => f.calls > 0)
        .sort((x, y) => y.ms - x.ms);
      const inFunctions = per.reduce((s, f) => s + f.ms, 0);
      const rows: BenchRow[] = [
        { metric: 'single-row INSERT into appointments, wall per booking', value: Math.round(wall * 1000) / 1000, unit: 'ms', note: `${BOOKINGS} autocommit INSERTs, 1 client, superuser, track_functions = all` },
        { metric: 'of which in functions (self time)', value: Math.round(inFunctions * 1000) / 1000, unit: 'ms', note: `${per.length} functions called` },
      ];
      for (const f of per.slice(0, 8)) {
        rows.push({ metric: `  ${f.name}`, value: Math.round(f.ms * 1000) / 1000, unit: 'ms/booking', note: `${f.calls.toFixed(2)} calls per booking` });
      }
      const tz = per.find((f) => f.name === 'clinic_time_zone');
      rows.push({ metric: 'clinic_time_zone() calls per booking', value: tz ? Math.round(tz.calls * 100) / 100 : 0, unit: 'calls', note: tz ? `${(tz.ms * 1000).toFixed(1)} µs per booking` : 'not called as a function (inlined or hoisted)' });
      return rows;
    } finally {
      await client.query(`DELETE FROM appointments WHERE scheduled_at >= timestamptz '2091-01-01 00:00Z' AND scheduled_at < timestamptz '2092-01-01 00:00Z'`).catch(() => undefined);
      await client.end();
    }
  },
};

export default section;
