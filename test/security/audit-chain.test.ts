/**
 * The audit log is tamper-evident (issue 9, item 11). The append-only triggers stop every
 * role, but a superuser with session_replication_role = replica switches triggers off and
 * rewrote a row unnoticed. Every audit row is now linked into a hash chain at COMMIT;
 * audit_chain_verify() and `npm run audit:verify` find a row changed, deleted or slipped in
 * behind the triggers' back, and a rewritten link, and name the first break.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createPatient } from '../support/clinic.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { asStaff } from '../../server/db/index.js';
import { verifyAuditChain, type AuditChainReport } from '../../server/db/repository/audit-chain.js';
import { careFixture } from './fixtures.js';
import { as, buildWorld } from './world.js';

let db: TestDatabase;
let frontDesk: StaffFixture;

const auditCount = async (k: Knex = db.knex) => Number((await k.raw('SELECT count(*) AS n FROM audit_log')).rows[0].n);
const someAuditId = async (k: Knex) => Number((await k.raw('SELECT min(audit_id) + 3 AS id FROM audit_log')).rows[0].id);

/** Tamper as the superuser with triggers off, check, and roll the tampering back. */
async function tampered(edit: (trx: Knex.Transaction) => Promise<unknown>): Promise<AuditChainReport> {
  const trx = await db.knex.transaction();
  try {
    await trx.raw('SET LOCAL session_replication_role = replica');
    await edit(trx);
    await trx.raw('SET LOCAL session_replication_role = origin');
    return await verifyAuditChain(trx);
  } finally {
    await trx.rollback();
  }
}

function cli(): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/audit-verify.ts'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DATABASE_URL: db.url, NODE_ENV: 'development' },
  });
  return { status: run.status, out: run.stdout + run.stderr };
}

beforeAll(async () => {
  db = await createTestDatabase();
  frontDesk = await createStaff(db.knex, 'front_desk');
  await careFixture(db.knex);
  await careFixture(db.knex);
});
afterAll(async () => db?.drop());

describe('the audit chain', () => {
  it('links every row of ordinary work, concurrent transactions included, in one unforked chain', async () => {
    // 24 front-desk registrations at once, from separate connections, each audited.
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        asStaff(db.appKnex, { userId: frontDesk.userId, role: 'front_desk' }, (trx) =>
          trx('patients').insert({ name: `Chain Patient ${i}`, dob: '1990-01-01' }),
        ),
      ),
    );
    // A bulk statement: many audit rows in one transaction.
    await db.knex.raw("INSERT INTO patients (name, dob) SELECT 'Bulk ' || g, '1970-01-01' FROM generate_series(1, 300) g");
    const report = await verifyAuditChain(db.knex);
    const rows = await auditCount();
    expect(rows).toBeGreaterThan(330);
    expect(report).toMatchObject({ intact: true, links: rows, auditRows: rows });
    const { rows: seq } = await db.knex.raw('SELECT min(seq)::int AS lo, max(seq)::int AS hi, count(DISTINCT audit_id)::int AS n FROM audit_chain');
    expect(seq[0]).toEqual({ lo: 1, hi: rows, n: rows });
  });

  // The link finds a transaction's rows between its first id and the id sequence's last value
  // (a bounded primary-key range): rows numbered in between by other transactions, and rows
  // it writes after theirs, must all be linked, each exactly once, in commit order.
  it('links a transaction whose rows are interleaved with those of transactions that committed first', async () => {
    const desk = { userId: frontDesk.userId, role: 'front_desk' as const };
    const register = (trx: Knex.Transaction, name: string) => trx('patients').insert({ name, dob: '1985-05-05' });
    const slow = await db.appKnex.transaction();
    try {
      await slow.raw(`SET LOCAL ROLE front_desk; SELECT set_config('app.user_id', '${frontDesk.userId}', true)`);
      await register(slow, 'Interleaved First');
      await asStaff(db.appKnex, desk, (trx) => register(trx, 'Committed Between'));
      await register(slow, 'Interleaved Second');
      await asStaff(db.appKnex, desk, (trx) => register(trx, 'Committed After'));
      await slow.commit();
    } catch (err) {
      await slow.rollback();
      throw err;
    }
    const rows = await auditCount();
    expect(await verifyAuditChain(db.knex)).toMatchObject({ intact: true, links: rows, auditRows: rows });
    // The slow transaction committed last: its two rows are the chain's last two links.
    const { rows: tail } = await db.knex.raw(
      `SELECT a.row_key, p.name FROM audit_chain c JOIN audit_log a USING (audit_id) JOIN patients p ON p.patient_id = a.row_key::int
       WHERE a.table_name = 'patients' ORDER BY c.seq DESC LIMIT 4`,
    );
    expect(tail.map((r: { name: string }) => r.name)).toEqual(['Interleaved Second', 'Interleaved First', 'Committed After', 'Committed Between']);
  });

  // Audited reads may be written by a second connection that commits on its own (dblink,
  // issue 9 item 2): linking at COMMIT means it never waits for the caller that holds a write.
  it('links a write and an audited read made in one transaction, committed or rolled back, without waiting', async () => {
    const world = await buildWorld(db.knex);
    for (const commit of [true, false]) {
      await asStaff(db.appKnex, as(world.clinicianA), async (trx) => {
        await trx('diagnoses').insert({ visit_id: world.patientA.visitId, code: commit ? 'E11.9' : 'I10', description: 'Follow-up' });
        expect((await trx.raw('SELECT * FROM patient_visits(?)', [world.patientA.patientId])).rows.length).toBeGreaterThan(0);
        if (!commit) throw new Error('roll back');
      }).catch((err: Error) => {
        if (err.message !== 'roll back') throw err;
      });
    }
    expect(await verifyAuditChain(db.knex)).toMatchObject({ intact: true, links: await auditCount() });
  }, 30_000);

  it('reports a row a superuser changed with the triggers switched off', async () => {
    let id = 0;
    const report = await tampered(async (trx) => {
      id = await someAuditId(trx);
      await trx.raw("UPDATE audit_log SET actor_role = 'someone_else', actor_user_id = NULL WHERE audit_id = ?", [id]);
    });
    expect(report).toMatchObject({ intact: false, auditId: id, problem: 'the audit row was changed after it was written' });
  });

  it('reports the rewritten link when the row hash was recomputed to match', async () => {
    let id = 0;
    const report = await tampered(async (trx) => {
      id = await someAuditId(trx);
      await trx.raw("UPDATE audit_log SET action = 'read' WHERE audit_id = ?", [id]);
      await trx.raw('SET LOCAL "TimeZone" = \'UTC\'');
      await trx.raw(
        `UPDATE audit_chain c SET row_hash = digest(jsonb_strip_nulls(to_jsonb(a))::text, 'sha256')
         FROM audit_log a WHERE a.audit_id = c.audit_id AND c.audit_id = ?`,
        [id],
      );
    });
    expect(report).toMatchObject({
      intact: false,
      auditId: id,
      problem: 'the link does not follow from the previous one (the chain was rewritten)',
    });
  });

  it('reports a deleted row and a row slipped in without a link', async () => {
    let deleted = 0;
    const del = await tampered(async (trx) => {
      deleted = await someAuditId(trx);
      await trx.raw('DELETE FROM audit_log WHERE audit_id = ?', [deleted]);
    });
    expect(del).toMatchObject({ intact: false, auditId: deleted, problem: 'the audit row was deleted' });
    let slipped = 0;
    const ins = await tampered(async (trx) => {
      const { rows } = await trx.raw(
        "INSERT INTO audit_log (actor_role, action, table_name, row_key) VALUES ('compliance', 'read', 'patients', '1') RETURNING audit_id",
      );
      slipped = Number(rows[0].audit_id);
    });
    expect(ins).toMatchObject({ intact: false, seq: null, auditId: slipped });
    expect((ins as { problem: string }).problem).toMatch(/has no link/);
  });

  it('a REPEATABLE READ transaction with a stale snapshot is refused rather than forking the chain', async () => {
    const stale = new pg.Client({ connectionString: db.url });
    await stale.connect();
    try {
      await stale.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await stale.query('SELECT count(*) FROM audit_log'); // the snapshot is taken here
      await createPatient(db.knex, { name: 'Committed Meanwhile' }); // links and commits after that snapshot
      await stale.query("INSERT INTO patients (name, dob) VALUES ('Stale Snapshot', '1980-01-01')");
      await expect(stale.query('COMMIT')).rejects.toMatchObject({ code: '40001' });
    } finally {
      await stale.end();
    }
    expect(await verifyAuditChain(db.knex)).toMatchObject({ intact: true });
  });

  it('npm run audit:verify says "intact, N rows", and after a committed edit names the first broken link', async () => {
    const ok = cli();
    expect(ok.out).toMatch(new RegExp(`Audit log intact, ${await auditCount()} rows \\(chain head [0-9a-f]{64}\\)`));
    expect(ok.status).toBe(0);
    const { rows } = await db.knex.raw('SELECT seq::int, audit_id::int FROM audit_chain ORDER BY seq OFFSET 5 LIMIT 1');
    await db.knex.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw("UPDATE audit_log SET severity = 'info', actor_role = 'nobody' WHERE audit_id = ?", [rows[0].audit_id]);
    });
    const broken = cli();
    expect(broken.out).toContain(`Audit log BROKEN at link ${rows[0].seq} (audit_id ${rows[0].audit_id}): the audit row was changed after it was written.`);
    expect(broken.status).toBe(1);
  });
});
