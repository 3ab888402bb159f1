/**
 * The clinician's patient panel and visit notes. Everything clinical is read through the
 * audited definer functions (patient_visits, patient_prescriptions, read_visit_note), so
 * opening a panel or a note leaves an audit row each time. A patient or visit the clinician
 * may not see answers 404, exactly like one that does not exist.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { notFound } from '../http/errors.js';
import { idParams, instantOut, listOf } from '../http/schemas.js';
import { getPatientAsAudited, patientAppointmentHistory } from '../db/repository/patients.js';
import { patientPrescriptions, patientVisits } from '../db/repository/clinical.js';
import { readVisitNotes } from '../db/repository/visit-notes.js';
import { activeGrants, breakGlass } from '../db/repository/break-glass.js';
import { breakGlassBody, grantSchema, panelSchema } from './schemas.js';

export const clinicalRoutes: AnyRoute[] = [
  route({
    method: 'post',
    path: '/api/patients/:id/break-glass',
    tag: 'Patients',
    summary: 'Break the glass: time-limited access to a patient outside your care',
    description: 'For an emergency: the reason (10-1000 characters) is kept for compliance, the access ends after `minutes` (1-240, default 60), and the act is a high-severity audit entry.',
    roles: ['clinician'],
    params: idParams,
    body: breakGlassBody,
    status: 201,
    response: { description: 'Access granted until expiresAt.', schema: z.object({ patientId: z.number().int(), expiresAt: instantOut }) },
    errors: { 404: 'not_found' },
    handler: async ({ params, body, db }) => ({ patientId: params.id, expiresAt: await db((trx) => breakGlass(trx, params.id, body.reason, body.minutes)) }),
  }),
  route({
    method: 'get',
    path: '/api/break-glass',
    tag: 'Patients',
    summary: 'Your break-the-glass grants still in force',
    description: 'A read that returns grants leaves one audit row naming their patients.',
    roles: ['clinician'],
    response: { description: 'Soonest to end first.', schema: listOf(grantSchema) },
    handler: async ({ db }) => ({ items: await db((trx) => activeGrants(trx), { readOnly: true }) }),
  }),
  route({
    method: 'get',
    path: '/api/patients/:id/panel',
    tag: 'Patients',
    summary: 'A clinician\'s view of one of their patients',
    description:
      'Demographics, the last 50 appointments, every visit with its diagnoses and prescriptions, and the prescriptions in force today. ' +
      'Each open leaves audit rows: one for the patient\'s demographics, and those of the audited functions that read visits and prescriptions. Visit notes are opened one at a time (GET /api/visits/:id/note).',
    roles: ['clinician'],
    params: idParams,
    response: { description: 'The panel.', schema: panelSchema },
    errors: { 404: 'not_found (also when the patient is not in the clinician\'s care)' },
    handler: async ({ params, user, db }) =>
      db(async (trx) => {
        const patient = await getPatientAsAudited(trx, user.role, params.id);
        if (!patient) throw notFound('No such patient.');
        const appointments = await patientAppointmentHistory(trx, params.id, { limit: 50 });
        const visits = await patientVisits(trx, params.id);
        const activePrescriptions = await patientPrescriptions(trx, params.id, true);
        return { patient, appointments, visits, activePrescriptions };
      }),
  }),
  route({
    method: 'get',
    path: '/api/visits/:id/note',
    tag: 'Patients',
    summary: 'Open the note of a visit (decrypted; an audited read)',
    description: 'Each successful open leaves one read audit row. 404 when the visit has no note or the clinician may not see it; 410 once the patient was erased.',
    roles: ['clinician'],
    params: idParams,
    response: { description: 'The note.', schema: z.object({ visitId: z.number().int(), note: z.string() }) },
    errors: { 404: 'not_found', 410: 'patient_erased' },
    handler: async ({ params, db, crypto }) => {
      const note = await db((trx) => readVisitNotes(trx, crypto, params.id));
      if (note === null) throw notFound('No note for this visit.');
      return { visitId: params.id, note };
    },
  }),
];
