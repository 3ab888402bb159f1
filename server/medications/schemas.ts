/** Reference-list request and response schemas: the formulary and the ICD-10-CM codes, and their searches. */
import { z } from 'zod';
import { limitParam } from '../../shared/paging.js';

export const medicationSchema = z
  .object({ medicationId: z.number().int(), name: z.string(), form: z.string(), strength: z.string() })
  .meta({ id: 'Medication' });

export const icd10Schema = z.object({ code: z.string(), description: z.string() }).meta({ id: 'Icd10Code' });

const searchText = z.string().trim().max(100, 'must be at most 100 characters');

export const medicationsQuery = z.strictObject({
  q: searchText.optional().meta({ description: 'Words that must each start a word of the name, form or strength (e.g. "metf 500").' }),
  limit: limitParam(1000, 1000).meta({ description: 'At most this many (1-1000, default 1000: the whole formulary).' }),
});

export const icd10Query = z.strictObject({
  q: searchText.min(1, 'type a code or a word').meta({ description: 'A code prefix (E11, e119, E11.9) or words of the description (type 2 diab).' }),
  limit: limitParam(50, 20).meta({ description: 'At most this many (1-50, default 20).' }),
});
