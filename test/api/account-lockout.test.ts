/**
 * The per-account sign-in limit. The per-address limiter counts "address|username", and
 * behind a TLS proxy the address comes from X-Forwarded-For: a client that reaches the
 * service directly can rotate that header and get unlimited guesses. Consecutive
 * failures against one account, from any address, now lock it until an administrator
 * unlocks it (`npm run user -- unlock`); the lock and the unlock are in the audit log,
 * and a locked account answers exactly like a wrong password, so the lock-out does
 * not tell anyone which usernames exist.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/server.js';

const LOCK_AFTER = 5;
let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ behindTlsProxy: true, loginRateLimit: { max: 3, windowMs: 60_000 }, loginLockoutFailures: LOCK_AFTER });
});
afterAll(async () => ts.close());

let address = 0;
/** One sign-in attempt from a "new" client address (the rotating-header attack). */
const attempt = (username: string, password: string) =>
  ts.client().post('/api/login', { username, password }, {
    headers: { 'x-forwarded-for': `203.0.113.${++address % 250}, 198.51.100.${address % 250}`, 'x-forwarded-proto': 'https' },
  });

const auditRows = async (userId: number) =>
  (
    await ts.db.knex.raw(
      `SELECT action, actor_role, changed_columns FROM audit_log WHERE table_name = 'staff_login_failures' AND row_key = ? ORDER BY audit_id`,
      [String(userId)],
    )
  ).rows as { action: string; actor_role: string; changed_columns: string[] | null }[];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'server/cli/user.ts', ...args], { env: { ...process.env, DATABASE_URL: ts.db.url }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('rotating X-Forwarded-For against one account', () => {
  it('gets past the per-address limit, but the account locks after the configured failures; an administrator unlocks it', async () => {
    const victim = await ts.createUser('front_desk');
    const bystander = await ts.createUser('front_desk');
    const unknown = await attempt('no-such-user-anywhere', 'guess 0');

    // Each guess from a new address: the per-address limit (3) never triggers.
    for (let i = 0; i < LOCK_AFTER + 3; i++) {
      const res = await attempt(victim.username, `guess ${i}`);
      expect(res.status, `guess ${i}`).toBe(401);
    }
    // The right password no longer opens the account, from any address, and the answer
    // is the one any wrong password or unknown user gets.
    const locked = await attempt(victim.username, TEST_PASSWORD);
    expect(locked.status).toBe(401);
    expect(locked.body).toEqual(unknown.body);
    expect(locked.headers.getSetCookie().filter((c) => c.startsWith('clinicpulse.sid='))).toEqual([]);
    // Other accounts are not affected.
    expect((await attempt(bystander.username, TEST_PASSWORD)).status).toBe(200);

    // The lock is audited (attributed to the sign-in service, no staff member).
    const audit = await auditRows(victim.userId);
    const lock = audit.filter((r) => r.changed_columns?.includes('locked_at'));
    expect(lock).toHaveLength(1);
    expect(lock[0]!.actor_role).toBe('clinicpulse_auth');
    // Guesses against a locked account change nothing more.
    expect(audit.length).toBe(LOCK_AFTER);

    const listed = await cli(['list']);
    expect(listed.stdout).toMatch(new RegExp(`${victim.username}\\s.*locked`));
    const unlocked = await cli(['unlock', '--username', victim.username]);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toContain(`Unlocked ${victim.username}`);
    expect((await cli(['unlock', '--username', victim.username])).code).toBe(1);

    expect((await attempt(victim.username, TEST_PASSWORD)).status).toBe(200);
    const after = await auditRows(victim.userId);
    expect(after.at(-1)).toMatchObject({ action: 'delete' });
  }, 120_000);

  it('counts consecutive failures: a successful sign-in starts the count again', async () => {
    const user = await ts.createUser('billing');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < LOCK_AFTER - 1; i++) expect((await attempt(user.username, 'typo typo')).status).toBe(401);
      expect((await attempt(user.username, TEST_PASSWORD)).status).toBe(200);
    }
  });
});
