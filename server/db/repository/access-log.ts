/**
 * The access log of API reads: one audited 'read' row per request that returned people,
 * naming the acting staff member (derived by the database, never passed) and every patient
 * returned. The row is written autonomously (migration 20261206000110), so it stays even if
 * the request's transaction rolls back afterwards, and it works in read-only transactions.
 */
import type { Knex } from 'knex';
import type { Transaction } from '../index.js';
import { PREPARED } from '../knex.js';

/** What was read: a patient's own row, or appointments naming them. */
export type ReadTable = 'patients' | 'appointments';

/** Record that the caller was shown these patients (no row when the list is empty). */
export async function recordRead(trx: Transaction, table: ReadTable, patientIds: readonly number[]): Promise<void> {
  if (patientIds.length === 0) return;
  await trx.raw('SELECT audit_read(?, ?::integer[])', [table, [...new Set(patientIds)]]);
}

export interface AuditedSelectOptions {
  /** The query's column holding each row's patient id. */
  patientColumn: string;
  /** The query's order, as an ORDER BY list over its output columns (the rows come back in it). */
  orderBy: string;
  /** Only the first `shown` rows (in that order) are shown to the caller, and only they are recorded (a page read one row long to see whether there is a next). */
  shown?: number;
  /** Run it as a named prepared statement (common.ts, preparedRows), for a hot read of a bounded shape. */
  prepared?: boolean;
}

const COLUMN_LIST = /^[a-z_][a-z0-9_]*( (asc|desc))?(, [a-z_][a-z0-9_]*( (asc|desc))?)*$/;

/**
 * Run a read and record it in one statement: the query's rows and the durable audit row of
 * the patients among them (as recordRead) come back together, so a read costs one round
 * trip instead of two. The audit row is committed by the autonomous writer before the
 * statement returns any row: the rows are joined to the audit call's own result, so none
 * can leave the database before it has been written (and none is returned if it fails).
 */
export async function selectAudited<R>(trx: Transaction, table: ReadTable, query: Knex.QueryBuilder | Knex.Raw, opts: AuditedSelectOptions): Promise<R[]> {
  // Column names come from the repository's own code, never from input; checked all the same.
  if (!/^[a-z_][a-z0-9_]*$/.test(opts.patientColumn) || !COLUMN_LIST.test(opts.orderBy)) throw new Error('selectAudited: invalid column list');
  if (opts.shown !== undefined && !(Number.isSafeInteger(opts.shown) && opts.shown >= 0)) throw new Error('selectAudited: invalid shown count');
  // A page size is part of the text: prepared, every size would stay prepared on every connection.
  if (opts.prepared && opts.shown !== undefined) throw new Error('selectAudited: a prepared read takes no page size');
  const page = opts.shown === undefined ? '' : ` ORDER BY ${opts.orderBy} LIMIT ${opts.shown}`;
  const statement = trx.raw(
    `WITH s AS MATERIALIZED ?,
          a AS (SELECT audit_read(?, ARRAY(SELECT ${opts.patientColumn} FROM s${page})::integer[]) AS audit_id)
     SELECT s.* FROM s CROSS JOIN a ORDER BY ${opts.orderBy}`,
    [query, table],
  );
  const { rows } = (await (opts.prepared ? statement.options({ [PREPARED]: true }) : statement)) as { rows: R[] };
  return rows;
}
