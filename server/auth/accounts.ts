/**
 * Staff account management for `npm run user` (server/cli/user.ts). Runs with the
 * administrator's connection: creating an account writes a password hash, which
 * no service role may do. Deactivation ends the account's sessions at once
 * (trigger staff_users_end_sessions deletes its http_sessions rows). Unlocking an
 * account locked by repeated failed sign-ins deletes its staff_login_failures row,
 * which the audit log records with the administrator's login as the actor.
 */
import type { Knex } from 'knex';
import { isStaffRole, type StaffRole } from '../db/index.js';
import { rowCount, rows } from '../db/repository/common.js';
import { hashPassword } from './passwords.js';

export class AccountError extends Error {}

export const USERNAME_SHAPE = /^[a-z0-9][a-z0-9._-]{2,63}$/;
export const MIN_PASSWORD_LENGTH = 12;

export interface NewAccount {
  username: string;
  role: string;
  providerId?: number;
  password: string;
}

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

/** Create an account; refuses a bad username, role, provider link or a short password with a clear message. */
export async function createAccount(admin: Knex, a: NewAccount): Promise<AccountRow> {
  if (!USERNAME_SHAPE.test(a.username)) {
    throw new AccountError('username: 3-64 characters, lowercase letters, digits, dot, underscore or dash, starting with a letter or digit');
  }
  if (!isStaffRole(a.role)) throw new AccountError('role: one of front_desk, clinician, billing, manager, compliance');
  if ((a.role === 'clinician') !== (a.providerId !== undefined)) {
    throw new AccountError(a.role === 'clinician' ? 'a clinician needs --provider-id' : 'only a clinician is linked to a provider');
  }
  if (a.password.length < MIN_PASSWORD_LENGTH) throw new AccountError(`password: at least ${MIN_PASSWORD_LENGTH} characters`);
  if (a.password.length > 1024) throw new AccountError('password: at most 1024 characters');
  if (a.providerId !== undefined) {
    const found = await rows<{ one: number }>(admin, 'SELECT 1 AS one FROM providers WHERE provider_id = ?', [a.providerId]);
    if (!found.length) throw new AccountError(`no provider with id ${a.providerId}`);
  }
  const hash = await hashPassword(a.password);
  try {
    const created = await rows<StaffUserRow>(
      admin,
      `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES (?, ?, ?, ?)
       RETURNING user_id, username, role, provider_id, active, created_at, deactivated_at, NULL::timestamptz AS locked_at`,
      [a.username, a.role, a.providerId ?? null, hash],
    );
    return toAccount(created[0]!);
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'staff_users_username_key') throw new AccountError(`username ${a.username} is taken`);
    throw err;
  }
}

/** Deactivate an account (its sessions end immediately). False if no active account has that name. */
export async function deactivateAccount(admin: Knex, username: string): Promise<boolean> {
  return (await rowCount(admin, 'UPDATE staff_users SET active = false, deactivated_at = now() WHERE username = ? AND active', [username])) > 0;
}

/** Lift a lock-out (audited). False if no account of that name is locked. */
export async function unlockAccount(admin: Knex, username: string): Promise<boolean> {
  const n = await rowCount(
    admin,
    `DELETE FROM staff_login_failures f USING staff_users u
     WHERE f.user_id = u.user_id AND u.username = ? AND f.locked_at IS NOT NULL`,
    [username],
  );
  return n > 0;
}

export async function listAccounts(admin: Knex): Promise<AccountRow[]> {
  const found = await rows<StaffUserRow>(
    admin,
    `SELECT u.user_id, u.username, u.role, u.provider_id, u.active, u.created_at, u.deactivated_at, f.locked_at
     FROM staff_users u LEFT JOIN staff_login_failures f ON f.user_id = u.user_id ORDER BY u.username`,
  );
  return found.map(toAccount);
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

function toAccount(r: StaffUserRow): AccountRow {
  return {
    userId: r.user_id,
    username: r.username,
    role: r.role,
    providerId: r.provider_id,
    active: r.active,
    createdAt: r.created_at,
    deactivatedAt: r.deactivated_at,
    lockedAt: r.locked_at,
  };
}
