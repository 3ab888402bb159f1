/**
 * A database of a section's own in the run's PostgreSQL (the front desk's small clinic, the
 * growth section's tenth of the data): created afresh, migrated, open to the service login,
 * and with the audit writer's user mapping (audited reads go through it). drop() ends it.
 */
import type { Knex } from 'knex';
import type { BenchContext } from './context.js';
import { createKnex } from '../server/db/knex.js';
import { migrateLatest } from '../server/db/migrate.js';
import { APP_LOGIN_ROLE, setAuditWriterPassword } from '../server/db/connect.js';

export interface ScratchDatabase {
  /** Superuser knex on it. */
  admin: Knex;
  adminUrl: string;
  /** The service login's URL of it. */
  appUrl: string;
  drop(): Promise<void>;
}

export async function scratchDatabase(ctx: BenchContext, name: string, poolMax = 2): Promise<ScratchDatabase> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`invalid scratch database name: ${name}`);
  await ctx.knex.raw(`DROP DATABASE IF EXISTS ${name}`);
  await ctx.knex.raw(`CREATE DATABASE ${name}`);
  const adminUrl = new URL(ctx.adminUrl);
  adminUrl.pathname = `/${name}`;
  const appUrl = new URL(ctx.appUrl);
  appUrl.pathname = `/${name}`;
  const admin = createKnex(adminUrl.toString(), { poolMax, applicationName: `${name}-setup` });
  const drop = async () => {
    await admin.destroy();
    await ctx.knex.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  };
  try {
    await migrateLatest(admin);
    await admin.raw(`GRANT CONNECT ON DATABASE ${name} TO ${APP_LOGIN_ROLE}`).catch(() => undefined);
    await setAuditWriterPassword(adminUrl.toString(), ctx.auditWriterPassword, { setRole: false });
  } catch (err) {
    await drop();
    throw err;
  }
  return { admin, adminUrl: adminUrl.toString(), appUrl: appUrl.toString(), drop };
}
