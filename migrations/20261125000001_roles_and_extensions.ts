/**
 * Cluster-level groundwork: the extensions the schema needs and the roles every
 * later migration grants to. Roles are cluster-wide, so they are created only if
 * missing and never dropped on rollback (another database on the same server,
 * such as a test clone, may still use them). See docs/security.md.
 */
import type { Knex } from 'knex';
import { runSql } from './support.js';

export async function up(knex: Knex): Promise<void> {
  await runSql(knex, `
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    CREATE EXTENSION IF NOT EXISTS pgcrypto;

    DO $roles$
    DECLARE r text;
    BEGIN
      -- The owner of every object: nobody logs in as it.
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinicpulse_owner') THEN
        CREATE ROLE clinicpulse_owner NOLOGIN;
      END IF;
      -- Group roles a staff member acts as; none can log in.
      FOREACH r IN ARRAY ARRAY['front_desk','clinician','billing','manager','compliance'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
          EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
        END IF;
      END LOOP;
      -- The service's login: owns nothing, holds nothing itself, may only SET ROLE into a group role.
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinicpulse_app') THEN
        CREATE ROLE clinicpulse_app LOGIN NOINHERIT;
      END IF;
      -- Backups read everything (including rows RLS hides), change nothing. BYPASSRLS needs a
      -- superuser; on a managed PostgreSQL whose administrator is not one, the role is made
      -- without it and reads through its own SELECT policies (npm run backup notices).
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinicpulse_backup') THEN
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          CREATE ROLE clinicpulse_backup LOGIN BYPASSRLS;
        ELSE
          CREATE ROLE clinicpulse_backup LOGIN;
        END IF;
      END IF;
    END
    $roles$;

    GRANT front_desk, clinician, billing, manager, compliance TO clinicpulse_app;
    GRANT USAGE, CREATE ON SCHEMA public TO clinicpulse_owner;
    GRANT clinicpulse_owner TO CURRENT_USER;
    REVOKE ALL ON SCHEMA public FROM PUBLIC;
    GRANT USAGE ON SCHEMA public TO front_desk, clinician, billing, manager, compliance, clinicpulse_backup;
  `);
  await runSql(knex, `GRANT CONNECT ON DATABASE ${await currentDatabase(knex)} TO clinicpulse_app, clinicpulse_backup`);
  await runSql(knex, `REVOKE ALL ON DATABASE ${await currentDatabase(knex)} FROM PUBLIC`);
}

async function currentDatabase(knex: Knex): Promise<string> {
  const { rows } = await knex.raw<{ rows: { db: string }[] }>('SELECT quote_ident(current_database()) AS db');
  return rows[0]!.db;
}

export async function down(knex: Knex): Promise<void> {
  await runSql(knex, `
    REVOKE USAGE ON SCHEMA public FROM front_desk, clinician, billing, manager, compliance, clinicpulse_backup;
    REVOKE USAGE, CREATE ON SCHEMA public FROM clinicpulse_owner;
  `);
}
