/**
 * Two server processes on one database: each has its own LISTEN connection and
 * delivers every change to its own sockets. Process B is a real second OS process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, createProvider } from '../support/clinic.js';
import {
  connected,
  mintSession,
  openSocket,
  startRealtimeRig,
  TEST_ORIGIN,
  TEST_SESSION_SECRET,
  type RealtimeRig,
} from '../support/realtime-server.js';
import { asStaff } from '../../server/db/index.js';
import type { ScheduleWatchAck } from '../../shared/events.js';

let db: TestDatabase;
let processA: RealtimeRig;
let processB: ChildProcess;
let urlB: string;
let desk: StaffFixture;
let providerId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  providerId = await createProvider(db.knex);
  desk = await createStaff(db.knex, 'front_desk');
  processA = await startRealtimeRig(db);
  processB = spawn(process.execPath, ['--import', 'tsx', 'test/support/realtime-process.ts'], {
    env: { ...process.env, REALTIME_APP_URL: db.appUrl, REALTIME_SECRET: TEST_SESSION_SECRET, REALTIME_ORIGIN: TEST_ORIGIN },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: processB.stdout! });
    rl.once('line', resolve);
    processB.once('exit', (code) => reject(new Error(`process B exited with ${code}`)));
  });
  const { port, pid } = JSON.parse(line) as { port: number; pid: number };
  expect(pid).not.toBe(process.pid);
  urlB = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  processB?.stdin?.end();
  await new Promise((resolve) => (processB?.exitCode !== null ? resolve(null) : processB.once('exit', resolve)));
  await processA?.close();
  await db?.drop();
});

describe('two server processes', () => {
  it('deliver a change committed through process A to a socket connected to process B', async () => {
    const { cookie } = await mintSession(db.knex, desk);
    const onB = openSocket(urlB, { cookie });
    const onA = openSocket(processA.url, { cookie });
    await Promise.all([connected(onA), connected(onB)]);
    for (const c of [onA, onB]) {
      const ack = (await c.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId, date: '2027-02-01' })) as ScheduleWatchAck;
      expect(ack.ok).toBe(true);
    }
    // The booking runs on process A's own pool, as the front-desk user.
    const patientId = await createPatient(db.knex);
    const id = await asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, async (trx) => {
      const { rows } = await trx.raw(
        "INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, '2027-02-01T15:00:00Z', 30) RETURNING appointment_id",
        [patientId, providerId],
      );
      return rows[0].appointment_id as number;
    });
    const match = (p: Record<string, unknown>) => (p.appointment as { appointmentId: number }).appointmentId === id;
    const [fromB, fromA] = await Promise.all([onB.next('schedule:changed', match), onA.next('schedule:changed', match)]);
    expect(fromB).toEqual(fromA);
    const { rows } = await db.knex.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'clinicpulse-process-b-listen'");
    expect(rows[0].n).toBe(1);
    onA.close();
    onB.close();
  });
});
