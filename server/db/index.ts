/**
 * The one module through which the service reaches PostgreSQL.
 *
 * Every piece of staff work runs in one transaction that first becomes the
 * staff member inside the database (`SET LOCAL ROLE <group role>` and
 * `set_config('app.user_id', …, true)`), so grants and row-level security decide
 * what comes back. Both settings are transaction-local: when the transaction
 * ends the pooled connection is back to an identity that sees nothing.
 * There is deliberately no way to run a query outside such a transaction.
 */
import type { Knex } from 'knex';
import { isRetryable } from './errors.js';

export const STAFF_ROLES = ['front_desk', 'clinician', 'billing', 'manager', 'compliance'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}

/** Who is acting. The database re-derives everything else (provider, active flag) from staff_users. */
export interface StaffIdentity {
  userId: number;
  role: StaffRole;
}

export type Transaction = Knex.Transaction;

export interface TransactionOptions {
  /** Retry the whole transaction on serialization failure or deadlock (default 3 attempts). */
  attempts?: number;
  isolationLevel?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

async function inTransaction<T>(
  knex: Knex,
  prepare: (trx: Transaction) => Promise<void>,
  work: (trx: Transaction) => Promise<T>,
  opts: TransactionOptions,
): Promise<T> {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await knex.transaction(
        async (trx) => {
          await prepare(trx);
          return work(trx);
        },
        { isolationLevel: opts.isolationLevel, readOnly: opts.readOnly },
      );
    } catch (err) {
      // Retry only here, at the top level: never inside a savepoint. Back off with jitter
      // first: an immediate retry re-forms the wait cycle with the transaction that survived
      // the deadlock (crossing exclusion-constraint checks do this) and loses again.
      if (attempt < attempts && isRetryable(err)) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
        continue;
      }
      throw err;
    }
  }
}

/**
 * Run `work` as a staff member: one transaction, `SET LOCAL ROLE` to their group role and
 * the transaction-local `app.user_id`. The role name comes from a closed list, never from input.
 */
export function asStaff<T>(
  knex: Knex,
  identity: StaffIdentity,
  work: (trx: Transaction) => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  if (!isStaffRole(identity.role)) throw new Error(`not a staff role: ${String(identity.role)}`);
  if (!Number.isSafeInteger(identity.userId) || identity.userId <= 0) throw new Error('invalid staff user id');
  return inTransaction(
    knex,
    async (trx) => {
      // One round trip for both settings. Interpolation is safe only because both values were
      // checked above: the role comes from a closed list and the id is a positive integer.
      await trx.raw(`SET LOCAL ROLE ${identity.role}; SELECT set_config('app.user_id', '${identity.userId}', true)`);
    },
    work,
    opts,
  );
}

/**
 * Work the service does for itself rather than for a person (outbox reads, pruning,
 * sign-in look-ups), as a named group role with no staff identity. Kept separate
 * from asStaff so a reader can find every such place.
 */
export function asService<T>(
  knex: Knex,
  role: string,
  work: (trx: Transaction) => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  if (!/^[a-z_]+$/.test(role)) throw new Error('invalid role name');
  return inTransaction(knex, async (trx) => void (await trx.raw(`SET LOCAL ROLE ${role}`)), work, opts);
}
