/**
 * Where the database comes from: DATABASE_URL when set, otherwise the embedded
 * PostgreSQL 15 under DATA_DIR with a `clinicpulse` database created on first start.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config.js';
import { canLogIn, DataDirectoryInUseError, ensureDatabase, runningEmbeddedUrl, startEmbeddedPostgres, type EmbeddedDatabase } from './embedded.js';

export interface DatabaseServer {
  /** URL of a role that may migrate (create objects, grant, create roles). */
  adminUrl: string;
  /** 'embedded' or 'external', for logs and /healthz. */
  kind: 'embedded' | 'external';
  /** Stops the embedded server; a no-op for an external one. */
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'clinicpulse';

/** The embedded cluster's data directory under DATA_DIR. */
export function embeddedDataDir(config: Pick<Config, 'DATA_DIR'>): string {
  return path.join(config.DATA_DIR, 'pg');
}

export async function openDatabaseServer(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_PG_PORT'>,
  say: (line: string) => void = () => {},
  opts: { joinRunning?: boolean } = {},
): Promise<DatabaseServer> {
  if (config.DATABASE_URL) {
    return { adminUrl: config.DATABASE_URL, kind: 'external', stop: async () => {} };
  }
  let embedded: EmbeddedDatabase;
  try {
    embedded = await startEmbeddedPostgres({ dataDir: embeddedDataDir(config), port: config.EMBEDDED_PG_PORT, say });
  } catch (err) {
    // A command-line tool run beside `npm start` talks to that running server instead.
    if (!(opts.joinRunning && err instanceof DataDirectoryInUseError)) throw err;
    say(`The embedded database in ${embeddedDataDir(config)} is running (npm start): using it on port ${config.EMBEDDED_PG_PORT}.`);
    return {
      adminUrl: runningEmbeddedUrl(embeddedDataDir(config), config.EMBEDDED_PG_PORT, EMBEDDED_DATABASE),
      kind: 'embedded',
      stop: async () => {},
    };
  }
  await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
  return { adminUrl: embedded.urlFor(EMBEDDED_DATABASE), kind: 'embedded', stop: () => embedded.stop() };
}

/** The same server and database as `url`, logged in as another role. */
export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export const APP_LOGIN_ROLE = 'clinicpulse_app';

/**
 * The URL the service uses for staff work: the `clinicpulse_app` login, which owns
 * nothing and can only SET ROLE into the group roles. APP_DATABASE_URL wins when set;
 * otherwise a random password is kept in DATA_DIR (mode 0600) and set on the role, once:
 * a start whose password file already opens the login leaves the role alone.
 */
export async function prepareAppLogin(adminUrl: string, opts: { dataDir: string; appDatabaseUrl?: string }): Promise<string> {
  if (opts.appDatabaseUrl) return opts.appDatabaseUrl;
  const password = keptPassword(opts.dataDir, 'app-db-password');
  // Set once: a password that already works is not rewritten (another process may be using it).
  if (await canLogIn(withCredentials(adminUrl, APP_LOGIN_ROLE, password))) return withCredentials(adminUrl, APP_LOGIN_ROLE, password);
  await setLoginPassword(adminUrl, APP_LOGIN_ROLE, password);
  return withCredentials(adminUrl, APP_LOGIN_ROLE, password);
}

/** A random password kept in DATA_DIR (mode 0600), created on first use. */
function keptPassword(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, password + '\n', { mode: 0o600 });
  return password;
}

export const AUDIT_WRITER_ROLE = 'clinicpulse_audit_writer';

/**
 * The login that writes audited reads and break-the-glass in their own transaction
 * (migration 20261206000100): a random password kept in DATA_DIR like the app login's,
 * set on the role and in the owner's user mapping, where only a superuser can read it.
 * Audited reads fail (never go unrecorded) until this has run on the database.
 */
export async function prepareAuditWriter(adminUrl: string, opts: { dataDir: string; password?: string }): Promise<void> {
  const password = opts.password ?? keptPassword(opts.dataDir, 'audit-writer-password');
  // Set once, like the app login: a password that already opens the login is not rewritten
  // (another process, or another database on this cluster, may rely on it); this database's
  // user mapping always gets it.
  const works = await canLogIn(withCredentials(adminUrl, AUDIT_WRITER_ROLE, password));
  await setAuditWriterPassword(adminUrl, password, { setRole: !works });
}

export async function setAuditWriterPassword(adminUrl: string, password: string, opts: { setRole?: boolean } = {}): Promise<void> {
  if (opts.setRole ?? true) await setLoginPassword(adminUrl, AUDIT_WRITER_ROLE, password);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // The mapping belongs to the owner's server: act as the owner (the migrating role is a member).
    await client.query('BEGIN');
    await client.query('SET LOCAL ROLE clinicpulse_owner');
    // Processes starting together on one database take turns.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('clinicpulse_audit_link'))");
    await client.query('SAVEPOINT set_password');
    try {
      await client.query(`ALTER USER MAPPING FOR clinicpulse_owner SERVER clinicpulse_audit_link OPTIONS (SET password ${pg.escapeLiteral(password)})`);
    } catch (err) {
      // A restored dump carries the mapping without its password option (42704): add it.
      if ((err as { code?: string }).code !== '42704') throw err;
      await client.query('ROLLBACK TO SAVEPOINT set_password');
      await client.query(`ALTER USER MAPPING FOR clinicpulse_owner SERVER clinicpulse_audit_link OPTIONS (ADD password ${pg.escapeLiteral(password)})`);
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}


export async function setLoginPassword(adminUrl: string, role: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${pg.escapeIdentifier(role)} PASSWORD ${pg.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}
