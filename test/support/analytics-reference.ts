/**
 * The provider analytics computed straight from the raw appointments rows, in the shapes
 * the repository returns (server/db/repository/analytics.ts). Tests compare these with
 * the trigger-maintained counters to prove them exact; they scan the whole table.
 */
import type { Knex } from 'knex';
import { clinicMonthOf, monthStart, type MonthFilter, type MonthlyVolume, type NoShowRate } from '../../server/db/repository/index.js';

const MONTH = clinicMonthOf('a.scheduled_at');

function base(db: Knex.Transaction, f: MonthFilter): Knex.QueryBuilder {
  const q = db('appointments as a')
    .join('providers as p', 'p.provider_id', 'a.provider_id')
    .select('a.provider_id', 'p.name as provider_name', db.raw(`to_char(${MONTH}, 'YYYY-MM') AS month`))
    .groupBy('a.provider_id', 'p.name', db.raw(MONTH))
    .orderBy([{ column: 'a.provider_id' }, { column: db.raw(MONTH) as never }]);
  if (f.from !== undefined) q.whereRaw(`${MONTH} >= ?::date`, [monthStart(f.from, 'from')]);
  if (f.to !== undefined) q.whereRaw(`${MONTH} <= ?::date`, [monthStart(f.to, 'to')]);
  if (f.providerId !== undefined) q.where('a.provider_id', f.providerId);
  return q;
}

interface Row {
  provider_id: number;
  provider_name: string;
  month: string;
}

export async function referenceNoShowRates(trx: Knex.Transaction, f: MonthFilter = {}): Promise<NoShowRate[]> {
  const rows: (Row & { completed: string; no_shows: string; rate: string | null })[] = await base(trx, f)
    .select(
      trx.raw(`count(*) FILTER (WHERE a.status = 'completed') AS completed`),
      trx.raw(`count(*) FILTER (WHERE a.status = 'no_show') AS no_shows`),
      trx.raw(
        `round((count(*) FILTER (WHERE a.status = 'no_show'))::numeric
           / nullif(count(*) FILTER (WHERE a.status IN ('completed','no_show')), 0), 4) AS rate`,
      ),
    )
    .havingRaw(`count(*) FILTER (WHERE a.status IN ('completed','no_show')) > 0`);
  return rows.map((r) => ({
    providerId: r.provider_id,
    providerName: r.provider_name,
    month: r.month,
    completed: Number(r.completed),
    noShows: Number(r.no_shows),
    rate: r.rate === null ? null : Number(r.rate),
  }));
}

export async function referenceMonthlyVolume(trx: Knex.Transaction, f: MonthFilter = {}): Promise<MonthlyVolume[]> {
  const rows: (Row & { appointments: string })[] = await base(trx, f)
    .select(trx.raw(`count(*) FILTER (WHERE a.status <> 'cancelled') AS appointments`))
    .havingRaw(`count(*) FILTER (WHERE a.status <> 'cancelled') > 0`);
  return rows.map((r) => ({ providerId: r.provider_id, providerName: r.provider_name, month: r.month, appointments: Number(r.appointments) }));
}
