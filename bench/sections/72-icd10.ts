/**
 * The clinician's ICD-10-CM search, GET /api/icd10?q= (target ≤ 10 ms p95), and where its
 * time goes. Each hop a request used to take is timed on its own, over the same typed
 * prefixes (codes with and without the dot, and words, as a clinician types them):
 *  - the whole HTTP round trip, as served now (one-round-trip session check, in-memory index),
 *    and, interleaved with it on the same server, the route as it was (the session's
 *    transaction, then a read-only transaction with the LIKE query), mounted for the bench only;
 *  - GET /healthz (HTTP and Express, no database) and GET /api/me (HTTP plus the one-round-trip
 *    session check): the floor under any signed-in request;
 *  - the hops of the route as it was: the session transaction (BEGIN; staff_session_enter;
 *    COMMIT), then a read-only transaction as the clinician with the LIKE query, and the SELECT
 *    alone inside it; their sum per search;
 *  - the session check alone (sessionAccount), the in-memory search and the JSON encoding.
 * Nothing is audited on this path (reference data, no patient), so audit is no hop here.
 */
import express from 'express';
import { percentile, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { BENCH_SESSION_ABSOLUTE_MS, BENCH_SESSION_IDLE_MS, startBenchApp } from '../app.js';
import { hashPassword } from '../../server/auth/passwords.js';
import { asStaff, beginAsSession, sessionAccount } from '../../server/db/index.js';
import { icd10CodeList, searchIcd10 } from '../../server/db/repository/reference.js';
import { Icd10Index } from '../../server/medications/icd10-index.js';
import { SESSION_COOKIE, touchSlackMs, unsignCookie } from '../../server/auth/sessions.js';
import { storedSessionId } from '../../server/auth/keyed-digest.js';

const PASSWORD = 'bench-password-for-the-icd10-search';
const SECRET = 'bench-session-secret-icd10-bench-session-secret';
const ROUNDS = 20;
// What a clinician types, keystroke by keystroke: code prefixes with and without the dot, and words.
const QUERIES = ['e', 'e1', 'e11', 'e11.', 'e11.9', 'i10', 'z00.0', 'm54', 'ty', 'type 2', 'diab', 'hypert', 'pain', 'pain right', 'acute', 'unspec', 'migr', 'otitis', 'anx', 'xyz'];

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (v: number) => Math.round(v * 1000) / 1000;

const section: BenchSection = {
  title: 'ICD-10 search',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    // The route as it was before the index, for an interleaved comparison over HTTP.
    const { origin, appKnex, close } = await startBenchApp(ctx.appUrl, {
      name: 'bench-icd10',
      poolMax: 4,
      sessionSecret: SECRET,
      handler: (clinic, knex) => {
        const outer = express();
        outer.get('/bench/icd10-as-it-was', async (req, res) => {
          const session = await clinic.sessions.begin(req, res);
          if (!session) return void res.status(401).end();
          await session.trx.commit();
          const q = typeof req.query.q === 'string' ? req.query.q : '';
          const items = await asStaff(knex, { userId: session.user.id, role: session.user.role }, (trx) => searchIcd10(trx, q, 20), { readOnly: true });
          res.json({ items });
        });
        outer.use(clinic.app);
        return outer;
      },
    });
    try {
      const { rows: prov } = await ctx.knex.raw('SELECT provider_id FROM providers ORDER BY 1 LIMIT 1');
      const { rows: users } = await ctx.knex.raw(
        `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES ('bench-icd10-clinician', 'clinician', ?, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, active = true, deactivated_at = NULL RETURNING user_id`,
        [prov[0].provider_id, await hashPassword(PASSWORD)],
      );
      const identity = { userId: users[0].user_id as number, role: 'clinician' as const };
      const res = await fetch(`${origin}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench-icd10-clinician', password: PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`bench login failed: ${res.status}`);
      const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
      const sid = unsignCookie(decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1)), [SECRET])!;
      const entry = { storedSid: storedSessionId(SECRET, sid), opts: { touch: true, idleMs: BENCH_SESSION_IDLE_MS, slackMs: touchSlackMs(BENCH_SESSION_IDLE_MS), absoluteMs: BENCH_SESSION_ABSOLUTE_MS } };
      const get = async (path: string) => {
        const r = await fetch(`${origin}${path}`, { headers: { cookie } });
        const body = (await r.json()) as { items?: unknown[] };
        if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
        return body;
      };
      const index = new Icd10Index();
      index.load(await asStaff(appKnex, identity, (trx) => icd10CodeList(trx), { readOnly: true }));
      // Warm up: the first search loads the route's index; pools and plans settle.
      for (const q of QUERIES) await get(`/api/icd10?q=${encodeURIComponent(q)}`);

      const t = { http: [] as number[], old: [] as number[], healthz: [] as number[], me: [] as number[], sessionTx: [] as number[], queryTx: [] as number[], select: [] as number[], oldSum: [] as number[], check: [] as number[], memory: [] as number[], json: [] as number[] };
      let found = 0;
      for (let r = 0; r < ROUNDS; r++) {
        for (const q of QUERIES) {
          let s = process.hrtime.bigint();
          const body = await get(`/api/icd10?q=${encodeURIComponent(q)}`);
          t.http.push(ms(s));
          found += body.items?.length ?? 0;
          s = process.hrtime.bigint();
          const oldBody = await get(`/bench/icd10-as-it-was?q=${encodeURIComponent(q)}`);
          t.old.push(ms(s));
          if (JSON.stringify(oldBody) !== JSON.stringify(body)) throw new Error(`old and new route differ for ${JSON.stringify(q)}`);

          s = process.hrtime.bigint();
          await (await fetch(`${origin}/healthz`)).arrayBuffer();
          t.healthz.push(ms(s));
          s = process.hrtime.bigint();
          await get('/api/me');
          t.me.push(ms(s));

          // The route as it was: the session's transaction, committed; then a read-only one with the query.
          s = process.hrtime.bigint();
          const entered = await beginAsSession(appKnex, entry.storedSid, entry.opts);
          await entered!.trx.commit();
          const a = ms(s);
          t.sessionTx.push(a);
          s = process.hrtime.bigint();
          const items = await asStaff(
            appKnex,
            identity,
            async (trx) => {
              const s2 = process.hrtime.bigint();
              const found = await searchIcd10(trx, q, 20);
              t.select.push(ms(s2));
              return found;
            },
            { readOnly: true },
          );
          const b = ms(s);
          t.queryTx.push(b);
          t.oldSum.push(a + b);

          s = process.hrtime.bigint();
          await sessionAccount(appKnex, entry.storedSid, entry.opts);
          t.check.push(ms(s));
          s = process.hrtime.bigint();
          const mem = index.match(q, 20);
          t.memory.push(ms(s));
          if (JSON.stringify(mem) !== JSON.stringify(items)) throw new Error(`in-memory and SQL differ for ${JSON.stringify(q)}`);
          s = process.hrtime.bigint();
          JSON.stringify({ items: mem });
          t.json.push(ms(s));
        }
      }
      const p = (xs: number[], n: number) => round(percentile(xs, n));
      const n = t.http.length;
      return [
        { metric: 'GET icd10?q= p50', value: p(t.http, 50), unit: 'ms', note: `${n} searches (${QUERIES.length} typed prefixes × ${ROUNDS}) over ${index.size} codes, ${(found / n).toFixed(1)} matches each; whole HTTP round trip as served (lean session check, in-memory index)` },
        { metric: 'GET icd10?q= p95', value: p(t.http, 95), unit: 'ms', note: 'target ≤ 10 ms' },
        { metric: 'the route as it was, p50', value: p(t.old, 50), unit: 'ms', note: 'same searches over HTTP, interleaved: session transaction, then a read-only transaction with the LIKE' },
        { metric: 'the route as it was, p95', value: p(t.old, 95), unit: 'ms', note: `now / then: p50 ${(percentile(t.http, 50) / percentile(t.old, 50)).toFixed(2)}, p95 ${(percentile(t.http, 95) / percentile(t.old, 95)).toFixed(2)}` },
        { metric: 'GET /healthz p50 / p95', value: p(t.healthz, 95), unit: 'ms', note: `p50 ${p(t.healthz, 50)} ms; HTTP and Express alone, no database: the floor of any request (p95 shown)` },
        { metric: 'GET /api/me p50 / p95', value: p(t.me, 95), unit: 'ms', note: `p50 ${p(t.me, 50)} ms; HTTP plus the one-round-trip session check: the floor of a signed-in request (p95 shown)` },
        { metric: 'old path: session transaction p95', value: p(t.sessionTx, 95), unit: 'ms', note: 'BEGIN; SET LOCAL ROLE clinicpulse_auth; staff_session_enter; COMMIT (three round trips)' },
        { metric: 'old path: read-only query transaction p95', value: p(t.queryTx, 95), unit: 'ms', note: 'BEGIN READ ONLY; SET LOCAL ROLE clinician + app.user_id; the SELECT; COMMIT (four round trips)' },
        { metric: 'old path: the SELECT alone p95', value: p(t.select, 95), unit: 'ms', note: 'LIKE over icd10_codes inside that transaction' },
        { metric: 'old path: both transactions p95', value: p(t.oldSum, 95), unit: 'ms', note: 'per search, before HTTP and JSON; what the route paid beyond /healthz' },
        { metric: 'session check alone p95', value: p(t.check, 95), unit: 'ms', note: 'sessionAccount: BEGIN; SET LOCAL ROLE; staff_session_resume; COMMIT in one message (what the route pays now)' },
        { metric: 'in-memory search p95', value: p(t.memory, 95), unit: 'ms', note: 'Icd10Index.match, same answers as the SQL (checked on every search)' },
        { metric: 'JSON encoding p95', value: p(t.json, 95), unit: 'ms', note: 'JSON.stringify of the answer' },
      ];
    } finally {
      await close();
    }
  },
};

export default section;
