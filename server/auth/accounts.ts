/**
 * Staff account management for `npm run user` (server/cli/user.ts): the checks that give the
 * administrator a clear message, and the password hash. The statements are the repository's
 * (server/db/repository/staff-accounts.ts) and run on the administrator's connection: creating
 * an account writes a password hash, which no service role may do. Deactivation ends the
 * account's sessions at once; unlocking an account locked by repeated failed sign-ins is
 * recorded in the audit log with the administrator's login as the actor.
 */
import type { Knex } from 'knex';
import { isStaffRole, STAFF_ROLES } from '../../shared/vocabulary.js';
import { insertAccount, providerExists, type AccountRow } from '../db/repository/staff-accounts.js';
import { hashPassword } from './passwords.js';

export type { AccountRow };

export class AccountError extends Error {}

export const USERNAME_SHAPE = /^[a-z0-9][a-z0-9._-]{2,63}$/;
export const MIN_PASSWORD_LENGTH = 12;

export interface NewAccount {
  username: string;
  role: string;
  providerId?: number;
  password: string;
}

/** Create an account; refuses a bad username, role, provider link or a short password with a clear message. */
export async function createAccount(admin: Knex, a: NewAccount): Promise<AccountRow> {
  if (!USERNAME_SHAPE.test(a.username)) {
    throw new AccountError('username: 3-64 characters, lowercase letters, digits, dot, underscore or dash, starting with a letter or digit');
  }
  if (!isStaffRole(a.role)) throw new AccountError(`role: one of ${STAFF_ROLES.join(', ')}`);
  if ((a.role === 'clinician') !== (a.providerId !== undefined)) {
    throw new AccountError(a.role === 'clinician' ? 'a clinician needs --provider-id' : 'only a clinician is linked to a provider');
  }
  if (a.password.length < MIN_PASSWORD_LENGTH) throw new AccountError(`password: at least ${MIN_PASSWORD_LENGTH} characters`);
  if (a.password.length > 1024) throw new AccountError('password: at most 1024 characters');
  if (a.providerId !== undefined && !(await providerExists(admin, a.providerId))) throw new AccountError(`no provider with id ${a.providerId}`);
  const created = await insertAccount(admin, { username: a.username, role: a.role, providerId: a.providerId ?? null, passwordHash: await hashPassword(a.password) });
  if (created === 'taken') throw new AccountError(`username ${a.username} is taken`);
  return created;
}

// Deactivating (its sessions end at once), unlocking (audited) and listing need no checks
// beyond the database's: the repository's statements, under the names the command uses.
export {
  deactivateAccountByName as deactivateAccount,
  unlockAccountByName as unlockAccount,
  listAccountsWithLocks as listAccounts,
} from '../db/repository/staff-accounts.js';
