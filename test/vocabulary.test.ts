/**
 * The vocabularies in shared/vocabulary.ts are the ones the database enforces: the
 * appointment statuses its CHECK constraint allows, and the staff roles as group roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { APPOINTMENT_STATUSES, STAFF_ROLES } from '../shared/vocabulary.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describe('the shared vocabulary', () => {
  it('lists exactly the appointment statuses the database accepts', async () => {
    const { rows } = await db.knex.raw<{ rows: { def: string }[] }>(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'appointments_status_check'",
    );
    const allowed = [...rows[0]!.def.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]);
    expect(allowed.sort()).toEqual([...APPOINTMENT_STATUSES].sort());
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
