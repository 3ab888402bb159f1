/**
 * The desk rules (migration 20261206000600): each refused by PostgreSQL for a staff write
 * with its SQLSTATE and constraint, each mapped to its 409 by the API with clinic times in
 * the details, and none binding the administrator who records history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asStaff, type Transaction } from '../../server/db/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildWorld, snapshot, type World } from '../support/api-world.js';
import { onClinicMorning, createPatient, createProvider, insertAppointment, pgError } from '../support/clinic.js';

let ts: TestServer;
let w: World;
/** Provider with Monday hours 09:00-12:00 and 13:00-17:00 (a lunch break), nothing else. */
let hoursProvider: number;
// 2030-03-04 is a Monday; New York is on EST (-05:00) then.
const MONDAY = '2030-03-04';
const mon = (hhmm: string) => `${MONDAY}T${hhmm}:00-05:00`;

beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
  hoursProvider = await createProvider(ts.db.knex, { name: 'Dr Hours', specialty: 'Cardiology' });
  await ts.db.knex.raw(
    `INSERT INTO provider_working_hours (provider_id, iso_weekday, starts_at, ends_at) VALUES (?, 1, '09:00', '12:00'), (?, 1, '13:00', '17:00')`,
    [hoursProvider, hoursProvider],
  );
});
afterAll(async () => ts.close());

const asDesk = <T>(work: (trx: Transaction) => Promise<T>) =>
  asStaff(ts.db.appKnex, { userId: w.users.front_desk.userId, role: 'front_desk' }, work);
const deskInsert = (patientId: number, providerId: number, scheduledAt: string, extra: Record<string, unknown> = {}) =>
  asDesk((trx) => trx('appointments').insert({ patient_id: patientId, provider_id: providerId, scheduled_at: scheduledAt, duration_min: 30, ...extra }).returning('appointment_id'));

describe('in the database, for staff writes', () => {
  it('refuses a booking that starts in the past (23514 appointments_not_in_the_past), but not the administrator recording history', async () => {
    const patientId = await createPatient(ts.db.knex);
    const err = await pgError(deskInsert(patientId, w.providerA, new Date(Date.now() - 60_000).toISOString()));
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_not_in_the_past' });
    expect(JSON.parse((err as { detail?: string }).detail!)).toMatchObject({ timeZone: 'America/New_York', start: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/) });
    // The seed, the generator and fixtures write as the administrator: history stays loadable.
    await insertAppointment(ts.db.knex, { patientId, providerId: w.providerA, scheduledAt: '2025-01-06T15:00:00Z' });
  });

  it('refuses moving an appointment to a past start, and allows moving it to another future time', async () => {
    const patientId = await createPatient(ts.db.knex);
    const [row] = await deskInsert(patientId, w.providerA, '2031-01-06T15:00:00Z');
    const id = (row as { appointment_id: number }).appointment_id;
    const err = await pgError(asDesk((trx) => trx('appointments').update({ scheduled_at: '2020-01-06T15:00:00Z' }).where('appointment_id', id)));
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_not_in_the_past' });
    await asDesk((trx) => trx('appointments').update({ scheduled_at: '2031-01-07T15:00:00Z' }).where('appointment_id', id));
  });

  it('refuses a no-show before the start (appointments_no_show_after_start) and a check-in on another day (appointments_check_in_on_the_day)', async () => {
    const patientId = await createPatient(ts.db.knex);
    const future = await insertAppointment(ts.db.knex, { patientId, providerId: w.providerA, scheduledAt: '2031-02-03T15:00:00Z' });
    expect(await pgError(asDesk((trx) => trx('appointments').update({ status: 'no_show' }).where('appointment_id', future))))
      .toMatchObject({ code: '23514', constraint: 'appointments_no_show_after_start' });
    expect(await pgError(asDesk((trx) => trx('appointments').update({ status: 'checked_in' }).where('appointment_id', future))))
      .toMatchObject({ code: '23514', constraint: 'appointments_check_in_on_the_day' });
    const yesterday = await insertAppointment(ts.db.knex, { patientId, providerId: w.providerA, scheduledAt: new Date(Date.now() - 30 * 3_600_000).toISOString() });
    expect(await pgError(asDesk((trx) => trx('appointments').update({ status: 'checked_in' }).where('appointment_id', yesterday))))
      .toMatchObject({ code: '23514', constraint: 'appointments_check_in_on_the_day' });
    // Today's appointment that has started: both are allowed.
    await onClinicMorning(ts.db.knex, async ({ now }) => {
      const started = await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: w.providerB, scheduledAt: now });
      await asDesk((trx) => trx('appointments').update({ status: 'no_show' }).where('appointment_id', started));
      const arriving = await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: w.providerA, scheduledAt: now });
      await asDesk((trx) => trx('appointments').update({ status: 'checked_in' }).where('appointment_id', arriving));
    });
  });

  it('refuses a booking outside working hours or across the lunch break (appointments_within_working_hours) unless a reason is given, which is audited', async () => {
    const patientId = await createPatient(ts.db.knex);
    for (const start of [mon('12:15'), mon('11:45'), mon('08:30'), mon('16:45'), '2030-03-05T10:00:00-05:00']) {
      const err = await pgError(deskInsert(patientId, hoursProvider, start));
      expect(err, start).toMatchObject({ code: '23514', constraint: 'appointments_within_working_hours' });
    }
    await deskInsert(patientId, hoursProvider, mon('09:00'));
    await deskInsert(patientId, hoursProvider, mon('16:30'));
    const [row] = await deskInsert(patientId, hoursProvider, mon('12:15'), { outside_hours_reason: 'Urgent review before surgery' });
    const id = (row as { appointment_id: number }).appointment_id;
    const { rows } = await ts.db.knex.raw(
      "SELECT action, actor_user_id, changed_columns FROM audit_log WHERE table_name = 'appointments' AND row_key = ? AND changed_columns IS NOT NULL",
      [String(id)],
    );
    expect(rows).toEqual([{ action: 'insert', actor_user_id: w.users.front_desk.userId, changed_columns: ['outside_hours_reason'] }]);
    expect(await pgError(deskInsert(await createPatient(ts.db.knex), hoursProvider, mon('14:00'), { outside_hours_reason: ' ' })))
      .toMatchObject({ code: '23514', constraint: 'appointments_outside_hours_reason_length' });
  });

  it('books a provider without working hours at any time, except during their time off', async () => {
    const free = await createProvider(ts.db.knex);
    const patientId = await createPatient(ts.db.knex);
    await deskInsert(patientId, free, '2030-03-03T03:00:00-05:00'); // a Sunday, 03:00
    await ts.db.knex.raw("INSERT INTO provider_time_off (provider_id, period, category) VALUES (?, tstzrange('2030-03-10T00:00:00-05:00', '2030-03-12T00:00:00-04:00'), 'training')", [free]);
    const err = await pgError(deskInsert(patientId, free, '2030-03-11T10:00:00-04:00'));
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_within_working_hours' });
    expect(JSON.parse((err as { detail?: string }).detail!).timeOff).toEqual([
      expect.objectContaining({ category: 'training', start: '2030-03-10 00:00', end: '2030-03-12 00:00' }),
    ]);
  });

  it('refuses time off that overlaps other time off of the provider, or ends before it starts', async () => {
    const p = await createProvider(ts.db.knex);
    await ts.db.knex.raw("INSERT INTO provider_time_off (provider_id, period, category) VALUES (?, tstzrange('2030-04-01T00:00Z', '2030-04-03T00:00Z'), 'leave')", [p]);
    expect(await pgError(ts.db.knex.raw("INSERT INTO provider_time_off (provider_id, period, category) VALUES (?, tstzrange('2030-04-02T00:00Z', '2030-04-04T00:00Z'), 'sick')", [p])))
      .toMatchObject({ code: '23P01', constraint: 'provider_time_off_no_overlap' });
    expect(await pgError(ts.db.knex.raw("INSERT INTO provider_time_off (provider_id, period, category) VALUES (?, tstzrange('2030-05-02T00:00Z', '2030-05-02T00:00Z'), 'sick')", [p])))
      .toMatchObject({ code: '23514', constraint: 'provider_time_off_period_shape' });
    expect(await pgError(ts.db.knex.raw("INSERT INTO provider_time_off (provider_id, period, category) VALUES (?, tstzrange('2030-05-02T00:00Z', '2030-05-03T00:00Z'), 'holiday')", [p])))
      .toMatchObject({ code: '23514', constraint: 'provider_time_off_category_check' });
    expect(await pgError(ts.db.knex.raw("INSERT INTO provider_working_hours (provider_id, iso_weekday, starts_at, ends_at) VALUES (?, 2, '09:00', '12:00'), (?, 2, '11:00', '13:00')", [p, p])))
      .toMatchObject({ code: '23P01', constraint: 'provider_working_hours_no_overlap' });
  });
});

describe('through the API', () => {
  it('answers 409 in_the_past with the clinic times and what to do instead, and writes nothing', async () => {
    const before = await snapshot(ts.db.knex);
    const res = await w.as.front_desk.post('/api/appointments', {
      patientId: w.freePatient, providerId: w.providerA, scheduledAt: new Date(Date.now() - 3_600_000).toISOString(), durationMin: 30,
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'in_the_past', details: { constraint: 'appointments_not_in_the_past', timeZone: 'America/New_York' } });
    expect(res.body.error.message).toMatch(/already passed.*choose a later start/);
    expect(await snapshot(ts.db.knex)).toEqual(before);
  });

  it('answers 409 outside_working_hours with the day\'s hours; outsideHoursReason books it; a short reason is 400 naming the field', async () => {
    const patientId = await createPatient(ts.db.knex);
    const body = { patientId, providerId: hoursProvider, scheduledAt: mon('07:00'), durationMin: 30 };
    const refused = await w.as.front_desk.post('/api/appointments', body);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'outside_working_hours',
      details: { start: `${MONDAY} 07:00`, end: `${MONDAY} 07:30`, workingHours: [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }] },
    });
    expect(refused.body.error.message).toMatch(/outsideHoursReason/);
    const before = await snapshot(ts.db.knex);
    const short = await w.as.front_desk.post('/api/appointments', { ...body, outsideHoursReason: 'no' });
    expect(short.status).toBe(400);
    expect(short.body.error.details.issues[0].path).toBe('body.outsideHoursReason');
    expect(await snapshot(ts.db.knex)).toEqual(before);
    const booked = await w.as.front_desk.post('/api/appointments', { ...body, outsideHoursReason: 'Only slot before the patient flies out' });
    expect(booked.status).toBe(201);
    const { rows } = await ts.db.knex.raw('SELECT outside_hours_reason FROM appointments WHERE appointment_id = ?', [booked.body.id]);
    expect(rows[0].outside_hours_reason).toBe('Only slot before the patient flies out');
    // Moving it without a new reason applies the rule again (and would clear the reason).
    const moved = await w.as.front_desk.patch(`/api/appointments/${booked.body.id}`, { scheduledAt: mon('07:30') });
    expect(moved.body.error.code).toBe('outside_working_hours');
    const inside = await w.as.front_desk.patch(`/api/appointments/${booked.body.id}`, { scheduledAt: mon('14:00') });
    expect(inside.status).toBe(200);
    const { rows: after } = await ts.db.knex.raw('SELECT outside_hours_reason FROM appointments WHERE appointment_id = ?', [booked.body.id]);
    expect(after[0].outside_hours_reason).toBeNull();
  });

  it('answers 409 too_early for a future no-show and 409 not_today for a check-in on another day', async () => {
    const id = await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: w.providerB, scheduledAt: '2031-03-03T15:00:00Z' });
    const early = await w.as.front_desk.post(`/api/appointments/${id}/no-show`);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'too_early', details: { start: '2031-03-03 10:00' } });
    expect(early.body.error.message).toMatch(/cancel/);
    const notToday = await w.as.front_desk.post(`/api/appointments/${id}/check-in`);
    expect(notToday.status).toBe(409);
    expect(notToday.body.error).toMatchObject({ code: 'not_today', details: { appointmentDay: '2031-03-03' } });
    expect(notToday.body.error.message).toMatch(/reschedule/);
    const { rows } = await ts.db.knex.raw('SELECT status FROM appointments WHERE appointment_id = ?', [id]);
    expect(rows[0].status).toBe('scheduled');
  });
});
