/**
 * Scheduling at volume, on the runner's generated dataset (every generated
 * provider has weekly working hours):
 *  - free-slot search p50/p95 for one random provider over 30 days (target ≤ 5 ms p95),
 *  - the same for 50 providers over 14 days, the size of a large specialty (target ≤ 30 ms p95),
 *  - a booking with the desk rules (past, working hours, time off) against the same booking
 *    with their trigger disabled, as whole front-desk transactions through the repository,
 *    on slots the search found free (so every booking succeeds), with the ratio.
 * Searches are timed around the repository call inside the staff transaction, like the
 * other query rows.
 */
import type { Knex } from 'knex';
import { percentile, rng, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { createKnex } from '../../server/db/knex.js';
import { asStaff, type StaffIdentity } from '../../server/db/index.js';
import { bookAppointment } from '../../server/db/repository/appointments.js';
import { freeSlots } from '../../server/db/repository/availability.js';

const ONE_PROVIDER_ITERATIONS = 300;
const SPECIALTY_ITERATIONS = 100;
const BOOKINGS = 400;

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

async function deskUser(knex: Knex): Promise<StaffIdentity> {
  const { rows } = await knex.raw(
    `INSERT INTO staff_users (username, role, password_hash)
     VALUES ('bench-scheduling-desk', 'front_desk', 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')
     ON CONFLICT (username) DO UPDATE SET active = true, deactivated_at = NULL RETURNING user_id`,
  );
  return { userId: rows[0].user_id, role: 'front_desk' };
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

const section: BenchSection = {
  title: 'Scheduling: free slots and the desk rules',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const scale = `${(ctx.appointments / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })}M appointments`;
    const app = createKnex(ctx.appUrl, { poolMax: 4, applicationName: 'bench-scheduling' });
    try {
      const desk = await deskUser(ctx.knex);
      const providers: number[] = (
        await ctx.knex.raw('SELECT DISTINCT provider_id FROM provider_working_hours ORDER BY 1')
      ).rows.map((r: { provider_id: number }) => r.provider_id);
      const { rows: t } = await ctx.knex.raw('SELECT clinic_day(now())::text AS today');
      const today: string = t[0].today;
      const random = rng(13);
      const pick = () => providers[Math.floor(random() * providers.length)]!;

      // --- One provider, 30 days ------------------------------------------------------
      const one: number[] = [];
      let oneSlots = 0;
      for (let i = 0; i < ONE_PROVIDER_ITERATIONS; i++) {
        const from = addDays(today, Math.floor(random() * 20));
        await asStaff(app, desk, async (trx) => {
          const s = process.hrtime.bigint();
          oneSlots += (await freeSlots(trx, { providerIds: [pick()], from, to: addDays(from, 29), durationMin: 30, limit: 100 })).length;
          one.push(ms(s));
        }, { readOnly: true });
      }
      rows.push(
        { metric: `free slots, one provider × 30 days, p50 (${scale})`, value: round(percentile(one, 50)), unit: 'ms', note: `${ONE_PROVIDER_ITERATIONS} random providers and start days; limit 100 (${round(oneSlots / ONE_PROVIDER_ITERATIONS, 0)} slots on average)` },
        { metric: `free slots, one provider × 30 days, p95 (${scale})`, value: round(percentile(one, 95)), unit: 'ms', note: 'target ≤ 5 ms; free_slots(): multirange of working intervals minus appointments and time off' },
      );

      // --- 50 providers, 14 days --------------------------------------------------------
      const many: number[] = [];
      const fifty = Math.min(50, providers.length);
      for (let i = 0; i < SPECIALTY_ITERATIONS; i++) {
        const set = new Set<number>();
        while (set.size < fifty) set.add(pick());
        const from = addDays(today, Math.floor(random() * 20));
        await asStaff(app, desk, async (trx) => {
          const s = process.hrtime.bigint();
          await freeSlots(trx, { providerIds: [...set], from, to: addDays(from, 13), durationMin: 30, limit: 100 });
          many.push(ms(s));
        }, { readOnly: true });
      }
      rows.push(
        { metric: `free slots, ${fifty} providers × 14 days, p50 (${scale})`, value: round(percentile(many, 50)), unit: 'ms', note: `${SPECIALTY_ITERATIONS} random sets of ${fifty} providers (a large specialty); limit 100` },
        { metric: `free slots, ${fifty} providers × 14 days, p95 (${scale})`, value: round(percentile(many, 95)), unit: 'ms', note: 'target ≤ 30 ms' },
      );

      // --- A booking with the rules vs without them ------------------------------------
      // Free slots far ahead, on the hour and half hour so no two chosen slots of one provider overlap.
      const bookers = providers.slice(0, 16);
      const patients: number[] = (await ctx.knex.raw('SELECT patient_id FROM patients ORDER BY 1 LIMIT 64')).rows.map((r: { patient_id: number }) => r.patient_id);
      const candidates = await asStaff(app, desk, (trx) =>
        freeSlots(trx, { providerIds: bookers, from: '2093-01-05', to: '2093-02-28', durationMin: 30, limit: 5000 }));
      const slots = candidates.filter((s) => new Date(s.start).getUTCMinutes() % 30 === 0);
      const book = async (offset: number) => {
        const times: number[] = [];
        for (let i = 0; i < BOOKINGS; i++) {
          const s = slots[offset + i]!;
          const start = process.hrtime.bigint();
          await asStaff(app, desk, (trx) =>
            bookAppointment(trx, { patientId: patients[(offset + i) % patients.length]!, providerId: s.providerId, scheduledAt: s.start, durationMin: 30 }));
          times.push(ms(start));
        }
        return times;
      };
      try {
        if (slots.length < BOOKINGS * 2) throw new Error(`only ${slots.length} free slots found for the booking rows`);
        const withRules = await book(0);
        await ctx.knex.raw('ALTER TABLE appointments DISABLE TRIGGER appointments_http_desk_rules');
        let without: number[];
        try {
          without = await book(BOOKINGS);
        } finally {
          await ctx.knex.raw('ALTER TABLE appointments ENABLE TRIGGER appointments_http_desk_rules');
        }
        const p50With = percentile(withRules, 50);
        const p50Without = percentile(without, 50);
        rows.push(
          { metric: 'booking with the desk rules, p50', value: round(p50With), unit: 'ms', note: `${BOOKINGS} front-desk bookings (whole transaction) inside working hours; ${round(p50With / p50Without, 2)}× the same booking without the rules` },
          { metric: 'booking without the desk rules, p50', value: round(p50Without), unit: 'ms', note: 'same, with the trigger appointments_http_desk_rules disabled (measured in the same run)' },
          { metric: 'booking with the desk rules, p95', value: round(percentile(withRules, 95)), unit: 'ms', note: `without: ${round(percentile(without, 95))} ms` },
        );
      } finally {
        await ctx.knex.raw(`DELETE FROM appointments WHERE scheduled_at >= timestamptz '2093-01-01 00:00Z' AND scheduled_at < timestamptz '2094-01-01 00:00Z'`);
      }
    } finally {
      await app.destroy();
    }
    return rows;
  },
};

export default section;
