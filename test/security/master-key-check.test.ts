/**
 * A wrong MASTER_KEY is refused at start-up, not discovered when someone next opens an
 * old note (meanwhile new patients' keys would be wrapped under the wrong key, splitting
 * the data between two keys). The database keeps the key's id (never the key); the
 * service compares before it serves.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createPatient } from '../support/clinic.js';
import { FieldCrypto } from '../../server/crypto/index.js';
import { checkMasterKey } from '../../server/db/repository/master-key.js';
import { ConfigError } from '../../server/config.js';

const KEY_A = 'a1'.repeat(32);
const KEY_B = 'b2'.repeat(32);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

/** `npm start` against the test database with this MASTER_KEY; resolves with how it ended. */
function start(masterKey: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'clinicpulse-keycheck-'));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'server/main.ts'],
      {
        // APP_DATABASE_URL: the service must not reset the shared test login's password.
        env: { ...process.env, NODE_ENV: 'development', DATABASE_URL: db.url, APP_DATABASE_URL: db.appUrl, AUDIT_WRITER_PASSWORD: inject('auditWriterPassword'), MASTER_KEY: masterKey, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' },
        timeout: 45_000,
      },
      (err, stdout, stderr) => {
        rmSync(dataDir, { recursive: true, force: true });
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

describe('start-up with a wrong master key', () => {
  it('refuses to start when patient keys were wrapped under another master key', async () => {
    // An existing deployment: a patient key wrapped under KEY_A, and the operator now sets KEY_B.
    const patientId = await createPatient(db.knex);
    const { wrapped } = new FieldCrypto(KEY_A).newDataKey(patientId);
    await db.knex.raw('INSERT INTO patient_keys (patient_id, wrapped_key) VALUES (?, ?)', [patientId, wrapped]);
    const run = await start(KEY_B);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/MASTER_KEY is not the key/);
    expect(run.stdout).not.toMatch(/is running at/);
    // Nothing was wrapped under the wrong key.
    const { rows } = await db.knex.raw('SELECT count(*)::int AS n FROM patient_keys');
    expect(rows[0].n).toBe(1);
  }, 60_000);

  it('records the key id on first use and refuses any other key afterwards, even with no patient key yet', async () => {
    const fresh = await createTestDatabase();
    try {
      expect(await checkMasterKey(fresh.knex, new FieldCrypto(KEY_B))).toBe('recorded');
      expect(await checkMasterKey(fresh.knex, new FieldCrypto(KEY_B))).toBe('verified');
      const refused = await checkMasterKey(fresh.knex, new FieldCrypto(KEY_A)).then(() => undefined, (e: unknown) => e);
      expect(refused).toBeInstanceOf(ConfigError);
      expect((refused as Error).message).toMatch(/MASTER_KEY is not the key/);
      // The database holds an 8-byte id of the key, not the key.
      const { rows } = await fresh.knex.raw('SELECT encode(key_id, \'hex\') AS id FROM master_key_check');
      expect(rows).toHaveLength(1);
      expect(KEY_B).not.toContain(rows[0].id);
    } finally {
      await fresh.drop();
    }
  });
});
