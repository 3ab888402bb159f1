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
import type pg from 'pg';
import { BEGIN_LEAD, connectionPool, type BeginLead } from './knex.js';
import { AUTH_ROLE, isStaffRole, type StaffRole } from '../../shared/vocabulary.js';
export { AUTH_ROLE, REALTIME_ROLE, STAFF_ROLES, isStaffRole, type StaffRole } from '../../shared/vocabulary.js';

/** Who is acting. The database re-derives everything else (provider, active flag) from staff_users. */
export interface StaffIdentity {
  userId: number;
  role: StaffRole;
}

export type Transaction = Knex.Transaction;

/** Database work: given the transaction it runs in, whatever it answers. */
export type TransactionWork<T> = (trx: Transaction) => Promise<T>;

export interface TransactionOptions {
  /** Retry the whole transaction on serialization failure or deadlock (default 3 attempts). */
  attempts?: number;
  isolationLevel?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

/**
 * `prepareSql` (no parameters; every interpolated value checked by the caller) makes the
 * transaction's identity. It travels in BEGIN's own message (knex.ts, BeginLead) unless an
 * isolation level or read-only mode is asked for, which knex begins itself.
 */
async function inTransaction<T>(knex: Knex, prepareSql: string, work: TransactionWork<T>, opts: TransactionOptions): Promise<T> {
  const attempts = opts.attempts ?? 3;
  const inBegin = !opts.isolationLevel && !opts.readOnly;
  for (let attempt = 1; ; attempt++) {
    try {
      const lead: BeginLead = { sql: prepareSql };
      return await knex.transaction(
        async (trx) => {
          if (!inBegin) await trx.raw(prepareSql);
          else if (!lead.results) throw new Error('the transaction began without its identity');
          return work(trx);
        },
        { isolationLevel: opts.isolationLevel, readOnly: opts.readOnly, ...(inBegin ? { [BEGIN_LEAD]: lead } : {}) } as Knex.TransactionConfig,
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
 * Runs `work` in one transaction as `who`: its identity is set first (transaction-local),
 * and the transaction is retried as TransactionOptions says.
 */
export type RunAs<Who> = <T>(knex: Knex, who: Who, work: TransactionWork<T>, opts?: TransactionOptions) => Promise<T>;

/**
 * Run `work` as a staff member: one transaction, `SET LOCAL ROLE` to their group role and
 * the transaction-local `app.user_id`. The role name comes from a closed list, never from input.
 */
export const asStaff: RunAs<StaffIdentity> = (knex, identity, work, opts = {}) => {
  if (!isStaffRole(identity.role)) throw new Error(`not a staff role: ${String(identity.role)}`);
  if (!Number.isSafeInteger(identity.userId) || identity.userId <= 0) throw new Error('invalid staff user id');
  // Interpolation is safe only because both values were checked above: the role comes from
  // a closed list and the id is a positive integer.
  return inTransaction(knex, `SET LOCAL ROLE ${identity.role}; SELECT set_config('app.user_id', '${identity.userId}', true)`, work, opts);
};

/**
 * Work the service does for itself rather than for a person (outbox reads, pruning,
 * sign-in look-ups), as a named group role with no staff identity. Kept separate
 * from asStaff so a reader can find every such place.
 */
export const asService: RunAs<string> = (knex, role, work, opts = {}) => {
  if (!/^[a-z_]+$/.test(role)) throw new Error('invalid role name');
  return inTransaction(knex, `SET LOCAL ROLE ${role}`, work, opts);
};

/** The account a session belongs to, as staff_session_enter returns it. */
export interface SessionAccount {
  user_id: number;
  username: string;
  role: StaffRole;
  provider_id: number | null;
}

export interface SessionEntryOptions {
  /** Move the idle deadline (a person's activity); false for background requests. */
  touch: boolean;
  idleMs: number;
  /** The deadline is written only when it would move by at least this much. */
  slackMs: number;
  absoluteMs: number;
}

const STORED_SID = /^[0-9a-f]{64}$/;

function sessionCall(fn: 'staff_session_enter' | 'staff_session_resume', storedSid: string, opts: SessionEntryOptions): string {
  const ms = [opts.idleMs, opts.slackMs, opts.absoluteMs];
  if (!STORED_SID.test(storedSid)) throw new Error('invalid stored session id');
  if (!ms.every((v) => Number.isSafeInteger(v) && v >= 0)) throw new Error('invalid session timing');
  // Interpolation is safe only because every value was checked above: 64 hex digits, a
  // boolean and non-negative integers. (Several statements in one message cannot take parameters.)
  return `SELECT user_id, username, role, provider_id FROM ${fn}('${storedSid}', ${opts.touch ? 'true' : 'false'}, ${ms.join(', ')})`;
}


/**
 * The account behind a session when the request needs nothing else (GET /api/me): one
 * message, one round trip — BEGIN; SET LOCAL ROLE clinicpulse_auth; staff_session_resume;
 * COMMIT — with the same checks and idle-deadline rule as beginAsSession.
 */
export async function sessionAccount(knex: Knex, storedSid: string, opts: SessionEntryOptions): Promise<SessionAccount | undefined> {
  const sql = `BEGIN; SET LOCAL ROLE ${AUTH_ROLE}; ${sessionCall('staff_session_resume', storedSid, opts)}; COMMIT`;
  const pool = connectionPool(knex);
  const conn = await pool.acquireConnection();
  try {
    // Several statements in one simple-protocol message: pg answers with one result per
    // statement (an array its types do not mention).
    const res: pg.QueryResult<SessionAccount> | pg.QueryResult<SessionAccount>[] = await conn.query<SessionAccount>(sql);
    const account = ('rows' in res ? res : res[2]!).rows[0];
    return account && isStaffRole(account.role) ? account : undefined;
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await pool.releaseConnection(conn);
  }
}

/**
 * Begin a request's transaction from its session: one round trip after BEGIN validates the
 * session row (by its stored id, the HMAC), checks the account, moves the idle deadline when
 * due, and becomes that staff member (SET LOCAL ROLE + app.user_id, as asStaff) for the rest
 * of the transaction (migration 20261206000900). Returns the open transaction, which the
 * caller must commit or roll back, or undefined (nothing held) when the session is not valid.
 */
export async function beginAsSession(
  knex: Knex,
  storedSid: string,
  opts: SessionEntryOptions,
): Promise<{ trx: Transaction; account: SessionAccount } | undefined> {
  const lead: BeginLead = { sql: `SET LOCAL ROLE ${AUTH_ROLE}; ${sessionCall('staff_session_enter', storedSid, opts)}` };
  // One simple-protocol round trip for BEGIN and both statements (knex.ts, BeginLead).
  const trx = await knex.transaction({ [BEGIN_LEAD]: lead } as Knex.TransactionConfig);
  try {
    const last = lead.results?.[lead.results.length - 1] as { rows: SessionAccount[] } | undefined;
    if (!last) throw new Error('the session statement returned no result');
    const account = last.rows[0];
    if (!account || !isStaffRole(account.role)) {
      // Commit: an invalid session's row is deleted by the function, and that must stick.
      await trx.commit();
      return undefined;
    }
    return { trx, account };
  } catch (err) {
    await trx.rollback().catch(() => undefined);
    throw err;
  }
}
