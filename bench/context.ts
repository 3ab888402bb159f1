/**
 * The contract between `npm run bench` (bench/run.ts) and its sections
 * (bench/sections/*.ts). The runner starts one embedded PostgreSQL, migrates,
 * generates the 1M-appointment dataset once, then runs every section in file-name
 * order against it. Each section returns rows that the runner prints and writes to
 * docs/benchmarks.md (between markers, so hand-written prose around them stays).
 */
import type { Knex } from 'knex';
import type { RowCounts } from '../server/generate/index.js';

/** How the dataset was generated, as timed by the runner. */
export interface GeneratorRun {
  /** Wall time of `generateVolume` (plan + COPY + ANALYZE), milliseconds. */
  ms: number;
  counts: RowCounts;
  /** Milliseconds per phase (plan, each lane's COPY per table, analyze). */
  timings: Record<string, number>;
  /** CPU milliseconds: 'plan', 'generator process', and each lane's backend per table. */
  cpu: Record<string, number>;
  lanes: number;
  seed: number;
}

export interface BenchContext {
  /** Superuser URL of the benchmark database. */
  adminUrl: string;
  /** URL of the same database as the service's login role (clinicpulse_app). */
  appUrl: string;
  /**
   * The audit writer's password (a cluster-wide role): a section that migrates a database of
   * its own gives that database's user mapping the same one, or its audited reads fail.
   */
  auditWriterPassword: string;
  /** Superuser knex on the benchmark database. */
  knex: Knex;
  /** Appointments in the generated dataset. */
  appointments: number;
  /** Scratch directory for this run. */
  workDir: string;
  /** The generator run that produced the dataset (set by bench/run.ts; absent in ad-hoc drivers). */
  generator?: GeneratorRun;
  /**
   * Inserts/s into a bare appointments-like table (same btree_gist exclusions, a NOTIFY
   * trigger, nothing else) by client count, measured by bench/sections/15-ceiling.ts in the
   * same run; later sections print every booking figure as a ratio to it.
   */
  ceiling?: Map<number, number>;
}

/** "0.42 of the ceiling" for a booking rate, when the ceiling was measured in this run. */
export function ofCeiling(ctx: BenchContext, clients: number, perSecond: number): string {
  const c = ctx.ceiling?.get(clients);
  return c ? `${(perSecond / c).toFixed(2)} of the bare GiST+NOTIFY ceiling (${Math.round(c)}/s)` : 'no ceiling measured';
}

export interface BenchRow {
  /** What was measured, e.g. "schedule query p95 (1M appointments)". */
  metric: string;
  value: number;
  unit: string;
  /** Context worth printing next to the number (ratio, sample size, target). */
  note?: string;
}

export interface BenchSection {
  title: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** Percentile of a sample (nearest-rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Providers without working hours, created once per benchmark database, for sections that
 * book at arbitrary far-future instants: the desk rules (migration 20261206000600) refuse a
 * staff booking outside a provider's working hours, and a provider without any is bookable
 * at any time. The generated providers all have working hours.
 */
export async function anytimeProviders(knex: Knex, n: number): Promise<number[]> {
  await knex.raw(
    `INSERT INTO providers (name, specialty)
     SELECT 'Bench provider ' || g, 'Bench (no working hours)' FROM generate_series(1, ?::int) g
     WHERE NOT EXISTS (SELECT 1 FROM providers p WHERE p.name = 'Bench provider ' || g)`,
    [n],
  );
  const { rows: ids } = await knex.raw(
    `SELECT provider_id FROM providers WHERE specialty = 'Bench (no working hours)' ORDER BY provider_id LIMIT ?`,
    [n],
  );
  return ids.map((r: { provider_id: number }) => r.provider_id);
}

/**
 * `epoch`, or the day after the last appointment at or after it if there is one: a dataset kept
 * with BENCH_DATA_DIR holds an earlier run's far-future bookings, which a section that writes at
 * fixed instants would collide with (23P01) on its second run.
 */
export async function pastEarlierRuns(knex: Knex, epoch: number): Promise<number> {
  const { rows } = await knex.raw<{ rows: { at: Date | null }[] }>('SELECT max(scheduled_at) AS at FROM appointments WHERE scheduled_at >= ?', [new Date(epoch)]);
  const at = rows[0]?.at;
  return at ? Math.max(epoch, at.getTime() + 86_400_000) : epoch;
}

/** A deterministic PRNG so two runs sample the same providers and days. */
export { seededRandom as rng } from '../test/support/random.js';

/**
 * Operations per second: `clients` concurrent loops each calling `op(client, i)` until
 * `seconds` have passed (every op that started before the deadline is counted).
 */
export async function throughput(clients: number, seconds: number, op: (client: number, i: number) => Promise<void>): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; Date.now() < deadline; i++) {
        await op(c, i);
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}
