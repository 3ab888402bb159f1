/**
 * Staff accounts as compliance manages them: every account with its provider link, and
 * deactivation. Read and written as the compliance officer (asStaff), so the policy
 * "compliance sees all accounts" and the column grant on `active` decide. Sign-in and the
 * session rows are ./staff-sessions.ts (as the auth service role).
 */
import type { StaffRole } from '../../../shared/vocabulary.js';
import type { Transaction } from '../index.js';
import { firstRow, iso, selected } from './common.js';

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
