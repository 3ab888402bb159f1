/**
 * Sign-in and sessions against the real server and database: credentials, cookie
 * flags, logout, idle timeout, absolute lifetime, deactivation (SQL and the CLI's
 * logic), role change, CSRF refusal and the login rate limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceSessionClock } from '../support/session-clock.js';
import { startTestServer, TEST_PASSWORD, TEST_SESSION_SECRET, type TestServer } from '../support/server.js';
import { throttleDigest } from '../../server/auth/login-throttle.js';
import { deactivateAccount } from '../../server/auth/accounts.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => ts.close());

const sessionRows = async (userId: number) =>
  (await ts.db.knex.raw('SELECT sid, sess FROM http_sessions WHERE user_id = ?', [userId])).rows as { sid: string; sess: unknown }[];

describe('sign-in', () => {
  it('returns the user and sets an HttpOnly SameSite cookie; /api/me then answers', async () => {
    const user = await ts.createUser('clinician');
    const c = ts.client();
    const res = await c.post('/api/login', { username: user.username, password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: user.userId, username: user.username, role: 'clinician', providerId: user.providerId });
    const cookie = res.headers.getSetCookie().find((s) => s.startsWith('clinicpulse.sid='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect((await c.get('/api/me')).body).toEqual(res.body);
    // The stored session holds ids, never the password.
    const rows = await sessionRows(user.userId);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows[0]!.sess)).not.toContain(TEST_PASSWORD);
  });

  it('marks the cookie Secure (and sends HSTS) behind a TLS-terminating proxy', async () => {
    const tls = await startTestServer({ db: ts.db, behindTlsProxy: true });
    try {
      const user = await tls.createUser('manager');
      const res = await tls.client().post('/api/login', { username: user.username, password: TEST_PASSWORD }, { headers: { 'x-forwarded-proto': 'https' } });
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie().find((s) => s.startsWith('clinicpulse.sid='))).toMatch(/;\s*Secure/i);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect((await ts.client().get('/healthz')).headers.get('strict-transport-security')).toBeNull();
    } finally {
      await tls.close();
    }
  });

  it('answers the same 401 for a wrong password, an unknown user and a deactivated account', async () => {
    const user = await ts.createUser('front_desk');
    const gone = await ts.createUser('billing');
    await ts.db.knex.raw('UPDATE staff_users SET active = false, deactivated_at = now() WHERE user_id = ?', [gone.userId]);
    const attempts = [
      { username: user.username, password: 'wrong password!' },
      { username: 'nobody-by-that-name', password: TEST_PASSWORD },
      { username: gone.username, password: TEST_PASSWORD },
    ];
    for (const a of attempts) {
      const res = await ts.client().post('/api/login', a);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'invalid_credentials', message: 'Wrong username or password (after repeated failures an account is locked until an administrator unlocks it).' } });
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('answers 401 unauthenticated to /api/me and API calls without a session', async () => {
    const c = ts.client();
    expect((await c.get('/api/me')).body.error.code).toBe('unauthenticated');
    expect((await c.get('/api/providers')).status).toBe(401);
  });

  it('issues a new session id at sign-in (no fixation)', async () => {
    const user = await ts.createUser('manager');
    const c = await ts.login(user);
    const first = c.sessionCookie;
    await c.post('/api/login', { username: user.username, password: TEST_PASSWORD });
    expect(c.sessionCookie).toBeDefined();
    expect(c.sessionCookie).not.toBe(first);
    // The old id is gone for good.
    const old = ts.client();
    old.sessionCookie = first;
    expect((await old.get('/api/me')).status).toBe(401);
  });
});

describe('logout', () => {
  it('answers 204, deletes the session row, and the old cookie no longer works', async () => {
    const user = await ts.createUser('front_desk');
    const c = await ts.login(user);
    const cookie = c.sessionCookie;
    const res = await c.post('/api/logout');
    expect(res.status).toBe(204);
    expect(await sessionRows(user.userId)).toHaveLength(0);
    const replay = ts.client();
    replay.sessionCookie = cookie;
    expect((await replay.get('/api/me')).status).toBe(401);
  });
});

describe('revocation', () => {
  it('ends every session of an account deactivated in the database at once', async () => {
    const user = await ts.createUser('front_desk');
    const a = await ts.login(user);
    const b = await ts.login(user);
    expect((await a.get('/api/me')).status).toBe(200);
    await ts.db.knex.raw('UPDATE staff_users SET active = false, deactivated_at = now() WHERE user_id = ?', [user.userId]);
    expect((await a.get('/api/me')).status).toBe(401);
    expect((await b.get('/api/providers')).status).toBe(401);
  });

  it('ends the sessions of an account deactivated with `npm run user -- deactivate`', async () => {
    const user = await ts.createUser('compliance');
    const c = await ts.login(user);
    expect(await deactivateAccount(ts.db.knex, user.username)).toBe(true);
    expect((await c.get('/api/me')).status).toBe(401);
    expect(await sessionRows(user.userId)).toHaveLength(0);
  });

  it('ends the session when the account\'s role changes', async () => {
    const user = await ts.createUser('billing');
    const c = await ts.login(user);
    await ts.db.knex.raw("UPDATE staff_users SET role = 'manager' WHERE user_id = ?", [user.userId]);
    expect((await c.get('/api/me')).status).toBe(401);
  });
});

describe('timeouts', () => {
  // Time is moved with a controllable clock (test/support/session-clock.ts), not slept
  // through: the margins no longer depend on how busy the machine is.
  it('keeps a session alive while it is used and ends it after the idle timeout', async () => {
    const user = await ts.createUser('front_desk');
    const c = await ts.login(user);
    // Used every 10 minutes for 50 minutes: three times the 15-minute idle timeout.
    for (let i = 0; i < 5; i++) {
      await advanceSessionClock(ts.db.knex, { userId: user.userId }, 10 * 60_000);
      expect((await c.get('/api/me')).status).toBe(200);
    }
    await advanceSessionClock(ts.db.knex, { userId: user.userId }, 15 * 60_000 + 1_000);
    const res = await c.get('/api/me');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('ends a session at its absolute lifetime even while it is in use', async () => {
    const user = await ts.createUser('manager');
    const c = await ts.login(user);
    // In use every 14 minutes (never idle for the 15-minute timeout) for 11 h 54 min...
    const step = 14 * 60_000;
    for (let i = 0; i < 51; i++) {
      await advanceSessionClock(ts.db.knex, { userId: user.userId }, step);
      expect((await c.get('/api/me')).status).toBe(200);
    }
    // ...and 14 minutes later it is past its 12-hour lifetime.
    await advanceSessionClock(ts.db.knex, { userId: user.userId }, step);
    expect((await c.get('/api/me')).status).toBe(401);
  });

  it('prunes expired session rows', async () => {
    const user = await ts.createUser('front_desk');
    await ts.login(user);
    await ts.db.knex.raw("UPDATE http_sessions SET expires_at = now() - interval '1 second' WHERE user_id = ?", [user.userId]);
    expect(await ts.clinic.sessions.store.prune()).toBeGreaterThanOrEqual(1);
    expect(await sessionRows(user.userId)).toHaveLength(0);
  });
});

describe('CSRF', () => {
  it('refuses a state-changing request with a session cookie from a foreign origin, and changes nothing', async () => {
    const c = await ts.login(await ts.createUser('front_desk'));
    const before = (await ts.db.knex.raw('SELECT count(*)::int AS n FROM patients')).rows[0].n;
    const body = { name: 'Forged Patient', dob: '1990-01-01' };
    for (const opts of [
      { origin: 'https://evil.example' },
      { origin: null, headers: { referer: 'https://evil.example/page' } },
      { origin: null },
      { origin: 'null' },
    ]) {
      const res = await c.post('/api/patients', body, opts);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('csrf_failed');
    }
    const logout = await c.post('/api/logout', undefined, { origin: 'https://evil.example' });
    expect(logout.status).toBe(403);
    expect((await c.get('/api/me')).status).toBe(200);
    expect((await ts.db.knex.raw('SELECT count(*)::int AS n FROM patients')).rows[0].n).toBe(before);
  });

  it('accepts the same request from the allowed origin or referer', async () => {
    const c = await ts.login(await ts.createUser('front_desk'));
    const viaReferer = await c.post('/api/logout', undefined, { origin: null, headers: { referer: `${ts.origin}/schedule` } });
    expect(viaReferer.status).toBe(204);
  });

  it('refuses a sign-in posted from a foreign page (login CSRF)', async () => {
    const user = await ts.createUser('front_desk');
    const res = await ts.client().post('/api/login', { username: user.username, password: TEST_PASSWORD }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf_failed');
  });
});

describe('login rate limit', () => {
  it('answers 429 with Retry-After after repeated failures for one username, even with the right password', async () => {
    const limited = await startTestServer({ db: ts.db, loginRateLimit: { max: 3, windowMs: 60_000 } });
    try {
      const user = await limited.createUser('front_desk');
      for (let i = 0; i < 3; i++) {
        expect((await limited.client().post('/api/login', { username: user.username, password: 'wrong password' })).status).toBe(401);
      }
      const blocked = await limited.client().post('/api/login', { username: user.username, password: TEST_PASSWORD });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('rate_limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another account from the same address is not locked out by it.
      const other = await limited.createUser('manager');
      expect((await limited.client().post('/api/login', { username: other.username, password: TEST_PASSWORD })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('counts failures across server processes: two instances on one database share one limit', async () => {
    const [a, b] = [
      await startTestServer({ db: ts.db, loginRateLimit: { max: 3, windowMs: 60_000 } }),
      await startTestServer({ db: ts.db, loginRateLimit: { max: 3, windowMs: 60_000 } }),
    ];
    try {
      const user = await a.createUser('front_desk');
      const attempt = (s: typeof a, password: string) => s.client().post('/api/login', { username: user.username, password });
      expect((await attempt(a, 'wrong password')).status).toBe(401);
      expect((await attempt(b, 'wrong password')).status).toBe(401);
      // A successful sign-in takes its own attempt back: it does not bring the lock closer.
      // (The limiter takes it back after the response is sent, so wait for the count to drop.)
      const digest = throttleDigest(TEST_SESSION_SECRET, `127.0.0.1|${user.username.toLowerCase()}`);
      const failures = async () =>
        (await ts.db.knex.raw('SELECT failures FROM login_throttle WHERE key_digest = ?', [digest])).rows[0]?.failures;
      expect(await failures()).toBe(2);
      expect((await attempt(b, TEST_PASSWORD)).status).toBe(200);
      for (let i = 0; i < 50 && (await failures()) !== 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await failures()).toBe(2);
      expect((await attempt(a, 'wrong password')).status).toBe(401);
      // Three failures in all, on two instances: the fourth attempt is refused on either.
      expect((await attempt(b, TEST_PASSWORD)).status).toBe(429);
      expect((await attempt(a, TEST_PASSWORD)).status).toBe(429);
      // The database holds counts under digests, not addresses or usernames.
      expect(await failures()).toBe(5);
      const { rows } = await ts.db.knex.raw('SELECT key_digest, failures FROM login_throttle');
      expect(JSON.stringify(rows)).not.toContain(user.username);
      expect(JSON.stringify(rows)).not.toContain('127.0.0.1');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
