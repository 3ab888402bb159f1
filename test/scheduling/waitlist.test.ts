/**
 * The waitlist over the API and in the database: front desk only, audited, 400 naming the
 * field with nothing written, bad rows refused with their constraint, and booking an entry
 * (waitlistId) removing it in the same transaction: two desks taking one offer, one 201.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../server/db/index.js';
import { asStaff } from '../../server/db/index.js';
import { startTestServer, type ApiClient, type TestServer } from '../support/server.js';
import { buildWorld, snapshot, type World } from '../support/api-world.js';
import { createPatient, createProvider, pgError } from '../support/clinic.js';

let ts: TestServer;
let w: World;
let provider: number;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
  provider = await createProvider(ts.db.knex, { name: 'Dr List', specialty: 'Endocrinology' });
});
afterAll(async () => ts.close());

const day = '2031-02-11';
const at = (hhmm: string) => `${day}T${hhmm}:00-05:00`;
const entry = (patientId: number, extra: Record<string, unknown> = {}) => ({
  patientId, providerId: provider, earliest: at('08:00'), latest: at('12:00'), durationMin: 30, ...extra,
});
async function state(): Promise<string> {
  const rows = (await ts.db.knex.raw('SELECT * FROM waitlist_entries ORDER BY waitlist_id')).rows;
  return JSON.stringify([await snapshot(ts.db.knex), rows]);
}
const OTHERS: StaffRole[] = ['clinician', 'billing', 'manager', 'compliance'];

describe('the waitlist API', () => {
  it('is front desk only: every other role is refused and nothing is written', async () => {
    const before = await state();
    const calls: ((c: ApiClient) => Promise<{ status: number }>)[] = [
      (c) => c.post('/api/waitlist', entry(w.freePatient)),
      (c) => c.get('/api/waitlist'),
      (c) => c.delete('/api/waitlist/1'),
    ];
    for (const call of calls) {
      for (const role of OTHERS) expect((await call(w.as[role])).status, role).toBe(403);
      expect((await call(w.as.anonymous)).status).toBe(401);
    }
    expect(await state()).toEqual(before);
  });

  it('adds, lists longest-waiting first (a provider\'s list includes its specialty), removes, and audits each write', async () => {
    const p1 = await createPatient(ts.db.knex, { name: 'Lena Listfirst' });
    const p2 = await createPatient(ts.db.knex, { name: 'Omar Otherway' });
    const a = await w.as.front_desk.post('/api/waitlist', entry(p1, { note: 'Prefers mornings' }));
    expect(a.status).toBe(201);
    expect(a.body.entry).toMatchObject({ patientId: p1, patientName: 'Lena Listfirst', providerId: provider, specialty: null, durationMin: 30, note: 'Prefers mornings' });
    const b = await w.as.front_desk.post('/api/waitlist', { ...entry(p2), providerId: undefined, specialty: 'endocrinology' });
    expect(b.status).toBe(201);
    const list = await w.as.front_desk.get(`/api/waitlist?providerId=${provider}`);
    expect(list.body.items.map((e: { waitlistId: number }) => e.waitlistId)).toEqual([a.body.id, b.body.id]);
    expect((await w.as.front_desk.get(`/api/waitlist?patientId=${p2}`)).body.items.map((e: { waitlistId: number }) => e.waitlistId)).toEqual([b.body.id]);
    expect((await w.as.front_desk.delete(`/api/waitlist/${b.body.id}`)).status).toBe(204);
    expect((await w.as.front_desk.delete(`/api/waitlist/${b.body.id}`)).status).toBe(404);
    const { rows } = await ts.db.knex.raw(
      "SELECT action, actor_user_id, patient_id FROM audit_log WHERE table_name = 'waitlist_entries' AND row_key IN (?, ?) ORDER BY audit_id",
      [String(a.body.id), String(b.body.id)],
    );
    expect(rows).toEqual([
      { action: 'insert', actor_user_id: w.users.front_desk.userId, patient_id: p1 },
      { action: 'insert', actor_user_id: w.users.front_desk.userId, patient_id: p2 },
      { action: 'delete', actor_user_id: w.users.front_desk.userId, patient_id: p2 },
    ]);
  });

  it('answers 400 naming the field (and 404 for an unknown patient or provider) with nothing written', async () => {
    const before = await state();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...entry(w.freePatient), providerId: undefined }, 'body.providerId'],
      [{ ...entry(w.freePatient), specialty: 'Endocrinology' }, 'body.providerId'],
      [entry(w.freePatient, { latest: at('08:20') }), 'body.latest'],
      [entry(w.freePatient, { earliest: '2020-01-01T08:00:00Z', latest: '2020-01-01T12:00:00Z' }), 'body.latest'],
      [entry(w.freePatient, { durationMin: 3 }), 'body.durationMin'],
      [entry(w.freePatient, { earliest: 'tomorrow' }), 'body.earliest'],
      [entry(w.freePatient, { priority: 'high' }), 'body'],
    ];
    for (const [body, path] of cases) {
      const res = await w.as.front_desk.post('/api/waitlist', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.issues[0].path, JSON.stringify(body)).toBe(path);
    }
    expect((await w.as.front_desk.post('/api/waitlist', entry(2_000_000_000))).status).toBe(404);
    expect((await w.as.front_desk.post('/api/waitlist', entry(w.freePatient, { providerId: 2_000_000_000 }))).status).toBe(404);
    expect(await state()).toEqual(before);
  });

  it('removes the entry when its patient is booked with waitlistId; two desks taking one offer: one 201, one 409', async () => {
    const patient = await createPatient(ts.db.knex, { name: 'Rita Race' });
    const added = await w.as.front_desk.post('/api/waitlist', entry(patient));
    const secondDesk = await ts.login(await ts.createUser('front_desk'));
    const booking = { patientId: patient, providerId: provider, scheduledAt: at('09:00'), durationMin: 30, waitlistId: added.body.id };
    const results = await Promise.all([w.as.front_desk.post('/api/appointments', booking), secondDesk.post('/api/appointments', booking)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(['waitlist_entry_gone', 'double_booking', 'patient_double_booking']).toContain(loser.body.error.code);
    const { rows } = await ts.db.knex.raw('SELECT count(*)::int AS n FROM appointments WHERE patient_id = ?', [patient]);
    expect(rows[0].n).toBe(1);
    expect((await ts.db.knex.raw('SELECT count(*)::int AS n FROM waitlist_entries WHERE waitlist_id = ?', [added.body.id])).rows[0].n).toBe(0);
    // The same entry again (another slot): it is gone.
    const again = await w.as.front_desk.post('/api/appointments', { ...booking, scheduledAt: at('11:00') });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('waitlist_entry_gone');
  });

  it('keeps the entry when the booking fails, and refuses an entry of another patient', async () => {
    const patient = await createPatient(ts.db.knex);
    const added = await w.as.front_desk.post('/api/waitlist', entry(patient));
    const wrong = await w.as.front_desk.post('/api/appointments', { patientId: w.freePatient, providerId: provider, scheduledAt: at('10:00'), durationMin: 30, waitlistId: added.body.id });
    expect(wrong.body.error.code).toBe('waitlist_patient_mismatch');
    const past = await w.as.front_desk.post('/api/appointments', { patientId: patient, providerId: provider, scheduledAt: '2020-01-01T10:00:00Z', durationMin: 30, waitlistId: added.body.id });
    expect(past.body.error.code).toBe('in_the_past');
    expect((await ts.db.knex.raw('SELECT count(*)::int AS n FROM waitlist_entries WHERE waitlist_id = ?', [added.body.id])).rows[0].n).toBe(1);
  });
});

describe('waitlist_entries in the database', () => {
  const asRole = (role: 'front_desk' | 'billing', sql: string, bindings: unknown[]) =>
    asStaff(ts.db.appKnex, { userId: role === 'front_desk' ? w.users.front_desk.userId : w.users.billing.userId, role }, (trx) => trx.raw(sql, bindings as never));
  const insert = 'INSERT INTO waitlist_entries (patient_id, provider_id, specialty, earliest, latest, duration_min) VALUES (?, ?, ?, ?, ?, ?)';

  it('refuses an entry naming both or neither of provider and specialty, a window shorter than the duration, and other roles', async () => {
    expect(await pgError(asRole('front_desk', insert, [w.freePatient, provider, 'Endocrinology', at('08:00'), at('12:00'), 30])))
      .toMatchObject({ code: '23514', constraint: 'waitlist_entries_provider_or_specialty' });
    expect(await pgError(asRole('front_desk', insert, [w.freePatient, null, null, at('08:00'), at('12:00'), 30])))
      .toMatchObject({ code: '23514', constraint: 'waitlist_entries_provider_or_specialty' });
    expect(await pgError(asRole('front_desk', insert, [w.freePatient, provider, null, at('08:00'), at('08:20'), 30])))
      .toMatchObject({ code: '23514', constraint: 'waitlist_entries_window_fits' });
    expect(await pgError(asRole('billing', insert, [w.freePatient, provider, null, at('08:00'), at('12:00'), 30])))
      .toMatchObject({ code: '42501' });
    expect(await pgError(asRole('billing', 'SELECT 1 FROM waitlist_entries', []))).toMatchObject({ code: '42501' });
  });
});
