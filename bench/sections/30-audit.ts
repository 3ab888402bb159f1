/**
 * Bench section: what the statement-level audit trigger costs a bulk write. A
 * 100,000-row INSERT…SELECT into patients with the audit trigger off and on
 * (each in a rolled-back transaction, so the dataset keeps its rows), and the
 * audit INSERT…SELECT on its own. Medians of three alternating runs. The rolled-back
 * rows stay behind as dead tuples and index entries (600,000 patients, their name
 * suffixes, audit rows) until a vacuum, so the section vacuums what it touched: the
 * patient search of the next sections read through them at three times its cost in
 * one run where autovacuum had not come round yet.
 */
import type { Knex } from 'knex';
import type { BenchContext, BenchRow, BenchSection } from '../context.js';

const ROWS = 100_000;
const RUNS = 3;

const INSERT_PATIENTS = `INSERT INTO patients (name, dob) SELECT 'Bench patient ' || g, date '1980-01-01' FROM generate_series(1, ${ROWS}) g`;
const INSERT_AUDIT = `INSERT INTO audit_log (actor_user_id, actor_role, action, table_name, row_key, patient_id)
  SELECT NULL, 'bench', 'insert', 'patients', g::text, g FROM generate_series(1, ${ROWS}) g`;

/** Milliseconds `sql` takes inside a transaction that is then rolled back. */
async function timed(knex: Knex, sql: string, auditOn = true): Promise<number> {
  let ms = 0;
  await knex
    .transaction(async (trx) => {
      if (!auditOn) await trx.raw('ALTER TABLE patients DISABLE TRIGGER patients_audit_insert');
      const t = process.hrtime.bigint();
      await trx.raw(sql);
      ms = Number(process.hrtime.bigint() - t) / 1e6;
      throw new RollBack();
    })
    .catch((e: unknown) => {
      if (!(e instanceof RollBack)) throw e;
    });
  return ms;
}
class RollBack extends Error {}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const section: BenchSection = {
  title: 'Audit trigger cost (statement-level, transition tables)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const off: number[] = [];
    const on: number[] = [];
    const alone: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      off.push(await timed(ctx.knex, INSERT_PATIENTS, false));
      on.push(await timed(ctx.knex, INSERT_PATIENTS, true));
      alone.push(await timed(ctx.knex, INSERT_AUDIT));
    }
    await ctx.knex.raw('VACUUM (ANALYZE) patients, patient_name_suffixes, audit_log');
    const [mOff, mOn, mAlone] = [median(off), median(on), median(alone)];
    const n = ROWS.toLocaleString('en-US');
    return [
      { metric: `INSERT…SELECT of ${n} patients, audit trigger off`, value: Math.round(mOff), unit: 'ms', note: `median of ${RUNS}` },
      {
        metric: `INSERT…SELECT of ${n} patients, audit trigger on`,
        value: Math.round(mOn),
        unit: 'ms',
        note: `+${Math.round(mOn - mOff)} ms (${(mOn / mOff).toFixed(2)}x); one audit row per patient`,
      },
      {
        metric: `audit INSERT…SELECT alone (${n} rows)`,
        value: Math.round((mAlone * 1000) / ROWS * 10) / 10,
        unit: 'µs/row',
        note: `${Math.round(mAlone)} ms; projects to ${((mAlone * 10) / 1000).toFixed(1)} s per 1M audited rows`,
      },
    ];
  },
};

export default section;
