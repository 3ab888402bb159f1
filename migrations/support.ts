/**
 * The one helper migrations share: run a migration's SQL as the NOLOGIN owner role, so
 * every object it creates is owned by clinicpulse_owner and not by whoever ran the
 * migration. The role is reset afterwards so knex can record the migration as the
 * migrating user.
 *
 * The SQL goes to the migration transaction's own pg connection, not through
 * `knex.raw`: knex rewrites every `?` into a `$n` placeholder, even inside string
 * literals and comments, which once turned `...this patient? The...` into
 * `...this patient$2 The...` in the catalog and a regex's `?` into `$2`. Without
 * parameters node-postgres sends the text as is (simple query protocol, several
 * statements allowed). test/comments.test.ts lints the catalog for leftovers.
 *
 * Keep this file stable: applied migrations import it. Anything else a migration needs
 * is copied into that migration, so editing one migration never changes another.
 */
import type { Knex } from 'knex';

interface RawConnection {
  query(sql: string): Promise<unknown>;
}

/** Run SQL text verbatim on the connection of `knex` (the migration's transaction). */
export async function runSql(knex: Knex, sql: string): Promise<void> {
  // In a transaction, knex hands back the transaction's connection and releasing is a no-op.
  const connection = (await knex.client.acquireConnection()) as RawConnection;
  try {
    await connection.query(sql);
  } finally {
    await knex.client.releaseConnection(connection);
  }
}

export async function asOwner(knex: Knex, sql: string): Promise<void> {
  await runSql(knex, 'SET LOCAL ROLE clinicpulse_owner');
  try {
    await runSql(knex, sql);
  } finally {
    await runSql(knex, 'RESET ROLE');
  }
}
