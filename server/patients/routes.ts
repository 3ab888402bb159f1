/**
 * Patients: search, registration, one patient as the caller's role may see them,
 * their appointment history and prescriptions, and erasure. A patient the caller
 * may not see (row-level security) answers 404 exactly like one that does not
 * exist: the API never confirms what the database hides.
 */
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import { notFound } from '../http/errors.js';
import { idParams, listOf } from '../http/schemas.js';
import { getPatientAsAudited, patientAppointmentHistory, patientVisible, registerPatient, searchPatientsAs } from '../db/repository/patients.js';
import { patientPrescriptions } from '../db/repository/clinical.js';
import { recordRead } from '../db/repository/access-log.js';
import { erasePatientIn, LegalHoldError } from '../db/repository/erasure.js';
import { erasureHoldReason } from '../db/repository/compliance.js';
import { appointmentHistorySchema, createdSchema } from '../appointments/schemas.js';
import { eraseBody, historyQuery, patientSchema, prescriptionSchema, prescriptionsQuery, registerBody, searchQuery } from './schemas.js';

export const patientRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/patients',
    tag: 'Patients',
    summary: 'Search patients by name and/or date of birth (paged)',
    description: 'Front desk sees every patient as a summary (birth year, masked contact); a clinician sees their own patients in full. One audit row per request names the caller and every patient returned.',
    roles: ['front_desk', 'clinician'],
    query: searchQuery,
    response: {
      description: 'One page of matches, by name.',
      schema: z.object({ items: z.array(patientSchema), limit: z.number().int(), offset: z.number().int(), nextOffset: z.number().int().nullable() }),
    },
    handler: async ({ query, user, db }) => {
      const rows = await db(async (trx) => {
        // One audit row for the page shown, listing every patient on it, written by the same statement.
        return searchPatientsAs(trx, user.role, query.q, { limit: query.limit + 1, offset: query.offset }, query.dob, { shown: query.limit });
      });
      const more = rows.length > query.limit;
      return { items: rows.slice(0, query.limit), limit: query.limit, offset: query.offset, nextOffset: more ? query.offset + query.limit : null };
    },
  }),
  route({
    method: 'post',
    path: '/api/patients',
    tag: 'Patients',
    summary: 'Register a patient',
    roles: ['front_desk'],
    body: registerBody,
    status: 201,
    response: { description: 'Registered.', schema: createdSchema },
    errors: { 409: 'duplicate_email' },
    handler: async ({ body, db }) => ({ id: await db((trx) => registerPatient(trx, body)) }),
  }),
  route({
    method: 'get',
    path: '/api/patients/:id',
    tag: 'Patients',
    summary: 'One patient, as the caller\'s role may see them',
    description: 'Recorded in the audit log (one read row naming the caller and the patient).',
    roles: ['front_desk', 'clinician', 'billing'],
    params: idParams,
    response: { description: 'The patient.', schema: patientSchema },
    errors: { 404: 'not_found (also when the caller may not see the patient)' },
    handler: async ({ params, user, db }) => {
      const patient = await db(async (trx) => {
        return getPatientAsAudited(trx, user.role, params.id);
      });
      if (!patient) throw notFound('No such patient.');
      return patient;
    },
  }),
  route({
    method: 'get',
    path: '/api/patients/:id/appointments',
    tag: 'Patients',
    summary: 'A patient\'s appointment history, newest first',
    description: 'Recorded in the audit log (one read row naming the caller and the patient).',
    roles: ['front_desk', 'clinician'],
    params: idParams,
    query: historyQuery,
    response: {
      description: 'Appointments, newest first.',
      schema: listOf(appointmentHistorySchema),
    },
    errors: { 404: 'not_found' },
    handler: async ({ params, query, user, db }) => {
      const items = await db(async (trx) => {
        if (!(await patientVisible(trx, user.role, params.id))) throw notFound('No such patient.');
        const history = await patientAppointmentHistory(trx, params.id, { limit: query.limit, before: query.before });
        await recordRead(trx, 'appointments', history.map((a) => a.patientId));
        return history;
      });
      return { items };
    },
  }),
  route({
    method: 'get',
    path: '/api/patients/:id/prescriptions',
    tag: 'Patients',
    summary: 'A patient\'s prescriptions (active ones by default)',
    description: 'Clinicians, for their own patients. Each read is recorded in the audit log.',
    roles: ['clinician'],
    params: idParams,
    query: prescriptionsQuery,
    response: { description: 'Prescriptions in force today.', schema: listOf(prescriptionSchema) },
    errors: { 404: 'not_found' },
    handler: async ({ params, query, user, db }) => {
      const items = await db(async (trx) => {
        if (!(await patientVisible(trx, user.role, params.id))) throw notFound('No such patient.');
        return patientPrescriptions(trx, params.id, query.active);
      });
      return { items };
    },
  }),
  route({
    method: 'post',
    path: '/api/patients/:id/erase',
    tag: 'Compliance',
    summary: 'Erase a patient (right to erasure)',
    description:
      'Pseudonymises the patient, destroys their data key (their encrypted notes become unreadable), keeps appointments and visits so ' +
      'aggregates do not change, and records the act. A patient under legal hold is refused with 409 `legal_hold`; the refusal is recorded. ' +
      'Erasing an erased patient again answers 200 with outcome `already_erased`. Once an erasure has committed, the server vacuums the ' +
      'touched tables (patients, patient_keys) before answering, so the old row versions are removed (docs/security.md, Right to erasure).',
    roles: ['compliance'],
    params: idParams,
    body: eraseBody,
    response: {
      description: 'Erased (or already erased).',
      schema: z.object({ patientId: z.number().int(), outcome: z.enum(['erased', 'already_erased']), erasureId: z.number().int().nullable() }),
    },
    errors: { 404: 'not_found', 409: 'legal_hold' },
    handler: async ({ params, body, db, maintenance, req }) => {
      // The refusal is a committed result (its ledger and audit rows must survive), turned into a 409 afterwards.
      const result = await db((trx) => erasePatientIn(trx, params.id, body.reason));
      if (result.outcome === 'refused_legal_hold') {
        const hold = await db((trx) => erasureHoldReason(trx, result.erasureId!), { readOnly: true });
        throw new LegalHoldError(params.id, result.erasureId!, hold);
      }
      if (result.outcome === 'erased' && maintenance) {
        // Committed: now the old row versions holding the identity and the data key can go.
        const vacuum = await maintenance.vacuumAfterErasure();
        if (vacuum.vacuumed) req.log.info({ patientId: params.id, ms: vacuum.ms }, 'erasure: touched tables vacuumed');
        else req.log.warn({ patientId: params.id, error: vacuum.error }, 'erasure: VACUUM failed; autovacuum will remove the old row versions later');
      }
      return { patientId: params.id, outcome: result.outcome, erasureId: result.erasureId };
    },
  }),
];
