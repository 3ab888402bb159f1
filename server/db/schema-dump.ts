/**
 * The current schema as one normalised text, read from the catalog: roles, extensions,
 * types, tables (columns, constraints, indexes, row-level security, policies, triggers,
 * grants), views, sequences, functions and default privileges, with their comments.
 *
 * Everything is sorted by name and carries no OIDs, so two databases with the same schema
 * give the same text whatever order their objects were created in. `npm run db:schema`
 * writes it to migrations/schema.sql (the place to read what a function or policy is
 * now, since later migrations redefine earlier ones), a test fails when that file is
 * stale, and the migrations test compares it before and after a rollback.
 *
 * The SQL here has no question marks: knex.raw would read them as placeholders.
 */
import type { Knex } from 'knex';
import { STAFF_ROLES } from '../../shared/vocabulary.js';

const rows = async <T>(knex: Knex, sql: string): Promise<T[]> => (await knex.raw<{ rows: T[] }>(sql)).rows;

/** The roles the migrations create (roles are cluster-wide; only ours are described). */
const ourRole = (col: string) => `(${col} LIKE 'clinicpulse\\_%' OR ${col} IN (${STAFF_ROLES.map((r) => `'${r}'`).join(', ')}))`;
const OUR_ROLES = ourRole('r.rolname');

const q = (s: string | null) => (s === null ? 'NULL' : `'${s.replaceAll("'", "''")}'`);
const comment = (what: string, text: string | null) => (text === null ? [] : [`COMMENT ON ${what} IS ${q(text)};`]);

/**
 * GRANT lines from an ACL, one per grantee, privileges sorted; `on` is e.g. "TABLE appointments".
 * The owner's own (implicit, full) privileges are left out.
 */
function grants(acl: { grantee: string; privileges: string[] }[], on: string, owner?: string): string[] {
  return acl.filter((a) => a.grantee !== owner).map((a) => `GRANT ${a.privileges.join(', ')} ON ${on} TO ${a.grantee};`);
}

interface Acl {
  grantee: string;
  privileges: string[];
}

// An ACL column exploded to one row per grantee with sorted privileges; PUBLIC as grantee 0.
const ACL = (column: string) => `
  coalesce((SELECT json_agg(json_build_object('grantee', g.grantee, 'privileges', g.privileges) ORDER BY g.grantee)
            FROM (SELECT CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(e.grantee) END AS grantee,
                         array_agg(e.privilege_type || CASE WHEN e.is_grantable THEN ' (WITH GRANT OPTION)' ELSE '' END
                                   ORDER BY e.privilege_type) AS privileges
                  FROM aclexplode(${column}) e GROUP BY 1) g), '[]'::json)`;

/** The normalised schema of schema public (and the roles it is granted to), as text. */
export async function renderSchema(knex: Knex): Promise<string> {
  const out: string[] = [
    '-- The current schema of ClinicPulse, generated from a freshly migrated database by',
    '-- `npm run db:schema` (server/db/schema-dump.ts). Do not edit: change a migration instead.',
    '-- Objects are sorted by name, not by creation order; a test fails when this file is stale.',
    '',
  ];

  out.push('-- ===== Roles ===================================================================', '');
  const roles = await rows<{ rolname: string; login: boolean; inherit: boolean; bypassrls: boolean; member_of: string[] }>(
    knex,
    `SELECT r.rolname, r.rolcanlogin AS login, r.rolinherit AS inherit, r.rolbypassrls AS bypassrls,
            ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                  WHERE m.member = r.oid AND ${ourRole('g.rolname')}
                  ORDER BY g.rolname) AS member_of
     FROM pg_roles r WHERE ${OUR_ROLES} ORDER BY r.rolname`,
  );
  for (const r of roles) {
    out.push(`CREATE ROLE ${r.rolname} ${r.login ? 'LOGIN' : 'NOLOGIN'}${r.inherit ? '' : ' NOINHERIT'}${r.bypassrls ? ' BYPASSRLS' : ''};`);
    if (r.member_of.length) out.push(`GRANT ${r.member_of.join(', ')} TO ${r.rolname};`);
  }

  out.push('', '-- ===== Extensions and schema ===================================================', '');
  for (const e of await rows<{ extname: string }>(knex, `SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`)) {
    out.push(`CREATE EXTENSION ${e.extname};`);
  }
  const [schema] = await rows<{ acl: Acl[] }>(knex, `SELECT ${ACL('nspacl')} AS acl FROM pg_namespace WHERE nspname = 'public'`);
  out.push(...grants(schema!.acl, 'SCHEMA public'));
  const defaults = await rows<{ owner: string; kind: string; acl: Acl[] }>(
    knex,
    `SELECT pg_get_userbyid(d.defaclrole) AS owner, d.defaclobjtype AS kind, ${ACL('d.defaclacl')} AS acl
     FROM pg_default_acl d WHERE d.defaclnamespace = 'public'::regnamespace ORDER BY 1, 2`,
  );
  const kinds: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' };
  for (const d of defaults) {
    out.push(`-- default privileges of ${d.owner} on new ${kinds[d.kind] ?? d.kind} (what is granted when one is created):`);
    for (const a of d.acl) out.push(`--   ${a.grantee}: ${a.privileges.join(', ')}`);
  }

  out.push('', '-- ===== Types =================================================================', '');
  const types = await rows<{ name: string; kind: string; definition: string; comment: string | null }>(
    knex,
    `SELECT t.typname AS name, t.typtype AS kind,
            CASE t.typtype
              WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
              WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) || coalesce(' ' || (SELECT string_agg(pg_get_constraintdef(c.oid), ' ' ORDER BY c.conname) FROM pg_constraint c WHERE c.contypid = t.oid), '')
              ELSE (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                    FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
            END AS definition,
            obj_description(t.oid, 'pg_type') AS comment
     FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
     WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c') AND (c.relkind IS NULL OR c.relkind = 'c')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
     ORDER BY 1`,
  );
  for (const t of types) {
    if (t.kind === 'e') out.push(`CREATE TYPE ${t.name} AS ENUM (${t.definition});`);
    else if (t.kind === 'd') out.push(`CREATE DOMAIN ${t.name} AS ${t.definition};`);
    else out.push(`CREATE TYPE ${t.name} AS (${t.definition});`);
    out.push(...comment(`TYPE ${t.name}`, t.comment));
  }

  const relations = await rows<{
    oid: number;
    name: string;
    kind: string;
    owner: string;
    rls: boolean;
    force_rls: boolean;
    options: string[] | null;
    view: string | null;
    acl: Acl[];
    comment: string | null;
  }>(
    knex,
    `SELECT c.oid::int AS oid, c.relname AS name, c.relkind AS kind, pg_get_userbyid(c.relowner) AS owner,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls, c.reloptions AS options,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS view,
            ${ACL('c.relacl')} AS acl, obj_description(c.oid, 'pg_class') AS comment
     FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND c.relname NOT LIKE 'knex\\_migrations%'
     ORDER BY c.relname`,
  );
  const columns = await rows<{ relid: number; name: string; type: string; notnull: boolean; default_value: string | null; identity: string; generated: string; acl: Acl[]; comment: string | null }>(
    knex,
    `SELECT a.attrelid::int AS relid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            pg_get_expr(d.adbin, d.adrelid) AS default_value, a.attidentity AS identity, a.attgenerated AS generated,
            ${ACL('a.attacl')} AS acl, col_description(a.attrelid, a.attnum) AS comment
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attrelid, a.attnum`,
  );
  const constraints = await rows<{ relid: number; name: string; definition: string; comment: string | null }>(
    knex,
    `SELECT conrelid::int AS relid, conname AS name, pg_get_constraintdef(oid, true) AS definition, obj_description(oid, 'pg_constraint') AS comment
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> 0 AND contype <> 't' ORDER BY conrelid, conname`,
  );
  const indexes = await rows<{ relid: number; name: string; definition: string; comment: string | null }>(
    knex,
    `SELECT i.indrelid::int AS relid, c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, obj_description(c.oid, 'pg_class') AS comment
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relnamespace = 'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
     ORDER BY i.indrelid, c.relname`,
  );
  const policies = await rows<{ relid: number; name: string; permissive: boolean; cmd: string; roles: string[]; qual: string | null; check: string | null; comment: string | null }>(
    knex,
    `SELECT p.polrelid::int AS relid, quote_ident(p.polname) AS name, p.polpermissive AS permissive, p.polcmd AS cmd,
            ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r ORDER BY 1) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check,
            obj_description(p.oid, 'pg_policy') AS comment
     FROM pg_policy p ORDER BY p.polrelid, p.polname`,
  );
  const triggers = await rows<{ relid: number; name: string; definition: string; enabled: string; comment: string | null }>(
    knex,
    `SELECT t.tgrelid::int AS relid, t.tgname AS name, pg_get_triggerdef(t.oid, true) AS definition, t.tgenabled AS enabled,
            obj_description(t.oid, 'pg_trigger') AS comment
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal ORDER BY t.tgrelid, t.tgname`,
  );
  const cmds: Record<string, string> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

  const section = (title: string) => out.push('', `-- ===== ${title} ${'='.repeat(Math.max(3, 76 - title.length))}`);
  const tableKinds: Record<string, string> = { r: 'TABLE', p: 'TABLE', f: 'FOREIGN TABLE' };

  section('Tables');
  for (const r of relations.filter((r) => r.kind in tableKinds)) {
    const lines: string[] = [];
    for (const c of columns.filter((c) => c.relid === r.oid)) {
      let def = `  ${c.name} ${c.type}`;
      if (c.identity) def += ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
      else if (c.generated) def += ` GENERATED ALWAYS AS (${c.default_value}) STORED`;
      else if (c.default_value !== null) def += ` DEFAULT ${c.default_value}`;
      if (c.notnull) def += ' NOT NULL';
      lines.push(def);
    }
    for (const k of constraints.filter((k) => k.relid === r.oid)) lines.push(`  CONSTRAINT ${k.name} ${k.definition}`);
    out.push('', `-- owner: ${r.owner}`, `CREATE ${tableKinds[r.kind]} ${r.name} (`, lines.join(',\n'), ');');
    if (r.options) out.push(`ALTER TABLE ${r.name} SET (${r.options.join(', ')});`);
    for (const i of indexes.filter((i) => i.relid === r.oid)) out.push(`${i.definition.replace(' ON public.', ' ON ')};`, ...comment(`INDEX ${i.name}`, i.comment));
    if (r.rls) out.push(`ALTER TABLE ${r.name} ENABLE ROW LEVEL SECURITY;`);
    if (r.force_rls) out.push(`ALTER TABLE ${r.name} FORCE ROW LEVEL SECURITY;`);
    for (const p of policies.filter((p) => p.relid === r.oid)) {
      out.push(
        `CREATE POLICY ${p.name} ON ${r.name} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${cmds[p.cmd] ?? p.cmd} TO ${p.roles.join(', ')}` +
          `${p.qual !== null ? ` USING (${p.qual})` : ''}${p.check !== null ? ` WITH CHECK (${p.check})` : ''};`,
        ...comment(`POLICY ${p.name} ON ${r.name}`, p.comment),
      );
    }
    for (const t of triggers.filter((t) => t.relid === r.oid)) {
      out.push(`${t.definition.replace(' ON public.', ' ON ')};`);
      if (t.enabled !== 'O') out.push(`-- trigger ${t.name}: tgenabled = ${t.enabled}`);
      out.push(...comment(`TRIGGER ${t.name} ON ${r.name}`, t.comment));
    }
    out.push(...grants(r.acl, `TABLE ${r.name}`, r.owner));
    for (const c of columns.filter((c) => c.relid === r.oid)) {
      for (const a of c.acl) out.push(`GRANT ${a.privileges.join(', ')} (${c.name}) ON TABLE ${r.name} TO ${a.grantee};`);
    }
    out.push(...comment(`TABLE ${r.name}`, r.comment));
    for (const c of columns.filter((c) => c.relid === r.oid)) out.push(...comment(`COLUMN ${r.name}.${c.name}`, c.comment));
    for (const k of constraints.filter((k) => k.relid === r.oid)) out.push(...comment(`CONSTRAINT ${k.name} ON ${r.name}`, k.comment));
  }

  section('Views');
  for (const r of relations.filter((r) => r.kind === 'v' || r.kind === 'm')) {
    const options = r.options ? ` WITH (${r.options.join(', ')})` : '';
    out.push('', `-- owner: ${r.owner}`, `CREATE ${r.kind === 'm' ? 'MATERIALIZED ' : ''}VIEW ${r.name}${options} AS`, `${r.view!.trimEnd()}`);
    for (const t of triggers.filter((t) => t.relid === r.oid)) out.push(`${t.definition.replace(' ON public.', ' ON ')};`);
    out.push(...grants(r.acl, `TABLE ${r.name}`, r.owner));
    for (const c of columns.filter((c) => c.relid === r.oid)) {
      for (const a of c.acl) out.push(`GRANT ${a.privileges.join(', ')} (${c.name}) ON TABLE ${r.name} TO ${a.grantee};`);
    }
    out.push(...comment(`VIEW ${r.name}`, r.comment));
    for (const c of columns.filter((c) => c.relid === r.oid)) out.push(...comment(`COLUMN ${r.name}.${c.name}`, c.comment));
  }

  section('Sequences');
  const sequences = await rows<{ name: string; type: string; start: string; increment: string; cycle: boolean; owned_by: string | null }>(
    knex,
    `SELECT c.relname AS name, format_type(s.seqtypid, NULL) AS type, s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqcycle AS cycle,
            (SELECT t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') LIMIT 1) AS owned_by
     FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
     WHERE c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE 'knex\\_migrations%' ORDER BY 1`,
  );
  for (const s of sequences) {
    const r = relations.find((r) => r.name === s.name && r.kind === 'S')!;
    out.push(
      '',
      `CREATE SEQUENCE ${s.name} AS ${s.type} START ${s.start} INCREMENT ${s.increment}${s.cycle ? ' CYCLE' : ''};${s.owned_by ? ` -- owned by ${s.owned_by}` : ''}`,
      ...grants(r.acl, `SEQUENCE ${s.name}`, r.owner),
      ...comment(`SEQUENCE ${s.name}`, r.comment),
    );
  }

  section('Functions');
  const functions = await rows<{ signature: string; owner: string; definition: string; acl: Acl[]; comment: string | null }>(
    knex,
    `SELECT p.oid::regprocedure::text AS signature, pg_get_userbyid(p.proowner) AS owner,
            CASE WHEN p.prokind = 'a' THEN '-- aggregate' ELSE pg_get_functiondef(p.oid) END AS definition,
            ${ACL('p.proacl')} AS acl, obj_description(p.oid, 'pg_proc') AS comment
     FROM pg_proc p
     WHERE p.pronamespace = 'public'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
     ORDER BY 1`,
  );
  for (const f of functions) {
    // An ACL of NULL means the default: EXECUTE for PUBLIC. Say so, since it matters for definer functions.
    const acl = f.acl.length ? grants(f.acl, `FUNCTION ${f.signature}`, f.owner) : [`-- EXECUTE on ${f.signature}: default (PUBLIC)`];
    out.push('', `-- owner: ${f.owner}`, f.definition.trimEnd().replaceAll('CREATE OR REPLACE FUNCTION public.', 'CREATE FUNCTION ').replaceAll('CREATE OR REPLACE PROCEDURE public.', 'CREATE PROCEDURE ') + ';', ...acl, ...comment(`FUNCTION ${f.signature}`, f.comment));
  }
  out.push('');
  return out.join('\n');
}
