/**
 * The booking's commit, cheaper (the booking write path, issue 14).
 *
 * Measured per booking with pg_stat_statements and track_functions = all, API and raw INSERT
 * alike, the two most expensive functions of a booking were not the exclusion constraints:
 *
 * - audit_chain_link(), at COMMIT under the commit-order lock, found the transaction's audit
 *   rows with `audit_id >= NEW.audit_id AND txid = …`. An open-ended range on a parameter is
 *   estimated at a third of the table (no statistics yet, or the generic plan a PL/pgSQL
 *   statement switches to after five calls), so the planner read the whole audit log: a
 *   sequential scan of every audit row ever written, once per transaction, while every other
 *   committer waited on the lock (2 ms at 19,000 audit rows; it grows with the log). The range
 *   now has an upper end too, the audit id sequence's last value (every row of this
 *   transaction was numbered before its COMMIT), so even the generic plan is a short range
 *   scan of the primary key. The same rows are linked in the same order.
 * - appointment_stats_merge(), staff_identity() and current_staff_user_id() were SQL functions with a SET clause: never inlined, so their
 *   statement was parsed and planned again on every call (the counters' INSERT … ON CONFLICT
 *   was the largest self time after the chain; the identity is looked up four times in a staff
 *   booking: the policies' init plans and the audit actor). As PL/pgSQL the plan is kept for
 *   the session. Same statements, same answers, same sorted key order for the counters (no
 *   deadlocks between concurrent bookings), same security, grants and comments.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

/** The outbox's commit-order advisory lock (20261125000030_outbox; copied, since migrations never import each other). */
const OUTBOX_COMMIT_LOCK = 7_340_030;
const GENESIS = `'\\x${'00'.repeat(32)}'::bytea`;
/** The hash of one audit row `r` (an audit_log row value); callers SET TimeZone = 'UTC'. */
const ROW_HASH = (r: string) => `digest(jsonb_strip_nulls(to_jsonb(${r}))::text, 'sha256')`;

const chainLink = (bounded: boolean) => `
CREATE OR REPLACE FUNCTION audit_chain_link() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp SET "TimeZone" = 'UTC' AS $$
DECLARE
  prev record;${bounded ? `
  last_id bigint;` : ''}
BEGIN
  IF EXISTS (SELECT 1 FROM audit_chain WHERE audit_id = NEW.audit_id) THEN
    RETURN NULL;
  END IF;
  -- Commit order: the outbox's commit lock, then the chain (see the header of 20261206000203).
  PERFORM pg_advisory_xact_lock(${OUTBOX_COMMIT_LOCK});
  IF (SELECT xmin FROM audit_chain_head) <> pg_current_xact_id()::xid THEN
    UPDATE audit_chain_head SET last_txid = pg_current_xact_id(), linked_at = clock_timestamp();
  END IF;
  SELECT c.seq, c.chain_hash INTO prev FROM audit_chain c ORDER BY c.seq DESC LIMIT 1;${
    bounded
      ? `
  -- Every row of this transaction has its id by now: the sequence's last value bounds them
  -- (never below this row, which is linked here whatever the sequence says).
  last_id := greatest(NEW.audit_id, pg_sequence_last_value('audit_log_audit_id_seq'::regclass));`
      : ''
  }
  -- This transaction's rows: from this (its first) row on, written under its txid (an
  -- autonomous audit write carries its caller's txid; the caller's own rows are not visible
  -- to it yet), not linked yet. Rows of other transactions in the range are linked already.${
    bounded
      ? `
  -- Both ends of the range are known, so even the generic plan is a primary-key range scan
  -- (open-ended, it was estimated at a third of the log and read all of it).`
      : ''
  }
  INSERT INTO audit_chain (seq, audit_id, row_hash, chain_hash)
  SELECT coalesce(prev.seq, 0) + row_number() OVER w, x.audit_id, x.rh,
         audit_chain_fold(coalesce(prev.chain_hash, ${GENESIS}), x.rh) OVER w
  FROM (SELECT a.audit_id, ${ROW_HASH('a')} AS rh
        FROM audit_log a
        WHERE ${bounded ? 'a.audit_id BETWEEN NEW.audit_id AND last_id' : 'a.audit_id >= NEW.audit_id'}
          AND (a.txid = NEW.txid OR a.audit_id = NEW.audit_id)
          AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.audit_id)) x
  WINDOW w AS (ORDER BY x.audit_id);
  RETURN NULL;
END $$;`;

const MERGE_BODY = `
  INSERT INTO appointment_monthly_stats AS s
    (provider_id, month, total, scheduled, checked_in, completed, cancelled, no_show)
  SELECT provider_id, month, sum(n),
         coalesce(sum(n) FILTER (WHERE status = 'scheduled'), 0), coalesce(sum(n) FILTER (WHERE status = 'checked_in'), 0),
         coalesce(sum(n) FILTER (WHERE status = 'completed'), 0), coalesce(sum(n) FILTER (WHERE status = 'cancelled'), 0),
         coalesce(sum(n) FILTER (WHERE status = 'no_show'), 0)
  FROM unnest(deltas)
  GROUP BY provider_id, month
  ORDER BY provider_id, month
  ON CONFLICT (provider_id, month) DO UPDATE SET
    total = s.total + excluded.total,
    scheduled = s.scheduled + excluded.scheduled,
    checked_in = s.checked_in + excluded.checked_in,
    completed = s.completed + excluded.completed,
    cancelled = s.cancelled + excluded.cancelled,
    no_show = s.no_show + excluded.no_show`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `${chainLink(true)}

-- The identity behind every policy and audit row, called several times per staff statement
-- (policies' init plans, audit_actor): same answer, plan kept for the session.
CREATE OR REPLACE FUNCTION staff_identity(p_user_id integer, p_role text)
  RETURNS TABLE (user_id integer, provider_id integer)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  RETURN QUERY SELECT u.user_id, u.provider_id FROM staff_users u
    WHERE u.user_id = p_user_id AND u.active AND u.role = p_role;
END $$;
CREATE OR REPLACE FUNCTION current_staff_user_id() RETURNS integer
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  RETURN (SELECT s.user_id FROM staff_identity(app_user_id_setting(), current_user::text) s);
END $$;

-- PL/pgSQL keeps the statement's plan for the session; a non-inlined SQL function plans it per call.
-- CREATE OR REPLACE keeps the OID, so its grants and comment stay.
CREATE OR REPLACE FUNCTION appointment_stats_merge(deltas appointment_stats_delta[]) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
${MERGE_BODY};
END $$;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `${chainLink(false)}

CREATE OR REPLACE FUNCTION staff_identity(p_user_id integer, p_role text)
  RETURNS TABLE (user_id integer, provider_id integer)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.user_id, u.provider_id FROM staff_users u
  WHERE u.user_id = p_user_id AND u.active AND u.role = p_role
$$;
CREATE OR REPLACE FUNCTION current_staff_user_id() RETURNS integer
  LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT user_id FROM staff_identity(app_user_id_setting(), current_user::text)
$$;

CREATE OR REPLACE FUNCTION appointment_stats_merge(deltas appointment_stats_delta[]) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
${MERGE_BODY};
$$;
`,
  );
}
