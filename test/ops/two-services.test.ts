/**
 * Several server processes on one database, configured as docs/operations.md says
 * ("Scaling out"): the same external DATABASE_URL, SESSION_SECRET and MASTER_KEY, the
 * service login from APP_DATABASE_URL (its password set once, not by each start), their
 * own DATA_DIRs, ALLOWED_ORIGINS naming the public origins. A booking through one process
 * is pushed live by the other, to a socket signed in through the first.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ApiClient, TEST_MASTER_KEY, TEST_PASSWORD, testPasswordHash } from '../support/server.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, createProvider } from '../support/clinic.js';
import { connected, openSocket, type RecordingClient } from '../support/realtime-server.js';
import { withCredentials } from '../../server/db/connect.js';
import type { ScheduleWatchAck } from '../../shared/events.js';

let db: TestDatabase;
const dirs: string[] = [];
const children: ChildProcess[] = [];
const sockets: RecordingClient[] = [];
let desk: StaffFixture;
let providerId: number;
const base = 42000 + Math.floor(Math.random() * 3000);
const ports = [base, base + 1];
const origins = ports.map((p) => `http://127.0.0.1:${p}`);

async function startProcess(port: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-proc-'));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      APP_DATABASE_URL: withCredentials(db.url, 'clinicpulse_app', inject('appPassword')),
      AUDIT_WRITER_PASSWORD: inject('auditWriterPassword'),
      SESSION_SECRET: 'the-same-session-secret-on-every-process',
      MASTER_KEY: TEST_MASTER_KEY,
      ALLOWED_ORIGINS: origins.join(','),
      DATA_DIR: dir,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 90_000;
  while (!out.includes('ClinicPulse is running') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('ClinicPulse is running')) throw new Error(`process on ${port} did not start: ${out}`);
}

beforeAll(async () => {
  db = await createTestDatabase();
  providerId = await createProvider(db.knex);
  desk = await createStaff(db.knex, 'front_desk', { passwordHash: await testPasswordHash() });
  await Promise.all(ports.map(startProcess));
}, 180_000);
afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : (c.once('exit', resolve), c.kill('SIGTERM'))))));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await db?.drop();
});

describe('two server processes behind one public origin list', () => {
  it('books through one while the other pushes the change live', async () => {
    const [a, b] = origins as [string, string];
    const api = new ApiClient(a, a);
    expect((await api.post('/api/login', { username: desk.username, password: TEST_PASSWORD })).status).toBe(200);
    // The same session cookie is good on the other process (shared SESSION_SECRET and session store).
    const onB = openSocket(b, { cookie: api.sessionCookie, origin: b });
    sockets.push(onB);
    await connected(onB);
    const day = '2027-05-04';
    const ack = (await onB.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId, date: day })) as ScheduleWatchAck;
    expect(ack.ok).toBe(true);
    const booked = await api.post('/api/appointments', { patientId: await createPatient(db.knex), providerId, scheduledAt: `${day}T15:00:00Z`, durationMin: 30 });
    expect(booked.status).toBe(201);
    const pushed = await onB.next('schedule:changed', (p) => (p.appointment as { appointmentId: number }).appointmentId === booked.body.id);
    expect(pushed).toMatchObject({ kind: 'booked', providerId });
    // Both processes stay ready; neither reset the other's database login.
    for (const o of origins) expect((await fetch(`${o}/readyz`)).status).toBe(200);
    expect((await new ApiClient(b, b).post('/api/login', { username: desk.username, password: TEST_PASSWORD })).status).toBe(200);
  });
});
