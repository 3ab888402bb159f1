/**
 * Audited reads and break-the-glass are recorded even when the reader's transaction rolls
 * back (issue 9, item 2), and only the owner's functions may declare audit events (item 9).
 * Each "attack" here is run as the service's own login, the way injected SQL would run it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Knex } from 'knex';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withCredentials } from '../../server/db/connect.js';
import { asStaff, type StaffRole } from '../../server/db/index.js';
import { as, buildWorld, sqlState, type World } from './world.js';

let db: TestDatabase;
let world: World;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await buildWorld(db.knex);
});
afterAll(async () => db?.drop());

const REASON = 'Brought in unconscious, checking allergies before treatment';

/** As the app login, exactly as injected SQL could: SET LOCAL ROLE + identity, work, then ROLLBACK. */
async function thenRollBack(role: StaffRole, userId: number, work: (trx: Knex.Transaction) => Promise<unknown>): Promise<unknown> {
  let seen: unknown;
  await db.appKnex
    .transaction(async (trx) => {
      await trx.raw(`SET LOCAL ROLE ${role}`);
      await trx.raw("SELECT set_config('app.user_id', ?, true)", [String(userId)]);
      seen = await work(trx);
      throw new Error('roll back');
    })
    .catch((err: Error) => {
      if (err.message !== 'roll back') throw err;
    });
  return seen;
}

async function auditSince(id: number) {
  const { rows } = await db.knex.raw(
    `SELECT action, severity, table_name, row_key, patient_id, patient_ids, actor_role, actor_user_id
     FROM audit_log WHERE audit_id > ? AND action IN ('read', 'break_glass') ORDER BY audit_id`,
    [id],
  );
  return rows;
}
const lastAuditId = async (): Promise<number> =>
  Number((await db.knex.raw('SELECT coalesce(max(audit_id), 0) AS id FROM audit_log')).rows[0].id);

describe('a rolled-back transaction', () => {
  it('keeps the record of break-the-glass and of every clinical read, but not the grant', async () => {
    const a = world.patientA.patientId;
    const b = world.patientB.patientId;
    const before = await lastAuditId();
    const seen = (await thenRollBack('clinician', world.clinicianA.userId, async (trx) => {
      await trx.raw('SELECT break_glass(?, ?, 30)', [b, REASON]);
      return {
        // The grant is not in force inside the transaction that made it.
        patientB: (await trx.raw('SELECT name FROM patients WHERE patient_id = ?', [b])).rows,
        visitsB: (await trx.raw('SELECT * FROM patient_visits(?)', [b])).rows.length,
        // Their own patient reads as usual, and is audited.
        patientA: (await trx.raw('SELECT name FROM patients WHERE patient_id = ?', [a])).rows,
        visitsA: (await trx.raw('SELECT * FROM patient_visits(?)', [a])).rows.length,
        rxA: (await trx.raw('SELECT * FROM patient_prescriptions(?, false)', [a])).rows.length,
      };
    })) as Record<string, unknown>;

    const me = world.clinicianA.userId;
    expect(await auditSince(before)).toEqual([
      { action: 'break_glass', severity: 'high', table_name: 'break_glass_grants', row_key: expect.stringMatching(/^\d+$/), patient_id: b, patient_ids: null, actor_role: 'clinician', actor_user_id: me },
      { action: 'read', severity: 'info', table_name: 'visits', row_key: null, patient_id: a, patient_ids: null, actor_role: 'clinician', actor_user_id: me },
      { action: 'read', severity: 'info', table_name: 'prescriptions', row_key: null, patient_id: a, patient_ids: null, actor_role: 'clinician', actor_user_id: me },
    ]);
    const grants = await db.knex.raw('SELECT count(*)::int AS n FROM break_glass_grants WHERE patient_id = ?', [b]);
    expect(grants.rows[0].n).toBe(0);
    // The audit row names the caller's transaction, which a reviewer can see never committed.
    const { rows } = await db.knex.raw(
      "SELECT pg_xact_status(txid::text::xid8) AS status FROM audit_log WHERE audit_id > ? AND action = 'break_glass'",
      [before],
    );
    expect(rows).toEqual([{ status: 'aborted' }]);
    expect(seen).toEqual({ patientB: [], visitsB: 0, patientA: [{ name: 'Alpha Patient' }], visitsA: 1, rxA: 1 });
  });

  it('a committed grant opens the record from the next transaction on, each read still recorded', async () => {
    const b = world.patientB.patientId;
    await asStaff(db.appKnex, as(world.clinicianA), (trx) => trx.raw('SELECT break_glass(?, ?, 30)', [b, REASON]));
    const before = await lastAuditId();
    const visits = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => (await trx.raw('SELECT * FROM patient_visits(?)', [b])).rows.length);
    expect(visits).toBe(1);
    expect((await auditSince(before)).map((r: { action: string; patient_id: number }) => [r.action, r.patient_id])).toEqual([['read', b]]);
  });

  it('reads are recorded in a read-only transaction too, and after the writer connection was killed', async () => {
    const a = world.patientA.patientId;
    const before = await lastAuditId();
    const read = () =>
      asStaff(db.appKnex, as(world.clinicianA), async (trx) => (await trx.raw('SELECT * FROM patient_visits(?)', [a])).rows.length, { readOnly: true });
    expect(await read()).toBe(1);
    const { rows: killed } = await db.knex.raw(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE usename = 'clinicpulse_audit_writer' AND datname = current_database()",
    );
    expect(killed.length).toBeGreaterThan(0);
    // Every pooled connection that had a writer connection now holds a dead one.
    for (let i = 0; i < 3; i++) expect(await read()).toBe(1);
    expect(await auditSince(before)).toHaveLength(4);
  });
});

describe('audit_event', () => {
  it('cannot be called by any staff role: a front desk cannot write a fake break-the-glass row', async () => {
    const before = await lastAuditId();
    const fake = await asStaff(db.appKnex, as(world.frontDesk), (trx) =>
      sqlState(() => trx.raw("SELECT audit_event('break_glass', 'break_glass_grants', '1', ?, 'high')", [world.patientA.patientId])),
    );
    expect(fake).toBe('42501');
    for (const s of [world.clinicianA, world.billing, world.manager, world.compliance]) {
      const state = await asStaff(db.appKnex, as(s), (trx) => sqlState(() => trx.raw("SELECT audit_event('read', 'visits', NULL, NULL)")));
      expect(state, s.role).toBe('42501');
    }
    expect(await auditSince(before)).toEqual([]);
  });
});

describe('the autonomous writer login', () => {
  it('can append only read or break-glass rows, and read nothing', async () => {
    const client = new pg.Client({ connectionString: withCredentials(db.url, 'clinicpulse_audit_writer', inject('auditWriterPassword')) });
    await client.connect();
    const state = (sql: string) =>
      client.query(sql).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    try {
      expect(await state('SELECT count(*) FROM patients')).toBe('42501');
      expect(await state('SELECT count(*) FROM audit_log')).toBe('42501');
      expect(await state("SELECT public.audit_append_autonomous(1, NULL, 'x', 'erase', 'patients', '1', 1, 'high', NULL)")).toBe('42501');
      expect(await state("SELECT public.audit_event('read', 'visits', NULL, NULL)")).toBe('42501');
      expect(await state('SELECT clinicpulse_link.dblink_get_connections()')).toBe('42501');
    } finally {
      await client.end();
    }
  });

  it('commits a read row without waiting for its WAL flush, a break-glass row always with it, reads too when the deployment asks', async () => {
    const client = new pg.Client({ connectionString: withCredentials(db.url, 'clinicpulse_audit_writer', inject('auditWriterPassword')) });
    await client.connect();
    /** The synchronous_commit the writer's transaction ends with after appending one row of this action. */
    const commitOf = async (action: string, readsSynchronous?: 'on'): Promise<string> => {
      await client.query('BEGIN');
      try {
        // The suite's server runs with synchronous_commit = off; a deployment's default is on.
        await client.query('SET LOCAL synchronous_commit = on');
        if (readsSynchronous) await client.query(`SET LOCAL clinicpulse.audit_reads_synchronous = ${readsSynchronous}`);
        await client.query("SELECT public.audit_append_autonomous(txid_current(), NULL, 'clinician', $1, 'visits', NULL, NULL, 'info', NULL)", [action]);
        return (await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit;
      } finally {
        await client.query('ROLLBACK');
      }
    };
    try {
      expect(await commitOf('read')).toBe('off');
      expect(await commitOf('break_glass')).toBe('on');
      expect(await commitOf('read', 'on')).toBe('on');
    } finally {
      await client.end();
    }
  });

  it('no staff or service role can reach dblink or the connection string', async () => {
    for (const role of ['front_desk', 'clinician', 'billing', 'manager', 'compliance', 'clinicpulse_realtime', 'clinicpulse_auth']) {
      const states = await db.appKnex.transaction(async (trx) => {
        await trx.raw(`SET LOCAL ROLE ${role}`);
        return [
          await sqlState(() => trx.transaction((sp) => sp.raw('SELECT clinicpulse_link.dblink_get_connections()'))),
          await sqlState(() => trx.transaction((sp) => sp.raw('SELECT audit_link_conninfo()'))),
          await sqlState(() => trx.transaction((sp) => sp.raw("SELECT audit_append_durable('read', 'visits', NULL, NULL)"))),
        ];
      });
      expect(states, role).toEqual(['42501', '42501', '42501']);
    }
  });
});
