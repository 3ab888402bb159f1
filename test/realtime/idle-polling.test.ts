/**
 * Only a person's own requests keep a session alive. A dashboard left open talks to the
 * server all the time (Socket.IO's HTTP long-polling: a GET held open, a POST per
 * message, the handshake itself); none of that may move the session's idle deadline,
 * or an unattended screen would stay signed in for the whole absolute lifetime.
 * Time passes through the session clock (test/support/session-clock.ts), not sleeps.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createProvider } from '../support/clinic.js';
import { TEST_PASSWORD, testPasswordHash } from '../support/server.js';
import { connected, disconnected, openSocket, startApiRealtimeRig } from '../support/realtime-server.js';
import { advanceSessionClock } from '../support/session-clock.js';

const IDLE_MS = 15 * 60_000;
let db: TestDatabase;
let rig: Awaited<ReturnType<typeof startApiRealtimeRig>>;
let desk: StaffFixture;
let providerId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  providerId = await createProvider(db.knex);
  desk = await createStaff(db.knex, 'front_desk', { passwordHash: await testPasswordHash() });
  rig = await startApiRealtimeRig(db, { sessionIdleMs: IDLE_MS });
});
afterAll(async () => {
  await rig?.close();
  await db?.drop();
});

it('a socket on HTTP long-polling that keeps talking does not keep its session alive', async () => {
  const api = rig.client();
  expect((await api.post('/api/login', { username: desk.username, password: TEST_PASSWORD })).status).toBe(200);
  const expiresAt = async () =>
    ((await db.knex.raw('SELECT expires_at FROM http_sessions WHERE user_id = ?', [desk.userId])).rows[0]?.expires_at as Date | undefined)?.getTime();
  const signedInUntil = (await expiresAt())!;

  const client = openSocket(rig.url, { cookie: api.sessionCookie, origin: rig.origin, transports: ['polling'] });
  await connected(client);
  expect(client.socket.io.engine.transport.name).toBe('polling');
  // Chatter over polling: every emit is an HTTP POST, every answer ends a held GET.
  const chatter = setInterval(() => client.socket.emit('schedule:unwatch', { providerId, date: '2030-03-04' }), 100);
  try {
    // Two minutes pass: a person's request now would move the deadline (it is written at most
    // once a minute). Moving the clock between the chatter's requests is safe: the shift is one
    // UPDATE, and a request that raced it would only read the deadline before or after.
    await advanceSessionClock(db.knex, { userId: desk.userId }, 120_000);
    // Longer than the server's session re-check (every 2 s), so that it runs under the chatter too.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await expiresAt()).toBe(signedInUntil - 120_000);
    // The rest of the idle time passes with the chatter going on: the session idles out on
    // schedule, and the server closes the socket (sessions are re-checked every 2 s).
    await advanceSessionClock(db.knex, { userId: desk.userId }, IDLE_MS - 120_000 + 1000);
    expect(await disconnected(client, 6000)).toBe('io server disconnect');
  } finally {
    clearInterval(chatter);
    client.close();
  }
  // The polling traffic never moved the deadline set at sign-in (the row may be gone already).
  const after = await expiresAt();
  if (after !== undefined) expect(after).toBe(signedInUntil - IDLE_MS - 1000);
  expect((await api.get('/api/me')).status).toBe(401);
}, 30_000);

it('an API request the dashboard makes on its own (marked X-ClinicPulse-Background) does not extend the session either', async () => {
  const api = rig.client();
  expect((await api.post('/api/login', { username: desk.username, password: TEST_PASSWORD })).status).toBe(200);
  const expiresAt = async () =>
    ((await db.knex.raw('SELECT expires_at FROM http_sessions WHERE user_id = ? ORDER BY expires_at DESC LIMIT 1', [desk.userId])).rows[0]
      ?.expires_at as Date).getTime();
  // Two minutes pass: a person's request would now move the deadline.
  await advanceSessionClock(db.knex, { userId: desk.userId }, 120_000);
  const signedInUntil = await expiresAt();
  // A refetch triggered by a push (the manager's charts on analytics:changed).
  expect((await api.get('/api/providers', { headers: { 'x-clinicpulse-background': '1' } })).status).toBe(200);
  expect(await expiresAt()).toBe(signedInUntil);
  // A person's request does move it.
  expect((await api.get('/api/providers')).status).toBe(200);
  expect(await expiresAt()).toBeGreaterThan(signedInUntil);
});
