/**
 * How each read's cost grows with the data: the same reads timed on the run's dataset and on
 * a tenth of it (the volume generator at one tenth the appointments, same seed, in a database
 * of its own in the same PostgreSQL), alternating between the two so both see the same host.
 * Each read prints its p50 and p95 at both sizes and the ratio of the large to the small.
 * The generator keeps its proportions, so the tenth also has about a tenth of the providers and
 * patients: a read confined to one provider or one page shows what more history costs, a
 * clinic-wide read what a bigger clinic costs. (Earlier sections add patients to the run's
 * dataset; the first row gives both sizes.)
 *
 * Reads, as the screens make them: a provider's day (front desk), the no-show chart for a
 * 12-month range (manager), a three-letter patient search with its audit row (front desk) and
 * the whole clinic day with its audit row (front desk).
 */
import type { Knex } from 'knex';
import { percentile, rng, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { createKnex } from '../../server/db/knex.js';
import { scratchDatabase } from '../scratch-db.js';
import { asStaff, type StaffIdentity } from '../../server/db/index.js';
import { generateVolume } from '../../server/generate/index.js';
import { providerDaySchedule, providerNoShowRates, searchPatientsAs } from '../../server/db/repository/index.js';
import { clinicDayAuditedJson } from '../../server/db/repository/clinic-day.js';

const DB_NAME = 'bench_growth_small';
const ITERATIONS = 200;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (v: number) => Math.round(v * 100) / 100;

/** One dataset as the reads see it: its service pool, two staff identities and what to ask for. */
interface Dataset {
  label: string;
  app: Knex;
  desk: StaffIdentity;
  manager: StaffIdentity;
  providers: number[];
  /** Clinic-local days with appointments, first and count. */
  firstDay: number;
  days: number;
  months: string[];
  prefixes: string[];
  appointments: number;
  patients: number;
}

async function staff(admin: Knex, role: StaffIdentity['role']): Promise<StaffIdentity> {
  const { rows } = await admin.raw(
    `INSERT INTO staff_users (username, role, password_hash)
     VALUES (?, ?, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')
     ON CONFLICT (username) DO UPDATE SET active = true, deactivated_at = NULL RETURNING user_id`,
    [`bench-growth-${role.replace('_', '-')}`, role],
  );
  return { userId: rows[0].user_id, role };
}

async function dataset(label: string, admin: Knex, appUrl: string): Promise<Dataset> {
  const providers: number[] = (await admin.raw('SELECT provider_id FROM providers ORDER BY 1')).rows.map((r: { provider_id: number }) => r.provider_id);
  // Only the generated span: earlier sections book far-future slots.
  const { rows: span } = await admin.raw(
    `SELECT clinic_day(min(scheduled_at)) AS first, clinic_day(max(scheduled_at)) AS last, count(*)::int AS n,
            (SELECT count(*)::int FROM patients) AS patients
       FROM appointments WHERE scheduled_at < '2070-01-01'`,
  );
  const firstDay = Date.parse(`${span[0].first}T00:00:00Z`);
  const months: string[] = (
    await admin.raw(`SELECT DISTINCT to_char(month, 'YYYY-MM') AS m FROM appointment_monthly_stats WHERE month < '2070-01-01' ORDER BY 1`)
  ).rows.map((r: { m: string }) => r.m);
  const prefixes: string[] = (
    await admin.raw(
      `SELECT lower(left(split_part(name, ' ', 2), 3)) AS q FROM patients
       WHERE length(split_part(name, ' ', 2)) >= 3 ORDER BY md5(patient_id::text) LIMIT ?`,
      [ITERATIONS],
    )
  ).rows.map((r: { q: string }) => r.q);
  return {
    label,
    app: createKnex(appUrl, { poolMax: 2, applicationName: `bench-growth-${label}` }),
    desk: await staff(admin, 'front_desk'),
    manager: await staff(admin, 'manager'),
    providers,
    firstDay,
    days: Math.max(1, Math.round((Date.parse(`${span[0].last}T00:00:00Z`) - firstDay) / 86_400_000) + 1),
    months,
    prefixes,
    appointments: span[0].n,
    patients: span[0].patients,
  };
}

type Read = 'schedule' | 'noShow' | 'search' | 'clinicDay';
const READS: { read: Read; title: string; note: string }[] = [
  { read: 'schedule', title: "a provider's day (SQL)", note: 'random provider-days, as front desk' },
  { read: 'noShow', title: 'no-show chart, 12 months (SQL)', note: 'clinic-wide, random 12-month range, as manager' },
  { read: 'search', title: 'patient search, three letters (SQL + audit row)', note: 'random surname prefixes, page of 25, as front desk' },
  { read: 'clinicDay', title: 'clinic day (SQL + audit row + JSON)', note: 'random days of the span, as front desk' },
];

async function timeRead(d: Dataset, read: Read, random: () => number): Promise<number> {
  const day = new Date(d.firstDay + Math.floor(random() * d.days) * 86_400_000).toISOString().slice(0, 10);
  const who = read === 'noShow' ? d.manager : d.desk;
  return asStaff(d.app, who, async (trx) => {
    const t = process.hrtime.bigint();
    if (read === 'schedule') await providerDaySchedule(trx, d.providers[Math.floor(random() * d.providers.length)]!, day);
    else if (read === 'noShow') {
      const start = Math.floor(random() * Math.max(1, d.months.length - 11));
      await providerNoShowRates(trx, { from: d.months[start], to: d.months[Math.min(d.months.length - 1, start + 11)] });
    } else if (read === 'search') {
      const q = d.prefixes[Math.floor(random() * d.prefixes.length)]!;
      await searchPatientsAs(trx, 'front_desk', q, { limit: 26, offset: 0 }, undefined, { shown: 25 });
    } else await clinicDayAuditedJson(trx, day);
    return ms(t);
  });
}

const section: BenchSection = {
  title: 'Growth: a tenth of the data against all of it',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const small = Math.floor(ctx.appointments / 10);
    if (small < 1_000) return [{ metric: 'growth', value: 0, unit: '', note: `skipped: ${ctx.appointments} appointments is too few for a tenth` }];
    // Four connections: the generator's COPY lanes.
    const scratch = await scratchDatabase(ctx, DB_NAME, 4);
    const { admin } = scratch;
    const sets: Dataset[] = [];
    try {
      const t = process.hrtime.bigint();
      await generateVolume(admin, { appointments: small, seed: ctx.generator?.seed ?? 1, lanes: ctx.generator?.lanes ?? 2 });
      const generatedMs = ms(t);
      sets.push(await dataset('small', admin, scratch.appUrl), await dataset('large', ctx.knex, ctx.appUrl));
      const [tenth, all] = sets as [Dataset, Dataset];

      const times = new Map<string, number[]>();
      const random = rng(85);
      // Warm both (caches, prepared statements), then alternate dataset by dataset, read by read.
      for (const d of sets) for (const { read } of READS) for (let i = 0; i < 10; i++) await timeRead(d, read, random);
      for (let i = 0; i < ITERATIONS; i++) {
        for (const { read } of READS) {
          for (const d of i % 2 === 0 ? [tenth, all] : [all, tenth]) {
            const key = `${d.label}:${read}`;
            if (!times.has(key)) times.set(key, []);
            times.get(key)!.push(await timeRead(d, read, random));
          }
        }
      }
      const rows: BenchRow[] = [
        {
          metric: 'the smaller dataset',
          value: tenth.appointments,
          unit: 'appointments',
          note: `generated in ${(generatedMs / 1000).toFixed(1)} s into a database of its own; the run's dataset holds ${all.appointments.toLocaleString('en-US')} (before far-future bookings); ${tenth.providers.length} / ${all.providers.length} providers, ${tenth.patients.toLocaleString('en-US')} / ${all.patients.toLocaleString('en-US')} patients`,
        },
      ];
      for (const { read, title, note } of READS) {
        const a = times.get(`small:${read}`)!;
        const b = times.get(`large:${read}`)!;
        const [a50, a95, b50, b95] = [percentile(a, 50), percentile(a, 95), percentile(b, 50), percentile(b, 95)];
        rows.push({
          metric: `${title} p50, ${(tenth.appointments / 1e3).toFixed(0)}k → ${(all.appointments / 1e6).toFixed(1)}M`,
          value: round(b50),
          unit: 'ms',
          note: `${round(a50)} ms at a tenth; ${(b50 / a50).toFixed(2)}× at p50, p95 ${round(a95)} → ${round(b95)} ms (${(b95 / a95).toFixed(2)}×); ${note}; ${ITERATIONS} each, alternating`,
        });
      }
      return rows;
    } finally {
      for (const d of sets) await d.app.destroy();
      await scratch.drop();
    }
  },
};

export default section;
