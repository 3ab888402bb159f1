/**
 * The HTTP API at volume, on the runner's generated dataset:
 *  - bookings/s through POST /api/appointments (session cookie, CSRF origin check,
 *    zod validation, the per-request user re-check and asStaff) at 1, 4 and 16
 *    concurrent clients, next to a raw INSERT of the same rows over a plain pg
 *    connection measured in the same run, with the ratio;
 *  - p50/p95 of GET /api/providers/:id/schedule?date= (whole HTTP round trip) for
 *    random provider-days;
 *  - p50/p95 of the front desk's patient search, GET /api/patients?q=, for the first
 *    three letters of random patients' surnames (candidates from the name index through
 *    patient_name_candidates, read through the policy: docs/query-catalog.md, §8).
 * The server is the real app (createApp) on 127.0.0.1, on the service login.
 */
import pg from 'pg';
import { anytimeProviders, ofCeiling, pastEarlierRuns, percentile, throughput, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { startBenchApp } from '../app.js';
import { hashPassword } from '../../server/auth/passwords.js';

const CONCURRENCY = [1, 4, 16] as const;
const SECONDS = 5;
const SCHEDULE_ITERATIONS = 500;
const SEARCH_ITERATIONS = 200;
// Far-future slots no other section uses; every slot is unique, so every booking succeeds.
// The raw INSERTs start five years after the API's (both later on a kept dataset's second run).
const API_EPOCH = Date.UTC(2080, 0, 1);
const RAW_OFFSET_MS = Date.UTC(2085, 0, 1) - API_EPOCH;
const SLOT_MS = 30 * 60_000;
const PASSWORD = 'bench-password-for-the-api';

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (v: number) => Math.round(v * 100) / 100;

const section: BenchSection = {
  title: 'HTTP API',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const scale = `${(ctx.appointments / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })}M appointments`;
    const { origin, close } = await startBenchApp(ctx.appUrl, { name: 'bench-api', poolMax: 17, sessionSecret: 'bench-session-secret-bench-session-secret' });
    const raw = new pg.Pool({ connectionString: ctx.adminUrl, max: 16 });
    try {
      const hash = await hashPassword(PASSWORD);
      const account = async (username: string, role: string, providerId: number | null) =>
        ctx.knex.raw(
          `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES (?, ?, ?, ?)
           ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, active = true, deactivated_at = NULL`,
          [username, role, providerId, hash],
        );
      await account('bench-api-desk', 'front_desk', null);
      const login = async () => {
        const res = await fetch(`${origin}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'bench-api-desk', password: PASSWORD }),
        });
        if (res.status !== 200) throw new Error(`bench login failed: ${res.status}`);
        return res.headers.getSetCookie()[0]!.split(';')[0]!;
      };
      const cookies = await Promise.all(Array.from({ length: 16 }, login));

      const providers: number[] = (await ctx.knex.raw('SELECT provider_id FROM providers ORDER BY 1')).rows.map((r: { provider_id: number }) => r.provider_id);
      const patients: number[] = (await ctx.knex.raw('SELECT patient_id FROM patients ORDER BY patient_id LIMIT 5000')).rows.map((r: { patient_id: number }) => r.patient_id);

      // --- Bookings through the API vs raw INSERT -------------------------------
      // At arbitrary far-future instants: providers without working hours (see anytimeProviders).
      const bookable = await anytimeProviders(ctx.knex, 16);
      const apiEpoch = await pastEarlierRuns(ctx.knex, API_EPOCH);
      let apiSlot = 0;
      let rawSlot = 0;
      let failures = 0;
      for (const clients of CONCURRENCY) {
        const api = await throughput(clients, SECONDS, async (c) => {
          const n = apiSlot++;
          const res = await fetch(`${origin}/api/appointments`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', cookie: cookies[c]!, origin },
            body: JSON.stringify({
              patientId: patients[n % patients.length],
              providerId: bookable[n % bookable.length],
              scheduledAt: new Date(apiEpoch + n * SLOT_MS).toISOString(),
              durationMin: 30,
            }),
          });
          await res.arrayBuffer();
          if (res.status !== 201) failures++;
        });
        const direct = await throughput(clients, SECONDS, async () => {
          const n = rawSlot++;
          await raw.query('INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES ($1, $2, $3, $4)', [
            patients[n % patients.length],
            bookable[n % bookable.length],
            new Date(apiEpoch + RAW_OFFSET_MS + n * SLOT_MS),
            30,
          ]);
        });
        rows.push(
          { metric: `bookings/s via POST /api/appointments, ${clients} client${clients > 1 ? 's' : ''}`, value: round(api), unit: '/s', note: `${SECONDS} s; session, CSRF, validation, user re-check, one transaction; ${ofCeiling(ctx, clients, api)}` },
          { metric: `raw INSERT/s, ${clients} client${clients > 1 ? 's' : ''} (same run)`, value: round(direct), unit: '/s', note: `API = ${((api / direct) * 100).toFixed(0)}% of raw (ratio ${(api / direct).toFixed(2)}); raw is ${ofCeiling(ctx, clients, direct)}` },
        );
      }
      if (failures) rows.push({ metric: 'API bookings not answered 201', value: failures, unit: 'requests', note: 'should be 0' });

      // --- The schedule endpoint ------------------------------------------------
      const { rows: span } = await ctx.knex.raw(
        `SELECT clinic_day(min(scheduled_at)) AS first, clinic_day(max(scheduled_at)) AS last FROM appointments WHERE scheduled_at < '2070-01-01'`,
      );
      const first = Date.parse(`${span[0].first}T00:00:00Z`);
      const days = Math.max(1, Math.round((Date.parse(`${span[0].last}T00:00:00Z`) - first) / 86_400_000) + 1);
      let seed = 7;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      const samples: number[] = [];
      let items = 0;
      for (let i = 0; i < SCHEDULE_ITERATIONS; i++) {
        const providerId = providers[Math.floor(random() * providers.length)]!;
        const day = new Date(first + Math.floor(random() * days) * 86_400_000).toISOString().slice(0, 10);
        const t = process.hrtime.bigint();
        const res = await fetch(`${origin}/api/providers/${providerId}/schedule?date=${day}`, { headers: { cookie: cookies[0]! } });
        const body = (await res.json()) as { items?: unknown[] };
        samples.push(ms(t));
        items += body.items?.length ?? 0;
      }
      rows.push(
        { metric: `GET schedule p50 (${scale})`, value: round(percentile(samples, 50)), unit: 'ms', note: `${SCHEDULE_ITERATIONS} random provider-days, ${(items / SCHEDULE_ITERATIONS).toFixed(1)} appointments each; whole HTTP round trip` },
        { metric: `GET schedule p95 (${scale})`, value: round(percentile(samples, 95)), unit: 'ms', note: 'includes session load, user re-check, SET LOCAL ROLE' },
      );

      // --- Patient search, as the front desk types it ----------------------------
      const { rows: prefixes } = await ctx.knex.raw(
        `SELECT lower(left(split_part(name, ' ', 2), 3)) AS q FROM patients
         WHERE length(split_part(name, ' ', 2)) >= 3 ORDER BY md5(patient_id::text) LIMIT ?`,
        [SEARCH_ITERATIONS],
      );
      const { rows: patientCount } = await ctx.knex.raw('SELECT count(*)::int AS n FROM patients');
      const searches: number[] = [];
      let found = 0;
      for (const { q } of prefixes as { q: string }[]) {
        const t = process.hrtime.bigint();
        const res = await fetch(`${origin}/api/patients?q=${encodeURIComponent(q)}&limit=25`, { headers: { cookie: cookies[0]! } });
        const body = (await res.json()) as { items?: unknown[] };
        searches.push(ms(t));
        found += body.items?.length ?? 0;
      }
      rows.push(
        { metric: `GET patients?q= p50 (${patientCount[0].n.toLocaleString('en-US')} patients)`, value: round(percentile(searches, 50)), unit: 'ms', note: `${searches.length} three-letter surname prefixes as front desk, ${(found / Math.max(1, searches.length)).toFixed(1)} of at most 25 matches each; whole HTTP round trip` },
        { metric: `GET patients?q= p95 (${patientCount[0].n.toLocaleString('en-US')} patients)`, value: round(percentile(searches, 95)), unit: 'ms', note: 'candidates from patient_name_suffixes (patient_name_candidates) read through the policy; section Patient search times it at 200,000 patients' },
      );
      return rows;
    } finally {
      await raw.end();
      await close();
    }
  },
};

export default section;
