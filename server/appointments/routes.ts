/**
 * Booking, rescheduling, status changes and completing a visit. The database
 * refuses overlaps (exclusion constraints) and illegal transitions (trigger); on a
 * provider overlap the API looks up the appointment in the way, in a fresh
 * transaction as the same user, so the 409 can name its time.
 */
import { z } from 'zod';
import { route, type AnyRoute, type StaffDb } from '../http/route.js';
import { AppError, forbidden, notFound } from '../http/errors.js';
import { idParams, listOf } from '../http/schemas.js';
import { isPgError, SqlState } from '../db/errors.js';
import {
  bookAppointment,
  cancelAppointment,
  checkInAppointment,
  getAppointment,
  markNoShow,
  providerSlotConflict,
  rescheduleAppointment,
  type Appointment,
} from '../db/repository/appointments.js';
import { upcomingAppointments } from '../db/repository/schedule.js';
import { completeVisitWithNote } from '../db/repository/clinical.js';
import type { Transaction, TransactionWork } from '../db/index.js';
import { BOOKING_ROLES } from '../../shared/vocabulary.js';
import { appointmentSchema, bookingBody, completeBody, createdSchema, rescheduleBody, upcomingParams, upcomingSchema } from './schemas.js';

/**
 * Run a booking or a move; turn the provider-overlap refusal into a 409 that names the
 * appointment in the way (looked up afresh: the failed transaction is gone).
 */
async function withDoubleBookingDetails<T>(
  db: StaffDb,
  slot: () => { providerId: number; scheduledAt: string; durationMin: number; appointmentId?: number },
  work: TransactionWork<T>,
): Promise<T> {
  try {
    return await db(work);
  } catch (err) {
    if (!isPgError(err) || err.code !== SqlState.exclusionViolation || err.constraint !== 'appointments_no_provider_overlap') throw err;
    const s = slot();
    const conflict = await db((trx) => providerSlotConflict(trx, s.providerId, s.scheduledAt, s.durationMin, s.appointmentId));
    const message = conflict
      ? `The provider already has an appointment from ${conflict.localStart} to ${conflict.localEnd} (clinic time); choose another time (GET /api/slots), or book it as an overbook with a reason.`
      : 'The provider already has an appointment at that time; choose another time, or book it as an overbook with a reason.';
    throw new AppError(409, 'double_booking', message, {
      constraint: err.constraint,
      conflict: conflict ? { appointmentId: conflict.appointmentId, scheduledAt: conflict.scheduledAt, durationMin: conflict.durationMin } : undefined,
    });
  }
}

const found = (a: Appointment | undefined): Appointment => {
  if (!a) throw notFound('No such appointment.');
  return a;
};

const statusChange = (path: string, summary: string, change: (trx: Transaction, id: number) => Promise<Appointment | undefined>) =>
  route({
    method: 'post',
    path: `/api/appointments/:id/${path}`,
    tag: 'Appointments',
    summary,
    description: 'An illegal transition answers 409 `invalid_transition`.',
    roles: ['front_desk'],
    params: idParams,
    response: { description: 'The appointment after the change.', schema: appointmentSchema },
    errors: { 404: 'not_found', 409: 'invalid_transition' },
    handler: async ({ params, db }) => found(await db((trx) => change(trx, params.id))),
  });

export const appointmentRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/appointments/upcoming',
    tag: 'Appointments',
    summary: 'Scheduled and checked-in appointments from now on, soonest first',
    description: 'One audit row per request names the caller and every patient returned.',
    roles: ['front_desk', 'clinician'],
    query: upcomingParams,
    response: { description: 'Upcoming appointments the caller may see.', schema: listOf(upcomingSchema) },
    handler: async ({ query, user, db }) => {
      // A clinician's view is their own provider's list (the database limits it to their patients anyway).
      const providerId = user.role === 'clinician' ? (user.providerId ?? undefined) : query.providerId;
      if (user.role === 'clinician' && query.providerId !== undefined && query.providerId !== user.providerId) {
        throw forbidden('A clinician may read only their own upcoming appointments.');
      }
      const items = await db((trx) => upcomingAppointments(trx, { providerId, limit: query.limit, audited: true }));
      return { items };
    },
  }),
  route({
    method: 'post',
    path: '/api/appointments',
    tag: 'Appointments',
    summary: 'Book an appointment',
    description: 'An overlap with another appointment of the provider answers 409 `double_booking`, naming its time; of the patient, 409 `patient_double_booking`.',
    roles: [...BOOKING_ROLES],
    body: bookingBody,
    status: 201,
    response: { description: 'Booked.', schema: createdSchema.extend({ appointment: appointmentSchema }) },
    errors: { 409: 'double_booking, patient_double_booking' },
    handler: async ({ body, db }) => {
      const appointment = await withDoubleBookingDetails(db, () => body, (trx) => bookAppointment(trx, body));
      return { id: appointment.appointmentId, appointment };
    },
  }),
  route({
    method: 'patch',
    path: '/api/appointments/:id',
    tag: 'Appointments',
    summary: 'Reschedule: move, change the duration or the provider',
    description: 'Only a scheduled appointment can move (409 `invalid_transition`); an overlap answers 409 `double_booking`.',
    roles: ['front_desk'],
    params: idParams,
    body: rescheduleBody,
    response: { description: 'The appointment after the move.', schema: appointmentSchema },
    errors: { 404: 'not_found', 409: 'double_booking, patient_double_booking, invalid_transition' },
    handler: async ({ params, body, db }) => {
      let target: { providerId: number; scheduledAt: string; durationMin: number; appointmentId: number; outsideHoursReason?: string } = {
        providerId: 0,
        scheduledAt: '',
        durationMin: 0,
        appointmentId: params.id,
      };
      return found(
        await withDoubleBookingDetails(
          db,
          () => target,
          async (trx) => {
            const current = await getAppointment(trx, params.id);
            if (!current) return undefined;
            target = {
              providerId: body.providerId ?? current.providerId,
              scheduledAt: body.scheduledAt ?? current.scheduledAt,
              durationMin: body.durationMin ?? current.durationMin,
              appointmentId: params.id,
              outsideHoursReason: body.outsideHoursReason,
            };
            return rescheduleAppointment(trx, params.id, target);
          },
        ),
      );
    },
  }),
  statusChange('check-in', 'Check in: the patient has arrived', checkInAppointment),
  statusChange('cancel', 'Cancel (frees the slot)', cancelAppointment),
  statusChange('no-show', 'Mark as a no-show', markNoShow),
  route({
    method: 'post',
    path: '/api/appointments/:id/complete',
    tag: 'Appointments',
    summary: 'Complete a checked-in visit with diagnoses and prescriptions (all or nothing)',
    description: 'Only the clinician linked to the appointment\'s provider. Any refusal leaves nothing written.',
    roles: ['clinician'],
    params: idParams,
    body: completeBody,
    status: 201,
    response: {
      description: 'The visit was recorded and the appointment completed.',
      schema: z.object({ visitId: z.number().int(), appointment: appointmentSchema }),
    },
    errors: { 404: 'not_found', 409: 'invalid_transition, duplicate_diagnosis' },
    handler: async ({ params, body, user, db, crypto }) => {
      const done = await db(async (trx) => {
        const appt = found(await getAppointment(trx, params.id));
        if (appt.providerId !== user.providerId) throw forbidden('Only the appointment\'s own clinician may complete it.');
        return completeVisitWithNote(trx, crypto, {
          appointmentId: params.id,
          notes: body.notes,
          diagnoses: body.diagnoses,
          prescriptions: body.prescriptions,
        });
      });
      if (!done) throw notFound('No such appointment.');
      return { visitId: done.visit.visitId, appointment: done.appointment };
    },
  }),
];
