/**
 * Per-file database: a fresh clone of the migrated template, so test files never
 * see each other's rows and can run in parallel. Cloning takes tens of milliseconds.
 */
import { inject } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createKnex } from '../../server/db/knex.js';
import { withCredentials } from '../../server/db/connect.js';

export interface TestDatabase {
  name: string;
  /** Superuser URL of the clone (for setup and for acting as any role). */
  url: string;
  /** A knex on the clone as superuser. */
  knex: Knex;
  /** URL of the clone as the service's login role (clinicpulse_app). */
  appUrl: string;
  /** A knex on the clone as the service's login role: what the server uses for staff work. */
  appKnex: Knex;
  drop(): Promise<void>;
}

export function urlFor(adminUrl: string, db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const name = `clinicpulse_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${pg.escapeIdentifier(inject('templateDb'))}`);
  } finally {
    await admin.end();
  }
  const url = urlFor(adminUrl, name);
  const knex = createKnex(url, { poolMax: 20 });
  const appUrl = withCredentials(url, 'clinicpulse_app', inject('appPassword'));
  const appKnex = createKnex(appUrl, { poolMax: 20 });
  return {
    name,
    url,
    knex,
    appUrl,
    appKnex,
    async drop() {
      await appKnex.destroy();
      await knex.destroy();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
