/**
 * Staff accounts. Two callers:
 *  - compliance, over the API: every account with its provider link, and deactivation, read
 *    and written as the compliance officer (asStaff), so the policy "compliance sees all
 *    accounts" and the column grant on `active` decide;
 *  - the administrator, through `npm run user` (server/auth/accounts.ts): creating an account
 *    writes a password hash, which no service role may do, so these take the admin connection.
 * Deactivation ends the account's sessions at once (trigger staff_users_end_sessions). Sign-in
 * and the session rows are ./staff-sessions.ts (as the auth service role).
 */
import type { Knex } from 'knex';
import type { StaffRole } from '../../../shared/vocabulary.js';
import type { Transaction } from '../index.js';
import { firstRow, iso, rowCount, rows, selected } from './common.js';

export interface StaffAccount {
  userId: number;
  username: string;
  role: StaffRole;
  providerId: number | null;
  providerName: string | null;
  active: boolean;
  createdAt: string;
  deactivatedAt: string | null;
}

/** Every staff account (compliance sees all of them: policy "compliance sees all accounts"). */
export async function listStaffAccounts(trx: Transaction): Promise<StaffAccount[]> {
  const rows: {
    user_id: number;
    username: string;
    role: StaffRole;
    provider_id: number | null;
    provider_name: string | null;
    active: boolean;
    created_at: Date;
    deactivated_at: Date | null;
  }[] = await selected(trx('staff_users as s')
    .leftJoin('providers as p', 'p.provider_id', 's.provider_id')
    .select('s.user_id', 's.username', 's.role', 's.provider_id', 'p.name as provider_name', 's.active', 's.created_at', 's.deactivated_at')
    .orderBy([{ column: 's.username' }]));
  return rows.map((r) => ({
    userId: r.user_id,
    username: r.username,
    role: r.role,
    providerId: r.provider_id,
    providerName: r.provider_name,
    active: r.active,
    createdAt: iso(r.created_at),
    deactivatedAt: r.deactivated_at === null ? null : iso(r.deactivated_at),
  }));
}

/**
 * Deactivate an account: the same UPDATE `npm run user -- deactivate` runs, here as the
 * compliance officer (column grant + policy). The trigger staff_users_end_sessions deletes
 * the account's sessions in the same transaction, so they end at once.
 * 'not_found' when no such account, 'already' when it was inactive.
 */
export async function deactivateStaffAccount(trx: Transaction, userId: number): Promise<'deactivated' | 'already' | 'not_found'> {
  const updated = await trx('staff_users').update({ active: false, deactivated_at: trx.fn.now() }).where({ user_id: userId, active: true });
  if (updated > 0) return 'deactivated';
  const exists = await firstRow(trx('staff_users').select('user_id').where('user_id', userId));
  return exists ? 'already' : 'not_found';
}

// ----- as the administrator (npm run user) ---------------------------------------------------

export interface AccountRow {
  userId: number;
  username: string;
  role: StaffRole;
  providerId: number | null;
  active: boolean;
  createdAt: Date;
  deactivatedAt: Date | null;
  /** When repeated failed sign-ins locked the account; null when it is not locked. */
  lockedAt: Date | null;
}

interface StaffUserRow {
  user_id: number;
  username: string;
  role: StaffRole;
  provider_id: number | null;
  active: boolean;
  created_at: Date;
  deactivated_at: Date | null;
  locked_at: Date | null;
}

const toAccount = (r: StaffUserRow): AccountRow => ({
  userId: r.user_id,
  username: r.username,
  role: r.role,
  providerId: r.provider_id,
  active: r.active,
  createdAt: r.created_at,
  deactivatedAt: r.deactivated_at,
  lockedAt: r.locked_at,
});

export async function providerExists(admin: Knex, providerId: number): Promise<boolean> {
  return (await rows<{ one: number }>(admin, 'SELECT 1 AS one FROM providers WHERE provider_id = ?', [providerId])).length > 0;
}

/** Insert an account with its password hash; 'taken' when the username is in use. */
export async function insertAccount(
  admin: Knex,
  a: { username: string; role: StaffRole; providerId: number | null; passwordHash: string },
): Promise<AccountRow | 'taken'> {
  try {
    const created = await rows<StaffUserRow>(
      admin,
      `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES (?, ?, ?, ?)
       RETURNING user_id, username, role, provider_id, active, created_at, deactivated_at, NULL::timestamptz AS locked_at`,
      [a.username, a.role, a.providerId, a.passwordHash],
    );
    return toAccount(created[0]!);
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'staff_users_username_key') return 'taken';
    throw err;
  }
}

/** Deactivate the active account of that name (its sessions end at once); false if there is none. */
export async function deactivateAccountByName(admin: Knex, username: string): Promise<boolean> {
  return (await rowCount(admin, 'UPDATE staff_users SET active = false, deactivated_at = now() WHERE username = ? AND active', [username])) > 0;
}

/** Lift the lock-out of the account of that name (the audit log records it); false if it is not locked. */
export async function unlockAccountByName(admin: Knex, username: string): Promise<boolean> {
  const n = await rowCount(
    admin,
    `DELETE FROM staff_login_failures f USING staff_users u
     WHERE f.user_id = u.user_id AND u.username = ? AND f.locked_at IS NOT NULL`,
    [username],
  );
  return n > 0;
}

/** Every account, by username, with its lock-out if any. */
export async function listAccountsWithLocks(admin: Knex): Promise<AccountRow[]> {
  const found = await rows<StaffUserRow>(
    admin,
    `SELECT u.user_id, u.username, u.role, u.provider_id, u.active, u.created_at, u.deactivated_at, f.locked_at
     FROM staff_users u LEFT JOIN staff_login_failures f ON f.user_id = u.user_id ORDER BY u.username`,
  );
  return found.map(toAccount);
}
