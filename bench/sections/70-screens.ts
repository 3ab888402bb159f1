/**
 * Billing's charge list behind its screen, GET /api/billing/charges (first page of 100, and
 * filtered by status), on the runner's dataset. The clinician's ICD-10-CM search has a
 * section of its own (72-icd10.ts).
 */
import { percentile, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { startBenchApp } from '../app.js';
import { hashPassword } from '../../server/auth/passwords.js';

const PASSWORD = 'bench-password-for-the-screens';

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (v: number) => Math.round(v * 100) / 100;

const section: BenchSection = {
  title: 'Screens',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const { origin, close } = await startBenchApp(ctx.appUrl, { name: 'bench-screens', poolMax: 4, sessionSecret: 'bench-session-secret-bench-session-secret' });
    try {
      const hash = await hashPassword(PASSWORD);
      const account = async (username: string, role: string, providerId: number | null) =>
        (
          await ctx.knex.raw(
            `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES (?, ?, ?, ?)
             ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, active = true, deactivated_at = NULL RETURNING user_id`,
            [username, role, providerId, hash],
          )
        ).rows[0].user_id as number;
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
      const billing = await login('bench-screens-billing');

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
        { metric: `GET billing/charges p95 (${chargeCount[0].n.toLocaleString('en-US')} charges)`, value: round(percentile(charges, 95)), unit: 'ms', note: 'first page of 100, newest first; half of them filtered by status=pending' },
      ];
    } finally {
      await close();
    }
  },
};

export default section;
