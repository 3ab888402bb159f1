/**
 * What a copy of the database (a backup, a read-only SQL injection, a curious DBA) gives
 * an attacker about sign-in: nothing usable. Session ids are stored only as an HMAC under
 * the session secret, so a cookie built from a stored id is refused even by someone who
 * also holds the secret; the sign-in throttle's keys are HMACs too, so guessing
 * "address|username" pairs and hashing them finds nothing. Production refuses to start
 * without SESSION_SECRET and MASTER_KEY from the environment.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_SESSION_SECRET, type TestServer } from '../support/server.js';
import { sessionCookieAuthenticator } from '../../server/realtime/auth.js';
import { unsignCookie as unsignSessionCookie } from '../../server/auth/sessions.js';
import { signSessionId } from '../support/session-cookie.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { loadSecrets } from '../../server/secrets.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => ts.close());

describe('http_sessions', () => {
  it('holds no session id that can be presented as a cookie, even with the session secret', async () => {
    const user = await ts.createUser('front_desk');
    const victim = await ts.login(user);
    expect((await victim.get('/api/me')).status).toBe(200);
    const cookieSid = unsignSessionCookie(decodeURIComponent(victim.sessionCookie!.split('=')[1]!), [TEST_SESSION_SECRET])!;
    expect(cookieSid).toBeDefined();

    const { rows } = await ts.db.knex.raw('SELECT sid FROM http_sessions WHERE user_id = ?', [user.userId]);
    expect(rows).toHaveLength(1);
    const stored = rows[0].sid as string;
    expect(stored).not.toContain(cookieSid);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);

    // The attack: mint a correctly signed cookie around the stored id.
    const attacker = ts.client();
    attacker.sessionCookie = `clinicpulse.sid=${encodeURIComponent(signSessionId(stored, TEST_SESSION_SECRET))}`;
    const res = await attacker.get('/api/me');
    expect(res.status).toBe(401);
    // Nor does the live-push handshake accept it; it does accept the victim's own cookie.
    const handshake = sessionCookieAuthenticator({ knex: ts.db.appKnex, secrets: [TEST_SESSION_SECRET] });
    const asRequest = (cookie: string) => ({ headers: { cookie } }) as unknown as import('node:http').IncomingMessage;
    expect(await handshake(asRequest(attacker.sessionCookie))).toBeUndefined();
    expect(await handshake(asRequest(victim.sessionCookie!))).toMatchObject({ userId: user.userId, sessionId: stored });
    // The victim's session is untouched by the attempt.
    expect((await victim.get('/api/me')).status).toBe(200);
  });
});

describe('login_throttle', () => {
  it('keys cannot be reversed by hashing guessed address|username pairs', async () => {
    const user = await ts.createUser('billing');
    expect((await ts.client().post('/api/login', { username: user.username, password: 'not the password' })).status).toBe(401);
    const { rows } = await ts.db.knex.raw('SELECT key_digest FROM login_throttle');
    expect(rows.length).toBeGreaterThan(0);
    const stored = new Set(rows.map((r: { key_digest: string }) => r.key_digest));
    // The attacker's dictionary: staff usernames they can guess, addresses they can guess.
    const guesses = [user.username, 'admin', 'frontdesk'].flatMap((u) =>
      ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.0.0.1'].map((ip) => createHash('sha256').update(`${ip}|${u}`).digest('hex')),
    );
    for (const g of guesses) expect(stored.has(g)).toBe(false);
  });
});

describe('production secrets', () => {
  const key = 'a'.repeat(64);
  const secret = 'b'.repeat(48);
  const db = 'postgres://u:p@db.example/clinic';
  it('refuses NODE_ENV=production without SESSION_SECRET (and still without MASTER_KEY)', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', MASTER_KEY: key, TLS_TERMINATED_BY_PROXY: 'true', DATABASE_URL: db })).toThrow(/SESSION_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: secret, TLS_TERMINATED_BY_PROXY: 'true', DATABASE_URL: db })).toThrow(/MASTER_KEY/);
    expect(loadConfig({ NODE_ENV: 'production', MASTER_KEY: key, SESSION_SECRET: secret, TLS_TERMINATED_BY_PROXY: 'true', DATABASE_URL: db }).SESSION_SECRET).toBe(secret);
  });

  it('never generates a secret file in production', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clinicpulse-secrets-'));
    try {
      const say: string[] = [];
      expect(() => loadSecrets({ NODE_ENV: 'production', MASTER_KEY: key, DATA_DIR: dir }, (l) => say.push(l))).toThrow(ConfigError);
      expect(() => loadSecrets({ NODE_ENV: 'production', SESSION_SECRET: secret, DATA_DIR: dir }, (l) => say.push(l))).toThrow(ConfigError);
      expect(say).toEqual([]);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
