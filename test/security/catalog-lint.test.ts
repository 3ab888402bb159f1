/**
 * Catalog lint: structural rules that must hold for every object, present and future.
 * Each rule reads pg_catalog, so a new table, view or function that breaks one fails
 * here without anyone having to remember to write a test for it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { PATIENT_DATA_TABLES } from '../../migrations/20261125000010_access_control.js';
import { DEFINER_SEARCH_PATH } from '../../migrations/20261206000200_pin_search_path.js';

/**
 * Views that run with their owner's rights (no security_invoker), each reviewed: what it
 * reads, why it cannot be security_invoker, and why that leaks nothing.
 */
const OWNER_RIGHTS_VIEWS: Record<string, string> = {
  // None today: every view, the analytics ones included, runs with the reader's rights.
  // An entry here needs a reason a reviewer signed off, e.g.
  // some_view: 'Reads X which role Y may not; outputs only per-provider aggregates, no patient id.',
};

/** Tables that hold patient data without a patient_id column (found through a visit). */
const PATIENT_DATA_WITHOUT_PATIENT_ID = ['diagnoses', 'prescriptions'];

const STAFF_ROLES = ['front_desk', 'clinician', 'billing', 'manager', 'compliance'];
const SERVICE_ROLES = ['clinicpulse_auth', 'clinicpulse_realtime'];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

const rows = async <T>(sql: string, bindings: unknown[] = []): Promise<T[]> =>
  (await db.knex.raw(sql, bindings as never)).rows as T[];

describe('row-level security', () => {
  it('is enabled and forced on every table holding patient data', async () => {
    const tables = await rows<{ relname: string; enabled: boolean; forced: boolean; has_patient_id: boolean }>(`
      SELECT c.relname, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
             EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'patient_id' AND NOT a.attisdropped) AS has_patient_id
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r','p')`);
    const declared = new Set<string>([...PATIENT_DATA_TABLES, ...PATIENT_DATA_WITHOUT_PATIENT_ID]);
    const patientData = tables.filter((t) => t.has_patient_id || declared.has(t.relname));
    // Guard against a vacuous pass: the clinic's own tables are all found.
    expect(patientData.map((t) => t.relname)).toEqual(expect.arrayContaining([...declared]));
    expect(patientData.filter((t) => !t.enabled || !t.forced).map((t) => t.relname)).toEqual([]);
  });

  it('gives every RLS table an owner policy, so security-definer functions keep working', async () => {
    const missing = await rows<{ relname: string }>(`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity
        AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                        AND 'clinicpulse_owner'::regrole = ANY (p.polroles))`);
    expect(missing).toEqual([]);
  });

  it('is bypassed by no role except superusers and the backup role', async () => {
    const bypass = await rows<{ rolname: string }>(
      "SELECT rolname FROM pg_roles WHERE (rolbypassrls OR rolsuper) AND rolname <> 'clinicpulse_backup' AND NOT rolsuper",
    );
    expect(bypass).toEqual([]);
    const backup = await rows<{ rolbypassrls: boolean; rolsuper: boolean }>(
      "SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = 'clinicpulse_backup'",
    );
    expect(backup).toEqual([{ rolbypassrls: true, rolsuper: false }]);
  });
});

describe('policies keep the indexes usable', () => {
  // Beneath RLS, PostgreSQL uses a query's condition as an index condition only if its
  // operators are leakproof. The schedule query's (= and range on timestamptz) are; this
  // shows the policy does not push the clinician's schedule onto a scan of every appointment.
  it("the clinician's provider-schedule query still uses appointments_provider_id_scheduled_at_idx", async () => {
    const { rows: p } = await db.knex.raw("INSERT INTO providers (name, specialty) VALUES ('Dr Plan', 'Family') RETURNING provider_id");
    const { rows: u } = await db.knex.raw(
      "INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES ('plan-clinician', 'clinician', ?, 'scrypt$x') RETURNING user_id",
      [p[0].provider_id],
    );
    const plan = await db.knex.transaction(async (trx) => {
      await trx.raw('SET LOCAL enable_seqscan = off');
      await trx.raw('SET LOCAL enable_bitmapscan = off');
      await trx.raw('SET LOCAL ROLE clinician');
      await trx.raw("SELECT set_config('app.user_id', ?, true)", [String(u[0].user_id)]);
      const { rows } = await trx.raw(
        `EXPLAIN (FORMAT JSON) SELECT appointment_id, patient_id, scheduled_at, duration_min, status FROM appointments
         WHERE provider_id = ? AND scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at`,
        [p[0].provider_id, '2026-03-02T05:00:00Z', '2026-03-03T05:00:00Z'],
      );
      return JSON.stringify(rows[0]['QUERY PLAN']);
    });
    expect(plan).toContain('"Index Name":"appointments_provider_id_scheduled_at_idx"');
    expect(plan).toMatch(/"Index Cond":"\(\(provider_id = \d+\) AND \(scheduled_at >= /);
  });
});

describe('views', () => {
  it('run with the reader\'s rights (security_invoker) unless reviewed on the allow-list', async () => {
    const views = await rows<{ relname: string; invoker: boolean }>(`
      SELECT c.relname, coalesce(c.reloptions::text[] && ARRAY['security_invoker=true','security_invoker=on'], false) AS invoker
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('v','m')`);
    expect(views.map((v) => v.relname)).toEqual(expect.arrayContaining(['patient_summary', 'upcoming_appointments', 'provider_utilisation']));
    const ownerRights = views.filter((v) => !v.invoker).map((v) => v.relname).sort();
    expect(ownerRights).toEqual(Object.keys(OWNER_RIGHTS_VIEWS).sort());
  });

  it('on the allow-list expose no patient or appointment id, and are security barriers', async () => {
    const cols = await rows<{ relname: string; attname: string }>(
      `SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
       WHERE c.relname = ANY (?) AND a.attname IN ('patient_id','appointment_id','visit_id','name','dob','email','phone')`,
      [Object.keys(OWNER_RIGHTS_VIEWS)],
    );
    expect(cols).toEqual([]);
    const barriers = await rows<{ relname: string }>(
      `SELECT relname FROM pg_class WHERE relname = ANY (?) AND NOT coalesce(reloptions::text[] && ARRAY['security_barrier=true','security_barrier=on'], false)`,
      [Object.keys(OWNER_RIGHTS_VIEWS)],
    );
    expect(barriers).toEqual([]);
  });
});

describe('functions', () => {
  // Extension functions (pgcrypto, btree_gist) are the extension's, not ours.
  const ours = `
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`;

  // pg_temp not named is searched FIRST for tables: a temporary staff_users would shadow the
  // real one inside the owner's code (issue 9, item 7; test/security/search-path.test.ts).
  it(`security definer ones set exactly search_path = ${DEFINER_SEARCH_PATH} (pg_temp last)`, async () => {
    const bad = await rows<{ proname: string; config: string[] | null }>(`
      SELECT p.oid::regprocedure::text AS proname, p.proconfig AS config ${ours} AND p.prosecdef
        AND NOT coalesce(p.proconfig @> ARRAY['search_path=${DEFINER_SEARCH_PATH}'], false)
      ORDER BY 1`);
    expect(bad).toEqual([]);
    const definers = await rows<{ n: number }>(`SELECT count(*)::int AS n ${ours} AND p.prosecdef`);
    expect(definers[0]!.n).toBeGreaterThan(10);
  });

  it('every other function that sets a search_path names pg_catalog first and pg_temp last', async () => {
    const bad = await rows<{ proname: string; config: string }>(`
      SELECT f.oid::regprocedure::text AS proname, c AS config
      FROM (SELECT p.oid, p.prosecdef, p.proconfig ${ours}) f, unnest(f.proconfig) c
      WHERE NOT f.prosecdef AND c LIKE 'search_path=%'
        AND c NOT IN ('search_path=pg_catalog, public, pg_temp', 'search_path=pg_catalog, pg_temp')
      ORDER BY 1`);
    expect(bad).toEqual([]);
  });

  it('none of ours is executable by PUBLIC', async () => {
    const open = await rows<{ proname: string }>(`SELECT p.proname ${ours} AND has_function_privilege('public', p.oid, 'EXECUTE')`);
    expect(open).toEqual([]);
  });

  it('security definer ones are executable only by the roles granted them, never the service login itself', async () => {
    const app = await rows<{ proname: string }>(
      `SELECT p.proname ${ours} AND p.prosecdef AND has_function_privilege('clinicpulse_app', p.oid, 'EXECUTE')`,
    );
    expect(app).toEqual([]);
  });

  // Checked on the database the migrations ran on: CREATE DATABASE … TEMPLATE (how each test
  // file gets its clone) does not copy database-level grants.
  it('no role the service can become may create temporary tables (they would shadow tables inside definer functions)', async () => {
    const temp = await rows<{ role: string }>(
      `SELECT r AS role FROM unnest(?::text[]) r WHERE has_database_privilege(r, ?, 'TEMP')`,
      [[...STAFF_ROLES, ...SERVICE_ROLES, 'clinicpulse_app', 'clinicpulse_audit_writer'], inject('templateDb')],
    );
    expect(temp).toEqual([]);
    const connect = await rows<{ role: string }>(
      `SELECT r AS role FROM unnest(?::text[]) r WHERE has_database_privilege(r, ?, 'CONNECT') ORDER BY 1`,
      [[...STAFF_ROLES, ...SERVICE_ROLES, 'clinicpulse_app', 'clinicpulse_audit_writer', 'clinicpulse_backup'], inject('templateDb')],
    );
    expect(connect.map((r) => r.role)).toEqual(['clinicpulse_app', 'clinicpulse_audit_writer', 'clinicpulse_backup']);
  });
});

describe('roles and ownership', () => {
  it('the service login owns nothing, holds nothing itself, does not inherit and is no superuser', async () => {
    const [app] = await rows<{ rolinherit: boolean; rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; rolbypassrls: boolean; rolcanlogin: boolean }>(
      "SELECT rolinherit, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'clinicpulse_app'",
    );
    expect(app).toEqual({ rolinherit: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, rolcanlogin: true });
    const owned = await rows<{ what: string }>(`
      SELECT 'class ' || relname AS what FROM pg_class WHERE relowner = 'clinicpulse_app'::regrole
      UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE proowner = 'clinicpulse_app'::regrole
      UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typowner = 'clinicpulse_app'::regrole
      UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = 'clinicpulse_app'::regrole`);
    expect(owned).toEqual([]);
    const held = await rows<{ relname: string }>(`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','S','f')
        AND (has_table_privilege('clinicpulse_app', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
             OR has_any_column_privilege('clinicpulse_app', c.oid, 'SELECT,INSERT,UPDATE,REFERENCES'))`);
    expect(held).toEqual([]);
    const schema = await rows<{ usage: boolean; create: boolean }>(
      "SELECT has_schema_privilege('clinicpulse_app', 'public', 'USAGE') AS usage, has_schema_privilege('clinicpulse_app', 'public', 'CREATE') AS create",
    );
    expect(schema).toEqual([{ usage: false, create: false }]);
  });

  it('the autonomous audit writer owns nothing, holds no table, and may execute exactly one function', async () => {
    const [w] = await rows<{ rolinherit: boolean; rolsuper: boolean; rolbypassrls: boolean; member_of: number; members: number }>(
      `SELECT rolinherit, rolsuper, rolbypassrls,
              (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS member_of,
              (SELECT count(*)::int FROM pg_auth_members m WHERE m.roleid = r.oid) AS members
       FROM pg_roles r WHERE rolname = 'clinicpulse_audit_writer'`,
    );
    expect(w).toEqual({ rolinherit: false, rolsuper: false, rolbypassrls: false, member_of: 0, members: 0 });
    const held = await rows<{ relname: string }>(`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('public', 'clinicpulse_link') AND c.relkind IN ('r','p','v','m','S','f')
        AND (has_table_privilege('clinicpulse_audit_writer', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
             OR has_any_column_privilege('clinicpulse_audit_writer', c.oid, 'SELECT,INSERT,UPDATE,REFERENCES'))`);
    expect(held).toEqual([]);
    const callable = await rows<{ proname: string }>(`
      SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname IN ('public', 'clinicpulse_link') AND has_function_privilege('clinicpulse_audit_writer', p.oid, 'EXECUTE')
        AND has_schema_privilege('clinicpulse_audit_writer', n.oid, 'USAGE')
        -- pgcrypto's and btree_gist's functions are everyone's; they read no table.
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`);
    expect(callable.map((r) => r.proname)).toEqual(['audit_append_autonomous']);
    // dblink is reachable by the owner's functions only.
    const link = await rows<{ role: string }>(
      `SELECT r AS role FROM unnest(?::text[]) r WHERE has_schema_privilege(r, 'clinicpulse_link', 'USAGE') ORDER BY 1`,
      [[...STAFF_ROLES, ...SERVICE_ROLES, 'clinicpulse_app', 'clinicpulse_audit_writer', 'clinicpulse_backup', 'public']],
    );
    expect(link).toEqual([]);
  });

  it('the service login can become exactly the group roles and nothing else', async () => {
    const memberOf = await rows<{ rolname: string }>(`
      SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = 'clinicpulse_app'::regrole ORDER BY 1`);
    expect(memberOf.map((r) => r.rolname)).toEqual([...STAFF_ROLES, ...SERVICE_ROLES].sort());
  });

  it('group roles cannot log in, inherit nothing and create nothing in the schema', async () => {
    const roles = await rows<{ rolname: string; rolcanlogin: boolean; rolinherit: boolean; create: boolean; member_of: number }>(
      `SELECT r.rolname, r.rolcanlogin, r.rolinherit, has_schema_privilege(r.rolname, 'public', 'CREATE') AS create,
              (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS member_of
       FROM pg_roles r WHERE r.rolname = ANY (?) ORDER BY 1`,
      [[...STAFF_ROLES, ...SERVICE_ROLES]],
    );
    expect(roles).toHaveLength(STAFF_ROLES.length + SERVICE_ROLES.length);
    for (const r of roles) expect(r, r.rolname).toMatchObject({ rolcanlogin: false, rolinherit: false, create: false, member_of: 0 });
  });

  it('only the owner role (or a superuser, for knex bookkeeping) owns objects in the schema', async () => {
    const foreign = await rows<{ what: string; owner: string }>(`
      SELECT 'class ' || c.relname AS what, pg_get_userbyid(c.relowner) AS owner
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relowner <> 'clinicpulse_owner'::regrole
        AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = c.relowner)
      UNION ALL
      SELECT 'function ' || p.proname, pg_get_userbyid(p.proowner)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.proowner <> 'clinicpulse_owner'::regrole
        AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = p.proowner)`);
    expect(foreign).toEqual([]);
    const superOwned = await rows<{ relname: string }>(`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r','v','m') AND c.relowner <> 'clinicpulse_owner'::regrole ORDER BY 1`);
    expect(superOwned.map((r) => r.relname)).toEqual(['knex_migrations', 'knex_migrations_lock']);
  });
});
