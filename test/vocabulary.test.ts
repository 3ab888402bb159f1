/**
 * The vocabularies in shared/vocabulary.ts are the ones the database enforces: the
 * appointment statuses, charge statuses, audit actions and severities and series cadences its
 * CHECK constraints allow, and the staff roles as group roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { APPOINTMENT_STATUSES, AUDIT_ACTIONS, AUDIT_SEVERITIES, CHARGE_STATUSES, SERIES_EVERY, STAFF_ROLES } from '../shared/vocabulary.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describe('the shared vocabulary', () => {
  const allowedBy = async (constraint: string) => {
    const { rows } = await db.knex.raw<{ rows: { def: string }[] }>('SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = ?', [constraint]);
    return [...rows[0]!.def.matchAll(/'([^']+)'::text/g)].map((m) => m[1]).sort();
  };

  it.each([
    ['appointment statuses', 'appointments_status_check', APPOINTMENT_STATUSES],
    ['charge statuses', 'charges_status_check', CHARGE_STATUSES],
    ['audit actions', 'audit_log_action_check', AUDIT_ACTIONS],
    ['audit severities', 'audit_log_severity_check', AUDIT_SEVERITIES],
    ['series cadences', 'appointment_series_every_check', SERIES_EVERY],
  ] as const)('lists exactly the %s the database accepts', async (_name, constraint, vocabulary) => {
    expect(await allowedBy(constraint)).toEqual([...vocabulary].sort());
  });

  it('names a database group role for each staff role, and no other', async () => {
    const { rows } = await db.knex.raw<{ rows: { rolname: string }[] }>(
      `SELECT rolname FROM pg_roles
       WHERE NOT rolcanlogin AND rolname NOT LIKE 'pg\\_%' AND rolname NOT LIKE 'clinicpulse\\_%'
         AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles a ON a.oid = m.member
                     WHERE m.roleid = pg_roles.oid AND a.rolname = 'clinicpulse_app')`,
    );
    expect(rows.map((r) => r.rolname).sort()).toEqual([...STAFF_ROLES].sort());
  });
});
