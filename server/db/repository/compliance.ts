/**
 * Compliance's read of the audit log: paged newest first, filterable.
 * Erasure and legal holds are in ./erasure.ts.
 */
import type { Transaction } from '../index.js';
import { iso } from './common.js';

export interface AuditFilter {
  patientId?: number;
  actorUserId?: number;
  action?: string;
  table?: string;
  severity?: 'info' | 'high';
  /** Instants bounding `at`: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  /** Keyset paging: only entries with audit_id below this. */
  before?: number;
  limit: number;
}

export interface AuditEntry {
  auditId: number;
  at: string;
  txid: number;
  actorUserId: number | null;
  actorRole: string;
  action: string;
  severity: string;
  table: string | null;
  rowKey: string | null;
  patientId: number | null;
  /** Every patient a read returned (a search, a schedule); null for other events. */
  patientIds: number[] | null;
  changedColumns: string[] | null;
}

export async function listAudit(trx: Transaction, f: AuditFilter): Promise<AuditEntry[]> {
  const q = trx('audit_log')
    .select('audit_id', 'at', 'txid', 'actor_user_id', 'actor_role', 'action', 'severity', 'table_name', 'row_key', 'patient_id', 'patient_ids', 'changed_columns')
    .orderBy('audit_id', 'desc')
    .limit(f.limit);
  // A read that returned many people names each in patient_ids (GIN-indexed).
  if (f.patientId !== undefined) {
    const id = f.patientId;
    q.where((w) => w.where('patient_id', id).orWhereRaw('patient_ids @> ARRAY[?]::integer[]', [id]));
  }
  if (f.actorUserId !== undefined) q.where('actor_user_id', f.actorUserId);
  if (f.action !== undefined) q.where('action', f.action);
  if (f.table !== undefined) q.where('table_name', f.table);
  if (f.severity !== undefined) q.where('severity', f.severity);
  if (f.from !== undefined) q.where('at', '>=', new Date(f.from));
  if (f.to !== undefined) q.where('at', '<', new Date(f.to));
  if (f.before !== undefined) q.where('audit_id', '<', f.before);
  const rows: {
    audit_id: string | number;
    at: Date;
    txid: string | number;
    actor_user_id: number | null;
    actor_role: string;
    action: string;
    severity: string;
    table_name: string | null;
    row_key: string | null;
    patient_id: number | null;
    patient_ids: number[] | null;
    changed_columns: string[] | null;
  }[] = await q;
  return rows.map((r) => ({
    auditId: Number(r.audit_id),
    at: iso(r.at),
    txid: Number(r.txid),
    actorUserId: r.actor_user_id,
    actorRole: r.actor_role,
    action: r.action,
    severity: r.severity,
    table: r.table_name,
    rowKey: r.row_key,
    patientId: r.patient_id,
    patientIds: r.patient_ids,
    changedColumns: r.changed_columns,
  }));
}
