/**
 * Every table, view and column in schema public carries a COMMENT (the data dictionary
 * is generated from them). A migration that adds an object without one fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { DICTIONARY_PATH, renderDataDictionary } from '../server/cli/data-dictionary.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db.drop());

describe('the catalog as data dictionary', () => {
  it('has a comment on every table and view', async () => {
    const { rows } = await db.knex.raw(`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f') AND c.relname NOT LIKE 'knex\\_migrations%'
        AND coalesce(btrim(obj_description(c.oid, 'pg_class')), '') = ''
      ORDER BY 1`);
    expect(rows.map((r: { relname: string }) => r.relname)).toEqual([]);
  });

  it('has a comment on every column of every table and view', async () => {
    const { rows } = await db.knex.raw(`
      SELECT c.relname || '.' || a.attname AS col
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f') AND c.relname NOT LIKE 'knex\\_migrations%'
        AND coalesce(btrim(col_description(c.oid, a.attnum)), '') = ''
      ORDER BY 1`);
    expect(rows.map((r: { col: string }) => r.col)).toEqual([]);
  });

  it('matches docs/data-dictionary.md (regenerate with `npm run docs:dictionary`)', async () => {
    const expected = await renderDataDictionary(db.knex);
    const onDisk = readFileSync(DICTIONARY_PATH, 'utf8');
    expect(onDisk === expected, 'docs/data-dictionary.md is stale: run `npm run docs:dictionary` and commit it').toBe(true);
  });
});
