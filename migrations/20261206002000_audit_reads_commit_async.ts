/**
 * Audit rows of reads commit asynchronously on the autonomous connection.
 *
 * audit_append_durable() writes a read or break-glass row through a second connection (dblink,
 * clinicpulse_audit_writer) that commits at once, so the row survives a rollback of the caller.
 * That commit used to wait for its WAL flush: one fsync per audited read, +6–9 ms p50 and tens
 * of milliseconds at p95 on this machine's busy hours (0.09 ms on a quiet one) — on those hours
 * most of the time of every audited screen (the clinic day, patient search, a schedule). A read
 * row now commits with synchronous_commit = off:
 *
 * - against a rollback of the caller (the attack the autonomous writer exists for) nothing
 *   changes: the row is committed in its own transaction before the data is returned;
 * - against a crash of PostgreSQL or of the host, the last read rows not yet flushed by the WAL
 *   writer (at most 3 × wal_writer_delay, 600 ms by default) can be lost — the same window
 *   PostgreSQL documents for asynchronous commit. A later synchronous commit (any booking, any
 *   write) flushes them too, because the WAL is one sequence.
 * - break_glass rows stay synchronous: a grant is rare and must never be lost.
 *
 * A deployment that wants the flush for reads too sets, once:
 *   ALTER ROLE clinicpulse_audit_writer SET clinicpulse.audit_reads_synchronous = on;
 * (docs/security.md, "Audited reads and crashes"; the bench prints both costs).
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const SIGNATURE = 'audit_append_autonomous(bigint, integer, text, text, text, text, integer, text, integer[])';

function definition(asyncReads: boolean): string {
  const commitChoice = asyncReads
    ? `
  -- Reads commit without waiting for their WAL flush unless the deployment asks for it
  -- (clinicpulse.audit_reads_synchronous = on); break_glass always waits.
  IF p_action = 'read' AND NOT coalesce(nullif(current_setting('clinicpulse.audit_reads_synchronous', true), ''), 'off')::boolean THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;`
    : '';
  return `
CREATE OR REPLACE FUNCTION ${SIGNATURE.replace(/\(.*\)/, '')}(p_txid bigint, p_actor_user_id integer, p_actor_role text, p_action text,
    p_table text, p_row_key text, p_patient_id integer, p_severity text, p_patient_ids integer[]) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE id bigint;
BEGIN
  -- Writes, erasures and holds are recorded transactionally by the database itself, never here.
  IF p_action NOT IN ('read', 'break_glass') THEN
    RAISE EXCEPTION 'audit action % is not recorded autonomously', p_action
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_event_action_reserved';
  END IF;${commitChoice}
  INSERT INTO audit_log (txid, actor_user_id, actor_role, action, severity, table_name, row_key, patient_id, patient_ids)
  VALUES (p_txid, p_actor_user_id, p_actor_role, p_action, coalesce(p_severity, 'info'), p_table, p_row_key,
          p_patient_id, p_patient_ids)
  RETURNING audit_id INTO id;
  RETURN id;
END $$;
COMMENT ON FUNCTION ${SIGNATURE} IS '${
    asyncReads
      ? "The autonomous end of audit_append_durable: run by clinicpulse_audit_writer over dblink, in its own transaction; appends one read or break_glass row with the actor and txid the caller''s side derived. Read rows commit asynchronously (no wait for the WAL flush) unless clinicpulse.audit_reads_synchronous = on; break_glass rows always wait. Returns the audit_id."
      : "The autonomous end of audit_append_durable: run by clinicpulse_audit_writer over dblink, in its own transaction; appends one read or break_glass row with the actor and txid the caller''s side derived. Returns the audit_id."
  }';
`;
}

export async function up(knex: Knex): Promise<void> {
  await asOwner(knex, definition(true));
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, definition(false));
}
