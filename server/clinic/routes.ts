/**
 * The clinic itself: its settings (time zone, "today", the idle sign-out) and one whole
 * clinic-local day for the front desk's grid in a single request. Every screen takes
 * clinic time from here, never from the browser's zone.
 */
import type { Request } from 'express';
import { JsonText, route, type AnyRoute } from '../http/route.js';
import { dayQuery, idParams } from '../http/schemas.js';
import { notFound } from '../http/errors.js';
import { getAppointment } from '../db/repository/appointments.js';
import { STAFF_ROLES } from '../db/index.js';
import { appointmentStatusHistory, clinicDayAuditedJson, clinicSettings } from '../db/repository/clinic-day.js';
import { clinicDaySchema, clinicSchema, SLOT_MINUTES, statusHistorySchema } from '../../shared/clinic.js';

/** The session's idle timeout, as the app was configured with it (server/app.ts sets app.locals.sessionIdleMs). */
const idleSeconds = (req: Request) => Math.round(((req.app.locals as { sessionIdleMs?: number }).sessionIdleMs ?? 15 * 60_000) / 1000);

export const clinicRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/clinic',
    tag: 'Clinic',
    summary: "The clinic's name, time zone, today's clinic-local date and the idle sign-out",
    roles: STAFF_ROLES,
    response: { description: 'The clinic.', schema: clinicSchema },
    handler: async ({ req, db }) => {
      const s = await db((trx) => clinicSettings(trx), { readOnly: true });
      return {
        name: process.env.CLINIC_NAME ?? 'ClinicPulse',
        timeZone: s.timeZone,
        today: s.today,
        now: new Date().toISOString(),
        slotMinutes: SLOT_MINUTES,
        idleSignOutSeconds: idleSeconds(req),
      };
    },
  }),
  route({
    method: 'get',
    path: '/api/clinic/day',
    tag: 'Clinic',
    summary: 'A whole clinic-local day: every provider with their working hours, and every appointment starting that day',
    description:
      'For the front desk\'s day grid, in one request. Cancelled appointments are included (the grid shows them behind a toggle). ' +
      "Each appointment carries the patient's name and date of birth, to tell two patients of the same name apart.",
    roles: ['front_desk'],
    query: dayQuery,
    response: { description: 'The day.', schema: clinicDaySchema },
    // One statement: the day, its audit row (one, naming every patient shown) and the JSON body.
    handler: async ({ query, db }) => new JsonText(await db((trx) => clinicDayAuditedJson(trx, query.date), { readOnly: true })),
  }),
  route({
    method: 'get',
    path: '/api/appointments/:id/history',
    tag: 'Appointments',
    summary: "An appointment's status history: what changed, when, and by whom",
    description: 'From the outbox, the archive of what its pruning removed (appointment_history) and the audit log: complete for changes made since the archive was introduced.',
    roles: ['front_desk'],
    params: idParams,
    response: { description: 'Changes, oldest first.', schema: statusHistorySchema },
    errors: { 404: 'not_found' },
    handler: async ({ params, db }) =>
      db(
        async (trx) => {
          if (!(await getAppointment(trx, params.id))) throw notFound('No such appointment.');
          return { items: await appointmentStatusHistory(trx, params.id) };
        },
        { readOnly: true },
      ),
  }),
];
