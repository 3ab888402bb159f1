import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { onClinicMorning, createMedication, createPatient, createProvider, insertAppointment, pgError } from './support/clinic.js';
import { asStaff, type Transaction } from '../server/db/index.js';
import { knownError } from '../server/http/errors.js';
import { createStaff } from './support/staff.js';
import { patientPrescriptions } from '../server/db/repository/clinical.js';
import {
  bookAppointment,
  cancelAppointment,
  checkInAppointment,
  completeVisit,
  getAppointment,
  markNoShow,
  patientAppointmentHistory,
  providerDaySchedule,
  providerMonthlyVolume,
  providerNoShowRates,
  rescheduleAppointment,
  upcomingAppointments,
} from '../server/db/repository/index.js';

let db: TestDatabase;
const tx = <T>(fn: (trx: Transaction) => Promise<T>) => db.knex.transaction(fn);

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db.drop());

describe('booking and status changes', () => {
  it('books an appointment and returns it camelCased with ISO instants and its clinic-local day', async () => {
    const [providerId, patientId] = [await createProvider(db.knex), await createPatient(db.knex)];
    const a = await tx((t) => bookAppointment(t, { patientId, providerId, scheduledAt: '2030-01-15T03:30:00Z', durationMin: 20 }));
    expect(a).toMatchObject({
      patientId,
      providerId,
      scheduledAt: '2030-01-15T03:30:00.000Z',
      durationMin: 20,
      status: 'scheduled',
      // 03:30Z is 22:30 the previous evening in New York.
      clinicDate: '2030-01-14',
    });
    expect(a.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    expect(await tx((t) => getAppointment(t, a.appointmentId))).toEqual(a);
  });

  it('refuses an instant without an offset before it reaches the database', async () => {
    const [providerId, patientId] = [await createProvider(db.knex), await createPatient(db.knex)];
    const err = await pgError(tx((t) => bookAppointment(t, { patientId, providerId, scheduledAt: '2030-01-15 09:00', durationMin: 20 })));
    // A domain error in the repository; the API answers it with a 400.
    expect(err).toMatchObject({ kind: 'invalid', code: 'invalid_request' });
    expect(knownError(err)).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('walks scheduled → checked_in and cancels, marks no-show, and answers undefined for a missing appointment', async () => {
    const [providerId, patientId] = [await createProvider(db.knex), await createPatient(db.knex)];
    const a = await tx((t) => bookAppointment(t, { patientId, providerId, scheduledAt: '2030-02-01T14:00:00Z', durationMin: 30 }));
    expect((await tx((t) => checkInAppointment(t, a.appointmentId)))?.status).toBe('checked_in');
    expect((await tx((t) => cancelAppointment(t, a.appointmentId)))?.status).toBe('cancelled');
    const b = await tx((t) => bookAppointment(t, { patientId, providerId, scheduledAt: '2030-02-02T14:00:00Z', durationMin: 30 }));
    expect((await tx((t) => markNoShow(t, b.appointmentId)))?.status).toBe('no_show');
    expect(await tx((t) => checkInAppointment(t, 999_999))).toBeUndefined();
    expect(await tx((t) => getAppointment(t, 999_999))).toBeUndefined();
  });

  it('reschedules a scheduled appointment and refuses to move a checked-in one', async () => {
    const [providerId, patientId] = [await createProvider(db.knex), await createPatient(db.knex)];
    const other = await createProvider(db.knex);
    const a = await tx((t) => bookAppointment(t, { patientId, providerId, scheduledAt: '2030-03-01T14:00:00Z', durationMin: 30 }));
    const moved = await tx((t) =>
      rescheduleAppointment(t, a.appointmentId, { scheduledAt: '2030-03-02T15:00:00+00:00', durationMin: 45, providerId: other }),
    );
    expect(moved).toMatchObject({ scheduledAt: '2030-03-02T15:00:00.000Z', durationMin: 45, providerId: other, status: 'scheduled' });
    await tx((t) => checkInAppointment(t, a.appointmentId));
    const err = await pgError(tx((t) => rescheduleAppointment(t, a.appointmentId, { scheduledAt: '2030-03-03T15:00:00Z' })));
    expect(err).toMatchObject({ code: '23514', constraint: 'appointments_reschedule_only_scheduled' });
  });
});

describe('reads', () => {
  it("returns a patient's history newest first with provider names, and pages with `before`", async () => {
    const providerId = await createProvider(db.knex, { name: 'Dr History', specialty: 'Cardiology' });
    const patientId = await createPatient(db.knex);
    const noise = await createPatient(db.knex);
    for (const d of ['2026-01-05', '2026-03-05', '2026-02-05']) {
      await insertAppointment(db.knex, { patientId, providerId, scheduledAt: `${d}T15:00:00Z`, status: 'completed' });
    }
    await insertAppointment(db.knex, { patientId: noise, providerId, scheduledAt: '2026-02-06T15:00:00Z' });
    const all = await tx((t) => patientAppointmentHistory(t, patientId));
    expect(all.map((h) => h.clinicDate)).toEqual(['2026-03-05', '2026-02-05', '2026-01-05']);
    expect(all[0]).toMatchObject({ providerName: 'Dr History', providerSpecialty: 'Cardiology', patientId });
    const page = await tx((t) => patientAppointmentHistory(t, patientId, { before: all[0]!.scheduledAt, limit: 1 }));
    expect(page.map((h) => h.clinicDate)).toEqual(['2026-02-05']);
  });

  it("lists a provider's clinic-local day in time order, without cancelled ones unless asked", async () => {
    const providerId = await createProvider(db.knex);
    const p = await createPatient(db.knex);
    // 2026-06-10 in New York (EDT, UTC-4) runs from 04:00Z to the next day's 04:00Z.
    await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2026-06-10T03:55:00Z', durationMin: 5 }); // 23:55 on 9 June
    const late = await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2026-06-11T03:30:00Z' }); // 23:30 local
    const early = await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2026-06-10T04:00:00Z' }); // 00:00 local
    const gone = await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2026-06-10T15:00:00Z', status: 'cancelled' });
    await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2026-06-11T04:00:00Z' }); // 11 June
    const day = await tx((t) => providerDaySchedule(t, providerId, '2026-06-10'));
    expect(day.map((a) => a.appointmentId)).toEqual([early, late]);
    expect(day[0]!.patientName).toMatch(/^Patient /);
    const withCancelled = await tx((t) => providerDaySchedule(t, providerId, '2026-06-10', { includeCancelled: true }));
    expect(withCancelled.map((a) => a.appointmentId)).toEqual([early, gone, late]);
  });

  it('refuses a malformed day', async () => {
    expect(knownError(await pgError(tx((t) => providerDaySchedule(t, 1, '10/06/2026'))))).toMatchObject({ status: 400 });
  });

  it('lists upcoming scheduled and checked-in appointments soonest first', async () => {
    const providerId = await createProvider(db.knex);
    const p = await createPatient(db.knex);
    const later = await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2031-05-02T15:00:00Z' });
    const sooner = await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2031-05-01T15:00:00Z' });
    await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2031-05-03T15:00:00Z', status: 'cancelled' });
    await insertAppointment(db.knex, { patientId: p, providerId, scheduledAt: '2020-05-03T15:00:00Z' });
    const up = await tx((t) => upcomingAppointments(t, { providerId }));
    expect(up.map((u) => u.appointmentId)).toEqual([sooner, later]);
    expect(up[0]).toMatchObject({ status: 'scheduled', clinicDate: '2031-05-01', patientId: p, providerId });
    expect(await tx((t) => upcomingAppointments(t, { providerId, limit: 1 }))).toHaveLength(1);
  });

  it('reports no-show rate over completed + no-show and volume without cancelled, by clinic month, filtered', async () => {
    const providerId = await createProvider(db.knex, { name: 'Dr Stats' });
    const statuses = ['completed', 'completed', 'completed', 'no_show', 'cancelled', 'scheduled'];
    for (const [i, status] of statuses.entries()) {
      const patientId = await createPatient(db.knex);
      await insertAppointment(db.knex, { patientId, providerId, scheduledAt: `2026-04-1${i}T15:00:00Z`, status });
    }
    // 2026-05-01T02:00Z is still 30 April in New York.
    await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId, scheduledAt: '2026-05-01T02:00:00Z', status: 'no_show' });
    await insertAppointment(db.knex, { patientId: await createPatient(db.knex), providerId, scheduledAt: '2026-06-01T15:00:00Z', status: 'completed' });
    const rates = await tx((t) => providerNoShowRates(t, { providerId, from: '2026-04', to: '2026-05' }));
    expect(rates).toEqual([{ providerId, providerName: 'Dr Stats', month: '2026-04', completed: 3, noShows: 2, rate: 0.4 }]);
    const volume = await tx((t) => providerMonthlyVolume(t, { providerId }));
    expect(volume).toEqual([
      { providerId, providerName: 'Dr Stats', month: '2026-04', appointments: 6 },
      { providerId, providerName: 'Dr Stats', month: '2026-06', appointments: 1 },
    ]);
    expect(knownError(await pgError(tx((t) => providerMonthlyVolume(t, { from: '2026-4' }))))).toMatchObject({ status: 400 });
  });

  it('lists the prescriptions in force today for one patient only, to the clinician treating them', async () => {
    const providerId = await createProvider(db.knex);
    const doctor = await createStaff(db.knex, 'clinician', { providerId });
    const asDoctor = <T>(fn: (t: Transaction) => Promise<T>) => asStaff(db.appKnex, { userId: doctor.userId, role: doctor.role }, fn);
    const patientId = await createPatient(db.knex);
    const med = await createMedication(db.knex, { name: 'Metformin', strength: '500 mg' });
    const appointmentId = await insertAppointment(db.knex, { patientId, providerId, scheduledAt: '2026-01-10T15:00:00Z', status: 'scheduled' });
    await tx((t) => checkInAppointment(t, appointmentId));
    // "Today" must not change between writing the prescriptions and reading those in force.
    await onClinicMorning(db.knex, async () => {
      const { rows } = await db.knex.raw(
        `SELECT clinic_day(now()) AS today, clinic_day(now()) - 1 AS yesterday, clinic_day(now()) + 1 AS tomorrow`,
      );
      const { today, yesterday, tomorrow } = rows[0];
      await tx((t) =>
        completeVisit(t, {
          appointmentId,
          prescriptions: [
            { medicationId: med, dosage: 'open-ended', startDate: '2026-01-10' },
            { medicationId: med, dosage: 'ends today', startDate: '2026-01-10', endDate: today },
            { medicationId: med, dosage: 'ended yesterday', startDate: '2026-01-10', endDate: yesterday },
            { medicationId: med, dosage: 'starts tomorrow', startDate: tomorrow },
          ],
        }),
      );
      const active = await asDoctor((t) => patientPrescriptions(t, patientId, true));
      expect(active.map((a) => a.dosage).sort()).toEqual(['ends today', 'open-ended']);
      expect(active[0]).toMatchObject({ medicationName: 'Metformin', strength: '500 mg' });
      expect((await asDoctor((t) => patientPrescriptions(t, patientId, false))).length).toBe(4);
      // Another patient of the same doctor, with a prescription in force: listed for them, never for the first.
      const other = await createPatient(db.knex);
      const otherVisit = await insertAppointment(db.knex, { patientId: other, providerId, scheduledAt: '2026-01-11T15:00:00Z', status: 'scheduled' });
      await tx((t) => checkInAppointment(t, otherVisit));
      await tx((t) => completeVisit(t, { appointmentId: otherVisit, prescriptions: [{ medicationId: med, dosage: 'the other patient', startDate: '2026-01-11' }] }));
      expect((await asDoctor((t) => patientPrescriptions(t, other, true))).map((a) => a.dosage)).toEqual(['the other patient']);
      expect((await asDoctor((t) => patientPrescriptions(t, patientId, true))).map((a) => a.dosage).sort()).toEqual(['ends today', 'open-ended']);
      // A patient the doctor does not treat: nothing, not even an error that says the patient exists.
      const stranger = await createPatient(db.knex);
      expect(await asDoctor((t) => patientPrescriptions(t, stranger, true))).toEqual([]);
    });
  });
});

describe('through asStaff, as the roles that use it', () => {
  it('front desk books, checks in and lists; the clinician completes the visit; the manager reads the analytics', async () => {
    const providerId = await createProvider(db.knex, { name: 'Dr Roles' });
    const patientId = await createPatient(db.knex);
    const medicationId = await createMedication(db.knex);
    const desk = await createStaff(db.knex, 'front_desk');
    const doctor = await createStaff(db.knex, 'clinician', { providerId });
    const manager = await createStaff(db.knex, 'manager');
    const as = <T>(who: { userId: number; role: typeof desk.role }, fn: (t: Transaction) => Promise<T>) =>
      asStaff(db.appKnex, { userId: who.userId, role: who.role }, fn);

    // Today, a few minutes ahead: staff book only in the future, and check in only on the day.
    await onClinicMorning(db.knex, async ({ today, soon }) => {
      const later = new Date(Date.parse(soon) + 60_000).toISOString();
      const booked = await as(desk, (t) => bookAppointment(t, { patientId, providerId, scheduledAt: soon, durationMin: 30 }));
      await as(desk, (t) => rescheduleAppointment(t, booked.appointmentId, { scheduledAt: later }));
      const day = await as(desk, (t) => providerDaySchedule(t, providerId, today));
      expect(day.map((a) => a.appointmentId)).toEqual([booked.appointmentId]);
      expect((await as(desk, (t) => checkInAppointment(t, booked.appointmentId)))?.status).toBe('checked_in');

      const done = await as(doctor, (t) =>
        completeVisit(t, {
          appointmentId: booked.appointmentId,
          diagnoses: [{ code: 'I10', description: 'Essential (primary) hypertension' }],
          prescriptions: [{ medicationId, dosage: '1 tablet daily', startDate: today }],
        }),
      );
      expect(done?.appointment.status).toBe('completed');
      expect(done?.diagnoses[0]).toMatchObject({ code: 'I10' });
      expect(done?.prescriptions[0]).toMatchObject({ medicationId, endDate: null });

      const volume = await as(manager, (t) => providerMonthlyVolume(t, { providerId }));
      expect(volume).toEqual([{ providerId, providerName: 'Dr Roles', month: today.slice(0, 7), appointments: 1 }]);
      const rates = await as(manager, (t) => providerNoShowRates(t, { providerId }));
      expect(rates).toEqual([{ providerId, providerName: 'Dr Roles', month: today.slice(0, 7), completed: 1, noShows: 0, rate: 0 }]);
    });
  });
});

describe('the objection models of provider availability', () => {
  it('run only inside a given transaction: with none, the query fails instead of reaching the database', async () => {
    const { ProviderModel } = await import('../server/db/repository/models.js');
    await expect(ProviderModel.query().select('provider_id')).rejects.toThrow(/knex/i);
  });

  it('map a database refusal raised through objection to the same API error as through knex', async () => {
    const { replaceWorkingHours } = await import('../server/db/repository/availability.js');
    const providerId = await createProvider(db.knex);
    const overlap = [
      { isoWeekday: 2, start: '08:00', end: '12:00' },
      { isoWeekday: 2, start: '11:00', end: '15:00' },
    ];
    const err = await tx((t) => replaceWorkingHours(t, providerId, overlap)).catch((e: unknown) => e);
    expect(knownError(err)).toMatchObject({ status: 400, code: 'invalid_request', details: { constraint: 'provider_working_hours_no_overlap' } });
  });
});
