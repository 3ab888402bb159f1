/**
 * Every table, view, column and function in schema public carries a COMMENT (the data dictionary
 * is generated from them). A migration that adds an object without one fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { DICTIONARY_PATH, renderDataDictionary } from '../server/cli/data-dictionary.js';

/**
 * Functions whose body legitimately holds `$n` beyond its own arguments: the parameters of
 * the dynamic SQL it runs with EXECUTE ... USING, up to this many. Reviewed by hand.
 */
const DYNAMIC_SQL_PARAMETERS: Record<string, number> = {
  'audit_rows()': 4, // EXECUTE format(...) USING actor, role, txid, ignored columns
  'audit_truncate()': 3, // EXECUTE format(...) USING actor, role, txid
};

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

  it('has a comment on every function', async () => {
    const { rows } = await db.knex.raw(`
      SELECT p.oid::regprocedure::text AS function FROM pg_proc p
      WHERE p.pronamespace = 'public'::regnamespace AND coalesce(btrim(obj_description(p.oid, 'pg_proc')), '') = ''
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY 1`);
    expect(rows.map((r: { function: string }) => r.function)).toEqual([]);
  });

  // knex.raw rewrites every `?` into `$n`, even inside string literals; migration SQL runs on
  // the plain client (migrations/support.ts) so this cannot happen again. A `$n` in a comment,
  // or one past a function's arguments in its body, is such a rewrite.
  it('has no placeholder ($1, $2, ...) left in any comment', async () => {
    const { rows } = await db.knex.raw(`
      SELECT coalesce(c.relname || coalesce('.' || a.attname, ''), p.proname, t.tgname, pol.polname, d.classoid::regclass::text) AS object, d.description
      FROM pg_description d
      LEFT JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
      LEFT JOIN pg_attribute a ON c.oid IS NOT NULL AND a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
      LEFT JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
      LEFT JOIN pg_trigger t ON d.classoid = 'pg_trigger'::regclass AND t.oid = d.objoid
      LEFT JOIN pg_policy pol ON d.classoid = 'pg_policy'::regclass AND pol.oid = d.objoid
      WHERE d.description ~ '[$][0-9]'
      ORDER BY 1`);
    expect(rows).toEqual([]);
  });

  it('has no placeholder past its arguments in any function body', async () => {
    const { rows } = await db.knex.raw(`
      SELECT p.oid::regprocedure::text AS function, max(m[1]::int) AS n
      FROM pg_proc p CROSS JOIN LATERAL regexp_matches(p.prosrc, '[$]([0-9]+)', 'g') AS m
      WHERE p.pronamespace = 'public'::regnamespace AND m[1]::int > p.pronargs
      GROUP BY 1 ORDER BY 1`);
    expect(Object.fromEntries(rows.map((r: { function: string; n: number }) => [r.function, r.n]))).toEqual(DYNAMIC_SQL_PARAMETERS);
  });

  it('matches docs/data-dictionary.md (regenerate with `npm run docs:dictionary`)', async () => {
    const expected = await renderDataDictionary(db.knex);
    const onDisk = readFileSync(DICTIONARY_PATH, 'utf8');
    expect(onDisk === expected, 'docs/data-dictionary.md is stale: run `npm run docs:dictionary` and commit it').toBe(true);
  });
});
