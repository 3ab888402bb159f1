/**
 * Where a booking's database time goes: single-row INSERTs into
 * appointments as superuser on one connection with track_functions = all, then the
 * per-booking self time and calls of every function from pg_stat_user_functions (the
 * difference across the run). Shows the trigger bodies' share of a booking and how often
 * clinic_time_zone() is called per row.
 *
 * Then the cheaper commit path (migrations 20261206001900: the audit chain link's bounded id
 * range, the counters' merge and the staff identity kept planned; 20261206001901: the
 * appointments' audit rows from static SQL) against the functions they replaced, in this
 * run: their down() and up() are applied in turn, and raw INSERT/s at 1, 4
 * and 16 clients is measured under each, interleaved, each as a ratio to the bare
 * GiST+NOTIFY ceiling of section 15.
 */
import pg from 'pg';
import { ofCeiling, throughput, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import * as cheaperCommitPath from '../../migrations/20261206001900_cheaper_commit_path.js';
import * as staticAppointmentAudit from '../../migrations/20261206001901_static_appointment_audit.js';
// Replaces current_staff_user_id() again: undone first and redone last, so each variant is a
// state the migrations really passed through, and the run ends on the migrated functions.
import * as cheaperIdentityChecks from '../../migrations/20261207000300_cheaper_identity_checks.js';

const BOOKINGS = 1000;
const EPOCH = Date.UTC(2091, 0, 1);
const SLOT_MS = 30 * 60_000;
const COMPARE_CLIENTS = [1, 4, 16] as const;
const COMPARE_SECONDS = 4;
const COMPARE_EPOCH = Date.UTC(2060, 0, 1);

/** Raw single-row INSERTs/s at `clients` concurrent connections for `seconds`, each at the slot `next()` gives. */
function insertRate(pool: pg.Pool, clients: number, seconds: number, who: { patients: number; providers: number }, next: () => number): Promise<number> {
  return throughput(clients, seconds, async () => {
    const n = next();
    await pool.query('INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES ($1, $2, $3, 30)', [
      1 + (n % who.patients),
      1 + (n % who.providers),
      new Date(COMPARE_EPOCH + n * SLOT_MS),
    ]);
  });
}

/** The cheaper commit path against the functions it replaced, interleaved in this run. */
async function compareCommitPath(ctx: BenchContext): Promise<BenchRow[]> {
  const { rows: who } = await ctx.knex.raw('SELECT max(patient_id)::int AS patients, max(provider_id)::int AS providers FROM appointments');
  const pool = new pg.Pool({ connectionString: ctx.adminUrl, max: 16, application_name: 'bench-commit-path' });
  let slot = 0;
  const rows: BenchRow[] = [];
  let applied = 'after' as 'before' | 'after';
  const apply = async (variant: 'before' | 'after') => {
    await ctx.knex.transaction(async (trx) => {
      if (variant === 'before') {
        await cheaperIdentityChecks.down(trx);
        await staticAppointmentAudit.down(trx);
        await cheaperCommitPath.down(trx);
      } else {
        await cheaperCommitPath.up(trx);
        await staticAppointmentAudit.up(trx);
        await cheaperIdentityChecks.up(trx);
      }
    });
    applied = variant;
  };
  try {
    for (const clients of COMPARE_CLIENTS) {
      const rate = { before: 0, after: 0 };
      // before, after, before, after: the machine's drift falls on both alike.
      for (const variant of ['before', 'after', 'before', 'after'] as const) {
        await apply(variant);
        rate[variant] += (await insertRate(pool, clients, COMPARE_SECONDS / 2, who[0], () => slot++)) / 2;
      }
      const label = `${clients} client${clients > 1 ? 's' : ''}`;
      rows.push(
        { metric: `raw INSERT/s, ${label}, functions before the cheaper commit path`, value: Math.round(rate.before), unit: '/s', note: `${COMPARE_SECONDS} s in two halves interleaved with the next row; ${ofCeiling(ctx, clients, rate.before)}` },
        { metric: `raw INSERT/s, ${label}, cheaper commit path`, value: Math.round(rate.after), unit: '/s', note: `${(rate.after / rate.before).toFixed(2)}× before; ${ofCeiling(ctx, clients, rate.after)}` },
      );
    }
    return rows;
  } finally {
    // Whatever happened, the database is left with the migrated functions.
    if (applied === 'before') await apply('after');
    await pool.end();
    await ctx.knex.raw(`DELETE FROM appointments WHERE scheduled_at >= timestamptz '2060-01-01 00:00Z' AND scheduled_at < timestamptz '2080-01-01 00:00Z'`);
  }
}

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
      rows.push(...(await compareCommitPath(ctx)));
      return rows;
    } finally {
      await client.query(`DELETE FROM appointments WHERE scheduled_at >= timestamptz '2091-01-01 00:00Z' AND scheduled_at < timestamptz '2092-01-01 00:00Z'`).catch(() => undefined);
      await client.end();
    }
  },
};

export default section;
