/**
 * The access log of API reads: one audited 'read' row per request that returned people,
 * naming the acting staff member (derived by the database, never passed) and every patient
 * returned. The row is written autonomously (migration 20261206000110), so it stays even if
 * the request's transaction rolls back afterwards, and it works in read-only transactions.
 */
import type { Transaction } from '../index.js';

/** What was read: a patient's own row, or appointments naming them. */
export type ReadTable = 'patients' | 'appointments';

/** Record that the caller was shown these patients (no row when the list is empty). */
export async function recordRead(trx: Transaction, table: ReadTable, patientIds: readonly number[]): Promise<void> {
  if (patientIds.length === 0) return;
  await trx.raw('SELECT audit_read(?, ?::integer[])', [table, [...new Set(patientIds)]]);
}
