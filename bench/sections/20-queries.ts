/**
 * Core queries at volume, on the runner's generated dataset:
 *  - a provider's clinic-local day (p50/p95, random provider and day),
 *  - the analytics behind the charts (no-show rate and volume, p95),
 *  - the schedule query and the no-show analytics under the identity checks of before
 *    migration 20261207000300 (its down() and up() applied in turn, interleaved), so the
 *    policies' cost is a ratio measured in this run;
 *  - booking transactions/s through the repository as a front-desk user (asStaff on
 *    the service login) under 1, 4 and 16 concurrent clients, next to a raw INSERT
 *    into the same table measured in the same run.
 * Reads are timed around the repository call inside the staff transaction (the query,
 * not BEGIN/SET ROLE); bookings are timed as whole transactions.
 */
import pg from 'pg';
import type { Knex } from 'knex';
import { anytimeProviders, ofCeiling, percentile, throughput, rng, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { createKnex } from '../../server/db/knex.js';
import { asStaff, type StaffIdentity } from '../../server/db/index.js';
import {
  bookAppointment,
  providerDaySchedule,
  providerMonthlyVolume,
  providerNoShowRates,
} from '../../server/db/repository/index.js';
import * as cheaperIdentityChecks from '../../migrations/20261207000300_cheaper_identity_checks.js';

const SCHEDULE_ITERATIONS = 1_000;
const ANALYTICS_ITERATIONS = 300;
/** Per half of the before/after comparison of the identity checks (two halves each). */
const COMPARE_SCHEDULE = 250;
const COMPARE_ANALYTICS = 60;
const BOOKING_SECONDS = 5;
const CONCURRENCY = [1, 4, 16] as const;
// Far-future slots nobody else uses, so every booking measured is a successful insert.
const BOOKING_EPOCH = Date.UTC(2090, 0, 1);
const RAW_EPOCH = Date.UTC(2095, 0, 1);
const SLOT_MS = 30 * 60_000;

async function staffUser(knex: Knex, role: StaffIdentity['role']): Promise<StaffIdentity> {
  const { rows } = await knex.raw(
    `INSERT INTO staff_users (username, role, password_hash)
     VALUES (?, ?, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')
     ON CONFLICT (username) DO UPDATE SET active = true, deactivated_at = NULL RETURNING user_id`,
    [`bench-${role.replace('_', '-')}`, role],
  );
  return { userId: rows[0].user_id, role };
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

const section: BenchSection = {
  title: 'Core queries and booking',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const scale = `${(ctx.appointments / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })}M appointments`;
    const app = createKnex(ctx.appUrl, { poolMax: 17, applicationName: 'bench-queries' });
    try {
      const desk = await staffUser(ctx.knex, 'front_desk');
      const manager = await staffUser(ctx.knex, 'manager');
      const providers: number[] = (await ctx.knex.raw('SELECT provider_id FROM providers ORDER BY 1')).rows.map(
        (r: { provider_id: number }) => r.provider_id,
      );
      const { rows: span } = await ctx.knex.raw(
        `SELECT clinic_day(min(scheduled_at)) AS first, clinic_day(max(scheduled_at)) AS last FROM appointments WHERE scheduled_at < '2090-01-01'`,
      );
      const first = Date.parse(`${span[0].first}T00:00:00Z`);
      const days = Math.max(1, Math.round((Date.parse(`${span[0].last}T00:00:00Z`) - first) / 86_400_000) + 1);
      const random = rng(42);

      // --- A provider's day --------------------------------------------------------
      const schedule: number[] = [];
      let scheduleRows = 0;
      for (let i = 0; i < SCHEDULE_ITERATIONS; i++) {
        const providerId = providers[Math.floor(random() * providers.length)]!;
        const day = new Date(first + Math.floor(random() * days) * 86_400_000).toISOString().slice(0, 10);
        await asStaff(app, desk, async (trx) => {
          const t = process.hrtime.bigint();
          scheduleRows += (await providerDaySchedule(trx, providerId, day)).length;
          schedule.push(ms(t));
        });
      }
      const avgRows = (scheduleRows / SCHEDULE_ITERATIONS).toFixed(1);
      rows.push(
        { metric: `schedule query p50 (${scale})`, value: round(percentile(schedule, 50)), unit: 'ms', note: `${SCHEDULE_ITERATIONS} random provider-days, ${avgRows} rows each on average` },
        { metric: `schedule query p95 (${scale})`, value: round(percentile(schedule, 95)), unit: 'ms', note: 'index range scan on appointments(provider_id, scheduled_at)' },
      );

      // --- Analytics ---------------------------------------------------------------
      // What the manager's screen asks for: a 12-month range (its default is the last 12 full
      // months) for the whole clinic, one specialty or a few providers. The whole history of
      // every provider (no range: every row of the counters) is timed apart, with its size.
      const months: string[] = (
        await ctx.knex.raw(`SELECT DISTINCT to_char(month, 'YYYY-MM') AS m FROM appointment_monthly_stats ORDER BY 1`)
      ).rows.map((r: { m: string }) => r.m);
      const specialties: string[] = (await ctx.knex.raw('SELECT DISTINCT specialty FROM providers ORDER BY 1')).rows.map(
        (r: { specialty: string }) => r.specialty,
      );
      const screenFilter = (i: number) => {
        const start = Math.floor(random() * Math.max(1, months.length - 11));
        const range = { from: months[start], to: months[Math.min(months.length - 1, start + 11)] };
        if (i % 4 === 1) return { ...range, specialty: specialties[Math.floor(random() * specialties.length)] };
        if (i % 4 === 3) return { ...range, providerIds: [0, 1, 2].map(() => providers[Math.floor(random() * providers.length)]!) };
        return range;
      };
      const noShow: number[] = [];
      const volume: number[] = [];
      let screenRows = 0;
      for (let i = 0; i < ANALYTICS_ITERATIONS; i++) {
        const filter = screenFilter(i);
        await asStaff(app, manager, async (trx) => {
          let t = process.hrtime.bigint();
          screenRows += (await providerNoShowRates(trx, filter)).length;
          noShow.push(ms(t));
          t = process.hrtime.bigint();
          await providerMonthlyVolume(trx, filter);
          volume.push(ms(t));
        });
      }
      const everything: number[] = [];
      let everythingRows = 0;
      for (let i = 0; i < ANALYTICS_ITERATIONS / 10; i++) {
        await asStaff(app, manager, async (trx) => {
          const t = process.hrtime.bigint();
          everythingRows = (await providerNoShowRates(trx, {})).length;
          everything.push(ms(t));
        });
      }
      const screenNote = `${ANALYTICS_ITERATIONS} calls, 12-month ranges: clinic-wide, one specialty or three providers (${Math.round(screenRows / ANALYTICS_ITERATIONS)} rows on average); target ≤ 3 ms`;
      rows.push(
        { metric: `no-show rate per provider per month p95 (${scale})`, value: round(percentile(noShow, 95)), unit: 'ms', note: `${screenNote}; reads the trigger-maintained counters` },
        { metric: `volume per provider per month p95 (${scale})`, value: round(percentile(volume, 95)), unit: 'ms', note: screenNote },
        {
          metric: `no-show rate, every provider's whole history p95 (${scale})`,
          value: round(percentile(everything, 95)),
          unit: 'ms',
          note: `${everything.length} calls without a range: ${everythingRows.toLocaleString('en-US')} rows (${providers.length} providers × ${months.length} months)`,
        },
      );

      // --- The identity checks every policy runs: before and after, interleaved ----------
      const timed = { before: { schedule: [] as number[], noShow: [] as number[] }, after: { schedule: [] as number[], noShow: [] as number[] } };
      let applied = 'after' as 'before' | 'after';
      const apply = async (variant: 'before' | 'after') => {
        await ctx.knex.transaction((trx) => (variant === 'before' ? cheaperIdentityChecks.down(trx) : cheaperIdentityChecks.up(trx)));
        applied = variant;
      };
      try {
        // before, after, before, after: the machine's drift falls on both alike.
        for (const variant of ['before', 'after', 'before', 'after'] as const) {
          await apply(variant);
          for (let i = 0; i < COMPARE_SCHEDULE; i++) {
            const providerId = providers[Math.floor(random() * providers.length)]!;
            const day = new Date(first + Math.floor(random() * days) * 86_400_000).toISOString().slice(0, 10);
            await asStaff(app, desk, async (trx) => {
              const t = process.hrtime.bigint();
              await providerDaySchedule(trx, providerId, day);
              timed[variant].schedule.push(ms(t));
            });
          }
          for (let i = 0; i < COMPARE_ANALYTICS; i++) {
            const filter = screenFilter(i);
            await asStaff(app, manager, async (trx) => {
              const t = process.hrtime.bigint();
              await providerNoShowRates(trx, filter);
              timed[variant].noShow.push(ms(t));
            });
          }
        }
      } finally {
        // Whatever happened, the database is left with the migrated functions.
        if (applied === 'before') await apply('after');
      }
      const at = (samples: number[], p: number) => round(percentile(samples, p));
      const halves = 'in two halves interleaved with the next row';
      rows.push(
        {
          metric: `schedule query p50, identity checks before 20261207000300 (${scale})`,
          value: at(timed.before.schedule, 50),
          unit: 'ms',
          note: `p95 ${at(timed.before.schedule, 95)} ms; ${2 * COMPARE_SCHEDULE} random provider-days ${halves}; current_staff_user_id() in PL/pgSQL, clinic_time_zone() under the settings policy`,
        },
        {
          metric: `schedule query p50, inlined identity check (${scale})`,
          value: at(timed.after.schedule, 50),
          unit: 'ms',
          note: `p95 ${at(timed.after.schedule, 95)} ms (target ≤ 1 ms); ${(percentile(timed.after.schedule, 50) / percentile(timed.before.schedule, 50)).toFixed(2)}× before at p50`,
        },
        {
          metric: `no-show rate p95, identity checks before 20261207000300 (${scale})`,
          value: at(timed.before.noShow, 95),
          unit: 'ms',
          note: `p50 ${at(timed.before.noShow, 50)} ms; ${2 * COMPARE_ANALYTICS} calls ${halves}`,
        },
        {
          metric: `no-show rate p95, inlined identity check (${scale})`,
          value: at(timed.after.noShow, 95),
          unit: 'ms',
          note: `p50 ${at(timed.after.noShow, 50)} ms (target ≤ 3 ms at p95); ${(percentile(timed.after.noShow, 95) / percentile(timed.before.noShow, 95)).toFixed(2)}× before at p95`,
        },
      );

      // --- Booking throughput --------------------------------------------------------
      const patients: number[] = (await ctx.knex.raw('SELECT patient_id FROM patients ORDER BY 1 LIMIT 64')).rows.map(
        (r: { patient_id: number }) => r.patient_id,
      );
      // Bookings at arbitrary far-future instants: providers without working hours (see anytimeProviders).
      const bookable = await anytimeProviders(ctx.knex, 16);
      const raw = new pg.Pool({ connectionString: ctx.adminUrl, max: 16, application_name: 'bench-raw-insert' });
      try {
        let block = 0;
        for (const clients of CONCURRENCY) {
          // Each level gets its own block of far-future slots; within it client c books
          // slot i*clients + c, so no two bookings overlap for any provider or patient.
          const base = BOOKING_EPOCH + block * 400 * 86_400_000;
          const rawBase = RAW_EPOCH + block * 400 * 86_400_000;
          block++;
          const slot = (epoch: number, c: number, i: number) => new Date(epoch + (i * clients + c) * SLOT_MS);
          // Each client keeps to one provider and one patient, as a desk clerk booking for
          // different providers would; same-provider bookings in one month share a counter row.
          const who = (c: number) => ({ providerId: bookable[c % bookable.length]!, patientId: patients[c % patients.length]! });
          const booking = await throughput(clients, BOOKING_SECONDS, async (c, i) => {
            await asStaff(app, desk, (trx) => bookAppointment(trx, { ...who(c), scheduledAt: slot(base, c, i), durationMin: 30 }));
          });
          const insert = await throughput(clients, BOOKING_SECONDS, async (c, i) => {
            const w = who(c);
            await raw.query(
              'INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES ($1, $2, $3, 30)',
              [w.patientId, w.providerId, slot(rawBase, c, i)],
            );
          });
          rows.push(
            {
              metric: `booking transactions/s, ${clients} client${clients > 1 ? 's' : ''}`,
              value: Math.round(booking),
              unit: 'tx/s',
              note: `repository bookAppointment via asStaff as front_desk (BEGIN, SET LOCAL ROLE, set_config, INSERT…RETURNING, COMMIT); ${round(booking / insert, 2)}× the raw INSERT rate; ${ofCeiling(ctx, clients, booking)}`,
            },
            {
              metric: `raw INSERT/s into appointments, ${clients} client${clients > 1 ? 's' : ''}`,
              value: Math.round(insert),
              unit: 'tx/s',
              note: `single autocommit INSERT as superuser, same constraints and triggers, same run; ${ofCeiling(ctx, clients, insert)}`,
            },
          );
        }
      } finally {
        await raw.end();
        // Leave the shared dataset as it was for later sections.
        await ctx.knex.raw(`DELETE FROM appointments WHERE scheduled_at >= timestamptz '2090-01-01 00:00Z'`);
      }
    } finally {
      await app.destroy();
    }
    return rows;
  },
};

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export default section;
