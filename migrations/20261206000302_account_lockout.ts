/**
 * A sign-in limit per account, whatever the client address (issue 9, item 5). The
 * per-address limiter (login_throttle) counts "address|username"; behind a proxy the
 * address is X-Forwarded-For, which a client that reaches the service directly can
 * rotate for unlimited guesses. Here each account's consecutive failed sign-ins are
 * counted; at the configured number (LOGIN_LOCKOUT_FAILURES) the account is locked
 * until an administrator unlocks it (`npm run user -- unlock`, which deletes the row).
 *
 * The table carries the standard audit triggers, so every counted failure, the lock
 * (an update whose changed columns include locked_at) and the unlock (a delete) are in
 * the audit log, attributed by the database: clinicpulse_auth for the sign-in service,
 * the administrator's login for an unlock. Only the sign-in role reaches it, and only
 * through the two functions below.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
CREATE TABLE staff_login_failures (
  user_id integer PRIMARY KEY REFERENCES staff_users(user_id) ON DELETE CASCADE,
  failures integer NOT NULL CONSTRAINT staff_login_failures_failures_positive CHECK (failures > 0),
  last_failure_at timestamptz NOT NULL,
  locked_at timestamptz
);
COMMENT ON TABLE staff_login_failures IS 'Consecutive failed sign-ins per staff account, from any client address, and the lock-out they lead to. A row exists only after a failure; a successful sign-in deletes it (unless locked); an administrator''s unlock deletes it. Audited.';
COMMENT ON COLUMN staff_login_failures.user_id IS 'The account signed in to (an unknown username is never counted here).';
COMMENT ON COLUMN staff_login_failures.failures IS 'Failed sign-ins since the last successful one.';
COMMENT ON COLUMN staff_login_failures.last_failure_at IS 'When the latest counted failure happened.';
COMMENT ON COLUMN staff_login_failures.locked_at IS 'When the account was locked (failures reached LOGIN_LOCKOUT_FAILURES); NULL while it is not. A locked account cannot sign in, even with the right password, until an administrator unlocks it.';
ALTER TABLE staff_login_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_login_failures FORCE ROW LEVEL SECURITY;
CREATE POLICY "owner: security-definer functions and administration" ON staff_login_failures TO clinicpulse_owner USING (true) WITH CHECK (true);
REVOKE ALL ON staff_login_failures FROM PUBLIC;
${auditTriggersSql('staff_login_failures', 'user_id', 'NULL::integer')}

-- Counts one failure; locks at p_lock_after. Returns whether the account is locked now
-- (a locked account's row is left as it is: further guesses change nothing).
CREATE FUNCTION staff_login_failed(p_user_id integer, p_lock_after integer) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  WITH hit AS (
    INSERT INTO staff_login_failures AS f (user_id, failures, last_failure_at, locked_at)
    VALUES (p_user_id, 1, clock_timestamp(), CASE WHEN p_lock_after <= 1 THEN clock_timestamp() END)
    ON CONFLICT (user_id) DO UPDATE SET
      failures = f.failures + 1,
      last_failure_at = excluded.last_failure_at,
      locked_at = CASE WHEN f.failures + 1 >= p_lock_after THEN excluded.last_failure_at END
    WHERE f.locked_at IS NULL
    RETURNING f.locked_at IS NOT NULL AS locked
  )
  SELECT coalesce((SELECT locked FROM hit), true)
$$;
COMMENT ON FUNCTION staff_login_failed(integer, integer) IS 'Counts a failed sign-in against an account and locks it when the count reaches p_lock_after; returns whether the account is locked.';

-- A correct password: forgets the failures, unless the account is locked (then false).
CREATE FUNCTION staff_login_succeeded(p_user_id integer) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  WITH cleared AS (DELETE FROM staff_login_failures WHERE user_id = p_user_id AND locked_at IS NULL RETURNING 1)
  SELECT NOT EXISTS (SELECT 1 FROM staff_login_failures WHERE user_id = p_user_id AND locked_at IS NOT NULL)
$$;
COMMENT ON FUNCTION staff_login_succeeded(integer) IS 'Called after a correct password: clears the account''s failure count and returns true, or returns false when the account is locked (the sign-in must be refused).';

REVOKE EXECUTE ON FUNCTION staff_login_failed(integer, integer), staff_login_succeeded(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION staff_login_failed(integer, integer), staff_login_succeeded(integer) TO clinicpulse_auth;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DROP FUNCTION IF EXISTS staff_login_failed(integer, integer), staff_login_succeeded(integer);
${dropAuditTriggersSql('staff_login_failures')}
DROP TABLE IF EXISTS staff_login_failures;
`,
  );
}

/** The three statement-level audit triggers of one table (a copy: migrations never import each other). */
function auditTriggersSql(table: string, key: string, patient: string): string {
  const args = `${quoteLiteral(key)}, ${quoteLiteral(patient)}`;
  return `
CREATE TRIGGER ${table}_audit_insert AFTER INSERT ON ${table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
CREATE TRIGGER ${table}_audit_update AFTER UPDATE ON ${table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
CREATE TRIGGER ${table}_audit_delete AFTER DELETE ON ${table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(${args});
`;
}

function dropAuditTriggersSql(table: string): string {
  return ['insert', 'update', 'delete'].map((op) => `DROP TRIGGER IF EXISTS ${table}_audit_${op} ON ${table};`).join('\n');
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
