/**
 * Starting and stopping as an operator sees it: `npm start` runs the compiled service
 * and does not rebuild when nothing changed (how quick that start is, is measured by
 * `npm run bench`, bench/sections/80-start.ts, not asserted here), Ctrl-C
 * (SIGINT) and SIGTERM stop it with exit code 0 and not one error line; development
 * logs on a terminal are one readable line per event.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { TEST_MASTER_KEY } from '../support/server.js';
import { withCredentials } from '../../server/db/connect.js';
import { prettyLine } from '../../server/http/pretty-log.js';
import { freeLoopbackPort } from '../../server/db/free-port.js';

let db: TestDatabase;
let work: string;
beforeAll(async () => {
  db = await createTestDatabase();
  work = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-start-'));
  chmodSync(work, 0o755);
});
afterAll(async () => {
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
});

async function startAndStop(signal: NodeJS.Signals) {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      APP_DATABASE_URL: withCredentials(db.url, 'clinicpulse_app', inject('appPassword')),
      AUDIT_WRITER_PASSWORD: inject('auditWriterPassword'),
      MASTER_KEY: TEST_MASTER_KEY,
      DATA_DIR: work,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 540_000;
  while (!stdout.includes('ClinicPulse is running') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
  child.kill(signal);
  const code = await exited;
  return { stdout, stderr, code, ready };
}

describe('npm start', () => {
  // The first start builds when the build is missing or stale: minutes on a busy 2-core host.
  it('builds at most once, then starts the compiled service without building; SIGINT stops it cleanly', { timeout: 600_000 }, async () => {
    await startAndStop('SIGINT');
    const second = await startAndStop('SIGINT');
    expect(second.stdout).not.toMatch(/building/i);
    expect(second.stdout).toContain('ClinicPulse is running');
    expect(second.ready).toBe(200);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('SIGINT: shutting down');
    expect(second.stdout).toContain('Stopped.');
    expect(second.stderr).toBe('');
    expect(second.stdout).not.toMatch(/error|Error|ECONNRESET|terminating connection|\bat .*\(.*:\d+:\d+\)/);
  });

  it('SIGTERM stops it cleanly too', { timeout: 600_000 }, async () => {
    const r = await startAndStop('SIGTERM');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SIGTERM: shutting down');
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/error|Error/);
  });
});

describe('development logs on a terminal', () => {
  it('print one readable line per event instead of JSON', () => {
    const request = JSON.stringify({ level: 20, time: Date.UTC(2026, 11, 6, 14, 2, 7), service: 'clinicpulse', req: { id: 'r1', method: 'GET', path: '/api/providers' }, res: { statusCode: 200 }, responseTime: 12, msg: 'request completed' });
    expect(prettyLine(request)).toMatch(/^\d\d:\d\d:\d\d DEBUG GET \/api\/providers 200 12 ms\n$/);
    const warn = JSON.stringify({ level: 40, time: Date.now(), service: 'clinicpulse', attempt: 2, msg: 'realtime: listener reconnecting' });
    expect(prettyLine(warn)).toMatch(/WARN {2}realtime: listener reconnecting attempt=2\n$/);
    const failed = JSON.stringify({ level: 50, time: Date.now(), errorId: 'e1', err: { type: 'Error', code: '57P01', message: 'terminating' }, msg: 'unhandled error' });
    expect(prettyLine(failed)).toMatch(/ERROR unhandled error Error 57P01: terminating errorId=e1\n$/);
    expect(prettyLine('plain text\n')).toBe('plain text\n');
  });
});

describe('the service login', () => {
  it('keeps its password across starts: a password file that already works is not rewritten', async () => {
    const { prepareAppLogin } = await import('../../server/db/connect.js');
    const { writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-applogin-'));
    try {
      writeFileSync(path.join(dir, 'app-db-password'), `${inject('appPassword')}\n`, { mode: 0o600 });
      const verifier = async () =>
        (await db.knex.raw<{ rows: { v: string }[] }>("SELECT rolpassword AS v FROM pg_authid WHERE rolname = 'clinicpulse_app'")).rows[0]!.v;
      const before = await verifier();
      const url = await prepareAppLogin(db.url, { dataDir: dir });
      expect(new URL(url).username).toBe('clinicpulse_app');
      // Every ALTER ROLE … PASSWORD makes a new SCRAM verifier (new salt), even for the same password.
      expect(await verifier()).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
