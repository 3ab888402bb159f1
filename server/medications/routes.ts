/** The reference lists a clinician searches while charting: the formulary and the ICD-10-CM codes. */
import { listOf } from '../http/schemas.js';
import { route, type AnyRoute } from '../http/route.js';
import { icd10CodeList, searchMedications } from '../db/repository/reference.js';
import { icd10Query, icd10Schema, medicationSchema, medicationsQuery } from './schemas.js';

export const medicationRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/api/medications',
    tag: 'Medications',
    summary: 'The formulary, optionally searched',
    roles: ['clinician'],
    query: medicationsQuery,
    response: { description: 'Medications by name, form and strength.', schema: listOf(medicationSchema) },
    handler: async ({ query, db }) => ({ items: await db((trx) => searchMedications(trx, query.q, query.limit), { readOnly: true }) }),
  }),
  route({
    method: 'get',
    path: '/api/icd10',
    tag: 'Medications',
    summary: 'Search the ICD-10-CM codes offered for diagnoses',
    description:
      'Codes starting with q come first (the dot is optional), then codes whose description has a word starting with every word of q. ' +
      'Answered from the code list held in memory (read with the clinician\'s rights, re-read at most a minute after it was loaded); the session is checked on every call.',
    roles: ['clinician'],
    query: icd10Query,
    response: { description: 'Matching codes.', schema: listOf(icd10Schema) },
    lean: true,
    handler: async ({ query, db, icd10 }) => ({
      items: await icd10.search(query.q, query.limit, () => db((trx) => icd10CodeList(trx), { readOnly: true })),
    }),
  }),
];
