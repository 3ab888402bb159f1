/**
 * Test fixtures: staff accounts and acting as them through the real service login role.
 */
import type { Knex } from 'knex';
import type { StaffRole } from '../../server/db/index.js';

// A fixed, pre-computed hash keeps fixtures fast; tests that sign in create their own.
export const FIXTURE_PASSWORD_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface StaffFixture {
  userId: number;
  role: StaffRole;
  username: string;
  providerId: number | null;
}

let counter = 0;
export async function createStaff(
  admin: Knex,
  role: StaffRole,
  opts: { providerId?: number; username?: string; passwordHash?: string } = {},
): Promise<StaffFixture> {
  const username = opts.username ?? `${role.replace('_', '-')}-${process.pid}-${++counter}`;
  const { rows } = await admin.raw(
    `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES (?, ?, ?, ?) RETURNING user_id`,
    [username, role, opts.providerId ?? null, opts.passwordHash ?? FIXTURE_PASSWORD_HASH],
  );
  return { userId: rows[0].user_id, role, username, providerId: opts.providerId ?? null };
}
