/**
 * The audit log's hash chain (migration 20261206000203): checking it. Run with the
 * administrator's connection: no staff or service role may read the chain.
 */
import type { Knex } from 'knex';

export type AuditChainReport =
  | { intact: true; links: number; auditRows: number; head: string | null }
  | { intact: false; links: number; auditRows: number; head: string | null; seq: number | null; auditId: number | null; problem: string };

/** Check every link; the first broken one (lowest position), or intact with the count and head hash. */
export async function verifyAuditChain(admin: Knex): Promise<AuditChainReport> {
  const { rows } = await admin.raw<{
    rows: {
      intact: boolean;
      links: string;
      audit_rows: string;
      broken_seq: string | null;
      broken_audit_id: string | null;
      problem: string | null;
      head: Buffer | null;
    }[];
  }>('SELECT intact, links, audit_rows, broken_seq, broken_audit_id, problem, head FROM audit_chain_verify()');
  const r = rows[0]!;
  const base = { links: Number(r.links), auditRows: Number(r.audit_rows), head: r.head ? r.head.toString('hex') : null };
  if (r.intact) return { intact: true, ...base };
  return {
    intact: false,
    ...base,
    seq: r.broken_seq === null ? null : Number(r.broken_seq),
    auditId: r.broken_audit_id === null ? null : Number(r.broken_audit_id),
    problem: r.problem!,
  };
}

/** One line for people: "intact, N rows" or where the first break is. */
export function describeAuditChain(report: AuditChainReport): string {
  if (report.intact) {
    return `Audit log intact, ${report.auditRows} rows (chain head ${report.head ?? 'none: the log is empty'}).`;
  }
  const where = report.seq !== null ? `link ${report.seq} (audit_id ${report.auditId})` : `audit_id ${report.auditId}`;
  return `Audit log BROKEN at ${where}: ${report.problem}. ${report.links} links, ${report.auditRows} rows.`;
}
