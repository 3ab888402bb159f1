/**
 * The lookups behind the role screens, on the runner's dataset:
 *  - the clinician's ICD-10-CM search, GET /api/icd10?q= (whole HTTP round trip, and the
 *    query alone inside the clinician's transaction), over a mix of code prefixes and
 *    description words as a clinician types them; target ≤ 10 ms p95;
 *  - billing's charge list, GET /api/billing/charges (first page of 100, and filtered by status).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { percentile, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { createKnex } from '../../server/db/knex.js';
import { createApp } from '../../server/app.js';
import { hashPassword } from '../../server/auth/passwords.js';
import { asStaff } from '../../server/db/index.js';
import { searchIcd10 } from '../../server/db/repository/reference.js';

const PASSWORD = 'bench-password-for-the-screens';
const ROUNDS = 20;
// What a clinician types, keystroke by keystroke: code prefixes with and without the dot, and words.
const QUERIES = ['e', 'e1', 'e11', 'e11.', 'e11.9', 'i10', 'z00.0', 'm54', 'ty', 'type 2', 'diab', 'hypert', 'pain', 'pain right', 'acute', 'unspec', 'migr', 'otitis', 'anx', 'xyz'];

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (v: number) => Math.round(v * 100) / 100;

const section: BenchSection = {
  title: 'Screens',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const appKnex = createKnex(ctx.appUrl, { poolMax: 4, applicationName: 'bench-screens' });
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clinic = createApp({
      appKnex,
      databaseKind: 'bench',
      logger: pino({ level: 'silent' }),
      sessionSecret: 'bench-session-secret-bench-session-secret',
      sessionIdleMs: 15 * 60_000,
      sessionAbsoluteMs: 12 * 3_600_000,
      secureCookie: false,
      trustProxy: false,
      allowedOrigins: [origin],
      loginRateLimit: { max: 10_000, windowMs: 60_000 },
      sessionPruneIntervalMs: 0,
    });
    server.on('request', clinic.app);
    try {
      const hash = await hashPassword(PASSWORD);
      const { rows: prov } = await ctx.knex.raw('SELECT provider_id FROM providers ORDER BY 1 LIMIT 1');
      const account = async (username: string, role: string, providerId: number | null) =>
        (
          await ctx.knex.raw(
            `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES (?, ?, ?, ?)
             ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, active = true, deactivated_at = NULL RETURNING user_id`,
            [username, role, providerId, hash],
          )
        ).rows[0].user_id as number;
      const clinicianId = await account('bench-screens-clinician', 'clinician', prov[0].provider_id);
      await account('bench-screens-billing', 'billing', null);
      const login = async (username: string) => {
        const res = await fetch(`${origin}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password: PASSWORD }),
        });
        if (res.status !== 200) throw new Error(`bench login failed: ${res.status}`);
        return res.headers.getSetCookie()[0]!.split(';')[0]!;
      };
      const clinician = await login('bench-screens-clinician');
      const billing = await login('bench-screens-billing');
      const { rows: codes } = await ctx.knex.raw('SELECT count(*)::int AS n FROM icd10_codes');

      const http: number[] = [];
      const query: number[] = [];
      let found = 0;
      for (let r = 0; r < ROUNDS; r++) {
        for (const q of QUERIES) {
          const t = process.hrtime.bigint();
          const res = await fetch(`${origin}/api/icd10?q=${encodeURIComponent(q)}`, { headers: { cookie: clinician } });
          const body = (await res.json()) as { items?: unknown[] };
          http.push(ms(t));
          found += body.items?.length ?? 0;
          await asStaff(appKnex, { userId: clinicianId, role: 'clinician' }, async (trx) => {
            const t2 = process.hrtime.bigint();
            await searchIcd10(trx, q, 20);
            query.push(ms(t2));
          });
        }
      }

      // charges is written by a trigger during the load, which the generator's ANALYZE does not
      // cover; without statistics the planner hashes every charge for the billing policy on
      // patients (226 ms at 14,620 charges) instead of probing 100 (1 ms). Autovacuum would
      // analyze it soon after a real load; do it now.
      await ctx.knex.raw('ANALYZE charges');
      const charges: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t = process.hrtime.bigint();
        const res = await fetch(`${origin}/api/billing/charges${i % 2 ? '?status=pending' : ''}`, { headers: { cookie: billing } });
        await res.arrayBuffer();
        charges.push(ms(t));
      }
      const { rows: chargeCount } = await ctx.knex.raw('SELECT count(*)::int AS n FROM charges');

      return [
        { metric: 'GET icd10?q= p50', value: round(percentile(http, 50)), unit: 'ms', note: `${http.length} searches (${QUERIES.length} typed prefixes × ${ROUNDS}) over ${codes[0].n} codes, ${(found / http.length).toFixed(1)} matches each; whole HTTP round trip` },
        { metric: 'GET icd10?q= p95', value: round(percentile(http, 95)), unit: 'ms', note: 'target ≤ 10 ms; includes session load, user re-check, SET LOCAL ROLE' },
        { metric: 'ICD-10 search query p95', value: round(percentile(query, 95)), unit: 'ms', note: 'the SELECT alone inside the clinician\'s transaction (LIKE over the small code table)' },
        { metric: `GET billing/charges p95 (${chargeCount[0].n.toLocaleString('en-US')} charges)`, value: round(percentile(charges, 95)), unit: 'ms', note: 'first page of 100, newest first; half of them filtered by status=pending' },
      ];
    } finally {
      clinic.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await appKnex.destroy();
    }
  },
};

export default section;
