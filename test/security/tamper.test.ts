/**
 * The audit log cannot be rewritten from inside the database: every role fails to
 * UPDATE, DELETE or TRUNCATE it, or to switch its triggers off, with 42501; its owner
 * too is refused UPDATE, DELETE and TRUNCATE by its own triggers. Only a superuser
 * stands outside this (see docs/security.md, "Audit log").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { asStaff } from '../../server/db/index.js';

let db: TestDatabase;
let roles: string[];
let compliance: StaffFixture;
let rowsBefore: number;

// Schema-qualified: a role without USAGE on public would otherwise just not find the table
// (42P01); qualified, the attempt is judged on privilege.
const ATTEMPTS: Record<string, string> = {
  update: "UPDATE public.audit_log SET actor_role = 'someone_else'",
  delete: 'DELETE FROM public.audit_log',
  truncate: 'TRUNCATE public.audit_log',
  'disable triggers': 'ALTER TABLE public.audit_log DISABLE TRIGGER USER',
  'disable one trigger': 'ALTER TABLE public.audit_log DISABLE TRIGGER audit_log_no_update',
};

/** Run `sql` as `role` (SET LOCAL ROLE from the superuser) and return the SQLSTATE it fails with. */
async function failureAs(knex: Knex, role: string | null, sql: string): Promise<string> {
  try {
    await knex.transaction(async (trx) => {
      if (role) await trx.raw(`SET LOCAL ROLE "${role.replace(/"/g, '""')}"`);
      await trx.raw(sql);
    });
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return 'succeeded';
}

beforeAll(async () => {
  db = await createTestDatabase();
  compliance = await createStaff(db.knex, 'compliance');
  await db.knex.raw("INSERT INTO patients (name, dob) VALUES ('Tamper Target', '1980-01-01')");
  // Every role in the cluster that is not a superuser: the staff roles, the service's logins,
  // the backup role and PostgreSQL's predefined roles (pg_write_all_data may write any table).
  const { rows } = await db.knex.raw('SELECT rolname FROM pg_roles WHERE NOT rolsuper ORDER BY rolname');
  roles = rows.map((r: { rolname: string }) => r.rolname);
  rowsBefore = (await db.knex.raw('SELECT count(*) AS n FROM audit_log')).rows[0].n;
});
afterAll(async () => db.drop());

describe('the audit log is append-only', () => {
  it('covers at least every ClinicPulse role', () => {
    for (const r of ['front_desk', 'clinician', 'billing', 'manager', 'compliance', 'clinicpulse_app', 'clinicpulse_auth',
      'clinicpulse_backup', 'clinicpulse_owner', 'pg_write_all_data']) {
      expect(roles).toContain(r);
    }
  });

  it('refuses every non-owner role UPDATE, DELETE, TRUNCATE and disabling triggers with 42501', async () => {
    const outcomes: string[] = [];
    for (const role of roles.filter((r) => r !== 'clinicpulse_owner')) {
      for (const [what, sql] of Object.entries(ATTEMPTS)) {
        outcomes.push(`${role} ${what}: ${await failureAs(db.knex, role, sql)}`);
      }
    }
    expect(outcomes.filter((o) => !o.endsWith(': 42501'))).toEqual([]);
  });

  it('refuses the owner UPDATE, DELETE and TRUNCATE with 42501 from its own triggers', async () => {
    for (const what of ['update', 'delete', 'truncate']) {
      const code = await failureAs(db.knex, 'clinicpulse_owner', ATTEMPTS[what]!);
      expect(`${what}: ${code}`).toBe(`${what}: 42501`);
    }
  });

  it('refuses the service login itself, without SET ROLE', async () => {
    for (const [what, sql] of Object.entries(ATTEMPTS)) {
      expect(`${what}: ${await failureAs(db.appKnex, null, sql)}`).toBe(`${what}: 42501`);
    }
  });

  it('refuses compliance acting with a valid identity: it may read the log, never change it', async () => {
    const me = { userId: compliance.userId, role: 'compliance' as const };
    const n = await asStaff(db.appKnex, me, async (trx) => (await trx.raw('SELECT count(*) AS n FROM audit_log')).rows[0].n);
    expect(n).toBeGreaterThan(0);
    for (const what of ['update', 'delete', 'truncate']) {
      const err = await asStaff(db.appKnex, me, (trx) => trx.raw(ATTEMPTS[what]!)).catch((e: { code?: string }) => e);
      expect(`${what}: ${(err as { code?: string }).code}`).toBe(`${what}: 42501`);
    }
  });

  it('is unchanged after all of the above', async () => {
    const { rows } = await db.knex.raw("SELECT count(*) AS n, count(*) FILTER (WHERE actor_role = 'someone_else') AS forged FROM audit_log");
    expect(rows[0]).toEqual({ n: rowsBefore, forged: 0 });
  });
});
