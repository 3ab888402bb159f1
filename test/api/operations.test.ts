/**
 * Operating the service: logs carry no PII, bodies, query strings, cookies or
 * passwords; a 500 returns only an error id that is in the log with its cause;
 * production refuses to start without a master key or TLS; the staff-account command
 * creates accounts that can sign in (password from the environment or standard input),
 * lists and deactivates them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/server.js';
import { createPatient } from '../support/clinic.js';
import { errorHandler } from '../../server/http/errors.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { AccountError, createAccount } from '../../server/auth/accounts.js';

const run = promisify(execFile);
const lines: string[] = [];
let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ logStream: { write: (l) => void lines.push(l) } });
});
afterAll(async () => ts.close());

describe('logs', () => {
  it('record requests without names, contact, search terms, bodies, cookies or passwords', async () => {
    await createPatient(ts.db.knex, { name: 'Zelda Canaryname', email: 'zelda.canary@example.org' });
    const user = await ts.createUser('front_desk');
    const desk = await ts.login(user);
    await ts.client().post('/api/login', { username: user.username, password: 'Wrong-Canary-Password' });
    await desk.get('/api/patients?q=Canaryname');
    await desk.post('/api/patients', { name: 'Yusuf Canaryreg', dob: '1980-01-01', email: 'yusuf.canary@example.org', phone: '+1 555 867 5309' });
    await desk.post('/api/patients', { name: 'Bad <Canary>', dob: 'not a date' });
    const log = lines.join('');
    expect(log).toContain('"path":"/api/patients"');
    expect(log).toContain(`"staffUserId":${user.userId}`);
    for (const secret of ['Canaryname', 'Canaryreg', 'canary@example.org', '867 5309', TEST_PASSWORD, 'Wrong-Canary-Password', 'clinicpulse.sid', desk.sessionCookie!.split('=')[1]!]) {
      expect(log, secret).not.toContain(secret);
    }
  });

  it('gives every response a request id (a well-formed incoming one is kept) and logs it', async () => {
    const fresh = await ts.client().get('/api/providers');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const traced = await ts.client().get('/api/providers', { headers: { 'x-request-id': 'proxy-trace-0001' } });
    expect(traced.headers.get('x-request-id')).toBe('proxy-trace-0001');
    const forged = await ts.client().get('/api/providers', { headers: { 'x-request-id': 'bad id\twith "quotes"' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.join('')).toContain('"id":"proxy-trace-0001"');
  });

  it('a 500 answers only an error id, and the log has that id with the cause', async () => {
    const logged: { errorId: string; err: unknown }[] = [];
    const app = express();
    app.get('/boom', () => {
      throw new Error('connection to 10.0.0.7 failed for patient Jane Canary');
    });
    app.use(errorHandler((f) => logged.push(f)));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`);
      const body = (await res.json()) as { error: { code: string; errorId: string; message: string } };
      expect(res.status).toBe(500);
      expect(body.error.code).toBe('internal');
      expect(JSON.stringify(body)).not.toMatch(/10\.0\.0\.7|Jane|stack/);
      expect(logged).toHaveLength(1);
      expect(logged[0]!.errorId).toBe(body.error.errorId);
      expect((logged[0]!.err as Error).message).toContain('10.0.0.7');
    } finally {
      server.close();
    }
  });
});

describe('production safety', () => {
  it('refuses NODE_ENV=production without a master key or TLS, and with the demo seed', () => {
    const key = 'a'.repeat(64);
    expect(() => loadConfig({ NODE_ENV: 'production', TLS_TERMINATED_BY_PROXY: 'true' })).toThrow(/MASTER_KEY/);
    expect(() => loadConfig({ NODE_ENV: 'production', MASTER_KEY: key })).toThrow(/TLS/);
    const secret = 's'.repeat(32);
    expect(() => loadConfig({ NODE_ENV: 'production', MASTER_KEY: key, SESSION_SECRET: secret, TLS_TERMINATED_BY_PROXY: 'true', DEMO_SEED: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', MASTER_KEY: key, SESSION_SECRET: secret, TLS_TERMINATED_BY_PROXY: 'true' })).toThrow(/DATABASE_URL[\s\S]*ALLOW_EMBEDDED_DATABASE/);
    const external = { NODE_ENV: 'production', MASTER_KEY: key, SESSION_SECRET: secret, TLS_TERMINATED_BY_PROXY: 'true', DATABASE_URL: 'postgres://u:p@db.example/clinic' };
    expect(loadConfig(external).NODE_ENV).toBe('production');
    expect(loadConfig({ ...external, DATABASE_URL: '', ALLOW_EMBEDDED_DATABASE: 'true' }).NODE_ENV).toBe('production');
    expect(() => loadConfig({ TLS_CERT: 'cert.pem' })).toThrow(/together/);
  });

  it('`npm start` in production without a master key exits with the reason before touching a database', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, NODE_ENV: 'production', MASTER_KEY: '', DATA_DIR: '/nonexistent/clinicpulse', DATABASE_URL: '' },
      timeout: 60_000,
    }).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/Refusing to start with NODE_ENV=production[\s\S]*MASTER_KEY/);
  });
});

describe('npm run user', () => {
  const cli = (args: string[], opts: { password?: string; stdin?: string } = {}) => {
    // node --import tsx rather than npx: one process less per call on a busy machine.
    const child = execFile(process.execPath, ['--import', 'tsx', 'server/cli/user.ts', ...args], {
      env: { ...process.env, DATABASE_URL: ts.db.url, STAFF_PASSWORD: opts.password ?? '' },
      timeout: 60_000,
    });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    else child.stdin!.end();
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  };

  it('creates accounts (password from STAFF_PASSWORD or stdin) that can sign in, lists and deactivates them', async () => {
    const made = await cli(['create', '--username', 'cli-desk', '--role', 'front_desk'], { password: 'cli password one' });
    expect(made.stdout, made.stderr).toContain('Created cli-desk');
    const { rows } = await ts.db.knex.raw("SELECT provider_id FROM providers LIMIT 1");
    const providerId = rows[0]?.provider_id ?? (await ts.db.knex.raw("INSERT INTO providers (name, specialty) VALUES ('Dr Cli', 'Family medicine') RETURNING provider_id")).rows[0].provider_id;
    const viaStdin = await cli(['create', '--username', 'cli-doc', '--role', 'clinician', '--provider-id', String(providerId)], { stdin: 'cli password two\n' });
    expect(viaStdin.stdout, viaStdin.stderr).toContain('Created cli-doc');

    const c = ts.client();
    expect((await c.post('/api/login', { username: 'cli-desk', password: 'cli password one' })).status).toBe(200);
    const doc = ts.client();
    expect((await doc.post('/api/login', { username: 'cli-doc', password: 'cli password two' })).body).toMatchObject({ role: 'clinician', providerId });

    const list = await cli(['list']);
    expect(list.stdout).toMatch(/cli-desk\s+front_desk/);
    expect(list.stdout).not.toContain('scrypt$');

    const off = await cli(['deactivate', '--username', 'cli-desk']);
    expect(off.code).toBe(0);
    expect((await c.get('/api/me')).status).toBe(401);
    expect((await ts.client().post('/api/login', { username: 'cli-desk', password: 'cli password one' })).status).toBe(401);
  }, 180_000);

  it('refuses weak or malformed accounts with a clear message', async () => {
    const cases: [Parameters<typeof createAccount>[1], RegExp][] = [
      [{ username: 'Bad Name', role: 'billing', password: 'long enough password' }, /username/],
      [{ username: 'short-pass', role: 'billing', password: 'short' }, /at least 12/],
      [{ username: 'no-provider', role: 'clinician', password: 'long enough password' }, /provider-id/],
      [{ username: 'has-provider', role: 'billing', providerId: 1, password: 'long enough password' }, /only a clinician/],
      [{ username: 'janitor', role: 'janitor', password: 'long enough password' }, /role:/],
    ];
    for (const [input, message] of cases) {
      await expect(createAccount(ts.db.knex, input)).rejects.toThrow(AccountError);
      await expect(createAccount(ts.db.knex, input)).rejects.toThrow(message);
    }
  });
});
