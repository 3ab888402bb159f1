import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { migrateLatest, rollbackLast } from '../server/db/migrate.js';
import { renderSchema } from '../server/db/schema-dump.js';
import { migrations } from '../migrations/index.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db.drop());

describe('migrations', () => {
  it('are idempotent: re-running latest applies nothing', async () => {
    expect(await migrateLatest(db.knex)).toEqual([]);
  });

  it('roll back the last batch and re-apply to exactly the same schema', async () => {
    const before = await renderSchema(db.knex);
    const undone = await rollbackLast(db.knex);
    expect(undone.length).toBeGreaterThan(0);
    const none = await db.knex.raw("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'appointments'");
    expect(none.rows[0].n).toBe(0);
    // Every `down` undid its `up`: nothing of the schema is left but the migration history.
    const { rows: left } = await db.knex.raw(`
      SELECT c.relname AS name FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE 'knex\\_migrations%'
      UNION ALL
      SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY 1`);
    expect(left).toEqual([]);
    await migrateLatest(db.knex);
    // Tables, columns, constraints, indexes, functions, triggers, policies, grants and comments.
    expect(await renderSchema(db.knex)).toBe(before);
  });

  it('repair the function comments a database migrated through knex.raw was left with', async () => {
    // As 20261125000010 left them when knex.raw read each `?` as a placeholder.
    await db.knex.raw(`
      SET ROLE clinicpulse_owner;
      COMMENT ON FUNCTION staff_can_access_patient(integer) IS 'May the acting staff member see rows about this patient$2 The single statement';
      COMMENT ON FUNCTION staff_can_access_clinical(integer) IS 'May the acting staff member read this patient''s clinical content$3 A clinician';
      RESET ROLE;
      DELETE FROM knex_migrations WHERE name = '20261206000800_repair_function_comments';`);
    expect(await migrateLatest(db.knex)).toEqual(['20261206000800_repair_function_comments']);
    const { rows } = await db.knex.raw(`
      SELECT obj_description(p.oid, 'pg_proc') AS comment FROM pg_proc p
      WHERE p.proname IN ('staff_can_access_patient', 'staff_can_access_clinical') ORDER BY p.proname`);
    expect(rows.map((r: { comment: string }) => r.comment)).toEqual([
      expect.stringMatching(/^May the acting staff member read this patient's clinical content\? A clinician/),
      expect.stringMatching(/^May the acting staff member see rows about this patient\? The single/),
    ]);
  });

  it('import nothing from one another (each keeps its own copy of a helper), only migrations/support.ts', () => {
    const dir = fileURLToPath(new URL('../migrations/', import.meta.url));
    const crossImports = readdirSync(dir)
      .filter((f) => /^\d{14}_.*\.ts$/.test(f))
      .flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/from '\.\/(\d{14}_[^']+)'/g)].map((m) => `${f} imports ${m[1]}`));
    expect(crossImports).toEqual([]);
  });

  it('send their statements as written (runSql/asOwner, no `?` placeholder rewriting); knex.raw only reads a value', () => {
    const dir = fileURLToPath(new URL('../migrations/', import.meta.url));
    const rewritten = readdirSync(dir)
      .filter((f) => /^\d{14}_.*\.ts$/.test(f))
      .flatMap((f) =>
        readFileSync(path.join(dir, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${f}:${i + 1}` }))
          .filter(({ line }) => /\bknex\.raw\(/.test(line) && !/^\s*const \{ rows \} = await knex\.raw/.test(line) && !/^\s*(\*|\/\/)/.test(line))
          .map(({ at }) => at),
      );
    expect(rewritten).toEqual([]);
  });

  it('have unique timestamp prefixes, but for the four 20261125000004_* already applied (renaming would break their history)', () => {
    const names = Object.keys(migrations);
    const prefixes = names.map((n) => n.slice(0, 14));
    const duplicated = prefixes.filter((p, i) => prefixes.indexOf(p) !== i);
    expect([...new Set(duplicated)]).toEqual(['20261125000004']);
  });

  it('leave every object owned by the NOLOGIN owner role', async () => {
    const { rows } = await db.knex.raw(`
      SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r','v','m','S') AND c.relname NOT LIKE 'knex_%'`);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((r: { owner: string }) => r.owner !== 'clinicpulse_owner')).toEqual([]);
  });
});
