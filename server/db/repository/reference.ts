/**
 * Reference lists a clinician searches while charting: the ICD-10-CM codes the product
 * offers (table icd10_codes) and the formulary (medications). Neither holds patient data.
 */
import type { Knex } from 'knex';
import type { Transaction } from '../index.js';
import type { Queryable } from './common.js';
import { selected } from './common.js';

export interface Icd10Code {
  code: string;
  description: string;
}

/** LIKE metacharacters in user input match themselves. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Lower-case words of a query, as search_text stores them (letters and digits only). */
export function searchWords(q: string): string[] {
  return q
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '')
    .slice(0, 8);
}

/**
 * The query behind {@link searchIcd10}: codes starting with `q` (dot optional, any case)
 * first, then codes whose description has a word starting with each word of `q`.
 */
export function icd10SearchQuery(db: Queryable, q: string, limit: number): Knex.QueryBuilder {
  const code = likeEscape(q.trim().toUpperCase().replace(/\./g, ''));
  const words = searchWords(q);
  const query = db('icd10_codes')
    .select('code', 'description')
    .select(db.raw(`(replace(code, '.', '') LIKE ?) AS code_match`, [`${code}%`]))
    .where((w) => {
      if (code !== '') w.orWhereRaw(`replace(code, '.', '') LIKE ?`, [`${code}%`]);
      if (words.length > 0) {
        w.orWhere((all) => {
          for (const word of words) all.whereRaw('search_text LIKE ?', [`% ${likeEscape(word)}%`]);
        });
      }
    })
    .orderBy([{ column: 'code_match', order: 'desc' }, { column: 'code' }])
    .limit(limit);
  return query;
}


/** A code of the list with its stored search text (for the in-memory index, server/medications/icd10-index.ts). */
export interface Icd10Entry extends Icd10Code {
  searchText: string;
}

/** The whole code list as the signed-in clinician reads it (RLS: a valid acting identity), in code order. */
export async function icd10CodeList(trx: Transaction): Promise<Icd10Entry[]> {
  const rows: { code: string; description: string; search_text: string }[] = await selected(trx('icd10_codes').select('code', 'description', 'search_text').orderBy('code'));
  return rows.map((r) => ({ code: r.code, description: r.description, searchText: r.search_text }));
}

/**
 * Up to `limit` ICD-10-CM codes matching `q` by code prefix or by the words of the description, in SQL.
 * GET /api/icd10 answers from memory (server/medications/icd10-index.ts); this is the reference
 * its answers are checked against (test/icd10-index.test.ts, bench/sections/72-icd10.ts).
 */
export async function searchIcd10(trx: Transaction, q: string, limit: number): Promise<Icd10Code[]> {
  if (q.trim() === '') return [];
  const rows: { code: string; description: string }[] = await selected(icd10SearchQuery(trx, q, limit));
  return rows.map((r) => ({ code: r.code, description: r.description }));
}

export interface Medication {
  medicationId: number;
  name: string;
  form: string;
  strength: string;
}

/**
 * The formulary by name, form and strength; with `q`, only medications whose name
 * (or form, or strength) has a word starting with each word of `q`.
 */
export async function searchMedications(trx: Transaction, q: string | undefined, limit: number): Promise<Medication[]> {
  const query = trx('medications')
    .select('medication_id', 'name', 'form', 'strength')
    .orderBy([{ column: 'name' }, { column: 'form' }, { column: 'strength' }, { column: 'medication_id' }])
    .limit(limit);
  const hay = `' ' || lower(regexp_replace(name || ' ' || form || ' ' || strength, '[^A-Za-z0-9]+', ' ', 'g'))`;
  for (const word of searchWords(q ?? '')) query.whereRaw(`${hay} LIKE ?`, [`% ${likeEscape(word)}%`]);
  const rows: { medication_id: number; name: string; form: string; strength: string }[] = await selected(query);
  return rows.map((r) => ({ medicationId: r.medication_id, name: r.name, form: r.form, strength: r.strength }));
}
