/**
 * The embedded PostgreSQL against a local user (issue: any local user became superuser):
 * the superuser password that used to be in the source opens nothing, the real one is
 * random and readable only by the owner, there is no Unix socket to connect through,
 * a cluster made with the old password is re-keyed on its next start, and a checkout
 * the `postgres` OS user cannot enter either works (binaries copied) or is refused
 * with the command to run instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ensureDatabase,
  EmbeddedPlacementError,
  LEGACY_SUPERUSER_PASSWORD,
  packagedNativeDir,
  startEmbeddedPostgres,
  superuserPasswordFile,
  type EmbeddedDatabase,
} from '../../server/db/embedded.js';
import { freeLoopbackPort } from '../../server/db/free-port.js';

const asRoot = process.getuid?.() === 0;
const run = promisify(execFile);
let work: string;
let dataDir: string;
let port: number;
let db: EmbeddedDatabase;

async function loginError(password: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres` });
  try {
    // Once in, the attacker ran COPY … TO PROGRAM as the postgres OS user: the login is the gate.
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  } finally {
    await client.end().catch(() => {});
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-embedded-'));
  chmodSync(work, 0o755);
  dataDir = path.join(work, 'pg');
  port = await freeLoopbackPort();
  db = await startEmbeddedPostgres({ dataDir, port, settings: { fsync: 'off' } });
});
afterAll(async () => {
  await db?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the embedded superuser', () => {
  it('refuses the password that used to be in the source', async () => {
    expect(await loginError(LEGACY_SUPERUSER_PASSWORD)).toBe('28P01');
  });

  it('has a random password kept beside the data with mode 0600', async () => {
    const file = superuserPasswordFile(dataDir);
    expect(path.dirname(file)).toBe(work);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(await loginError(password)).toBeUndefined();
  });

  it('listens on no Unix socket, only on loopback TCP', async () => {
    const client = new pg.Client({ connectionString: db.adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT current_setting('unix_socket_directories') AS sockets, current_setting('listen_addresses') AS tcp");
      expect(rows[0]).toEqual({ sockets: '', tcp: '127.0.0.1' });
    } finally {
      await client.end();
    }
    expect(existsSync(`/tmp/.s.PGSQL.${port}`)).toBe(false);
    expect(existsSync(path.join(dataDir, `.s.PGSQL.${port}`))).toBe(false);
  });

  it('a cluster still on the old fixed password gets a random one on its next start', async () => {
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    await admin.query(`ALTER ROLE postgres PASSWORD '${LEGACY_SUPERUSER_PASSWORD}'`);
    await admin.end();
    rmSync(superuserPasswordFile(dataDir));
    await db.stop();
    expect(await loginError(LEGACY_SUPERUSER_PASSWORD).catch(() => 'down')).not.toBeUndefined();
    const notices: string[] = [];
    db = await startEmbeddedPostgres({ dataDir, port, settings: { fsync: 'off' }, say: (l) => notices.push(l) });
    expect(notices.join('\n')).toMatch(/Replaced the embedded database's old fixed superuser password/);
    expect(await loginError(LEGACY_SUPERUSER_PASSWORD)).toBe('28P01');
    expect(statSync(superuserPasswordFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(await loginError(readFileSync(superuserPasswordFile(dataDir), 'utf8').trim())).toBeUndefined();
  });
});

describe('command-line tools beside a running server', () => {
  it('npm run generate while the embedded database is held says so and works through the running server', async () => {
    await ensureDatabase(db.adminUrl, 'clinicpulse');
    const out = await run(process.execPath, ['--import', 'tsx', 'server/cli/generate.ts', '--appointments', '40', '--lanes', '1'], {
      env: { ...process.env, DATA_DIR: work, EMBEDDED_PG_PORT: String(port), DATABASE_URL: '' },
      timeout: 180_000,
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(out.stderr).not.toMatch(/DataDirectoryInUseError/);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`The embedded database in ${dataDir} is running (npm start): using it on port ${port}.`);
    expect(out.stdout).toMatch(/Done in/);
  });
});

describe.runIf(asRoot)('a checkout only root can enter', () => {
  it('refuses a data directory the postgres OS user cannot reach, saying what to run instead', async () => {
    const closed = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-rootonly-'));
    chmodSync(closed, 0o700);
    try {
      const err = await startEmbeddedPostgres({ dataDir: path.join(closed, 'checkout', '.data', 'pg'), port: port + 1 }).then(
        (d) => d.stop().then(() => undefined),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EmbeddedPlacementError);
      expect((err as Error).message).toContain(`cannot enter ${closed}`);
      expect((err as Error).message).toContain('DATA_DIR=/var/lib/clinicpulse npm start');
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  it('runs binaries from a checkout the postgres OS user cannot enter, from a root-owned copy', async () => {
    const closed = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-rootonly-'));
    chmodSync(closed, 0o700);
    const shared = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-shared-'));
    chmodSync(shared, 0o755);
    const reachableData = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-data-'));
    chmodSync(reachableData, 0o755);
    try {
      const nativeDir = path.join(closed, 'node_modules', 'native');
      mkdirSync(path.dirname(nativeDir), { recursive: true });
      cpSync(packagedNativeDir(), nativeDir, { recursive: true, verbatimSymlinks: true });
      const notices: string[] = [];
      const started = await startEmbeddedPostgres({
        dataDir: path.join(reachableData, 'pg'),
        port: port + 2,
        persistent: false,
        nativeDir,
        sharedBinaryRoot: path.join(shared, 'clinicpulse'),
        say: (l) => notices.push(l),
      });
      await started.stop();
      expect(notices.join('\n')).toMatch(/copied the PostgreSQL binaries to .*clinicpulse-shared-/);
      const copy = statSync(path.join(shared, 'clinicpulse'));
      expect(copy.uid).toBe(0);
      expect(copy.mode & 0o022).toBe(0);
    } finally {
      for (const d of [closed, shared, reachableData]) rmSync(d, { recursive: true, force: true });
    }
  });
});
