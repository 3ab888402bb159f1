/**
 * The request path, hop by hop. On the runner's dataset, with the real
 * app on 127.0.0.1:
 *  - GET /api/providers/:id/schedule over HTTP against the same query (providerDaySchedule)
 *    for the same provider-days, timed inside a transaction: target HTTP p50 ≤ SQL p50 + 1.5 ms;
 *  - GET /api/me over HTTP: target p50 ≤ 1 ms;
 *  - each hop alone: the middleware floor (an unknown /api path without a cookie: request
 *    id, metrics, logger, helmet, JSON body, CSRF check, 404), the session statement
 *    (session row alone; + account check; + identity: staff_session_enter), the whole
 *    session transaction (BEGIN, staff_session_enter, COMMIT), what the old path paid on
 *    top (a session-read transaction and a second asStaff transaction), serialising a
 *    schedule response, and writing one access-log line.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { percentile, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { BENCH_SESSION_ABSOLUTE_MS, BENCH_SESSION_IDLE_MS, leanClient, startBenchApp } from '../app.js';
import { hashPassword } from '../../server/auth/passwords.js';
import { asService, asStaff, beginAsSession } from '../../server/db/index.js';
import { providerDaySchedule, providerDayScheduleAudited } from '../../server/db/repository/schedule.js';
import { providerExists } from '../../server/db/repository/providers.js';
import { recordRead } from '../../server/db/repository/access-log.js';
import { storedSessionId } from '../../server/auth/keyed-digest.js';
import { touchSlackMs } from '../../server/auth/sessions.js';

const ITERATIONS = 400;
const WARMUP = 40;
const PASSWORD = 'bench-password-for-the-request-path';
const SECRET = 'bench-session-secret-request-path-0123456789';
const IDLE = BENCH_SESSION_IDLE_MS;
const ABSOLUTE = BENCH_SESSION_ABSOLUTE_MS;

const now = () => process.hrtime.bigint();
const ms = (start: bigint) => Number(now() - start) / 1e6;
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

async function sample(n: number, op: (i: number) => Promise<number | void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await op(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    const inner = await op(i);
    out.push(typeof inner === 'number' ? inner : ms(t));
  }
  return out;
}

const section: BenchSection = {
  title: 'Request path',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const scale = `${(ctx.appointments / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })}M appointments`;
    const { origin, appKnex, close } = await startBenchApp(ctx.appUrl, {
      name: 'bench-request-path',
      poolMax: 4,
      sessionSecret: SECRET,
      // As in production: info level, so a 2xx request's line (debug) is not written.
      logger: pino({ level: 'info' }, new Writable({ write: (_c, _e, cb) => cb() })),
    });
    const client = leanClient(origin);
    const get = client.get;
    const raw = new pg.Client({ connectionString: ctx.appUrl });
    await raw.connect();
    try {
      await ctx.knex.raw(
        `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES ('bench-path-desk', 'front_desk', NULL, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, active = true, deactivated_at = NULL`,
        [await hashPassword(PASSWORD)],
      );
      const login = await fetch(`${origin}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench-path-desk', password: PASSWORD }),
      });
      if (login.status !== 200) throw new Error(`bench login failed: ${login.status}`);
      const me = (await login.json()) as { id: number };
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.').slice(0, -1).join('.');
      const stored = storedSessionId(SECRET, sid);
      const desk = { userId: me.id, role: 'front_desk' as const };

      // The same provider-days for HTTP and SQL.
      const providers: number[] = (await ctx.knex.raw('SELECT provider_id FROM providers ORDER BY 1')).rows.map((r: { provider_id: number }) => r.provider_id);
      const { rows: span } = await ctx.knex.raw(
        `SELECT clinic_day(min(scheduled_at)) AS first, clinic_day(max(scheduled_at)) AS last FROM appointments WHERE scheduled_at < '2070-01-01'`,
      );
      const first = Date.parse(`${span[0].first}T00:00:00Z`);
      const days = Math.max(1, Math.round((Date.parse(`${span[0].last}T00:00:00Z`) - first) / 86_400_000) + 1);
      let seed = 11;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      const picks = Array.from({ length: ITERATIONS + WARMUP }, () => ({
        providerId: providers[Math.floor(random() * providers.length)]!,
        day: new Date(first + Math.floor(random() * days) * 86_400_000).toISOString().slice(0, 10),
      }));

      let lastBody = '';
      const httpSchedule = await sample(ITERATIONS, async (i) => {
        const p = picks[i]!;
        const res = await get(`/api/providers/${p.providerId}/schedule?date=${p.day}`, cookie);
        if (res.status !== 200) throw new Error(`schedule answered ${res.status}`);
        lastBody = res.body;
      });
      const sqlSchedule = await sample(ITERATIONS, (i) =>
        asStaff(appKnex, desk, async (trx) => {
          const p = picks[i]!;
          const t = now();
          await providerDaySchedule(trx, p.providerId, p.day);
          return ms(t);
        }),
      );
      const httpMe = await sample(ITERATIONS, async () => {
        const res = await get('/api/me', cookie);
        if (res.status !== 200) throw new Error(`/api/me answered ${res.status}`);
      });
      const floor = await sample(ITERATIONS, async () => {
        const res = await get('/api/no-such-endpoint');
        if (res.status !== 404) throw new Error(`floor answered ${res.status}`);
      });

      const p50 = (s: number[]) => round(percentile(s, 50));
      const httpP50 = p50(httpSchedule);
      const sqlP50 = p50(sqlSchedule);
      const meP50 = p50(httpMe);
      rows.push(
        { metric: `GET schedule p50, HTTP (${scale})`, value: httpP50, unit: 'ms', note: `${ITERATIONS} random provider-days, keep-alive; p95 ${p50([percentile(httpSchedule, 95)])} ms` },
        { metric: `same schedule SQL p50 (${scale})`, value: sqlP50, unit: 'ms', note: 'providerDaySchedule timed inside a transaction as front_desk, same provider-days' },
        { metric: 'HTTP − SQL p50', value: round(httpP50 - sqlP50), unit: 'ms', note: `target ≤ 1.5 ms: ${httpP50 - sqlP50 <= 1.5 ? 'met' : 'NOT met'}` },
        { metric: 'GET /api/me p50', value: meP50, unit: 'ms', note: `target ≤ 1 ms: ${meP50 <= 1 ? 'met' : 'NOT met'}; p95 ${p50([percentile(httpMe, 95)])} ms` },
        { metric: 'hop: HTTP + middleware floor p50', value: p50(floor), unit: 'ms', note: 'unknown /api path, no cookie: client, request id, metrics, logger, helmet, CSRF, 404 (no database)' },
      );

      // --- The session statement, piece by piece (raw client as the service login) -----
      const inAuthTxn = (sql: string, params: unknown[]) =>
        sample(ITERATIONS, async () => {
          await raw.query('BEGIN; SET LOCAL ROLE clinicpulse_auth');
          const t = now();
          await raw.query(sql, params);
          const took = ms(t);
          await raw.query('ROLLBACK');
          return took;
        });
      const timing = [IDLE, touchSlackMs(IDLE), ABSOLUTE];
      const rowOnly = await inAuthTxn('SELECT sess FROM http_sessions WHERE sid = $1 AND expires_at > now()', [stored]);
      const resume = await inAuthTxn('SELECT * FROM staff_session_resume($1, false, $2, $3, $4)', [stored, ...timing]);
      const enter = await inAuthTxn('SELECT * FROM staff_session_enter($1, false, $2, $3, $4)', [stored, ...timing]);
      const sessionTxn = await sample(ITERATIONS, async () => {
        const s = await beginAsSession(appKnex, stored, { touch: false, idleMs: IDLE, slackMs: touchSlackMs(IDLE), absoluteMs: ABSOLUTE });
        if (!s) throw new Error('bench session not valid');
        await s.trx.commit();
      });
      const oldSessionTxn = await sample(ITERATIONS, () =>
        asService(appKnex, 'clinicpulse_auth', (trx) =>
          trx.raw(
            `SELECT s.sess, s.expires_at, u.user_id, u.username, u.role, u.provider_id, u.active
             FROM http_sessions s LEFT JOIN LATERAL staff_session_user(s.user_id) u ON true WHERE s.sid = ? AND s.expires_at > now()`,
            [stored],
          ),
        ),
      );
      const emptyAsStaff = await sample(ITERATIONS, () => asStaff(appKnex, desk, async () => undefined));
      const { rows: somePatient } = await ctx.knex.raw('SELECT patient_id FROM appointments LIMIT 1');
      const auditRead = await sample(ITERATIONS / 2, () =>
        asStaff(appKnex, desk, async (trx) => {
          const t = now();
          await recordRead(trx, 'appointments', [somePatient[0].patient_id as number]);
          return ms(t);
        }),
      );
      rows.push(
        { metric: 'hop: session row lookup p50', value: round(percentile(rowOnly, 50), 3), unit: 'ms', note: 'by stored id (HMAC), primary key; one statement' },
        { metric: 'hop: + account check p50', value: round(percentile(resume, 50), 3), unit: 'ms', note: 'staff_session_resume: row, active account, same role, absolute lifetime' },
        { metric: 'hop: + identity p50', value: round(percentile(enter, 50), 3), unit: 'ms', note: 'staff_session_enter: the above + SET LOCAL ROLE + app.user_id; the one session statement a request now makes' },
        { metric: 'hop: session transaction p50', value: round(percentile(sessionTxn, 50), 3), unit: 'ms', note: 'BEGIN, staff_session_enter, COMMIT: what a request adds to its own statements' },
        { metric: 'hop: audit row of the read p50', value: round(percentile(auditRead, 50), 3), unit: 'ms', note: 'audit_read (durable, autonomous writer): part of GET schedule, not of the SQL p50 above' },
        { metric: 'old path: session-read transaction p50', value: round(percentile(oldSessionTxn, 50), 3), unit: 'ms', note: 'BEGIN, SET ROLE, session + staff_session_user, COMMIT (removed)' },
        { metric: 'old path: + asStaff transaction p50', value: round(percentile(emptyAsStaff, 50), 3), unit: 'ms', note: 'BEGIN, SET LOCAL ROLE + set_config, COMMIT: the second transaction (removed); express-session also called the store touch after every response' },
      );

      // --- Round trips per read: before / after, interleaved so both see the same load ---
      const entry = { touch: false, idleMs: IDLE, slackMs: touchSlackMs(IDLE), absoluteMs: ABSOLUTE };
      const enterSql = `SET LOCAL ROLE clinicpulse_auth; SELECT * FROM staff_session_enter('${stored}', false, ${timing.join(', ')})`;
      const oneRead = async (p: { providerId: number; day: string }) => {
        const s = await beginAsSession(appKnex, stored, entry);
        if (!s) throw new Error('bench session not valid');
        const day = await providerDayScheduleAudited(s.trx, p.providerId, p.day);
        if (day.length === 0) await providerExists(s.trx, p.providerId);
        await s.trx.commit();
      };
      const sixTrips = async (p: { providerId: number; day: string }) => {
        const trx = await appKnex.transaction();
        await trx.raw(enterSql);
        await providerExists(trx, p.providerId);
        const day = await providerDaySchedule(trx, p.providerId, p.day);
        await recordRead(trx, 'appointments', day.map((a) => a.patientId));
        await trx.commit();
      };
      const overHttp = async (p: { providerId: number; day: string }) => {
        const res = await get(`/api/providers/${p.providerId}/schedule?date=${p.day}`, cookie);
        if (res.status !== 200) throw new Error(`schedule answered ${res.status}`);
      };
      const before: number[] = [];
      const after: number[] = [];
      const whole: number[] = [];
      for (let i = 0; i < ITERATIONS + WARMUP; i++) {
        const p = picks[i % picks.length]!;
        const ops = [sixTrips, oneRead, overHttp];
        const order = [...ops.slice(i % 3), ...ops.slice(0, i % 3)];
        for (const op of order) {
          const t = now();
          await op(p);
          if (i >= WARMUP) (op === oneRead ? after : op === sixTrips ? before : whole).push(ms(t));
        }
      }
      const b50 = round(percentile(before, 50));
      const a50 = round(percentile(after, 50));
      rows.push(
        { metric: 'schedule read in the database, 6 round trips p50', value: b50, unit: 'ms', note: `before: BEGIN; session statement; provider exists; schedule; audit_read; COMMIT. p95 ${round(percentile(before, 95))} ms` },
        { metric: 'schedule read in the database, 3 round trips p50', value: a50, unit: 'ms', note: `now: BEGIN + session statement in one message; schedule + audit row in one statement; COMMIT. p95 ${round(percentile(after, 95))} ms; ${round(a50 / b50)}× of before, interleaved with it` },
        { metric: 'GET schedule over HTTP, interleaved with the two rows above, p50', value: round(percentile(whole, 50)), unit: 'ms', note: `p95 ${round(percentile(whole, 95))} ms; HTTP − the 3-round-trip database path: ${round(percentile(whole, 50) - a50)} ms (Node, express, middleware, JSON)` },
      );

      // --- Serialisation and logging (in-process) -------------------------------------
      const body = JSON.parse(lastBody) as unknown;
      const bigBody = { providerId: 1, date: '2030-01-01', items: Array.from({ length: 20 }, (_, i) => ({ ...(body as { items: object[] }).items[0], appointmentId: i })) };
      const serialise = await sample(ITERATIONS * 5, async () => {
        const t = now();
        JSON.stringify(bigBody);
        return ms(t);
      });
      const lines = pino({ level: 'info' }, new Writable({ write: (_c, _e, cb) => cb() }));
      const logging = await sample(ITERATIONS * 5, async () => {
        const t = now();
        lines.info({ req: { id: 'x', method: 'GET', path: '/api/providers/1/schedule' }, res: { statusCode: 200 }, responseTime: 1, staffUserId: 1, staffRole: 'front_desk' }, 'request completed');
        return ms(t);
      });
      rows.push(
        { metric: 'hop: serialise a 20-entry schedule p50', value: round(percentile(serialise, 50) * 1000, 1), unit: 'µs', note: 'JSON.stringify' },
        { metric: 'hop: one access-log line p50', value: round(percentile(logging, 50) * 1000, 1), unit: 'µs', note: 'pino, as when a request is logged (4xx/5xx at the default level)' },
      );
      return rows;
    } finally {
      client.close();
      await raw.end();
      await close();
    }
  },
};

export default section;
