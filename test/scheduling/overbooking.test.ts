/**
 * Audited overbooking: only with a reason, never the patient's time, never beyond the
 * provider's limit of overlapping overbooks, a high-severity audit row, counted per provider
 * and month for managers. Without a reason the provider constraint is as strict as before
 * (the 100-way race in test/api/concurrency.test.ts still yields one booking).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asStaff, type Transaction } from '../../server/db/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildWorld, snapshot, type World } from '../support/api-world.js';
import { createPatient, createProvider, insertAppointment, pgError } from '../support/clinic.js';

let ts: TestServer;
let w: World;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
});
afterAll(async () => ts.close());

const at = (hhmm: string, day = '2031-03-11') => `${day}T${hhmm}:00-04:00`;
const asDesk = <T>(work: (trx: Transaction) => Promise<T>) =>
  asStaff(ts.db.appKnex, { userId: w.users.front_desk.userId, role: 'front_desk' }, work);
const insert = (row: Record<string, unknown>) => asDesk((trx) => trx('appointments').insert({ duration_min: 30, ...row }).returning('appointment_id'));

describe('in the database', () => {
  it('lets an overbook with a reason overlap an ordinary appointment, but not another overbook of its lane, nor beyond the limit', async () => {
    const provider = await createProvider(ts.db.knex);
    await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: provider, scheduledAt: at('09:00') });
    const reason = 'Chest pain, must be seen today';
    expect(await pgError(insert({ patient_id: await createPatient(ts.db.knex), provider_id: provider, scheduled_at: at('09:15') })))
      .toMatchObject({ code: '23P01', constraint: 'appointments_no_provider_overlap' });
    const [ob] = await insert({ patient_id: await createPatient(ts.db.knex), provider_id: provider, scheduled_at: at('09:00'), overbook_reason: reason, overbook_lane: 1 });
    expect(await pgError(insert({ patient_id: await createPatient(ts.db.knex), provider_id: provider, scheduled_at: at('09:15'), overbook_reason: reason, overbook_lane: 1 })))
      .toMatchObject({ code: '23P01', constraint: 'appointments_no_overbook_overlap' });
    expect(await pgError(insert({ patient_id: await createPatient(ts.db.knex), provider_id: provider, scheduled_at: at('09:15'), overbook_reason: reason, overbook_lane: 2 })))
      .toMatchObject({ code: '23514', constraint: 'appointments_overbook_limit' });
    expect(await pgError(insert({ patient_id: await createPatient(ts.db.knex), provider_id: provider, scheduled_at: at('10:00'), overbook_reason: 'urgent', overbook_lane: 1 })))
      .toMatchObject({ code: '23514', constraint: 'appointments_overbook_reason_length' });
    expect(await pgError(insert({ patient_id: await createPatient(ts.db.knex), provider_id: provider, scheduled_at: at('10:00'), overbook_reason: reason })))
      .toMatchObject({ code: '23514', constraint: 'appointments_overbook_consistent' });
    // Never the patient's own time: an overbook is still one place at a time for the patient.
    const busy = await createPatient(ts.db.knex);
    await insertAppointment(ts.db.knex, { patientId: busy, providerId: w.providerB, scheduledAt: at('11:00') });
    await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: provider, scheduledAt: at('11:00') });
    expect(await pgError(insert({ patient_id: busy, provider_id: provider, scheduled_at: at('11:00'), overbook_reason: reason, overbook_lane: 1 })))
      .toMatchObject({ code: '23P01', constraint: 'appointments_no_patient_overlap' });
    // The overbook is audited with high severity, naming the column (never the reason's text).
    const { rows } = await ts.db.knex.raw(
      "SELECT severity, actor_user_id, changed_columns FROM audit_log WHERE table_name = 'appointments' AND row_key = ? AND severity = 'high'",
      [String((ob as { appointment_id: number }).appointment_id)],
    );
    expect(rows).toEqual([{ severity: 'high', actor_user_id: w.users.front_desk.userId, changed_columns: ['overbook_reason'] }]);
    expect(JSON.stringify((await ts.db.knex.raw('SELECT * FROM audit_log')).rows)).not.toContain('Chest pain');
  });
});

describe('through the API', () => {
  it('books an overbook only with a reason, shows it on the schedule, stops at the provider\'s limit, and counts it for managers', async () => {
    const provider = await createProvider(ts.db.knex, { name: 'Dr Overbook' });
    await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: provider, scheduledAt: at('14:00') });
    const body = async () => ({ patientId: await createPatient(ts.db.knex), providerId: provider, scheduledAt: at('14:00'), durationMin: 30 });

    const plain = await w.as.front_desk.post('/api/appointments', await body());
    expect(plain.body.error.code).toBe('double_booking');
    expect(plain.body.error.message).toMatch(/overbook/);
    const shortBody = { ...(await body()), overbook: { reason: 'urgent' } };
    const before = await snapshot(ts.db.knex);
    const short = await w.as.front_desk.post('/api/appointments', shortBody);
    expect(short.status).toBe(400);
    expect(short.body.error.details.issues[0].path).toBe('body.overbook.reason');
    expect(await snapshot(ts.db.knex)).toEqual(before);

    const reason = 'Post-operative wound check, cannot wait';
    const first = await w.as.front_desk.post('/api/appointments', { ...(await body()), overbook: { reason } });
    expect(first.status).toBe(201);
    const full = await w.as.front_desk.post('/api/appointments', { ...(await body()), overbook: { reason } });
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('overbook_full');

    const schedule = await w.as.front_desk.get(`/api/providers/${provider}/schedule?date=2031-03-11`);
    expect(schedule.body.items.map((a: { overbookReason: string | null }) => a.overbookReason)).toEqual([null, reason]);

    // A manager allows two at a time: the next one takes lane 2; a third is full again.
    expect((await w.as.front_desk.put(`/api/providers/${provider}/overbook-limit`, { limit: 2 })).status).toBe(403);
    expect((await w.as.manager.put(`/api/providers/${provider}/overbook-limit`, { limit: 9 })).body.error.details.issues[0].path).toBe('body.limit');
    expect((await w.as.manager.put(`/api/providers/${provider}/overbook-limit`, { limit: 2 })).body).toEqual({ providerId: provider, limit: 2 });
    expect((await w.as.manager.put('/api/providers/2000000000/overbook-limit', { limit: 2 })).status).toBe(404);
    expect((await w.as.front_desk.post('/api/appointments', { ...(await body()), overbook: { reason } })).status).toBe(201);
    expect((await w.as.front_desk.post('/api/appointments', { ...(await body()), overbook: { reason } })).body.error.code).toBe('overbook_full');
    const { rows } = await ts.db.knex.raw('SELECT overbook_lane FROM appointments WHERE provider_id = ? AND overbook_lane IS NOT NULL ORDER BY 1', [provider]);
    expect(rows.map((r: { overbook_lane: number }) => r.overbook_lane)).toEqual([1, 2]);

    await w.as.manager.put(`/api/providers/${provider}/overbook-limit`, { limit: 0 });
    const none = await w.as.front_desk.post('/api/appointments', { ...(await body()), scheduledAt: at('14:00', '2031-03-12'), overbook: { reason } });
    expect(none.body.error.code).toBe('overbook_not_allowed');

    const counts = await w.as.manager.get('/api/analytics/overbooks?from=2031-03-01&to=2031-03-31');
    expect(counts.body.items).toContainEqual({ providerId: provider, providerName: 'Dr Overbook', month: '2031-03', overbooks: 2 });
    for (const role of ['front_desk', 'clinician', 'billing', 'compliance'] as const) {
      expect((await w.as[role].get('/api/analytics/overbooks?from=2031-03-01&to=2031-03-31')).status, role).toBe(403);
    }
  });
});
