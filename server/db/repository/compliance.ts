/**
 * Compliance's read of the audit log: paged newest first, filterable.
 * Staff accounts are in ./staff-accounts.ts.
 * Erasure and legal holds are in ./erasure.ts.
 */
import type { AuditAction, AuditSeverity } from '../../../shared/vocabulary.js';
import type { Transaction } from '../index.js';
import { selectAudited } from './access-log.js';
import { firstRow, iso, selected } from './common.js';

export interface AuditFilter {
  patientId?: number;
  actorUserId?: number;
  action?: AuditAction;
  table?: string;
  severity?: AuditSeverity;
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
  action: AuditAction;
  severity: AuditSeverity;
  table: string | null;
  rowKey: string | null;
  patientId: number | null;
  /** Every patient a read returned (a search, a schedule); null for other events. */
  patientIds: number[] | null;
  changedColumns: string[] | null;
  /** The actor's username (staff_users), null for the database itself or a deleted account. */
  actorUsername: string | null;
  /** The current name (pseudonymised once erased) of the patient the row is about, null without one. */
  patientName: string | null;
  /** Whom patientName names: patientId, else the only patient a read returned, else (filtering by patient) the one the filter found in a read's list. */
  subjectPatientId: number | null;
}

export async function listAudit(trx: Transaction, f: AuditFilter): Promise<AuditEntry[]> {
  // The page is cut first (audit_log's own index), then each of its rows is named: the joins
  // touch at most `limit` rows of staff_users and patients by primary key.
  const page = trx('audit_log')
    .select('audit_id', 'at', 'txid', 'actor_user_id', 'actor_role', 'action', 'severity', 'table_name', 'row_key', 'patient_id', 'patient_ids', 'changed_columns')
    .orderBy('audit_id', 'desc')
    .limit(f.limit);
  // A read that returned many people names each in patient_ids (GIN-indexed).
  if (f.patientId !== undefined) {
    const id = f.patientId;
    page.where((w) => {
      w.where('patient_id', id).orWhereRaw('patient_ids @> ARRAY[?]::integer[]', [id]);
    });
  }
  if (f.actorUserId !== undefined) page.where('actor_user_id', f.actorUserId);
  if (f.action !== undefined) page.where('action', f.action);
  if (f.table !== undefined) page.where('table_name', f.table);
  if (f.severity !== undefined) page.where('severity', f.severity);
  if (f.from !== undefined) page.where('at', '>=', new Date(f.from));
  if (f.to !== undefined) page.where('at', '<', new Date(f.to));
  if (f.before !== undefined) page.where('audit_id', '<', f.before);
  const q = trx
    .from(page.as('l'))
    .leftJoin('staff_users as s', 's.user_id', 'l.actor_user_id')
    // The patient a row is about: its own, the only one a read returned, or (filtering by
    // patient) the one the filter found in a read's list.
    .leftJoin(
      'patients as p',
      'p.patient_id',
      trx.raw('coalesce(l.patient_id, CASE WHEN cardinality(l.patient_ids) = 1 THEN l.patient_ids[1] END, ?::integer)', [f.patientId ?? null]),
    )
    // Named as the API names them (this list is the response's contract: every column selected
    // reaches the API); only the id, txid (bigint) and time need converting.
    .select({
      auditId: 'l.audit_id',
      at: 'l.at',
      txid: 'l.txid',
      actorUserId: 'l.actor_user_id',
      actorRole: 'l.actor_role',
      action: 'l.action',
      severity: 'l.severity',
      table: 'l.table_name',
      rowKey: 'l.row_key',
      patientId: 'l.patient_id',
      patientIds: 'l.patient_ids',
      changedColumns: 'l.changed_columns',
      actorUsername: 's.username',
      patientName: 'p.name',
      subjectPatientId: 'p.patient_id',
    })
    .orderBy('l.audit_id', 'desc');
  const rows: (Omit<AuditEntry, 'auditId' | 'at' | 'txid'> & { auditId: string | number; at: Date; txid: string | number })[] = await selected(q);
  return rows.map((r) => ({ ...r, auditId: Number(r.auditId), at: iso(r.at), txid: Number(r.txid) }));
}

export interface CompliancePatient {
  patientId: number;
  name: string;
  dob: string;
  legalHoldReason: string | null;
  erasedAt: string | null;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Patients by id (digits) or by the start of their name or of a word in it, for erasure. */
export async function findPatientsForCompliance(trx: Transaction, q: string, limit: number): Promise<CompliancePatient[]> {
  const query = trx('patients')
    .select('patient_id', 'name', 'dob', 'legal_hold_reason', 'erased_at')
    .orderBy([{ column: 'name' }, { column: 'patient_id' }])
    .limit(limit);
  const needle = q.trim();
  if (/^[1-9][0-9]{0,9}$/.test(needle) && Number(needle) <= 2_147_483_647) query.where('patient_id', Number(needle));
  else {
    const n = likeEscape(needle.toLowerCase());
    query.where((w) => {
      w.whereRaw('lower(name) LIKE ?', [`${n}%`]).orWhereRaw('lower(name) LIKE ?', [`% ${n}%`]);
    });
  }
  // Audited like every read of people: one row naming every patient found (access-log.ts).
  const rows = await selectAudited<{ patient_id: number; name: string; dob: string; legal_hold_reason: string | null; erased_at: Date | null }>(trx, 'patients', query, {
    patientColumn: 'patient_id',
    orderBy: 'name, patient_id',
  });
  return rows.map((r) => ({
    patientId: r.patient_id,
    name: r.name,
    dob: r.dob,
    legalHoldReason: r.legal_hold_reason,
    erasedAt: r.erased_at === null ? null : iso(r.erased_at),
  }));
}

/** The legal hold recorded with a refused erasure (for the 409 message). */
export async function erasureHoldReason(trx: Transaction, erasureId: number): Promise<string | null> {
  const row: { legal_hold_reason: string | null } | undefined = await firstRow(trx('erasures').select('legal_hold_reason').where('erasure_id', erasureId));
  return row?.legal_hold_reason ?? null;
}

/** What the compliance screens' live feed sends of one audit entry: no row key, patient or columns. */
export interface LiveAuditEntry {
  auditId: number;
  action: string;
  table: string | null;
  actorRole: string;
  at: string;
}

/**
 * The live feed's read, as clinicpulse_realtime (realtime_audit_entries, migration
 * 20261206001400): up to 1000 entries by id, only those appended in the last 15 minutes.
 */
export async function liveAuditEntries(trx: Transaction, auditIds: number[]): Promise<LiveAuditEntry[]> {
  const { rows } = await trx.raw<{ rows: { audit_id: number; action: string; table_name: string | null; actor_role: string; at: Date }[] }>(
    'SELECT audit_id, action, table_name, actor_role, at FROM realtime_audit_entries(?::bigint[])',
    [auditIds],
  );
  return rows.map((r) => ({ auditId: r.audit_id, action: r.action, table: r.table_name, actorRole: r.actor_role, at: r.at.toISOString() }));
}
