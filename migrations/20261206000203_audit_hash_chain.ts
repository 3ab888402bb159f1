/**
 * The audit log is hash-chained, so an edit made behind the triggers' back shows.
 *
 * The append-only triggers stop every role, the owner included, but not a superuser with
 * session_replication_role = replica, who rewrote a row unnoticed (issue 9, item 11). Now
 * every audit row is linked, in the database, into one chain:
 *
 *   row_hash   = SHA-256(the row as jsonb, NULL fields left out, timestamps in UTC)
 *   chain_hash = SHA-256(previous link's chain_hash || row_hash)      (32 zero bytes before the first)
 *
 * The links live beside the log in audit_chain (seq, audit_id, row_hash, chain_hash),
 * written by a deferred constraint trigger at COMMIT, not by a BEFORE INSERT trigger. Why:
 * - Order. Linking takes a lock held until the transaction ends. Taken at the first insert,
 *   every transaction that writes patient data would hold it for its whole life, and a
 *   transaction that writes and then makes an audited read through dblink (an autonomous
 *   second connection that inserts its own audit row) would wait for itself forever, a wait
 *   PostgreSQL cannot see. Taken at COMMIT, the hold is the commit itself, and the
 *   autonomous writer links and commits before its caller reaches COMMIT.
 * - Lock. The outbox already orders commits with the advisory lock OUTBOX_COMMIT_LOCK
 *   (20261125000030); taking the same lock first means the two commit-time steps can never
 *   wait on each other in opposite orders. Under it, READ COMMITTED sees every earlier link.
 *   The first link of each transaction also updates audit_chain_head, so a REPEATABLE READ
 *   or SERIALIZABLE transaction whose snapshot misses a newer link fails (40001, retried by
 *   the service) instead of forking the chain.
 * - Atomicity. Links are written in the same transaction as their rows: every committed
 *   audit row has a link, and a rolled-back one never had one.
 *
 * Existing rows are linked here, in audit_id order. audit_chain is append-only like the log.
 * NULL fields are left out of the hash so that adding a nullable column to audit_log later
 * does not change the hash of old rows. audit_chain_verify() checks every link; the CLI
 * `npm run audit:verify` prints the first broken one. See docs/security.md ("Audit log").
 */
import type { Knex } from 'knex';

/** The outbox's commit-order advisory lock (20261125000030_outbox; copied, since migrations never import each other). */
const OUTBOX_COMMIT_LOCK = 7_340_030;
import { asOwner } from './support.js';

const GENESIS = `'\\x${'00'.repeat(32)}'::bytea`;
/** The hash of one audit row `r` (an audit_log row value); callers SET TimeZone = 'UTC'. */
const ROW_HASH = (r: string) => `digest(jsonb_strip_nulls(to_jsonb(${r}))::text, 'sha256')`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE audit_chain (
  seq bigint PRIMARY KEY CONSTRAINT audit_chain_seq_positive CHECK (seq > 0),
  audit_id bigint NOT NULL CONSTRAINT audit_chain_audit_id_key UNIQUE,
  row_hash bytea NOT NULL CONSTRAINT audit_chain_row_hash_length CHECK (octet_length(row_hash) = 32),
  chain_hash bytea NOT NULL CONSTRAINT audit_chain_chain_hash_length CHECK (octet_length(chain_hash) = 32)
);
COMMENT ON TABLE audit_chain IS 'The hash chain over audit_log, one link per audit row in commit order, written at COMMIT by audit_chain_link(). An audit row edited, deleted or inserted behind the triggers'' back (e.g. by a superuser with session_replication_role = replica) breaks a link: audit_chain_verify(), npm run audit:verify. Hashes and ids only. Append-only.';
COMMENT ON COLUMN audit_chain.seq IS 'Position in the chain: 1, 2, 3 … without gaps, in commit order (audit_id is insertion order).';
COMMENT ON COLUMN audit_chain.audit_id IS 'The audit row this link covers (no foreign key: the chain must outlive a deleted row to show the deletion).';
COMMENT ON COLUMN audit_chain.row_hash IS 'SHA-256 of the audit row as jsonb text (NULL fields left out, timestamps in UTC).';
COMMENT ON COLUMN audit_chain.chain_hash IS 'SHA-256 of the previous link''s chain_hash (32 zero bytes for seq 1) followed by row_hash. The last one is the head: record it outside the database to anchor the chain.';

CREATE TABLE audit_chain_head (
  singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT audit_chain_head_singleton CHECK (singleton),
  last_txid xid8,
  linked_at timestamptz
);
INSERT INTO audit_chain_head DEFAULT VALUES;
COMMENT ON TABLE audit_chain_head IS 'One row, updated by the first link of every transaction: a REPEATABLE READ transaction whose snapshot predates a newer link fails with a serialization error instead of forking the chain.';
COMMENT ON COLUMN audit_chain_head.singleton IS 'Always true: exactly one row.';
COMMENT ON COLUMN audit_chain_head.last_txid IS 'The last transaction that linked audit rows.';
COMMENT ON COLUMN audit_chain_head.linked_at IS 'When it did.';

ALTER TABLE audit_chain ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_head ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_head FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON audit_chain TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "owner: security-definer functions and administration" ON audit_chain_head TO clinicpulse_owner USING (true) WITH CHECK (true);
CREATE POLICY "backups read everything" ON audit_chain FOR SELECT TO clinicpulse_backup USING (true);
CREATE POLICY "backups read everything" ON audit_chain_head FOR SELECT TO clinicpulse_backup USING (true);
REVOKE ALL ON audit_chain, audit_chain_head FROM PUBLIC;

-- Append-only, like the log itself.
CREATE TRIGGER audit_chain_no_update_stmt BEFORE UPDATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_chain_no_delete_stmt BEFORE DELETE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- One step of the chain, and the same as a running (window) aggregate: the first step starts
-- from prev (the last link's hash), every later one from the running state.
CREATE FUNCTION audit_chain_step(state bytea, prev bytea, row_hash bytea) RETURNS bytea
  LANGUAGE sql IMMUTABLE AS $$ SELECT public.digest(coalesce(state, prev) || row_hash, 'sha256') $$;
COMMENT ON FUNCTION audit_chain_step(bytea, bytea, bytea) IS 'SHA-256(coalesce(state, prev) || row_hash): one link of the audit chain.';
CREATE AGGREGATE audit_chain_fold(bytea, bytea) (SFUNC = audit_chain_step, STYPE = bytea);
COMMENT ON AGGREGATE audit_chain_fold(bytea, bytea) IS 'Running audit-chain hash over (prev, row_hash) rows: used OVER (ORDER BY …) to link a transaction''s rows in one statement.';

-- Fires once per audit row at COMMIT, in insertion order. The first call links all of the
-- transaction's rows in one statement (a bulk load is one INSERT … SELECT, not a call per
-- row); every later call finds its row linked and returns after one index probe.
CREATE FUNCTION audit_chain_link() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp SET "TimeZone" = 'UTC' AS $$
DECLARE
  prev record;
BEGIN
  IF EXISTS (SELECT 1 FROM audit_chain WHERE audit_id = NEW.audit_id) THEN
    RETURN NULL;
  END IF;
  -- Commit order: the outbox's commit lock, then the chain (see the header of 20261206000203).
  PERFORM pg_advisory_xact_lock(${OUTBOX_COMMIT_LOCK});
  IF (SELECT xmin FROM audit_chain_head) <> pg_current_xact_id()::xid THEN
    UPDATE audit_chain_head SET last_txid = pg_current_xact_id(), linked_at = clock_timestamp();
  END IF;
  SELECT c.seq, c.chain_hash INTO prev FROM audit_chain c ORDER BY c.seq DESC LIMIT 1;
  -- This transaction's rows: from this (its first) row on, written under its txid (an
  -- autonomous audit write carries its caller's txid; the caller's own rows are not visible
  -- to it yet), not linked yet. Rows of other transactions in the range are linked already.
  INSERT INTO audit_chain (seq, audit_id, row_hash, chain_hash)
  SELECT coalesce(prev.seq, 0) + row_number() OVER w, x.audit_id, x.rh,
         audit_chain_fold(coalesce(prev.chain_hash, ${GENESIS}), x.rh) OVER w
  FROM (SELECT a.audit_id, ${ROW_HASH('a')} AS rh
        FROM audit_log a
        WHERE a.audit_id >= NEW.audit_id AND (a.txid = NEW.txid OR a.audit_id = NEW.audit_id)
          AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.audit_id)) x
  WINDOW w AS (ORDER BY x.audit_id);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION audit_chain_link() IS 'Deferred constraint trigger on audit_log: at COMMIT, under the commit lock, appends the row''s link to audit_chain.';
CREATE CONSTRAINT TRIGGER audit_log_chain AFTER INSERT ON audit_log
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_chain_link();

-- Every link checked on its own (against the stored previous hash), so one pass finds them all.
CREATE FUNCTION audit_chain_verify(OUT intact boolean, OUT links bigint, OUT audit_rows bigint, OUT broken_seq bigint,
                                   OUT broken_audit_id bigint, OUT problem text, OUT head bytea)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp SET "TimeZone" = 'UTC' AS $$
BEGIN
  SELECT count(*), (SELECT c.chain_hash FROM audit_chain c ORDER BY c.seq DESC LIMIT 1) INTO links, head FROM audit_chain;
  SELECT count(*) INTO audit_rows FROM audit_log;
  SELECT l.seq, l.audit_id, l.problem INTO broken_seq, broken_audit_id, problem
  FROM (
    SELECT c.seq, c.audit_id,
           CASE
             WHEN c.seq <> row_number() OVER w THEN 'a link is missing before this one (chain rows were deleted)'
             WHEN a.audit_id IS NULL THEN 'the audit row was deleted'
             WHEN ${ROW_HASH('a')} <> c.row_hash THEN 'the audit row was changed after it was written'
             WHEN c.chain_hash <> digest(coalesce(lag(c.chain_hash) OVER w, ${GENESIS}) || c.row_hash, 'sha256')
               THEN 'the link does not follow from the previous one (the chain was rewritten)'
           END AS problem
    FROM audit_chain c LEFT JOIN audit_log a ON a.audit_id = c.audit_id
    WINDOW w AS (ORDER BY c.seq)
  ) l
  WHERE l.problem IS NOT NULL
  ORDER BY l.seq LIMIT 1;
  IF broken_seq IS NULL THEN
    -- Rows with no link were inserted with the triggers switched off.
    SELECT a.audit_id INTO broken_audit_id FROM audit_log a
    WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.audit_id)
    ORDER BY a.audit_id LIMIT 1;
    IF broken_audit_id IS NOT NULL THEN
      problem := 'the audit row has no link (it was inserted with the triggers switched off)';
    END IF;
  END IF;
  intact := problem IS NULL;
END $$;
COMMENT ON FUNCTION audit_chain_verify() IS 'Checks every link of audit_chain against audit_log: reports the first missing link, deleted or changed row, or rewritten link, then any unlinked row; with the count and the head hash. Run by npm run audit:verify (administrator).';

REVOKE EXECUTE ON FUNCTION audit_chain_link(), audit_chain_verify(), audit_chain_step(bytea, bytea, bytea),
  audit_chain_fold(bytea, bytea) FROM PUBLIC;

-- Link the rows written before this migration, in audit_id order, in one statement.
SET LOCAL "TimeZone" = 'UTC';
INSERT INTO audit_chain (seq, audit_id, row_hash, chain_hash)
SELECT row_number() OVER w, x.audit_id, x.rh, audit_chain_fold(${GENESIS}, x.rh) OVER w
FROM (SELECT a.audit_id, ${ROW_HASH('a')} AS rh FROM audit_log a) x
WINDOW w AS (ORDER BY x.audit_id);
RESET "TimeZone";
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP TRIGGER IF EXISTS audit_log_chain ON audit_log;
DROP FUNCTION IF EXISTS audit_chain_verify(), audit_chain_link();
DROP AGGREGATE IF EXISTS audit_chain_fold(bytea, bytea);
DROP FUNCTION IF EXISTS audit_chain_step(bytea, bytea, bytea);
DROP TABLE IF EXISTS audit_chain, audit_chain_head;
`,
  );
}
