/**
 * Bench section: what auditing a read costs. In the same run, on
 * one pooled service-login connection, alternating:
 *  - a front-desk read of one patient by id with no audit (how GET /api/patients/:id read before),
 *  - the same read with its audit row in one statement, as the route makes it (getPatientAsAudited:
 *    audit_read(), one durable audit row written by the autonomous writer
 *    over dblink (a second backend that commits on its own),
 *  - a clinician's patient_visits() (always audited: the same durable write inside);
 * the same audited read with the writer told to wait for the WAL flush of read rows too
 * (clinicpulse.audit_reads_synchronous = on, what every read paid before they committed
 * asynchronously), in blocks alternating with the default so drift hits both alike;
 * and the first audited read after the writer connection was lost (it reconnects: a login).
 * Whole transactions (BEGIN, SET ROLE, read, COMMIT) are timed, as a request pays them.
 */
import type { Knex } from 'knex';
import { percentile, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { createKnex } from '../../server/db/knex.js';
import { asStaff, type StaffIdentity } from '../../server/db/index.js';
import { getPatientAs, getPatientAsAudited } from '../../server/db/repository/patients.js';

const ITERATIONS = 400;
const RECONNECTS = 20;
const SYNC_BLOCKS = 4;

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function staffUser(knex: Knex, role: StaffIdentity['role'], providerId: number | null = null): Promise<StaffIdentity> {
  const { rows } = await knex.raw(
    `INSERT INTO staff_users (username, role, provider_id, password_hash)
     VALUES (?, ?, ?, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')
     ON CONFLICT (username) DO UPDATE SET active = true, deactivated_at = NULL RETURNING user_id`,
    [`bench-audit-${role.replace('_', '-')}`, role, providerId],
  );
  return { userId: rows[0].user_id, role };
}

const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95) });
const round = (x: number) => Math.round(x * 100) / 100;

const section: BenchSection = {
  title: 'Audited reads (durable, autonomous audit row)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const app = createKnex(ctx.appUrl, { poolMax: 1, applicationName: 'bench-audited-reads' });
    try {
      // A clinician with a patient who has visits: the provider and patient of some visit.
      const { rows: seen } = await ctx.knex.raw(
        `SELECT a.provider_id, v.patient_id FROM visits v JOIN appointments a ON a.appointment_id = v.appointment_id
         ORDER BY v.visit_id LIMIT 1`,
      );
      const { provider_id: providerId, patient_id: clinicalPatient } = seen[0];
      const desk = await staffUser(ctx.knex, 'front_desk');
      const doctor = await staffUser(ctx.knex, 'clinician', providerId);
      const { rows: ids } = await ctx.knex.raw('SELECT patient_id FROM patients ORDER BY random() LIMIT ?', [ITERATIONS]);
      const patientIds: number[] = ids.map((r: { patient_id: number }) => r.patient_id);
      // Small datasets have fewer patients than iterations: go round them.
      const patient = (i: number): number => patientIds[i % patientIds.length]!;

      const readPatient = (id: number, audited: boolean) =>
        asStaff(app, desk, async (trx) => {
          // As GET /api/patients/:id: the read and its audit row in one statement.
          await (audited ? getPatientAsAudited : getPatientAs)(trx, 'front_desk', id);
        });
      const visitsAudited = () => asStaff(app, doctor, (trx) => trx.raw('SELECT * FROM patient_visits(?)', [clinicalPatient]));
      // Warm up: the pooled connection, its writer connection, caches.
      for (let i = 0; i < 20; i++) {
        await readPatient(patient(i), true);
        await visitsAudited();
      }
      const plain: number[] = [];
      const audited: number[] = [];
      const visits: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const id = patient(i);
        let t = process.hrtime.bigint();
        await readPatient(id, false);
        plain.push(ms(t));
        t = process.hrtime.bigint();
        await readPatient(id, true);
        audited.push(ms(t));
        t = process.hrtime.bigint();
        await visitsAudited();
        visits.push(ms(t));
      }

      // Read rows committed synchronously (the deployment's choice) against the default, in
      // alternating blocks. The role setting reaches the writer at its next login, so each block
      // starts by dropping the writer connection and warming it up again.
      const dropWriter = async () => {
        await ctx.knex.raw(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'clinicpulse_audit_writer' AND datname = current_database()",
        );
        await new Promise((r) => setTimeout(r, 20));
      };
      const syncReads: number[] = [];
      const asyncReads: number[] = [];
      const perBlock = ITERATIONS / SYNC_BLOCKS;
      try {
        for (let b = 0; b < SYNC_BLOCKS * 2; b++) {
          const synchronous = b % 2 === 0;
          await ctx.knex.raw(`ALTER ROLE clinicpulse_audit_writer SET clinicpulse.audit_reads_synchronous = ${synchronous ? 'on' : 'off'}`);
          await dropWriter();
          for (let i = 0; i < 3; i++) await readPatient(patient(i), true);
          for (let i = 0; i < perBlock; i++) {
            const t = process.hrtime.bigint();
            await readPatient(patient(b * perBlock + i), true);
            (synchronous ? syncReads : asyncReads).push(ms(t));
          }
        }
      } finally {
        await ctx.knex.raw('ALTER ROLE clinicpulse_audit_writer RESET clinicpulse.audit_reads_synchronous');
        await dropWriter();
      }

      // The writer connection lost (backend terminated): the next audited read logs in again.
      const reconnect: number[] = [];
      for (let i = 0; i < RECONNECTS; i++) {
        await dropWriter();
        const t = process.hrtime.bigint();
        await readPatient(patient(i), true);
        reconnect.push(ms(t));
      }

      const p = stats(plain);
      const a = stats(audited);
      const v = stats(visits);
      const r = stats(reconnect);
      const sy = stats(syncReads);
      const as = stats(asyncReads);
      const note = (x: { p50: number; p95: number }) => `p95 ${round(x.p95)} ms; ${ITERATIONS} sequential requests`;
      return [
        { metric: 'one patient by id as front desk, not audited (transaction p50)', value: round(p.p50), unit: 'ms', note: note(p) },
        {
          metric: 'same read + audit_read() (one durable audit row), p50',
          value: round(a.p50),
          unit: 'ms',
          note: `${note(a)}; audit adds ${round(a.p50 - p.p50)} ms p50 (${(a.p50 / p.p50).toFixed(2)}x)`,
        },
        { metric: 'patient_visits() as clinician (audited), p50', value: round(v.p50), unit: 'ms', note: note(v) },
        {
          metric: 'audited read, read rows committed asynchronously (default), p50',
          value: round(as.p50),
          unit: 'ms',
          note: `p95 ${round(as.p95)} ms; ${asyncReads.length} requests in ${SYNC_BLOCKS} blocks alternating with the row below`,
        },
        {
          metric: 'audited read, read rows waiting for their WAL flush (audit_reads_synchronous = on), p50',
          value: round(sy.p50),
          unit: 'ms',
          note: `p95 ${round(sy.p95)} ms; ${syncReads.length} requests; the flush costs ${round(sy.p50 - as.p50)} ms p50 (${(sy.p50 / as.p50).toFixed(2)}x)`,
        },
        {
          metric: 'first audited read after the writer connection was lost, p50',
          value: round(r.p50),
          unit: 'ms',
          note: `p95 ${round(r.p95)} ms; ${RECONNECTS} samples: a SCRAM login of the writer, once per pooled connection`,
        },
      ];
    } finally {
      await app.destroy();
    }
  },
};

export default section;
