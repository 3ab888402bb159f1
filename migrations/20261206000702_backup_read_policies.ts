/**
 * A backup login without BYPASSRLS (a managed PostgreSQL whose administrator is not a
 * superuser cannot grant it): every table with row-level security gets a policy letting
 * clinicpulse_backup read every row, so pg_dump --enable-row-security still dumps all
 * of it. Where the backup role has BYPASSRLS (the embedded and self-hosted case) the
 * policies change nothing. `npm run backup` checks, before dumping without BYPASSRLS,
 * that every RLS table has such a policy, so a table added later without one is refused
 * rather than silently dumped in part.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DO $policies$
DECLARE t text;
BEGIN
  FOR t IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relrowsecurity
      AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polcmd IN ('r', '*')
                        AND 'clinicpulse_backup'::regrole::oid = ANY (p.polroles))
    ORDER BY 1
  LOOP
    EXECUTE format('CREATE POLICY "backups read everything" ON public.%I FOR SELECT TO clinicpulse_backup USING (true)', t);
  END LOOP;
END
$policies$;
`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(
    knex,
    `
DO $policies$
DECLARE t text;
BEGIN
  FOR t IN
    SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND p.polname = 'backups read everything'
      AND c.relname NOT IN ('audit_log', 'patient_keys', 'visit_notes', 'erasures')
  LOOP
    EXECUTE format('DROP POLICY "backups read everything" ON public.%I', t);
  END LOOP;
END
$policies$;
`,
  );
}
