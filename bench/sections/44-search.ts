/**
 * Patient search at 200,000 patients. Tops the generated patients up
 * to SEARCH_PATIENTS (default 200,000; names recombined from the generated ones' first
 * names and surnames), then times the front desk's GET /api/patients?q= over HTTP for
 * three-letter surname prefixes, and the same search's SQL inside a transaction as the
 * front desk. Target: HTTP p95 ≤ 5 ms. The candidates come from patient_name_suffixes through
 * patient_name_candidates and are read through the row-level policy. One- and two-letter
 * needles (the first letters of surnames, so common ones weigh as at a desk) are timed over
 * HTTP too. For one, two and three letters the candidate page before (the whole key range,
 * made distinct and sorted) and now (the first-one/two/three-character indexes in name order,
 * stopped at the page) are timed interleaved, as the table's owner, under its row-level
 * security, as the candidate function reads it.
 */
import { percentile, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { leanClient, startBenchApp } from '../app.js';
import { hashPassword } from '../../server/auth/passwords.js';
import { asStaff } from '../../server/db/index.js';
import { searchPatientsAs } from '../../server/db/repository/patients.js';

const TARGET_PATIENTS = Number(process.env.SEARCH_PATIENTS ?? 200_000);
const ITERATIONS = 300;
const PASSWORD = 'bench-password-for-search';

const now = () => process.hrtime.bigint();
const ms = (start: bigint) => Number(now() - start) / 1e6;
const round = (v: number) => Math.round(v * 100) / 100;

const section: BenchSection = {
  title: 'Patient search',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const { rows: before } = await ctx.knex.raw('SELECT count(*)::int AS n FROM patients');
    const missing = TARGET_PATIENTS - before[0].n;
    if (missing > 0) {
      const t = now();
      await ctx.knex.raw(
        `WITH firsts AS (SELECT array_agg(DISTINCT split_part(name, ' ', 1)) AS a FROM patients),
              lasts AS (SELECT array_agg(DISTINCT split_part(name, ' ', 2)) AS a FROM patients WHERE split_part(name, ' ', 2) <> '')
         INSERT INTO patients (name, dob)
         SELECT f.a[(1 + (g * 7919) % cardinality(f.a))::int] || ' ' || l.a[(1 + (g * 104729) % cardinality(l.a))::int],
                date '1930-01-01' + ((g * 37) % 30000)::int
         FROM generate_series(1::bigint, ?::bigint) g, firsts f, lasts l`,
        [missing],
      );
      await ctx.knex.raw('ANALYZE patients');
      console.log(`  added ${missing.toLocaleString('en-US')} patients in ${(ms(t) / 1000).toFixed(1)} s`);
    }
    const { rows: count } = await ctx.knex.raw('SELECT count(*)::int AS n FROM patients');
    const patients = count[0].n as number;

    const { origin, appKnex, close } = await startBenchApp(ctx.appUrl, { name: 'bench-search', poolMax: 4, sessionSecret: 'bench-session-secret-search-0123456789' });
    const client = leanClient(origin);
    const get = client.get;
    try {
      await ctx.knex.raw(
        `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES ('bench-search-desk', 'front_desk', NULL, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, active = true, deactivated_at = NULL`,
        [await hashPassword(PASSWORD)],
      );
      const login = await fetch(`${origin}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench-search-desk', password: PASSWORD }),
      });
      if (login.status !== 200) throw new Error(`bench login failed: ${login.status}`);
      const me = (await login.json()) as { id: number };
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      const { rows: prefixes } = await ctx.knex.raw(
        `SELECT lower(left(split_part(name, ' ', 2), 3)) AS q FROM patients
         WHERE length(split_part(name, ' ', 2)) >= 3 ORDER BY md5(patient_id::text) LIMIT ?`,
        [ITERATIONS],
      );
      const qs = (prefixes as { q: string }[]).map((r) => r.q);
      /** Each search over HTTP as the front desk, after `warm` untimed ones: the times and the patients found. */
      const searchOverHttp = async (list: string[], warm: number) => {
        for (const q of list.slice(0, warm)) await get(`/api/patients?q=${encodeURIComponent(q)}&limit=25`, cookie);
        const times: number[] = [];
        let hits = 0;
        for (const q of list) {
          const t = now();
          const res = await get(`/api/patients?q=${encodeURIComponent(q)}&limit=25`, cookie);
          times.push(ms(t));
          if (res.status !== 200) throw new Error(`search answered ${res.status}`);
          hits += (JSON.parse(res.body) as { items: unknown[] }).items.length;
        }
        return { times, hits };
      };
      const { times: httpTimes, hits: found } = await searchOverHttp(qs, 20);
      const sqlTimes: number[] = [];
      for (const q of qs) {
        await asStaff(appKnex, { userId: me.id, role: 'front_desk' }, async (trx) => {
          const t = now();
          await searchPatientsAs(trx, 'front_desk', q, { limit: 26, offset: 0 });
          sqlTimes.push(ms(t));
        });
      }
      // One, two and three letters: the candidate page before (the whole key range, made distinct and
      // sorted) and now (first1/2/3 in name order, stopped at the page), interleaved, as the table's
      // owner (below); one and two letters also over HTTP (three letters are the rows above).
      const shortRows: BenchRow[] = [];
      for (const len of [1, 2, 3]) {
        const shortQs = qs.map((q) => q.slice(0, len));
        const { times: shortHttp, hits: shortFound } = len === 3 ? { times: [], hits: 0 } : await searchOverHttp(shortQs, 10);
        const rangeSql = `SELECT m.patient_id FROM (SELECT DISTINCT s.patient_id, s.name FROM patient_name_suffixes s
                          WHERE s.suffix >= ? COLLATE "C" AND starts_with(s.suffix, ?)) m ORDER BY m.name, m.patient_id LIMIT 26`;
        const orderedSql = `SELECT m.patient_id FROM (SELECT DISTINCT s.name, s.patient_id FROM patient_name_suffixes s
                            WHERE s.first${len} = ? ORDER BY s.name, s.patient_id LIMIT 26) m`;
        const rangeTimes: number[] = [];
        const orderedTimes: number[] = [];
        const functionTimes: number[] = [];
        // As the table's owner (the candidate function's rights), so its row-level security applies.
        await ctx.knex.transaction(async (trx) => {
          await trx.raw('SET LOCAL ROLE clinicpulse_owner');
          for (const [i, q] of shortQs.slice(0, 100).entries()) {
            for (const which of i % 2 === 0 ? ['range', 'ordered'] : ['ordered', 'range']) {
              const t = now();
              await trx.raw(which === 'range' ? rangeSql : orderedSql, which === 'range' ? [q, q] : [q]);
              (which === 'range' ? rangeTimes : orderedTimes).push(ms(t));
            }
          }
        });
        // The candidate function itself, as the front desk calls it.
        await asStaff(appKnex, { userId: me.id, role: 'front_desk' }, async (trx) => {
          for (const q of shortQs.slice(0, 100)) {
            const t = now();
            await trx.raw('SELECT count(*) FROM patient_name_candidates(?, NULL, 26, 0)', [q]);
            functionTimes.push(ms(t));
          }
        });
        const letters = ['one-letter', 'two-letter', 'three-letter'][len - 1]!;
        shortRows.push(
          { metric: `${letters} candidate page, whole key range (before) p50`, value: round(percentile(rangeTimes, 50)), unit: 'ms', note: `p95 ${round(percentile(rangeTimes, 95))} ms; ${rangeTimes.length} ${letters} surname prefixes, as the table's owner (row-level security on), interleaved with the row below` },
          { metric: `${letters} candidate page, name-ordered index stopped at the page (now) p50`, value: round(percentile(orderedTimes, 50)), unit: 'ms', note: `p95 ${round(percentile(orderedTimes, 95))} ms; patient_name_suffixes_first${len}_idx; ${round(percentile(rangeTimes, 50) / percentile(orderedTimes, 50))}× faster at p50` },
          { metric: `${letters} patient_name_candidates() p50, as front desk`, value: round(percentile(functionTimes, 50)), unit: 'ms', note: `p95 ${round(percentile(functionTimes, 95))} ms; the function the search calls (identity check, page of 26)` },
        );
        if (shortHttp.length) {
          shortRows.push({ metric: `GET patients?q= ${letters} p50 (${patients.toLocaleString('en-US')} patients)`, value: round(percentile(shortHttp, 50)), unit: 'ms', note: `p95 ${round(percentile(shortHttp, 95))} ms; ${shortQs.length} ${letters} surname prefixes as front desk, ${(shortFound / shortQs.length).toFixed(1)} of at most 25 each, incl. the audit row` });
        }
      }
      const p95 = round(percentile(httpTimes, 95));
      return [
        { metric: `GET patients?q= p50 (${patients.toLocaleString('en-US')} patients)`, value: round(percentile(httpTimes, 50)), unit: 'ms', note: `${qs.length} three-letter surname prefixes as front desk, ${(found / qs.length).toFixed(1)} of at most 25 each; whole HTTP round trip incl. the audit row` },
        { metric: `GET patients?q= p95 (${patients.toLocaleString('en-US')} patients)`, value: p95, unit: 'ms', note: `target ≤ 5 ms: ${p95 <= 5 ? 'met' : 'NOT met'}; candidates from patient_name_suffixes (patient_name_candidates) read through the policy, page and durable audit row in one statement` },
        { metric: `search SQL p50 / p95 (${patients.toLocaleString('en-US')} patients)`, value: round(percentile(sqlTimes, 50)), unit: 'ms', note: `p95 ${round(percentile(sqlTimes, 95))} ms; searchPatientsAs inside a transaction as front desk` },
        ...shortRows,
      ];
    } finally {
      client.close();
      await close();
    }
  },
};

export default section;
